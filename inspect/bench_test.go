package inspect_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// benchFiles are the common case: ordinary files of every frequent kind,
// none a polyglot. Sniffing them must stay cheap.
func benchFiles() []struct {
	name string
	data []byte
} {
	pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i := 1; len(pdf) < 256<<10; i++ {
		pdf = append(pdf, []byte("1 0 obj\n<< /Type /Page /Length 1000 >>\nstream\n"+strings.Repeat("q 1 0 0 1 72 720 cm BT /F1 12 Tf (Hello) Tj ET Q\n", 20)+"endstream\nendobj\n")...)
	}
	pdf = append(pdf, "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 >>\nstartxref\n9\n%%EOF\n"...)
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 128<<10)...)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0x13, 0x37, 0xa5, 0x00, 0xff}, 40<<10)...)
	eml := []byte("Received: from x\r\nFrom: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("Lorem ipsum dolor sit amet.\r\n", 2000))
	txt := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog.\n", 3000))
	return []struct {
		name string
		data []byte
	}{
		{"a.pdf", pdf}, {"a.docx", zipWith(append([]string{"[Content_Types].xml", "word/document.xml"}, strings.Split(strings.Repeat("word/media/image.png,", 40), ",")...)...)},
		{"a.doc", ole}, {"a.png", png}, {"a.eml", eml}, {"a.txt", txt},
	}
}

// BenchmarkSniff sniffs each common file once per iteration, from a
// reader that is not in memory (as a spool file) and from memory.
func BenchmarkSniff(b *testing.B) {
	files := benchFiles()
	for _, mode := range []string{"reader", "memory"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, f := range files {
					var r io.ReaderAt = bytes.NewReader(f.data)
					if mode == "memory" {
						r = inspect.BytesReaderAt(f.data)
					}
					inspect.Sniff(r, int64(len(f.data)), f.name)
				}
			}
		})
	}
}

// BenchmarkEngineCommon walks each common file through an engine whose
// inspectors do nothing: what is measured is the engine and sniffing.
func BenchmarkEngineCommon(b *testing.B) {
	files := benchFiles()
	nop := fakeInspector(func(context.Context, inspect.Part, inspect.Scope) error { return nil })
	ins := map[inspect.Family]inspect.Inspector{}
	for _, f := range []inspect.Family{inspect.FamilyPDF, inspect.FamilyOOXML, inspect.FamilyZip, inspect.FamilyOLE, inspect.FamilyEML, inspect.FamilyText} {
		ins[f] = nop
	}
	e := inspect.NewEngine(ins, inspect.Limits{})
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			e.Inspect(context.Background(), f.name, "", inspect.BytesReaderAt(f.data), int64(len(f.data)))
		}
	}
}
