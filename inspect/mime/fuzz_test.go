package mime

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedMessages are the fixtures, the OpenSSL messages and a few broken
// shapes.
func seedMessages(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, fx := range fixtures {
		seeds = append(seeds, fx.build())
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "openssl", "*.eml"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	// Signed files (.p7m) as attachments, declared as CMS or not.
	cmsFiles, _ := filepath.Glob(filepath.Join("testdata", "cms", "*"))
	for i, p := range cmsFiles {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		ct := "application/pkcs7-mime; smime-type=signed-data"
		if i%2 == 1 {
			ct = "application/octet-stream"
		}
		seeds = append(seeds, smimeFile(ct, filepath.Base(p), "base64", b))
	}
	seeds = append(seeds,
		[]byte(""),
		[]byte("\n"),
		[]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b--"),
		[]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n--b--"),
		[]byte("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n--a--\n--a--\n"),
		[]byte("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nContent-Type: text/plain\n\nx"),
		[]byte("Content-Type: text/plain\n\nbegin 644 x\n#86)C\n`\nend\n-----BEGIN PGP MESSAGE-----\n"),
		// Ambiguities: each opens an alternative reading.
		[]byte("Content-Type: multipart/mixed; boundary=X; boundary*=Y\r\nContent-Type(c): multipart/mixed; boundary=Z\r\n\r\n--Y\r\n\r\nx\r\n--Xq\n--Z\r\r--Y--\n--Y\n\n"),
		[]byte("Content-Type: multipart; boundary=b\nSubject: a\rContent-Transfer-Encoding: x-base64\n\nContent-Type: text/plain\n--b\n\n\nContent-Type: application/x\n\nTVo=\n--b--\nContent-Type: a/b\n"),
		[]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: a\nbody\n--b\n\x00X\x01: y\r\nContent-Type : text/plain\r\n--b--"),
		[]byte("Content-Type: text/plain\n\n(This file must be converted with BinHex 4.0)\n:$f*TEQKPH#jdCA0d,R0TG!\"3%\"4%8%(\"`:\n=ybegin line=128 size=3 name=y\nabc\n=yend\n"),
	)
	return seeds
}

// FuzzParse checks the offset invariants on any input, with the default
// and with small limits.
func FuzzParse(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lim := range []Limits{{}, {MaxDepth: 3, MaxParts: 20, MaxHeaderBytes: 200, MaxHeaderFields: 30}} {
			root, _ := Parse(bytes.NewReader(data), int64(len(data)), lim)
			if root == nil {
				t.Fatal("no tree")
			}
			checkInvariants(t, root, int64(len(data)))
			// Every reading keeps the same invariants.
			for _, rd := range append(readingOrder, rdAll&^strictReadings) {
				alt, _ := parse(bytes.NewReader(data), int64(len(data)), lim, rd)
				if alt == nil {
					t.Fatal("no tree")
				}
				checkInvariants(t, alt, int64(len(data)))
			}
		}
	})
}

// FuzzWalk walks any input and reads every leaf.
func FuzzWalk(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		lim := Limits{MaxDepth: 10, MaxParts: 100}
		root, _ := Parse(r, int64(len(data)), lim)
		err := Walk(context.Background(), r, root, lim, func(l Leaf) error {
			if l.Entity == nil || l.Open == nil || l.Name == "" {
				t.Fatalf("incomplete leaf %+v", l)
			}
			n, err := io.Copy(io.Discard, l.Open())
			if err != nil && !errors.Is(err, errUUExpansion) && !errors.Is(err, errBinHexExpansion) {
				t.Fatalf("%s: %v", l.Name, err)
			}
			// Decoding never grows a body much beyond its encoded size
			// (unwrapped S/MIME content is part of it too; uuencode lines
			// may be short; BinHex is run-length encoded).
			if n > max(2*int64(len(data))+uuSlack, binhexRatio*int64(len(data))+binhexSlack) {
				t.Fatalf("%s: %d bytes out of %d", l.Name, n, len(data))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzDecodeBase64 round-trips data and decodes arbitrary input.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("aGVsbG8="), []byte("hello"))
	f.Add([]byte("aGk=aGk=*\r\n"), []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, in, data []byte) {
		out, err := io.ReadAll(NewDecoder("base64", bytes.NewReader(in)))
		if err != nil || len(out) > len(in)*3/4+3 {
			t.Fatalf("%d bytes from %d, %v", len(out), len(in), err)
		}
		if want, err := base64.StdEncoding.DecodeString(string(in)); err == nil && !bytes.Equal(out, want) {
			t.Fatalf("valid base64 %q decodes to %q, want %q", in, out, want)
		}
		enc := b64(data)
		got, err := io.ReadAll(NewDecoder("base64", bytes.NewReader([]byte(enc))))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %q: %q", data, got)
		}
	})
}

// FuzzDecodeQP round-trips data and decodes arbitrary input.
func FuzzDecodeQP(f *testing.F) {
	f.Add([]byte("caf=C3=A9 =\r\nsoft=ZZ  \n"), []byte("caf\xc3\xa9"))
	f.Fuzz(func(t *testing.T, in, data []byte) {
		out, err := io.ReadAll(NewDecoder("quoted-printable", bytes.NewReader(in)))
		if err != nil || len(out) > len(in) {
			t.Fatalf("%d bytes from %d, %v", len(out), len(in), err)
		}
		got, err := io.ReadAll(NewDecoder("quoted-printable", bytes.NewReader([]byte(qpEncode(data, 76)))))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %q: %q", data, got)
		}
	})
}

