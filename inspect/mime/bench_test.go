package mime

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// bigMessage is a 5 MB message: text and HTML alternatives, a quoted-
// printable letter, four base64 attachments and a forwarded message with one
// more.
func bigMessage() []byte {
	rng := rand.New(rand.NewSource(1))
	blob := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	text := strings.Repeat("Sehr geehrte Damen und Herren, anbei die Unterlagen f\xfcr das Projekt.\n", 200)
	var b strings.Builder
	b.WriteString(hdr + "Subject: big\nContent-Type: multipart/mixed; boundary=\"big\"\n\n--big\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n--alt\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n")
	b.WriteString(qpEncode([]byte(text), 76))
	b.WriteString("\n--alt\nContent-Type: text/html\n\n<html><body>" + strings.Repeat("<p>Unterlagen</p>\n", 500) + "</body></html>\n--alt--\n")
	for i, n := range []int{1200000, 900000, 800000, 600000} {
		b.WriteString("--big\nContent-Type: application/octet-stream; name=\"file" + string(rune('0'+i)) + ".bin\"\nContent-Transfer-Encoding: base64\n\n")
		b.WriteString(b64(blob(n)))
	}
	b.WriteString("--big\nContent-Type: message/rfc822\n\nFrom: x@example.org\nSubject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"fw\"\n\n--fw\nContent-Type: text/plain\n\nsee attachment\n--fw\nContent-Type: application/pdf; name=\"fwd.pdf\"\nContent-Transfer-Encoding: base64\n\n")
	b.WriteString(b64(blob(250000)))
	b.WriteString("--fw--\n--big--\n")
	return []byte(crlf(b.String()))
}

func parseWalkDecode(tb testing.TB, msg []byte) int {
	r := bytes.NewReader(msg)
	root, err := Parse(r, int64(len(msg)), Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	err = Walk(context.Background(), r, root, Limits{}, func(l Leaf) error {
		n++
		_, err := io.Copy(io.Discard, l.Open())
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkParseWalk parses a 5 MB message, walks it and decodes every
// leaf (what the inspector and the milter do).
func BenchmarkParseWalk(b *testing.B) {
	msg := bigMessage()
	if n := parseWalkDecode(b, msg); n != 8 {
		b.Fatalf("%d leaves", n)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		parseWalkDecode(b, msg)
	}
}

// BenchmarkParse is the structure alone (what a verdict without
// attachments needs).
func BenchmarkParse(b *testing.B) {
	msg := bigMessage()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(msg), int64(len(msg)), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, enc string, encoded []byte) {
	b.SetBytes(int64(len(encoded)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := io.Copy(io.Discard, NewDecoder(enc, bytes.NewReader(encoded))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBase64(b *testing.B) {
	benchDecode(b, "base64", []byte(crlf(b64(bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 100000)))))
}

func BenchmarkDecodeQP(b *testing.B) {
	benchDecode(b, "quoted-printable", []byte(qpEncode(bytes.Repeat([]byte("Gr\xfc\xdfe aus K\xf6ln, "), 100000), 76)))
}

func BenchmarkDecodeUU(b *testing.B) {
	benchDecode(b, "x-uuencode", []byte(uuencode("f", bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 100000))))
}

// BenchmarkMbox splits an mbox of 200 messages.
func BenchmarkMbox(b *testing.B) {
	msg := fixtureByName(b, "nested_multipart.eml").build()
	var mb bytes.Buffer
	for i := 0; i < 200; i++ {
		mb.WriteString("From sender@example.org Tue Mar  4 10:15:00 2025\n")
		mb.Write(msg)
		mb.WriteString("\n")
	}
	b.SetBytes(int64(mb.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := ReadMbox(bytes.NewReader(mb.Bytes()), func(r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCorpusEmail parses, walks and decodes the e-mails of the shared
// corpus.
func BenchmarkCorpusEmail(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(inspecttest.CorpusPath(b), "email", "*.eml"))
	if len(files) == 0 {
		b.Skip("shared corpus not available")
	}
	var msgs [][]byte
	var total int64
	for _, p := range files {
		m, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
		total += int64(len(m))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			parseWalkDecode(b, m)
		}
	}
}

// BenchmarkParseWalkAmbiguous is BenchmarkParseWalk on the same message
// with a second, equal boundary parameter: an ambiguity, so the walk
// hashes every leaf and re-reads the message under the last-parameter and
// the combined readings (whose leaves are all duplicates).
func BenchmarkParseWalkAmbiguous(b *testing.B) {
	msg := bytes.Replace(bigMessage(), []byte(`boundary="big"`), []byte(`boundary="big"; boundary="big"`), 1)
	if n := parseWalkDecode(b, msg); n != 9 {
		b.Fatalf("%d leaves", n)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		parseWalkDecode(b, msg)
	}
}
