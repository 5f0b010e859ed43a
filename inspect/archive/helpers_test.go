package archive

import (
	"bytes"
	"context"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// recorder returns a Recorder that reads each child completely (tests
// only: children here are small) and reports a read error as the engine
// does: an unscannable finding on the child, the walk going on.
func recorder() *inspecttest.Recorder {
	r := &inspecttest.Recorder{}
	r.OnChild = func(c inspecttest.Child) error {
		if c.Err != nil {
			r.Findings = append(r.Findings, inspect.Finding{Kind: inspect.KindUnscannable, Where: c.Name, Detail: "read: " + c.Err.Error()})
		}
		return nil
	}
	return r
}

// has reports whether r holds a finding of kind k at where (with detail,
// unless that is "").
func has(r *inspecttest.Recorder, k inspect.Kind, where, detail string) bool {
	for _, f := range r.Findings {
		if f.Kind == k && f.Where == where && (detail == "" || f.Detail == detail) {
			return true
		}
	}
	return false
}

// run inspects b as family fam with a recorder.
func run(t testing.TB, fam inspect.Family, name string, b []byte) (*inspecttest.Recorder, error) {
	t.Helper()
	rec := recorder()
	p := inspect.Part{Name: name, Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: inspect.DefaultLimits}
	err := New(fam).Inspect(context.Background(), p, rec)
	return rec, err
}

// engine returns an engine with only this package's inspectors.
func engine(l inspect.Limits) *inspect.Engine {
	return inspecttest.Engine(l, Families(), func(f inspect.Family) inspect.Inspector { return New(f) })
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
