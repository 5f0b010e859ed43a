package mime

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// The files under testdata/cms are made by OpenSSL (testdata/README.md);
// what they carry is in the repository's testdata/files.

func readCMSFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cms", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "files", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func inspectCMS(t testing.TB, name string, data []byte) (*inspecttest.Recorder, error) {
	t.Helper()
	rec := &inspecttest.Recorder{}
	p := inspect.Part{Name: name, Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyCMS, Limits: inspect.DefaultLimits}
	err := NewCMS(Limits{}).Inspect(context.Background(), p, rec)
	return rec, err
}

// pemArmor writes der in PEM armor with label (RFC 7468 2).
func pemArmor(label string, der []byte, eol string) []byte {
	return []byte(strings.ReplaceAll("-----BEGIN "+label+"-----\n"+b64(der)+"-----END "+label+"-----\n", "\n", eol))
}

// cmsUnarmor returns the DER of a PEM fixture (with the standard library,
// not the code under test).
func cmsUnarmor(t testing.TB, pem []byte) []byte {
	t.Helper()
	s := string(pem)
	s = s[strings.Index(s, "-----\n")+6 : strings.Index(s, "-----END")]
	der, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s, "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCMSInspectorOpenSSL(t *testing.T) {
	exe, docm, pdf := readFile(t, "setup.exe"), readFile(t, "invoice.docm"), readFile(t, "letter.pdf")
	tests := []struct {
		file     string
		typ      string
		children map[string][]byte
		err      error
	}{
		{"setup.exe.p7m", inspect.TypeP7M, map[string][]byte{"setup.exe": exe}, nil},
		{"setup-pem.exe.p7m", inspect.TypeP7M, map[string][]byte{"setup-pem.exe": exe}, nil},
		{"invoice.docm.p7m", inspect.TypeP7M, map[string][]byte{"invoice.docm": docm}, nil},
		{"invoice-stream.docm.p7m", inspect.TypeP7M, map[string][]byte{"invoice-stream.docm": docm}, nil},
		{"letter.pdf.p7m", inspect.TypeP7M, map[string][]byte{"letter.pdf": pdf}, nil},
		{"letter.pdf.p7s", inspect.TypeP7S, nil, nil},
		{"setup.exe.p7m.p7m", inspect.TypeP7M, map[string][]byte{"setup.exe.p7m": readCMSFixture(t, "setup.exe.p7m")}, nil},
		{"mime.p7m", inspect.TypeP7M, map[string][]byte{"tool.exe": []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00@" + strings.Repeat("\x00", 35))}, nil},
		{"truncated.p7m", inspect.TypeP7M, nil, ErrCMSMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec, err := inspectCMS(t, tt.file, readCMSFixture(t, tt.file))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if len(rec.Findings) != 0 {
				t.Errorf("findings %q", rec.Short())
			}
			got := map[string][]byte{}
			for _, c := range rec.Children {
				got[c.Name] = c.Data
			}
			if len(got) != len(tt.children) {
				t.Errorf("children %q", rec.Names())
			}
			for name, want := range tt.children {
				if !bytes.Equal(got[name], want) {
					t.Errorf("child %q: %d bytes, want %d (children %q)", name, len(got[name]), len(want), rec.Names())
				}
			}
		})
	}
}

func TestCMSInspectorForms(t *testing.T) {
	exe := readFile(t, "setup.exe")
	p7m := readCMSFixture(t, "setup.exe.p7m")
	// The PEM fixture, unarmored by the standard library, is DER.
	if pd := cmsUnarmor(t, readCMSFixture(t, "setup-pem.exe.p7m")); probeCMS(pd) != cmsSigned {
		t.Fatalf("PEM fixture: % x", pd[:16])
	}
	pdfInMIME := []byte("Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n1 0 obj<<>>endobj\r\n")
	tests := []struct {
		name     string
		data     []byte
		typ      string
		children []string
		findings []string
		err      error
	}{
		{"pkcs7.p7m", pemArmor("PKCS7", p7m, "\n"), "", []string{"pkcs7"}, nil, nil},
		{"crlf-junk.p7m", append([]byte("Bag Attributes\r\n  friendlyName: x\r\n"), pemArmor("PKCS7", p7m, "\r\n")...), "", []string{"crlf-junk"}, nil, nil},
		{"old.p7m", pemArmor("PKCS #7 SIGNED DATA", p7m, "\n"), "", []string{"old"}, nil, nil},
		{"bare.p7m", []byte(b64(p7m)), "", []string{"bare"}, nil, nil},
		{"ber.p7m", cmsSignedBER(exe, 7), "", []string{"ber"}, nil, nil},
		{"no-extension", cmsSignedDER(exe), "", []string{""}, nil, nil},
		{"Setup.EXE.P7M. ", cmsSignedDER(exe), "", []string{"Setup.EXE"}, nil, nil},
		{"empty.p7m", cmsSignedDER([]byte{}), "", []string{"empty"}, nil, nil},
		{"enveloped.p7m", cmsEnvelopedDER(oidEnvelopedData), "", nil, []string{"encrypted|smime-enveloped|"}, nil},
		{"authenveloped.p7m", pemArmor("CMS", cmsEnvelopedDER(oidAuthEnvelopedData), "\n"), "", nil, []string{"encrypted|smime-enveloped|"}, nil},
		{"detached.p7s", cmsSignedDER(nil), inspect.TypeP7S, nil, nil, nil},
		{"compressed.p7m", cmsEnvelopedDER(oidCompressedData), "", nil, nil, ErrCMSUnsupported},
		{"data.p7m", cmsEnvelopedDER(oidDataTest), "", nil, nil, ErrCMSUnsupported},
		{"not-cms.p7m", exe, "", nil, nil, ErrCMSMalformed},
		{"bad-armor.p7m", []byte("-----BEGIN PKCS7-----\n!!!!\n-----END PKCS7-----\n"), "", nil, nil, ErrCMSMalformed},
		{"cut.p7m", p7m[:len(p7m)/2], "", nil, nil, ErrCMSMalformed},
		{"cut-ber.p7m", cmsSignedBER(exe, 100)[:600], "", nil, nil, ErrCMSMalformed},
		// A MIME entity is walked; one that is a PDF too is also a child.
		{"signed-mime.p7m", cmsSignedDER([]byte(innerSigned())), "", []string{"signed.exe"}, nil, nil},
		{"polyglot.pdf.p7m", cmsSignedDER(pdfInMIME), "", []string{"part-1", "polyglot.pdf"},
			[]string{"ambiguous|signed content is a MIME entity and a file of another format|"}, nil},
		// A PDF reader opens a CMS file with %PDF- in its first KiB.
		{"hidden.pdf", der(0x30, oidDER(oidSignedData), der(0xA0, der(0x30, der(0x02, []byte{1}), der(0x31),
			der(0x30, oidDER(oidDataTest), der(0xA0, der(0x04, []byte("MZ")))), der(0xA0, []byte("%PDF-1.4 hidden")), der(0x31)))),
			"", []string{"", ""}, []string{"ambiguous|CMS file that PDF readers open as a PDF (%PDF- at offset 43)|"}, nil},
		{"signed.pdf.p7m", cmsSignedDER([]byte("%PDF-1.4\n")), "", []string{"signed.pdf"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectCMS(t, tt.name, tt.data)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			want := tt.typ
			if want == "" {
				want = inspect.TypeP7M
			}
			if rec.Type != want {
				t.Errorf("type %q, want %q", rec.Type, want)
			}
			if !reflect.DeepEqual(rec.Short(), tt.findings) {
				t.Errorf("findings %q, want %q", rec.Short(), tt.findings)
			}
			if names := rec.Names(); len(names)+len(tt.children) > 0 && !reflect.DeepEqual(names, tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
			for _, c := range rec.Children {
				if strings.HasPrefix(tt.name, "pkcs7") || strings.HasPrefix(tt.name, "bare") || strings.HasPrefix(tt.name, "ber") {
					if !bytes.Equal(c.Data, exe) {
						t.Errorf("child %q: %d bytes, want the exe", c.Name, len(c.Data))
					}
				}
			}
		})
	}
}

// TestCMSInspectorStops: a child error that stops the walk is returned.
func TestCMSInspectorStops(t *testing.T) {
	stop := &inspect.LimitError{Limit: inspect.LimitTotalSize, Value: 1}
	data := cmsSignedDER([]byte(innerSigned()))
	p := inspect.Part{Name: "x.p7m", Size: int64(len(data)), R: bytes.NewReader(data), Limits: inspect.DefaultLimits}
	if err := NewCMS(Limits{}).Inspect(context.Background(), p, stopWith(stop)); !errors.Is(err, stop) {
		t.Errorf("err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pem := pemArmor("CMS", cmsSignedDER(bytes.Repeat([]byte("x"), 1<<20)), "\n")
	p = inspect.Part{Name: "x.p7m", Size: int64(len(pem)), R: bytes.NewReader(pem), Limits: inspect.DefaultLimits}
	if err := NewCMS(Limits{}).Inspect(ctx, p, &inspecttest.Recorder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// smimeFile is a message with one attachment of type ct named name.
func smimeFile(ct, name, cte string, body []byte) []byte {
	enc := string(body)
	if cte == "base64" {
		enc = b64(body)
	}
	return []byte(crlf(hdr+"Subject: signed file\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nPlease find the signed file attached.\n--b\nContent-Type: "+ct+"; name=\""+name+"\"\nContent-Disposition: attachment; filename=\""+name+"\"\nContent-Transfer-Encoding: "+cte+"\n\n") + enc + "\r\n--b--\r\n")
}

func TestWalkSignedFiles(t *testing.T) {
	exe, docm, pdf := readFile(t, "setup.exe"), readFile(t, "invoice.docm"), readFile(t, "letter.pdf")
	const (
		p7mType = "application/pkcs7-mime; smime-type=signed-data"
		octets  = "application/octet-stream"
	)
	pdfInMIME := []byte("Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n1 0 obj<<>>endobj\r\n")
	tests := []struct {
		name    string
		msg     []byte
		leaves  []string
		content map[string][]byte
	}{
		{"pkcs7-mime", smimeFile(p7mType, "setup.exe.p7m", "base64", readCMSFixture(t, "setup.exe.p7m")),
			[]string{"attachment* setup.exe"}, map[string][]byte{"setup.exe": exe}},
		{"octet-stream", smimeFile(octets, "setup.exe.p7m", "base64", readCMSFixture(t, "setup.exe.p7m")),
			[]string{"attachment* setup.exe"}, map[string][]byte{"setup.exe": exe}},
		{"x-pkcs7-mime docm", smimeFile("application/x-pkcs7-mime", "invoice.docm.p7m", "base64", readCMSFixture(t, "invoice.docm.p7m")),
			[]string{"attachment* invoice.docm"}, map[string][]byte{"invoice.docm": docm}},
		{"streamed BER", smimeFile(octets, "invoice.docm.p7m", "base64", readCMSFixture(t, "invoice-stream.docm.p7m")),
			[]string{"attachment* invoice.docm"}, map[string][]byte{"invoice.docm": docm}},
		{"pdf", smimeFile(p7mType, "Antrag.pdf.p7m", "base64", readCMSFixture(t, "letter.pdf.p7m")),
			[]string{"attachment* Antrag.pdf"}, map[string][]byte{"Antrag.pdf": pdf}},
		{"PEM in 7bit", smimeFile(p7mType, "setup.exe.p7m", "7bit", readCMSFixture(t, "setup-pem.exe.p7m")),
			[]string{"attachment* setup.exe"}, map[string][]byte{"setup.exe": exe}},
		{"base64 twice", smimeFile(octets, "setup.exe.p7m", "base64", []byte(b64(readCMSFixture(t, "setup.exe.p7m")))),
			[]string{"attachment* setup.exe"}, map[string][]byte{"setup.exe": exe}},
		{"nested", smimeFile(octets, "setup.exe.p7m.p7m", "base64", readCMSFixture(t, "setup.exe.p7m.p7m")),
			[]string{"attachment* setup.exe"}, map[string][]byte{"setup.exe": exe}},
		{"nested enveloped", smimeFile(octets, "x.p7m", "base64", cmsSignedDER(cmsEnvelopedDER(oidEnvelopedData))),
			[]string{"encrypted* x smime-enveloped"}, nil},
		{"nested broken", smimeFile(octets, "x.p7m", "base64", cmsSignedDER(readCMSFixture(t, "truncated.p7m"))),
			[]string{"unscannable* x malformed S/MIME content"}, nil},
		{"no name", smimeFile(p7mType, "", "base64", readCMSFixture(t, "setup.exe.p7m")),
			[]string{"attachment* part-2"}, map[string][]byte{"part-2": exe}},
		{"detached", smimeFile(octets, "letter.pdf.p7s", "base64", readCMSFixture(t, "letter.pdf.p7s")),
			[]string{"signature letter.pdf.p7s smime-signature"}, nil},
		{"truncated, declared", smimeFile(p7mType, "setup.exe.p7m", "base64", readCMSFixture(t, "truncated.p7m")),
			[]string{"unscannable setup.exe.p7m malformed S/MIME content"}, nil},
		// Not declared as CMS: the engine sniffs it and says unscannable.
		{"truncated, octet-stream", smimeFile(octets, "setup.exe.p7m", "base64", readCMSFixture(t, "truncated.p7m")),
			[]string{"attachment setup.exe.p7m"}, nil},
		{"opaque MIME", smimeFile(p7mType, "smime.p7m", "base64", readCMSFixture(t, "mime.p7m")),
			[]string{"text* part-2.1", "attachment* tool.exe"}, nil},
		// A signed MIME entity quoting a PEM block is still walked whole.
		{"MIME quoting PEM", smimeFile(p7mType, "smime.p7m", "base64", cmsSignedDER([]byte(crlf("Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\n")+string(pemArmor("PKCS7", cmsSignedDER([]byte("hi")), "\r\n"))+crlf("--q\nContent-Type: application/octet-stream; name=x.exe\n\nMZ\n--q--\n")))),
			[]string{"text* part-2.1", "attachment* x.exe"}, nil},
		// Text with a PEM block after some prose is a file and CMS.
		{"text then PEM", smimeFile(octets, "notes.txt.p7m", "base64", cmsSignedDER(append([]byte("some notes\n"), pemArmor("PKCS7", cmsSignedDER(exe), "\n")...))),
			[]string{"attachment* notes.txt", "attachment* notes.txt"}, map[string][]byte{"notes.txt": exe}},
		{"MIME and PDF", smimeFile(p7mType, "doc.pdf.p7m", "base64", cmsSignedDER(pdfInMIME)),
			[]string{"attachment* part-2.1", "attachment* doc.pdf"}, map[string][]byte{"doc.pdf": pdfInMIME}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaves, content, _ := walkAll(t, tt.msg)
			want := append([]string{"text part-1"}, tt.leaves...)
			if !reflect.DeepEqual(leaves, want) {
				t.Errorf("leaves\n got %q\nwant %q", leaves, want)
			}
			for name, b := range tt.content {
				if !bytes.Equal(content[name], b) {
					t.Errorf("%s: %d bytes, want %d", name, len(content[name]), len(b))
				}
			}
		})
	}
}

func TestLooksLikeEntity(t *testing.T) {
	tests := []struct {
		in            string
		entity, doubt bool
	}{
		{"Content-Type: text/plain\r\n\r\nhello", true, false},
		{"content-type: text/plain\n\nhello", true, false},
		{"Subject: hi\r\nX-Foo: bar\r\n  folded\r\n\r\n", true, false},
		{"X-Only: custom\r\n\r\nbody", false, false},
		{"Content-Type: text/plain\r\nno blank line", false, false},
		{"Content-Type: text/plain\r\nbroken line\r\n\r\n", false, false},
		{" folded first: x\r\n\r\n", false, false},
		{"Content Type: text/plain\r\n\r\n", false, false},
		{"Content-Type: text/pl\x00ain\r\n\r\n", false, false},
		{"MZ\x90\x00", false, false},
		{"%PDF-1.7\n", false, false},
		{"", false, false},
		{"\r\n", false, false},
		{"Content-Type: text/plain\r\nX-Long: " + strings.Repeat("x", maxMIMEHead) + "\r\n\r\n", true, true},
		{"X-Long: " + strings.Repeat("x", maxMIMEHead) + "\r\n\r\n", false, false},
	}
	for _, tt := range tests {
		e, d := looksLikeEntity(strings.NewReader(tt.in), int64(len(tt.in)))
		if e != tt.entity || d != tt.doubt {
			t.Errorf("%.40q: entity %v doubt %v, want %v %v", tt.in, e, d, tt.entity, tt.doubt)
		}
	}
}

func TestCMSContentName(t *testing.T) {
	for in, want := range map[string]string{
		"setup.exe.p7m": "setup.exe", "Antrag.pdf.P7M": "Antrag.pdf", "x.p7s": "x",
		"a.p7m.p7m": "a.p7m", "x.pdf.p7m. ": "x.pdf", ".p7m": ".p7m", "x.pdf": "x.pdf", "": "",
	} {
		if got := cmsContentName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestCMSFormOf(t *testing.T) {
	der := cmsSignedDER([]byte("x"))
	tests := []struct {
		in   []byte
		want cmsForm
	}{
		{der, cmsFormDER},
		{cmsSignedBER([]byte("x"), 1), cmsFormDER},
		{pemArmor("CMS", der, "\n"), cmsFormPEM},
		{pemArmor("PKCS7", der, "\r\n"), cmsFormPEM},
		{append([]byte("junk\n"), pemArmor("PKCS7", der, "\n")...), cmsFormPEM},
		{[]byte(b64(der)), cmsFormBase64},
		{[]byte(b64([]byte("MZ not cms at all, really not"))), cmsFormNone},
		{[]byte("-----BEGIN CERTIFICATE-----\nMII\n"), cmsFormNone},
		{[]byte("Content-Type: text/plain\r\n\r\n"), cmsFormNone},
		{nil, cmsFormNone},
	}
	for i, tt := range tests {
		if got, _ := cmsFormOf(tt.in); got != tt.want {
			t.Errorf("%d (%.30q): %d, want %d", i, tt.in, got, tt.want)
		}
	}
}

// TestCMSSegmentLimit: a streamed eContent of more pieces than
// maxCMSSegments is malformed, not a list as large as the input allows.
func TestCMSSegmentLimit(t *testing.T) {
	data := cmsSignedBER(bytes.Repeat([]byte("x"), maxCMSSegments+1), 1)
	if kind, segs := parseCMS(bytes.NewReader(data), int64(len(data))); kind != cmsMalformed || segs != nil {
		t.Errorf("kind %d, %d segments", kind, len(segs))
	}
	data = cmsSignedBER(bytes.Repeat([]byte("x"), 1000), 1)
	if kind, segs := parseCMS(bytes.NewReader(data), int64(len(data))); kind != cmsSigned || len(segs) != 1000 {
		t.Errorf("kind %d, %d segments", kind, len(segs))
	}
}
