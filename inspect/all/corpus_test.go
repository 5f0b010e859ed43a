package all

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

type corpusRow struct {
	file, format                          string
	legacy, macros, encrypted, executable string
}

func loadCorpus(t testing.TB) (string, []corpusRow) {
	dir := inspecttest.CorpusPath(t)
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared corpus missing under CI: %v", err)
		}
		t.Skipf("shared corpus not available: %v", err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 9 {
			t.Fatalf("manifest row with %d columns: %q", len(c), sc.Text())
		}
		rows = append(rows, corpusRow{file: c[0], format: c[4], legacy: c[5], macros: c[6], encrypted: c[7], executable: c[8]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("manifest has no rows")
	}
	return dir, rows
}

func inspectFile(t testing.TB, e *inspect.Engine, path string) *inspect.Result {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return e.Inspect(context.Background(), filepath.Base(path), "", f, st.Size())
}

// TestCorpus checks every yes/no label of the shared corpus against the
// findings, and the content format against the type.
func TestCorpus(t *testing.T) {
	dir, rows := loadCorpus(t)
	e := NewEngine(inspect.Limits{})
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			res := inspectFile(t, e, filepath.Join(dir, row.file))
			check := func(label, what string, got bool) {
				switch label {
				case "yes":
					if !got {
						t.Errorf("%s: labelled yes, not found; type=%s findings=%+v", what, res.Type, res.Findings)
					}
				case "no":
					if got {
						t.Errorf("%s: labelled no, found; type=%s findings=%+v", what, res.Type, res.Findings)
					}
				}
			}
			// legacy_office describes the file itself, not its members.
			check(row.legacy, "legacy_office", res.HasAt(inspect.KindLegacyOffice, ""))
			check(row.macros, "macros", res.Has(inspect.KindMacro))
			check(row.encrypted, "encrypted", res.Has(inspect.KindEncrypted))
			check(row.executable, "executable", res.Has(inspect.KindExecutable))
			if row.format != "other" {
				want := row.format
				for _, p := range []string{"ole-", "ooxml-", "odf-"} {
					want = strings.TrimPrefix(want, p)
				}
				if res.Type != want {
					t.Errorf("type %q, manifest format %q (findings %+v)", res.Type, row.format, res.Findings)
				}
			}
		})
	}
}

// BenchmarkCorpus inspects the whole shared corpus once per iteration,
// each file read from disk as the inspect command does. The first
// iteration pays the key derivations of Office encryption; later ones hit
// offcrypto's cache (see BenchmarkCorpusCold).
func BenchmarkCorpus(b *testing.B) {
	dir, rows := loadCorpus(b)
	e := NewEngine(inspect.Limits{})
	var total int64
	for _, row := range rows {
		st, err := os.Stat(filepath.Join(dir, row.file))
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, row := range rows {
			inspectFile(b, e, filepath.Join(dir, row.file))
		}
	}
}

// BenchmarkCorpusInMemory is the same walk with the files already in
// memory, as the milter has them (attachments are decoded into memory
// spools): it measures inspection alone.
func BenchmarkCorpusInMemory(b *testing.B) {
	dir, rows := loadCorpus(b)
	e := NewEngine(inspect.Limits{})
	type file struct {
		name string
		data []byte
	}
	var files []file
	var total int64
	for _, row := range rows {
		data, err := os.ReadFile(filepath.Join(dir, row.file))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, file{filepath.Base(row.file), data})
		total += int64(len(data))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			e.Inspect(context.Background(), f.name, "", inspect.BytesReaderAt(f.data), int64(len(f.data)))
		}
	}
}
