package tnef

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func FuzzTNEF(f *testing.F) {
	f.Add(twoAttachments())
	f.Add(embedded())
	f.Add(newTNEF().attr(levelMessage, idMsgProps, (&propList{}).
		binary(ptypBinary, pidRTFCompressed, lzfuLiterals("{\\rtf1 x}")).bytes()).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &recorder{}
		p := inspect.Part{Name: "winmail.dat", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyTNEF,
			Limits: inspect.Limits{MaxPartSize: 1 << 20}}
		New().Inspect(context.Background(), p, rec)
		for _, d := range rec.data {
			if len(d) > len(b) && len(d) > 1<<20 {
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
		if err := New().Inspect(context.Background(), p, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// discard reads every child to the end, as the engine's spool would.
type discard struct{}

func (discard) SetType(string)       {}
func (discard) Emit(inspect.Finding) {}
func (discard) Child(_ string, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (d discard) ChildAt(_ string, r io.ReaderAt, n int64) error {
	return d.Child("", io.NewSectionReader(r, 0, n))
}
