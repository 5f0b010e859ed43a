package tnef

import (
	"bytes"
	"context"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func FuzzTNEF(f *testing.F) {
	f.Add(twoAttachments())
	f.Add(embedded())
	f.Add(newTNEF().attr(levelMessage, idMsgProps, (&propList{}).
		binary(ptypBinary, pidRTFCompressed, lzfuLiterals("{\\rtf1 x}")).bytes()).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &inspecttest.Recorder{KeepReadErrors: true}
		p := inspect.Part{Name: "winmail.dat", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyTNEF,
			Limits: inspect.Limits{MaxPartSize: 1 << 20}}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { New().Inspect(context.Background(), p, rec) })
		rec.CheckInvariants(t)
		for _, c := range rec.Children {
			if d := c.Data; len(d) > len(b) && len(d) > 1<<20 {
				t.Fatalf("child of %d bytes from %d input bytes", len(d), len(b))
			}
		}
	})
}

func FuzzDecompressRTF(f *testing.F) {
	f.Add(lzfuLiterals("{\\rtf1 hello}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := DecompressRTF(bytes.NewReader(b), int64(len(b)), 1<<20)
		if err == nil && len(out) > 1<<20 {
			t.Fatalf("output %d over the bound", len(out))
		}
	})
}

// BenchmarkTNEF decodes the corpus winmail.dat (66 KB, five attachments and
// an RTF body) and hands everything to a discarding scope.
func BenchmarkTNEF(b *testing.B) {
	data := corpusFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p := inspect.Part{Name: "winmail.dat", Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyTNEF}
		if err := New().Inspect(context.Background(), p, &inspecttest.Recorder{Discard: true}); err != nil {
			b.Fatal(err)
		}
	}
}
