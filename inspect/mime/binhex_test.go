package mime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// binhexRaw builds the 8-bit BinHex stream (header, data fork, empty
// resource fork; CRCs zero) before run-length encoding.
func binhexRaw(name string, data []byte, dlen uint32) []byte {
	raw := []byte{byte(len(name))}
	raw = append(raw, name...)
	raw = append(raw, 0)
	raw = append(raw, "APPLMSWD\x00\x00"...)
	raw = binary.BigEndian.AppendUint32(raw, dlen)
	raw = binary.BigEndian.AppendUint32(raw, 0)
	raw = append(raw, 0, 0)
	raw = append(raw, data...)
	return append(raw, 0, 0, 0, 0)
}

// binhexRLE run-length encodes: runs of 4 to 255 bytes as b 0x90 n, 0x90
// as 0x90 0x00.
func binhexRLE(raw []byte) []byte {
	var out []byte
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == 0x90 {
			out = append(out, 0x90, 0x00)
			i++
			continue
		}
		n := 1
		for i+n < len(raw) && raw[i+n] == c && n < 255 {
			n++
		}
		if n >= 4 {
			out = append(out, c, 0x90, byte(n))
		} else {
			n = 1
			out = append(out, c)
		}
		i += n
	}
	return out
}

// binhex6 encodes 8-bit bytes as BinHex characters between colons, 64 a
// line.
func binhex6(b []byte) string {
	var chars []byte
	var acc uint32
	n := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		n += 8
		for n >= 6 {
			n -= 6
			chars = append(chars, binhexAlphabet[(acc>>n)&63])
		}
	}
	if n > 0 {
		chars = append(chars, binhexAlphabet[(acc<<(6-n))&63])
	}
	var s strings.Builder
	s.WriteString(":")
	line := 1
	for _, c := range chars {
		if line == 64 {
			s.WriteString("\n")
			line = 0
		}
		s.WriteByte(c)
		line++
	}
	s.WriteString(":\n")
	return s.String()
}

func binhexEncode(name string, data []byte) string {
	return binhex6(binhexRLE(binhexRaw(name, data, uint32(len(data)))))
}

// yencEncode encodes data as one yEnc block (yEnc 1.3), 128 a line.
func yencEncode(name string, data []byte) string {
	var s strings.Builder
	s.WriteString("=ybegin line=128 size=" + itoa(len(data)) + " name=" + name + "\n")
	col := 0
	for _, c := range data {
		o := c + 42
		switch o {
		case 0, '\n', '\r', '=':
			s.WriteByte('=')
			o += 64
			col++
		}
		s.WriteByte(o)
		col++
		if col >= 128 {
			s.WriteString("\n")
			col = 0
		}
	}
	if col > 0 {
		s.WriteString("\n")
	}
	s.WriteString("=yend size=" + itoa(len(data)) + "\n")
	return s.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

const banner = "(This file must be converted with BinHex 4.0)\n"

// runs is data with long runs and 0x90 bytes, to exercise the
// run-length coding.
var runs = append(append(bytes.Repeat([]byte{0}, 700), 0x90, 0x90, 'a', 'a', 'a', 'a', 'a', 0x90), payloadExe...)

func TestBinHexDecoder(t *testing.T) {
	for _, data := range [][]byte{payloadExe, runs, {}, {0x90}} {
		enc := binhexEncode("tool.exe", data)
		d := newBinHexReader(strings.NewReader("junk before\n" + banner + enc + "after\n"))
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, data) || d.Name() != "tool.exe" {
			t.Errorf("%.20q: got %.20q %q, %v", data, got, d.Name(), err)
		}
	}
	// Truncated and broken input: never an error, never more than the
	// data fork.
	enc := binhexEncode("t.bin", payloadExe)
	for _, in := range []string{enc[:len(enc)/2], ":", "", ":!!:", "no colon"} {
		got, err := io.ReadAll(newBinHexReader(strings.NewReader(in)))
		if err != nil || len(got) > len(payloadExe) {
			t.Errorf("%.20q: %d bytes, %v", in, len(got), err)
		}
	}
}

func TestBinHexExpansion(t *testing.T) {
	// A header claiming 4 GiB, then runs of 255 bytes from 3 encoded
	// bytes: the decoder refuses to expand far beyond its input.
	raw := binhexRaw("big", nil, 0xFFFFFFFF)
	raw = raw[:len(raw)-4]
	raw = append(raw, bytes.Repeat([]byte{'A', 0x90, 0xFF}, 200000)...)
	enc := binhex6(raw)
	n, err := io.Copy(io.Discard, newBinHexReader(strings.NewReader(enc)))
	if !errors.Is(err, errBinHexExpansion) || n > int64(binhexRatio*len(enc)+binhexSlack) {
		t.Errorf("%d bytes from %d, %v", n, len(enc), err)
	}
}

