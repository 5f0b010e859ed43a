package inspecttest

import (
	"io"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

// Child is one piece of nested content an inspector handed on.
type Child struct {
	Name string
	Data []byte
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
}

// Names lists the children's names in order.
func (r *Recorder) Names() []string {
	out := make([]string, 0, len(r.Children))
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

var _ inspect.Scope = (*Recorder)(nil)

// SetType records the type.
func (r *Recorder) SetType(t string) { r.Type = t }

// Emit records a finding.
func (r *Recorder) Emit(f inspect.Finding) { r.Findings = append(r.Findings, f) }

// Child records a child. A read error is returned, as the engine would
// stop on it.
func (r *Recorder) Child(name string, rd io.Reader) error {
	limit := r.ReadCap
	if limit == 0 {
		limit = 64 << 20
	}
	b, err := io.ReadAll(io.LimitReader(rd, limit))
	if err != nil {
		return err
	}
	r.Children = append(r.Children, Child{name, b})
	return nil
}

// ChildAt records a random-access child.
func (r *Recorder) ChildAt(name string, ra io.ReaderAt, size int64) error {
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

// FailSlow fails a fuzz execution that took so long it can only be a hang
// or work out of proportion to the input (generous for loaded machines).
func FailSlow(t testing.TB, start time.Time) {
	t.Helper()
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("inspection took %v", d)
	}
}

// CheckInvariants fails when a recorded type or finding could not reach a
// user: an unknown type name or kind, a finding without detail.
func (r *Recorder) CheckInvariants(t testing.TB) {
	t.Helper()
	if r.Type != "" && !inspect.ValidType(r.Type) {
		t.Fatalf("invalid type %q", r.Type)
	}
	for _, f := range r.Findings {
		if !inspect.ValidKind(f.Kind) {
			t.Fatalf("invalid kind in %+v", f)
		}
		if f.Detail == "" {
			t.Fatalf("finding without detail: %+v", f)
		}
	}
}
