package inspecttest

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/officemilter/officemilter/inspect"
)

func TestRecorderChildren(t *testing.T) {
	broken := errors.New("disk on fire")
	bad := func() io.Reader { return io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(broken)) }

	r := &Recorder{}
	if err := r.Child("a", strings.NewReader("alpha")); err != nil {
		t.Fatal(err)
	}
	if err := r.ChildAt("b", strings.NewReader("beta"), 4); err != nil {
		t.Fatal(err)
	}
	if err := r.Child("c", bad()); !errors.Is(err, broken) {
		t.Errorf("read error: got %v", err)
	}
	if got := r.Names(); !slices.Equal(got, []string{"a", "b", "c"}) || string(r.Data("b")) != "beta" || string(r.Data("c")) != "ab" || !r.Has("c") || r.Has("d") {
		t.Errorf("names %q, b %q, c %q", got, r.Data("b"), r.Data("c"))
	}
	if (&Recorder{}).Names() != nil {
		t.Error("no children: Names is not nil")
	}

	keep := &Recorder{KeepReadErrors: true}
	if err := keep.Child("c", bad()); err != nil || !errors.Is(keep.Children[0].Err, broken) {
		t.Errorf("KeepReadErrors: %v, child %+v", err, keep.Children)
	}

	stop := errors.New("stop")
	var seen []string
	hook := &Recorder{OnChild: func(c Child) error { seen = append(seen, c.Name+"="+string(c.Data)); return stop }}
	if err := hook.Child("x", strings.NewReader("y")); err != stop || !slices.Equal(seen, []string{"x=y"}) {
		t.Errorf("OnChild: %v, seen %q", err, seen)
	}

	read := &countReader{r: strings.NewReader(strings.Repeat("z", 10000))}
	d := &Recorder{Discard: true}
	if err := d.Child("big", read); err != nil || read.n != 10000 || len(d.Children) != 0 {
		t.Errorf("Discard: %v, read %d, kept %d", err, read.n, len(d.Children))
	}
}

type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestRecorderNext(t *testing.T) {
	inner := &Recorder{}
	spy := &Recorder{Type: "unknown", Next: inner}
	spy.SetType(inspect.TypePDF)
	spy.Emit(inspect.Finding{Kind: inspect.KindMacro, Detail: "m"})
	if err := spy.Child("a", strings.NewReader("alpha")); err != nil {
		t.Fatal(err)
	}
	if spy.Type != inspect.TypePDF || inner.Type != inspect.TypePDF || len(inner.Findings) != 1 || len(spy.Findings) != 1 {
		t.Errorf("spy %+v inner %+v", spy, inner)
	}
	if string(inner.Data("a")) != "alpha" || !spy.Has("a") || spy.Data("a") != nil {
		t.Errorf("children: inner %+v spy %+v", inner.Children, spy.Children)
	}
}