func TestYEncDecoder(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, data := range [][]byte{payloadExe, all, {}} {
		got, err := io.ReadAll(newYEncReader(strings.NewReader("hello\n" + crlf(yencEncode("x.bin", data)) + "bye\n")))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%.20q: got %.20q, %v", data, got, err)
		}
	}
	// A line longer than the line buffer with an escape at the cut.
	long := bytes.Repeat([]byte{'=' - 42}, lineBuf)
	enc := strings.ReplaceAll(yencEncode("l", long), "\n", "")
	enc = strings.Replace(enc, "name=l", "name=l\n", 1)
	enc = strings.Replace(enc, "=yend", "\n=yend", 1)
	got, err := io.ReadAll(newYEncReader(strings.NewReader(enc)))
	if err != nil || !bytes.Equal(got, long) {
		t.Errorf("long line: %d bytes, %v", len(got), err)
	}
	if n := yencName([]byte("=ybegin line=128 size=3 name=a b.exe")); n != "a b.exe" {
		t.Errorf("name %q", n)
	}
}

// TestContentNotLabels: what clients decode and offer to save is an
// attachment, whatever the label.
func TestContentNotLabels(t *testing.T) {
	zip := append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 30)...)
	tests := []struct {
		name    string
		msg     string
		leaves  []string
		content map[string][]byte
	}{
		{
			name:    "PE labelled text/plain",
			msg:     "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe),
			leaves:  []string{"attachment part-1"},
			content: map[string][]byte{"part-1": payloadExe},
		},
		{
			name:    "part without any header",
			msg:     "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n" + string(zip) + "\n--b--\n",
			leaves:  []string{"attachment part-1"},
			content: map[string][]byte{"part-1": zip},
		},
		{
			name:   "PDF labelled text/html",
			msg:    "Content-Type: text/html\n\n%PDF-1.7\n1 0 obj\n<< /OpenAction 2 0 R >>\nendobj\n",
			leaves: []string{"attachment part-1"},
		},
		{
			name:   "a letter starting with MZ stays a letter",
			msg:    "Content-Type: text/plain\n\nMZ Beratung GmbH: Ihr Angebot\n",
			leaves: []string{"text part-1"},
		},
		{
			name:    "BinHex in text",
			msg:     "Content-Type: text/plain\n\nHere it is:\n\n" + banner + binhexEncode("tool.exe", payloadExe) + "\nbye\n",
			leaves:  []string{"text part-1", "attachment* tool.exe"},
			content: map[string][]byte{"tool.exe": payloadExe},
		},
		{
			name: "BinHex part",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/mac-binhex40; name=tool.hqx\n\n" +
				binhexEncode("tool.exe", runs) + "--b--\n",
			leaves:  []string{"attachment tool.hqx", "attachment* tool.exe"},
			content: map[string][]byte{"tool.exe": runs},
		},
		{
			name: "BinHex in an octet-stream part, base64",
			msg: "Content-Type: application/octet-stream; name=x.dat\nContent-Transfer-Encoding: base64\n\n" +
				b64([]byte(banner+binhexEncode("", payloadDoc))),
			leaves:  []string{"attachment x.dat", "attachment* part-1-binhex1"},
			content: map[string][]byte{"part-1-binhex1": payloadDoc},
		},
		{
			name:    "yEnc in text",
			msg:     "Content-Type: text/plain\n\nsee below\n" + yencEncode("tool.exe", payloadExe) + "cheers\n",
			leaves:  []string{"text part-1", "attachment* tool.exe"},
			content: map[string][]byte{"tool.exe": payloadExe},
		},
		{
			name:    "yEnc part",
			msg:     "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream\n\n" + yencEncode("a.doc", payloadDoc) + "--b--\n",
			leaves:  []string{"attachment part-1", "attachment* a.doc"},
			content: map[string][]byte{"a.doc": payloadDoc},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaves, content, _ := walkAll(t, []byte(tt.msg))
			if !reflect.DeepEqual(leaves, tt.leaves) {
				t.Errorf("leaves\n got %q\nwant %q", leaves, tt.leaves)
			}
			for name, want := range tt.content {
				if !bytes.Equal(content[name], want) {
					t.Errorf("%s = %.30q, want %.30q", name, content[name], want)
				}
			}
		})
	}
}

func TestTooManyTextBlocks(t *testing.T) {
	msg := "Content-Type: text/plain\n\n" + strings.Repeat(yencEncode("a", []byte("x")), maxTextBlocks+1)
	leaves, _, _ := walkAll(t, []byte(msg))
	if len(leaves) != maxTextBlocks+2 || leaves[1] != "unscannable part-1 more than 1000 files in text" {
		t.Errorf("%d leaves, second %q", len(leaves), leaves[1])
	}
}
