package diskimg

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// fixture returns a gzipped image of testdata (see make-fixtures.sh),
// expanded.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return inspecttest.ReadGzip(t, filepath.Join("testdata", name+".gz"))
}

// repoFile reads a file of the repository's testdata/files.
func repoFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "files", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inspectImage inspects b as family fam with one inspector and records what it
// hands on.
func inspectImage(t testing.TB, fam inspect.Family, b []byte, l inspect.Limits) (*inspecttest.Recorder, error) {
	t.Helper()
	rec, err := inspectRaw(fam, b, l)
	rec.CheckInvariants(t)
	return rec, err
}

// inspectRaw is inspectImage without the invariants (safe off the test's
// goroutine).
func inspectRaw(fam inspect.Family, b []byte, l inspect.Limits) (*inspecttest.Recorder, error) {
	rec := &inspecttest.Recorder{}
	p := inspect.Part{Name: "x", Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: l.WithDefaults()}
	err := New(fam).Inspect(context.Background(), p, rec)
	return rec, err
}

// engine returns an engine with only this package's inspectors.
func engine(l inspect.Limits) *inspect.Engine {
	return inspecttest.Engine(l, Families(), func(f inspect.Family) inspect.Inspector { return New(f) })
}
