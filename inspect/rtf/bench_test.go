package rtf

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func benchRTF(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	in := New()
	for b.Loop() {
		p := inspect.Part{Name: "a.rtf", Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyRTF, Limits: inspect.DefaultLimits}
		if err := in.Inspect(context.Background(), p, &recScope{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkText: ~1 MiB of formatted text with fields and pictures.
func BenchmarkText(b *testing.B) {
	para := `\pard\plain\s1\ql\fi-360\li720\rtlch\fcs1 \af0\afs24 \ltrch\fcs0 \f0\fs24\lang1031 Lorem ipsum dolor sit amet, {\b consectetur} adipiscing elit \'e4\'f6\'fc {\field{\*\fldinst PAGE}{\fldrslt 1}}.\par` + "\n"
	pict := `{\pict\pngblip\picw100\pich100 ` + strings.Repeat("89504e470d0a1a0a", 256) + "}\n"
	var s strings.Builder
	s.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}`)
	for s.Len() < 1<<20 {
		s.WriteString(strings.Repeat(para, 20))
		s.WriteString(pict)
	}
	s.WriteString("}")
	benchRTF(b, []byte(s.String()))
}

// BenchmarkObject: a document that is mostly a 1 MiB hex \objdata package.
func BenchmarkObject(b *testing.B) {
	payload := append(append([]byte{}, mz...), bytes.Repeat([]byte{0x90}, 512<<10)...)
	h := hexOf(ole1("Package", packager("a.exe", payload)))
	var s strings.Builder
	for i := 0; i < len(h); i += 128 {
		s.WriteString(h[i:min(i+128, len(h))])
		s.WriteString("\r\n")
	}
	benchRTF(b, doc(objGroup("Package", "", s.String())))
}