// FuzzDecodeUU round-trips data and decodes arbitrary input.
func FuzzDecodeUU(f *testing.F) {
	f.Add([]byte("begin 644 a\n#86)C\n`\nend\n"), []byte("abc"))
	f.Add([]byte("begin-base64 644 a\naGk=\n====\n"), []byte{})
	f.Fuzz(func(t *testing.T, in, data []byte) {
		out, err := io.ReadAll(NewDecoder("x-uuencode", bytes.NewReader(in)))
		if (err != nil && !errors.Is(err, errUUExpansion)) || len(out) > 2*len(in)+uuSlack {
			t.Fatalf("%d bytes from %d, %v", len(out), len(in), err)
		}
		got, err := io.ReadAll(NewDecoder("x-uuencode", bytes.NewReader([]byte(uuencode("f", data)))))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %q: %q", data, got)
		}
	})
}

// FuzzDecodeBinHex round-trips data and decodes arbitrary input: never an
// error but the expansion limit, never beyond it.
func FuzzDecodeBinHex(f *testing.F) {
	f.Add([]byte(banner+binhexEncode("a.exe", payloadExe)), []byte("abc"))
	f.Add([]byte(binhexEncode("", runs)), runs[:720])
	f.Add([]byte(":!!!!!!!!!!!\n!!!:"), []byte{0x90, 0x90, 0})
	f.Fuzz(func(t *testing.T, in, data []byte) {
		out, err := io.ReadAll(newBinHexReader(bytes.NewReader(in)))
		if (err != nil && !errors.Is(err, errBinHexExpansion)) || len(out) > binhexRatio*len(in)+binhexSlack+4096 {
			t.Fatalf("%d bytes from %d, %v", len(out), len(in), err)
		}
		if len(data) > 4096 {
			data = data[:4096]
		}
		d := newBinHexReader(strings.NewReader(binhexEncode("f", data)))
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, data) || d.Name() != "f" {
			t.Fatalf("round trip of %q: %q %q %v", data, got, d.Name(), err)
		}
	})
}

// FuzzDecodeYEnc round-trips data and decodes arbitrary input: the output
// never exceeds the input.
func FuzzDecodeYEnc(f *testing.F) {
	f.Add([]byte(yencEncode("a.exe", payloadExe)), []byte("abc"))
	f.Add([]byte("=ybegin name=x\n==\n=\n=ypart\nabc=yend\n"), []byte{0xd6, 0xe0, 0xe3, 0x13})
	f.Fuzz(func(t *testing.T, in, data []byte) {
		out, err := io.ReadAll(newYEncReader(bytes.NewReader(in)))
		if err != nil || len(out) > len(in) {
			t.Fatalf("%d bytes from %d, %v", len(out), len(in), err)
		}
		got, err := io.ReadAll(newYEncReader(strings.NewReader(yencEncode("f", data))))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %q: %q", data, got)
		}
	})
}

// FuzzMbox splits arbitrary input: the messages never hold more than the
// input.
func FuzzMbox(f *testing.F) {
	f.Add([]byte("From a\nS: 1\n\n>From x\n\nFrom b\nS: 2\n"))
	f.Add([]byte("headless\n\nFrom \n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var total int64
		err := ReadMbox(bytes.NewReader(in), func(msg io.Reader) error {
			n, err := io.Copy(io.Discard, msg)
			total += n
			return err
		})
		if err != nil || total > int64(len(in)) {
			t.Fatalf("%d bytes from %d, %v", total, len(in), err)
		}
	})
}

// FuzzCMS reads arbitrary bytes as a CMS ContentInfo.
func FuzzCMS(f *testing.F) {
	f.Add(cmsEnvelopedDER(oidEnvelopedData))
	f.Add(cmsSignedDER([]byte("content")))
	f.Add(cmsSignedDER(nil))
	f.Add(cmsSignedBER([]byte("chunked content"), 4))
	f.Fuzz(func(t *testing.T, in []byte) {
		kind, segs := parseCMS(bytes.NewReader(in), int64(len(in)))
		_ = probeCMS(in)
		var n int64
		for _, s := range segs {
			if s.off < 0 || s.n <= 0 || s.off+s.n > int64(len(in)) {
				t.Fatalf("segment %+v outside %d bytes", s, len(in))
			}
			n += s.n
		}
		if kind != cmsSigned && len(segs) > 0 {
			t.Fatalf("kind %d with content", kind)
		}
		sr := newSegReader(bytes.NewReader(in), segs)
		b, err := io.ReadAll(io.NewSectionReader(sr, 0, sr.size))
		if err != nil || int64(len(b)) != n {
			t.Fatalf("content %d of %d bytes, %v", len(b), n, err)
		}
	})
}

// FuzzParams parses arbitrary Content-Type values and file names.
func FuzzParams(f *testing.F) {
	f.Add(`application/pdf; name*0*=utf-8''%C3; name*1="x"; filename="=?utf-8?b?w4Q=?="`)
	f.Fuzz(func(t *testing.T, v string) {
		_, params, _ := parseMediaType(v)
		for _, p := range params {
			_ = decodeName(p)
		}
	})
}
