package replay

import (
	"context"
	"errors"
	"sync"
)

// Ordered runs work on each item feed yields, on up to jobs goroutines,
// and calls emit with the results in the order of the items: the one
// ordered worker pool of scan (Run) and of the inspect command. At most
// about 4*jobs items are between feed and emit at once (each may hold a
// spooled message); yield blocks until there is room. The window is wider
// than the workers so that one slow item (a key derivation) does not leave
// the other workers idle, and items are fed ahead so that a worker that
// finishes finds the next one spooled: with a window of 2*jobs and no
// items fed ahead, scan over the shared corpus ran about a fifth slower. Once emit returns an error or ctx ends, yield returns
// false (the item was not taken: feed still owns it) and no further result
// is emitted; every item yield took is worked on.
//
// Ordered returns emit's error, else feed's (but for context.Canceled),
// else ctx's.
func Ordered[T, R any](ctx context.Context, jobs int, feed func(yield func(T) bool) error, work func(T) R, emit func(R) error) error {
	if jobs < 1 {
		jobs = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type task struct {
		in  T
		out chan R
	}
	todo := make(chan task, jobs)      // items fed ahead, so a worker that finishes finds the next one ready
	order := make(chan chan R, 4*jobs) // results to come, in item order
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range todo {
				t.out <- work(t.in)
			}
		}()
	}
	var feedErr error
	go func() {
		defer close(order)
		defer close(todo)
		feedErr = feed(func(in T) bool {
			t := task{in: in, out: make(chan R, 1)}
			select {
			case todo <- t:
			case <-ctx.Done():
				return false
			}
			order <- t.out // the collector drains order to the end
			return true
		})
	}()
	var emitErr error
	for out := range order {
		if emitErr != nil || ctx.Err() != nil {
			continue
		}
		if emitErr = emit(<-out); emitErr != nil {
			cancel()
		}
	}
	wg.Wait()
	switch {
	case emitErr != nil:
		return emitErr
	case feedErr != nil && !errors.Is(feedErr, context.Canceled):
		return feedErr
	}
	return ctx.Err()
}
