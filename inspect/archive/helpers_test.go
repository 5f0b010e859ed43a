package archive

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// recorder is a Scope that records what an inspector reports and reads each
// child completely (tests only: children here are small).
type recorder struct {
	typ      string
	findings []inspect.Finding
	names    []string
	data     map[string][]byte
	childErr error // returned by Child when set
	readCap  int64 // bytes read of each child (default 64 MiB)
}

func (r *recorder) SetType(t string)       { r.typ = t }
func (r *recorder) Emit(f inspect.Finding) { r.findings = append(r.findings, f) }
func (r *recorder) ChildAt(name string, ra io.ReaderAt, size int64) error {
	return r.Child(name, io.NewSectionReader(ra, 0, size))
}

func (r *recorder) Child(name string, rd io.Reader) error {
	r.names = append(r.names, name)
	if r.data == nil {
		r.data = map[string][]byte{}
	}
	limit := r.readCap
	if limit == 0 {
		limit = 64 << 20
	}
	b, err := io.ReadAll(io.LimitReader(rd, limit))
	if err != nil {
		r.findings = append(r.findings, inspect.Finding{Kind: inspect.KindUnscannable, Where: name, Detail: "read: " + err.Error()})
	}
	r.data[name] = b
	return r.childErr
}

func (r *recorder) has(k inspect.Kind, where, detail string) bool {
	for _, f := range r.findings {
		if f.Kind == k && f.Where == where && (detail == "" || f.Detail == detail) {
			return true
		}
	}
	return false
}

// run inspects b as family fam with a recorder.
func run(t testing.TB, fam inspect.Family, name string, b []byte) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	p := inspect.Part{Name: name, Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: inspect.DefaultLimits}
	err := New(fam).Inspect(context.Background(), p, rec)
	return rec, err
}

// engine returns an engine with only this package's inspectors.
func engine(l inspect.Limits) *inspect.Engine {
	m := map[inspect.Family]inspect.Inspector{}
	for _, f := range Families() {
		m[f] = New(f)
	}
	return inspect.NewEngine(m, l)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
