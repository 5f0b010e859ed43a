package inspecttest

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// NoHang runs fn and fails the test with every goroutine's stack when fn
// has not returned after d: a hang or work out of proportion to the input
// is a bug, and the stack shows where it loops. fn runs on a goroutine of
// its own, so it must not call t.Fatal (t.Error is fine); check its results
// after NoHang returns. A panic in fn is raised again on the caller's
// goroutine. On a timeout fn is left running: the test is failing anyway.
func NoHang(t testing.TB, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				buf := make([]byte, 64<<10)
				done <- fmt.Sprintf("%v\n%s", v, buf[:runtime.Stack(buf, false)])
				return
			}
			done <- nil
		}()
		fn()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-done:
		if v != nil {
			panic(v)
		}
	case <-timer.C:
		buf := make([]byte, 1<<20)
		t.Fatalf("no result after %v (a hang?); goroutines:\n%s", d, buf[:runtime.Stack(buf, true)])
	}
}

// FuzzTimeout is the time one fuzz execution with FuzzLimits may take
// before NoHang calls it a hang (generous for loaded machines).
const FuzzTimeout = 10 * time.Second
