package mime

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func decodeAll(t testing.TB, enc, in string) (string, []string) {
	t.Helper()
	d := NewDecoder(enc, strings.NewReader(in))
	b, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("%s %q: %v", enc, in, err)
	}
	return string(b), d.Defects()
}

func TestDecoders(t *testing.T) {
	tests := []struct {
		enc, in, want string
		defects       []string
	}{
		{"base64", "aGVsbG8=", "hello", nil},
		{"base64", "aGVs\r\nbG8=\r\n", "hello", nil},
		{"base64", "aGVs bG8\t=", "hello", nil},
		{"base64", "aGVsbG8", "hello", []string{"missing base64 padding"}},
		{"base64", "aGVsbA", "hell", []string{"missing base64 padding"}},
		{"base64", "aGVsb", "hel", []string{"truncated base64"}},
		{"base64", "aGVs*bG8=", "hello", []string{"invalid base64 character"}},
		{"base64", "aGk=aGk=", "hihi", []string{"base64 data after padding"}},
		{"base64", "", "", nil},
		{"base64", "====", "", nil},
		{"quoted-printable", "caf=C3=A9", "café", nil},
		{"quoted-printable", "caf=c3=a9", "café", nil},
		{"quoted-printable", "soft=\r\nbreak\r\n", "softbreak\r\n", nil},
		{"quoted-printable", "soft=  \nbreak", "softbreak", nil},
		{"quoted-printable", "trailing   \r\nspace", "trailing\r\nspace", nil},
		{"quoted-printable", "bad=ZZescape=", "bad=ZZescape", []string{"invalid quoted-printable escape"}},
		{"quoted-printable", "a=3", "a=3", []string{"invalid quoted-printable escape"}},
		{"quoted-printable", "8bit \xfc ok", "8bit \xfc ok", nil},
		{"x-uuencode", "begin 644 a.txt\n#86)C\n`\nend\n", "abc", nil},
		{"uuencode", "\n\nbegin 600 x\r\n#86)C\r\n`\r\nend\r\ntrailing junk\r\n", "abc", nil},
		{"x-uuencode", "#86)C\n`\nend\n", "abc", []string{"uuencode without begin line"}},
		{"x-uuencode", "begin 644 a\n#86)C\n", "abc", []string{"missing uuencode end"}},
		// Trailing spaces stripped in transit: the missing characters are
		// zeros.
		{"x-uuencode", "begin 644 a\n#\n`\nend\n", "\x00\x00\x00", nil},
		{"x-uuencode", "begin 644 a\n#8~)C\nend\n", "a\xe2c", []string{"invalid uuencode character"}},
		{"x-uuencode", "begin-base64 644 a\naGVsbG8=\n====\nignored\n", "hello", nil},
		{"uue", "begin 644 a\nend\n", "", nil},
		{"7bit", "as is=\n", "as is=\n", nil},
		{"binary", "\x00\xff", "\x00\xff", nil},
		{"x-gzip64", "raw", "raw", []string{"unknown transfer encoding"}},
	}
	for _, tt := range tests {
		got, defects := decodeAll(t, tt.enc, tt.in)
		if got != tt.want || !reflect.DeepEqual(defects, tt.defects) {
			t.Errorf("%s %q = %q %q, want %q %q", tt.enc, tt.in, got, defects, tt.want, tt.defects)
		}
	}
}

// TestDecodersChunked feeds the decoders one byte at a time and in long
// lines, so that their buffering is exercised.
func TestDecodersChunked(t *testing.T) {
	data := bytes.Repeat([]byte("The quick brown fox \x00\xff=\r\n"), 5000)
	for _, enc := range []string{"base64", "quoted-printable", "x-uuencode"} {
		var encoded string
		switch enc {
		case "base64":
			encoded = b64(data)
		case "quoted-printable":
			encoded = qpEncode(data, 76)
		case "x-uuencode":
			encoded = uuencode("f", data)
		}
		for name, r := range map[string]io.Reader{
			"onebyte": iotest.OneByteReader(strings.NewReader(encoded)),
			"half":    iotest.HalfReader(strings.NewReader(encoded)),
		} {
			got, err := io.ReadAll(NewDecoder(enc, r))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s %s: %d bytes, err %v", enc, name, len(got), err)
			}
		}
	}
	// A quoted-printable line far longer than the line buffer, with an
	// escape across every piece boundary.
	long := bytes.Repeat([]byte("\xfc"), 3*lineBuf+7)
	enc := qpEncode(long, 0)
	got, _ := io.ReadAll(NewDecoder("quoted-printable", strings.NewReader(enc)))
	if !bytes.Equal(got, long) {
		t.Errorf("long qp line: %d bytes, want %d", len(got), len(long))
	}
}

// qpEncode is a minimal quoted-printable encoder for tests; lineLen 0
// writes one line.
func qpEncode(b []byte, lineLen int) string {
	var out strings.Builder
	n := 0
	for _, c := range b {
		var s string
		if c >= 33 && c <= 126 && c != '=' {
			s = string(rune(c))
		} else {
			s = "=" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15]))
		}
		if lineLen > 0 && n+len(s) > lineLen-1 {
			out.WriteString("=\r\n")
			n = 0
		}
		out.WriteString(s)
		n += len(s)
	}
	return out.String()
}

func TestUUExpansion(t *testing.T) {
	// 100000 lines of a length character alone claim 45 bytes each.
	in := "begin 644 zeros\n" + strings.Repeat("M\n", 100000) + "end\n"
	out, err := io.ReadAll(NewDecoder("x-uuencode", strings.NewReader(in)))
	if !errors.Is(err, errUUExpansion) || len(out) > 2*len(in)+uuSlack {
		t.Errorf("%d bytes, %v", len(out), err)
	}
	// A short file of such lines is tolerated.
	out, err = io.ReadAll(NewDecoder("x-uuencode", strings.NewReader("begin 644 z\nM\nM\n`\nend\n")))
	if err != nil || len(out) != 90 {
		t.Errorf("%d bytes, %v", len(out), err)
	}
}

func TestBodyOfEntity(t *testing.T) {
	msg := []byte("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n")
	root := mustParse(t, msg)
	b, err := io.ReadAll(root.Body(bytes.NewReader(msg)))
	if err != nil || string(b) != "hello" {
		t.Errorf("Body = %q, %v", b, err)
	}
	// An entity whose body is empty decodes to nothing.
	e := &Entity{BodyStart: 5, End: 5, Encoding: "base64"}
	if b, _ := io.ReadAll(e.Body(bytes.NewReader(msg))); len(b) != 0 {
		t.Errorf("empty body = %q", b)
	}
}
