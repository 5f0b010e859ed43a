package onenote

import (
	"bytes"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/onenote/onenotetest"
)

func bench(b *testing.B, fam inspect.Family, data []byte) {
	inspecttest.Bench(b, New(), inspect.Part{Family: fam, Limits: inspect.DefaultLimits}, data,
		func() inspect.Scope { return &inspecttest.Recorder{} })
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
