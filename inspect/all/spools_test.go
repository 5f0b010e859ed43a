package all

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// TestSpoolsGiveBackMemory: after the fixtures and the shared corpus are
// inspected (held in memory, as the milter has attachments, so that every
// nested member goes through a spool), no spool holds memory. A spool some
// inspector forgets to close would keep its share of the daemon's
// spool.memory_total for the life of the process, and every later message
// would go to disk a little sooner.
func TestSpoolsGiveBackMemory(t *testing.T) {
	var paths []string
	fixtures, err := filepath.Glob("../../testdata/files/*")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	paths = append(paths, fixtures...)
	// The corpus when it is there (always under CI, where loadCorpus fails
	// without it).
	if _, err := os.Stat(filepath.Join(inspecttest.CorpusPath(t), "manifest.tsv")); err == nil || os.Getenv("CI") != "" {
		dir, rows := loadCorpus(t)
		for _, r := range rows {
			paths = append(paths, filepath.Join(dir, r.file))
		}
	}
	base := inspect.SpoolMemory()
	e := NewEngine(inspect.Limits{})
	inspected := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res := e.Inspect(context.Background(), filepath.Base(p), "", inspect.BytesReaderAt(data), int64(len(data)))
		if res.Type != "" {
			inspected++
		}
		if held := inspect.SpoolMemory() - base; held != 0 {
			t.Errorf("after %s spools still hold %d bytes", filepath.Base(p), held)
			base += held
		}
	}
	if inspected != len(paths) {
		t.Errorf("only %d of %d files got a type", inspected, len(paths))
	}
}
