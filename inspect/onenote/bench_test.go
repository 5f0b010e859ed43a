package onenote

import (
	"bytes"
	"context"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/onenote/onenotetest"
)

func bench(b *testing.B, fam inspect.Family, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	in := New()
	for b.Loop() {
		p := inspect.Part{Size: int64(len(data)), R: bytes.NewReader(data), Family: fam, Limits: inspect.DefaultLimits}
		if err := in.Inspect(context.Background(), p, &inspecttest.Recorder{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOneNote: 8 MiB of embedded data in 64 files (the scan reads it all).
func BenchmarkOneNote(b *testing.B) {
	var files []onenotetest.File
	for range 64 {
		files = append(files, onenotetest.File{Ext: ".bin", Data: bytes.Repeat([]byte("abcdefgh"), 16<<10)})
	}
	bench(b, inspect.FamilyOneNote, onenotetest.One(files...))
}

func BenchmarkCHM(b *testing.B) {
	bench(b, inspect.FamilyCHM, onenotetest.CHM(onenotetest.CHMFile{Name: "/a.exe", Data: inspecttest.PE()}))
}
