package olenative

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"unicode/utf16"
)

// payload builds a Packager payload the way the Windows Packager writes it.
type payload struct {
	flags1          uint16
	label, path     string
	typ             uint16
	temp            string
	data            []byte
	unicode         bool   // append the Unicode copies
	dataSizeDelta   int64  // added to the data size field
	totalSizeDelta  int64  // added to the total size field
	noTerminator    bool   // label without its NUL (and nothing after)
	raw             []byte // when set, the body after the size field
	omitAfterHeader bool   // stop after flags2/type (a bare link)
}

func le16(b *bytes.Buffer, v uint16) { binary.Write(b, binary.LittleEndian, v) }
func le32(b *bytes.Buffer, v uint32) { binary.Write(b, binary.LittleEndian, v) }

func wstr(b *bytes.Buffer, s string) {
	u := utf16.Encode([]rune(s))
	le32(b, uint32(len(u)))
	for _, x := range u {
		le16(b, x)
	}
}

func (p payload) body() []byte {
	if p.raw != nil {
		return p.raw
	}
	var b bytes.Buffer
	le16(&b, p.flags1)
	b.WriteString(p.label)
	if p.noTerminator {
		return b.Bytes()
	}
	b.WriteByte(0)
	b.WriteString(p.path)
	b.WriteByte(0)
	le16(&b, 0)
	le16(&b, p.typ)
	if p.omitAfterHeader {
		return b.Bytes()
	}
	le32(&b, uint32(len(p.temp)+1))
	b.WriteString(p.temp)
	b.WriteByte(0)
	le32(&b, uint32(int64(len(p.data))+p.dataSizeDelta))
	b.Write(p.data)
	if p.unicode {
		wstr(&b, p.temp)
		wstr(&b, p.label)
		wstr(&b, p.path)
	}
	return b.Bytes()
}

// stream is the \x01Ole10Native stream: total size, then the body.
func (p payload) stream() []byte {
	body := p.body()
	var b bytes.Buffer
	le32(&b, uint32(int64(len(body))+p.totalSizeDelta))
	b.Write(body)
	return b.Bytes()
}

var mz = append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0xCC}, 56)...)

