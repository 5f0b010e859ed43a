package replay

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// Results come in item order although later items finish first, and no
// more than about 4*jobs items are in flight.
func TestOrdered(t *testing.T) {
	const n, jobs = 50, 3
	var mu sync.Mutex
	inFlight, most := 0, 0
	// Item 0 waits until item 2 is done: the results come out of order.
	twoDone := make(chan struct{})
	feed := func(yield func(int) bool) error {
		for i := range n {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			if !yield(i) {
				t.Error("yield refused an item")
			}
		}
		return nil
	}
	work := func(i int) int {
		switch i {
		case 0:
			<-twoDone
		case 2:
			close(twoDone)
		}
		return i * i
	}
	var got []int
	err := Ordered(context.Background(), jobs, feed, work, func(r int) error {
		mu.Lock()
		inFlight--
		mu.Unlock()
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r != i*i {
			t.Fatalf("result %d is %d: %v", i, r, got)
		}
	}
	if len(got) != n {
		t.Errorf("%d results, want %d", len(got), n)
	}
	if most > 4*jobs+2 {
		t.Errorf("%d items in flight at once, want at most about %d", most, 4*jobs)
	}
}

// An emit error stops the feed (yield says no), is returned, and nothing
// is emitted after it; every item taken is worked on.
func TestOrderedEmitError(t *testing.T) {
	stop := errors.New("stop")
	var refused, worked, taken int
	var mu sync.Mutex
	feed := func(yield func(int) bool) error {
		for i := range 1000 {
			if !yield(i) {
				refused++
				return context.Canceled
			}
			taken++
		}
		return nil
	}
	emitted := 0
	err := Ordered(context.Background(), 2, feed, func(i int) int {
		mu.Lock()
		worked++
		mu.Unlock()
		return i
	}, func(r int) error {
		emitted++
		if r == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || emitted != 6 || refused != 1 || worked != taken || taken >= 1000 {
		t.Errorf("err %v, emitted %d, refused %d, worked %d of %d taken", err, emitted, refused, worked, taken)
	}
}
