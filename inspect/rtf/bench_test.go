package rtf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func benchRTF(b *testing.B, data []byte) {
	inspecttest.Bench(b, New(), inspect.Part{Name: "a.rtf", Family: inspect.FamilyRTF, Limits: inspect.DefaultLimits}, data,
		func() inspect.Scope { return &inspecttest.Recorder{} })
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
