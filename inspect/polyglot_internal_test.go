package inspect

import (
	"bytes"
	"strings"
	"testing"
)

// BenchmarkPolyglotChecks measures what finding the other readings adds
// to sniffing an ordinary file (none is a polyglot): the head and tail
// checks alone, per file kind, in memory and from a reader.
func BenchmarkPolyglotChecks(b *testing.B) {
	pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for len(pdf) < 256<<10 {
		pdf = append(pdf, []byte("1 0 obj\n<< /Length 1000 >>\nstream\n"+strings.Repeat("q 1 0 0 1 72 720 cm BT /F1 12 Tf (Hello) Tj ET Q\n", 20)+"endstream\nendobj\n")...)
	}
	pdf = append(pdf, "trailer\n<< /Size 1 >>\nstartxref\n9\n%%EOF\n"...)
	bin := make([]byte, 256<<10)
	for i := range bin {
		bin[i] = byte(i*7919>>3) ^ byte(i>>11)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bin...)
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, bin...)
	txt := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog.\n", 6000))
	for _, f := range []struct {
		name string
		data []byte
	}{{"pdf", pdf}, {"png", png}, {"ole", ole}, {"txt", txt}} {
		for _, mem := range []bool{true, false} {
			mode := "reader"
			if mem {
				mode = "memory"
			}
			b.Run(f.name+"/"+mode, func(b *testing.B) {
				r := any(bytes.NewReader(f.data))
				if mem {
					r = BytesReaderAt(f.data)
				}
				ra := r.(interface {
					ReadAt([]byte, int64) (int, error)
				})
				size := int64(len(f.data))
				head := f.data[:SniffLen]
				fam, _ := sniff(ra, size, head, "x")
				b.ReportAllocs()
				for b.Loop() {
					if out := polyglots(ra, size, head, fam, "x"); len(out) != 0 {
						b.Fatalf("%s: %+v", f.name, out)
					}
				}
			})
		}
	}
}
