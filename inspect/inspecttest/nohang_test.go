package inspecttest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestNoHangReturns(t *testing.T) {
	ran := false
	NoHang(t, time.Minute, func() { ran = true })
	if !ran {
		t.Fatal("fn did not run")
	}
}

func TestNoHangRepanics(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "boom") {
			t.Errorf("recovered %v, want the panic of fn", v)
		}
	}()
	NoHang(t, time.Minute, func() { panic("boom") })
	t.Fatal("NoHang returned after a panic")
}

// TestNoHangFails runs a hanging fn in a child test process: the child
// must fail and print the hanging goroutine's stack.
func TestNoHangFails(t *testing.T) {
	if os.Getenv("INSPECTTEST_HANG") == "1" {
		block := make(chan struct{})
		NoHang(t, 50*time.Millisecond, func() { hangForTest(block) })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoHangFails$", "-test.count=1")
	cmd.Env = append(os.Environ(), "INSPECTTEST_HANG=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the hanging child passed:\n%s", out)
	}
	if !strings.Contains(string(out), "no result after 50ms") || !strings.Contains(string(out), "hangForTest") {
		t.Errorf("no timeout report with the stack:\n%s", out)
	}
}

func hangForTest(c chan struct{}) { <-c }
