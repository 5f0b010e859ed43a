package pdf

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// seedFiles are the fixtures and the shared corpus's PDFs, for fuzz seeds.
func seedFiles(f *testing.F) [][]byte {
	var out [][]byte
	for _, g := range generated {
		out = append(out, g())
	}
	out = append(out, signedFixtures(f)...)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pdf"))
	files = append(files, corpusPDFs(f)...)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			out = append(out, b)
		}
	}
	return out
}

// FuzzLexer: the lexer and value parser on any bytes, as a complete or a
// partial window, make progress and never panic.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"<< /A 1 /B [1 2 0 R (x\\)y) <414> /J#61vaScript] >>",
		"(a(b)c\\\r\n\\101)", "[[[[<<", "%comment\n/N#", "<4 1 z>", "1 0 obj << >> stream\r\n",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, b []byte, eof bool) {
		l := lexer{b: b, eof: eof}
		for i := 0; ; i++ {
			pos := l.pos
			tok, err := l.next()
			if err != nil || tok.kind == tEOF {
				break
			}
			if l.pos <= pos {
				t.Fatalf("no progress at %d", pos)
			}
			if i > len(b) {
				t.Fatal("more tokens than bytes")
			}
		}
		l = lexer{b: b, eof: eof}
		for i := 0; i <= len(b); i++ {
			pos := l.pos
			if _, err := l.parseValue(); err != nil || l.pos <= pos {
				break
			}
		}
	})
}

// FuzzParse: an indirect object definition at the start of any bytes.
func FuzzParse(f *testing.F) {
	for _, b := range seedFiles(f) {
		if i := bytes.Index(b, []byte("1 0 obj")); i >= 0 {
			f.Add(b[i:min(len(b), i+400)])
		}
	}
	f.Add([]byte("5 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l := lexer{b: b, eof: true}
		ob, err := l.parseIndirect()
		if err == nil && ob.dataOff > len(b) {
			t.Fatalf("data offset %d past %d", ob.dataOff, len(b))
		}
	})
}

// FuzzFilters: every decoder on any bytes, read up to a cap.
func FuzzFilters(f *testing.F) {
	data := sample()[:2000]
	f.Add(uint8(0), deflate(data))
	f.Add(uint8(1), lzwEncode(data, 1))
	f.Add(uint8(2), []byte("414243>"))
	f.Add(uint8(3), a85(data))
	f.Add(uint8(4), rlEncode(data))
	f.Add(uint8(5), deflate(pngEncode(data, 7, 1, 4)))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		filters := []name{"FlateDecode", "LZWDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode", "FlateDecode"}
		var p dict
		if which%6 == 5 {
			p = dict{{"Predictor", int64(10 + which%6)}, {"Columns", int64(1 + which%9)}, {"Colors", int64(1 + which%3)}}
		}
		r, err := newDecoder(filters[which%6], p, bytes.NewReader(b))
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.LimitReader(r, 8<<20))
	})
}

// FuzzInspect: the whole inspector on any bytes.
func FuzzInspect(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &inspecttest.Recorder{KeepReadErrors: true}
		p := inspect.Part{Name: "f.pdf", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyPDF,
			Limits: inspect.Limits{MaxPDFObjects: 20000}.WithDefaults()}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { New().Inspect(context.Background(), p, s) })
		s.CheckInvariants(t)
	})
}
