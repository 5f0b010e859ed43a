package ole

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// nopScope discards what the inspector reports (the benchmark measures the
// inspector, not the engine).
type nopScope struct{}

func (nopScope) SetType(string)                           {}
func (nopScope) Emit(inspect.Finding)                     {}
func (nopScope) Child(string, io.Reader) error            { return nil }
func (nopScope) ChildAt(string, io.ReaderAt, int64) error { return nil }

func benchInspect(b *testing.B, data []byte) {
	ins := New()
	p := inspect.Part{Name: "bench.doc", Size: int64(len(data)), R: bytes.NewReader(data), Limits: inspect.DefaultLimits}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ins.Inspect(context.Background(), p, nopScope{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerated inspects a 2 MB generated Word document with a VBA
// project, an embedded package and big streams it does not need to read.
func BenchmarkGenerated(b *testing.B) {
	data := cfb(storage("",
		stream("WordDocument", cat(fib(0), fill(1<<20, 1))),
		stream("1Table", fill(512<<10, 2)),
		stream("Data", fill(512<<10, 3)),
		vbaStorage("Macros"),
		storage("ObjectPool", storage("_1", stream("\x01CompObj", compObj("Package", "Package")), stream("\x01Ole10Native", ole10Native("a.exe", peFile)))),
	))
	benchInspect(b, data)
}

// BenchmarkCorpus inspects each compound file of the shared corpus (read in
// place).
func BenchmarkCorpus(b *testing.B) {
	for _, path := range corpusOLEFiles(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(path), func(b *testing.B) { benchInspect(b, data) })
	}
}