func pkg(label string) payload {
	return payload{flags1: 2, label: label, path: `C:\Users\a\` + label, typ: 3,
		temp: `C:\Users\a\AppData\Local\Temp\` + label, data: mz}
}

func TestParse(t *testing.T) {
	withUnicode := pkg("invoice.exe")
	withUnicode.unicode = true
	withUnicode.label = "rechnung.exe"
	latin := pkg("caf\xe9.exe")
	link := payload{flags1: 2, label: "link.txt", path: `\\server\share\link.txt`, typ: 1, omitAfterHeader: true}
	tooBig := pkg("big.exe")
	tooBig.dataSizeDelta = 1
	totalBig := pkg("total.exe")
	totalBig.totalSizeDelta = 100
	unterminated := payload{flags1: 2, label: "no-nul.exe", noTerminator: true}
	hugeData := pkg("huge.exe")
	hugeData.dataSizeDelta = 1 << 31
	equation := payload{raw: append([]byte{2, 0, 0x1c, 0, 0}, "equation data"...)}
	other := payload{raw: append([]byte{7, 0}, "PBrush bitmap"...)}

	tests := []struct {
		name       string
		in         []byte
		prefix     bool
		wantErr    bool
		wantMode   mode
		label      string
		path, temp string
		fileName   string
		data       []byte
	}{
		{name: "packager exe", in: pkg("invoice.exe").stream(), prefix: true, wantMode: parsed,
			label: "invoice.exe", path: `C:\Users\a\invoice.exe`, temp: `C:\Users\a\AppData\Local\Temp\invoice.exe`,
			fileName: "invoice.exe", data: mz},
		{name: "rtf ole1 without size", in: pkg("invoice.exe").body(), prefix: false, wantMode: parsed,
			label: "invoice.exe", fileName: "invoice.exe", data: mz},
		{name: "unicode copies win", in: withUnicode.stream(), prefix: true, wantMode: parsed,
			label: "rechnung.exe", fileName: "rechnung.exe", data: mz},
		{name: "windows-1252 label", in: latin.stream(), prefix: true, wantMode: parsed,
			label: "café.exe", fileName: "café.exe", data: mz},
		{name: "link has no data", in: link.stream(), prefix: true, wantMode: parsed,
			label: "link.txt", fileName: "link.txt", data: []byte{}},
		{name: "compact equation", in: equation.stream(), prefix: true, wantMode: compact,
			data: equation.raw[2:]},
		{name: "unparsed other server", in: other.stream(), prefix: true, wantMode: unparsed,
			data: other.raw},
		{name: "data size past end", in: tooBig.stream(), prefix: true, wantErr: true},
		{name: "huge data size", in: hugeData.stream(), prefix: true, wantErr: true},
		{name: "total size past end", in: totalBig.stream(), prefix: true, wantErr: true},
		{name: "label without NUL", in: unterminated.stream(), prefix: true, wantErr: true},
		{name: "empty", in: nil, prefix: true, wantErr: true},
		{name: "only size", in: []byte{0, 0, 0, 0}, prefix: true, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, m, err := parse(bytes.NewReader(tc.in), int64(len(tc.in)), tc.prefix)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error; got %+v", n)
				}
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m != tc.wantMode {
				t.Errorf("mode %d, want %d", m, tc.wantMode)
			}
			if n.Label != tc.label {
				t.Errorf("label %q, want %q", n.Label, tc.label)
			}
			if tc.path != "" && n.Path != tc.path {
				t.Errorf("path %q, want %q", n.Path, tc.path)
			}
			if tc.temp != "" && n.TempPath != tc.temp {
				t.Errorf("temp path %q, want %q", n.TempPath, tc.temp)
			}
			if got := n.FileName(); got != tc.fileName {
				t.Errorf("file name %q, want %q", got, tc.fileName)
			}
			got, err := io.ReadAll(n.Data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Errorf("data %q, want %q", got, tc.data)
			}
		})
	}
}

func TestFileNameFallsBack(t *testing.T) {
	for _, tc := range []struct {
		n    Native
		want string
	}{
		{Native{Label: "a.exe"}, "a.exe"},
		{Native{Path: `C:\x\b.exe`}, "b.exe"},
		{Native{Label: `C:\dir\`, TempPath: `C:\t\c.js`}, "c.js"},
		{Native{}, ""},
	} {
		if got := tc.n.FileName(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.n, got, tc.want)
		}
	}
}

func FuzzOleNative(f *testing.F) {
	uni := pkg("x.exe")
	uni.unicode = true
	for _, p := range []payload{pkg("a.exe"), uni, {raw: []byte{2, 0, 1, 2, 3}}, {raw: []byte{9, 9}}} {
		f.Add(p.stream(), true)
		f.Add(p.body(), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, prefix bool) {
		n, err := Parse(bytes.NewReader(in), int64(len(in)), prefix)
		if err != nil {
			return
		}
		// Data must lie inside the input.
		_, off, size := n.Data.Outer()
		if off < 0 || size < 0 || off+size > int64(len(in)) {
			t.Fatalf("data %d+%d outside %d bytes", off, size, len(in))
		}
		_ = n.FileName()
	})
}

// BenchmarkParse parses a 1 MB Packager payload (the data is not copied).
func BenchmarkParse(b *testing.B) {
	p := pkg("big.exe")
	p.data = bytes.Repeat(mz, (1<<20)/len(mz))
	p.unicode = true
	in := p.stream()
	r := bytes.NewReader(in)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(r, int64(len(in)), true); err != nil {
			b.Fatal(err)
		}
	}
}
