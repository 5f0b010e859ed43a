package inspecttest

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

// Child is one piece of nested content an inspector handed on.
type Child struct {
	Name string
	Data []byte
	Err  error // the error reading it ended with (Data holds what was read)
}

// Recorder is an inspect.Scope for unit tests of one inspector: it records
// the type, the findings and every child (name and content, in order)
// instead of inspecting them.
type Recorder struct {
	Type     string
	Findings []inspect.Finding
	Children []Child
	// ReadCap bounds the bytes read of each child (default 64 MiB).
	ReadCap int64
	// Discard reads every child to the end, as the engine's spool would,
	// and keeps nothing of it (benchmarks).
	Discard bool
	// KeepReadErrors leaves a child's read error in its Child.Err: Child
	// returns nil, as the engine does for a problem of the child alone. By
	// default Child returns the read error.
	KeepReadErrors bool
	// OnChild, when set, sees each child once it is read (and recorded);
	// what it returns is what Child returns, as the engine's error.
	OnChild func(c Child) error
	// Next, when set, is the real scope behind a spy: the type, the
	// findings and the children are passed on to it (children unread) as
	// well as recorded (children by name only).
	Next inspect.Scope
}

// Names lists the children's names in order (nil for none).
func (r *Recorder) Names() []string {
	var out []string
	for _, c := range r.Children {
		out = append(out, c.Name)
	}
	return out
}

// Data returns the content of the last child named name (nil if none).
func (r *Recorder) Data(name string) []byte {
	for i := len(r.Children) - 1; i >= 0; i-- {
		if r.Children[i].Name == name {
			return r.Children[i].Data
		}
	}
	return nil
}

// Has reports whether a child named name was handed on.
func (r *Recorder) Has(name string) bool {
	for _, c := range r.Children {
		if c.Name == name {
			return true
		}
	}
	return false
}

var _ inspect.Scope = (*Recorder)(nil)

// SetType records the type.
func (r *Recorder) SetType(t string) {
	r.Type = t
	if r.Next != nil {
		r.Next.SetType(t)
	}
}

// Emit records a finding.
func (r *Recorder) Emit(f inspect.Finding) {
	r.Findings = append(r.Findings, f)
	if r.Next != nil {
		r.Next.Emit(f)
	}
}

// Child records a child (see OnChild for what it returns).
func (r *Recorder) Child(name string, rd io.Reader) error {
	if r.Next != nil {
		r.Children = append(r.Children, Child{Name: name})
		return r.Next.Child(name, rd)
	}
	if r.Discard {
		_, err := io.Copy(io.Discard, rd)
		return err
	}
	limit := r.ReadCap
	if limit == 0 {
		limit = 64 << 20
	}
	b, err := io.ReadAll(io.LimitReader(rd, limit))
	c := Child{name, b, err}
	r.Children = append(r.Children, c)
	switch {
	case r.OnChild != nil:
		return r.OnChild(c)
	case r.KeepReadErrors:
		return nil
	}
	return err
}

// ChildAt records a random-access child.
func (r *Recorder) ChildAt(name string, ra io.ReaderAt, size int64) error {
	if r.Next != nil {
		r.Children = append(r.Children, Child{Name: name})
		return r.Next.ChildAt(name, ra, size)
	}
	return r.Child(name, io.NewSectionReader(ra, 0, size))
}

// Short renders the findings as "kind|detail|where" for comparisons.
func (r *Recorder) Short() []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, string(f.Kind)+"|"+f.Detail+"|"+f.Where)
	}
	return out
}

// FuzzLimits keep one fuzz execution cheap.
var FuzzLimits = inspect.Limits{MaxPartSize: 1 << 20, MaxParts: 200, MaxTime: 5 * time.Second}

// CheckInvariants fails when a recorded type or finding could not reach a
// user: an unknown type name or kind, a finding without detail. Every
// inspector's fuzz target calls it.
func (r *Recorder) CheckInvariants(t testing.TB) {
	t.Helper()
	CheckResult(t, &inspect.Result{Type: r.Type, Findings: r.Findings})
}

// CheckResult is CheckInvariants for what an engine returned.
func CheckResult(t testing.TB, res *inspect.Result) {
	t.Helper()
	if res.Type != "" && !inspect.ValidType(res.Type) {
		t.Fatalf("invalid type %q", res.Type)
	}
	for _, f := range res.Findings {
		if !inspect.ValidKind(f.Kind) {
			t.Fatalf("invalid kind in %+v", f)
		}
		if f.Detail == "" {
			t.Fatalf("finding without detail: %+v", f)
		}
	}
}

// Bench inspects data with in once per iteration, as part p (its reader
// and size are data), with a fresh scope from newScope (a discarding
// Recorder when nil), and reports bytes per second and allocations.
func Bench(b *testing.B, in inspect.Inspector, p inspect.Part, data []byte, newScope func() inspect.Scope) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var s inspect.Scope = &Recorder{Discard: true}
		if newScope != nil {
			s = newScope()
		}
		p.R, p.Size = bytes.NewReader(data), int64(len(data))
		if err := in.Inspect(context.Background(), p, s); err != nil {
			b.Fatal(err)
		}
	}
}

// Engine returns an engine with only the inspectors newIn makes for fams:
// one package's inspectors behind the real engine.
func Engine(l inspect.Limits, fams []inspect.Family, newIn func(inspect.Family) inspect.Inspector) *inspect.Engine {
	m := map[inspect.Family]inspect.Inspector{}
	for _, f := range fams {
		m[f] = newIn(f)
	}
	return inspect.NewEngine(m, l)
}
