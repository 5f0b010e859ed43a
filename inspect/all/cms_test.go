package all

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// The signed files are made by OpenSSL (inspect/mime/testdata/README.md).
func cmsFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "mime", "testdata", "cms", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// typeSpy records the type every inspected part ends up with, so that a
// test can see the type of a clean child (which has no finding to carry
// it).
type typeSpy struct {
	mu    sync.Mutex
	types map[string]string // "depth name" → type
}

type spied struct {
	in  inspect.Inspector
	spy *typeSpy
}

func (s spied) Inspect(ctx context.Context, p inspect.Part, sc inspect.Scope) error {
	rec := &inspecttest.Recorder{Type: inspect.DefaultType(p.Family), Next: sc}
	err := s.in.Inspect(ctx, p, rec)
	s.spy.mu.Lock()
	s.spy.types[strings.Repeat(">", p.Depth)+p.Name] = rec.Type
	s.spy.mu.Unlock()
	return err
}

func spyEngine() (*inspect.Engine, *typeSpy) {
	spy := &typeSpy{types: map[string]string{}}
	m := Inspectors()
	for f, in := range m {
		m[f] = spied{in: in, spy: spy}
	}
	return inspect.NewEngine(m, inspect.Limits{}), spy
}

func short(fs []inspect.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Kind)+"|"+f.Type+"|"+f.Where)
	}
	return out
}

func hasFinding(fs []inspect.Finding, want string) bool {
	for _, s := range short(fs) {
		if s == want {
			return true
		}
	}
	return false
}

// TestCMSFiles: what a signature carries is inspected; the signed file is
// a p7m, its content keeps its own type.
func TestCMSFiles(t *testing.T) {
	tests := []struct {
		file, name string
		typ        string
		want       []string          // "kind|type|where" that must be there
		clean      bool              // no findings at all
		children   map[string]string // spied "depth name" → type
	}{
		{"setup.exe.p7m", "", inspect.TypeP7M, []string{"executable|pe|setup.exe"}, false, map[string]string{">setup.exe": inspect.TypePE}},
		{"setup-pem.exe.p7m", "", inspect.TypeP7M, []string{"executable|pe|setup-pem.exe"}, false, nil},
		{"invoice.docm.p7m", "", inspect.TypeP7M, []string{"macro|docm|invoice.docm/word/vbaProject.bin"}, false, map[string]string{">invoice.docm": inspect.TypeDOCM}},
		{"invoice-stream.docm.p7m", "", inspect.TypeP7M, []string{"macro|docm|invoice-stream.docm/word/vbaProject.bin"}, false, nil},
		{"letter.pdf.p7m", "", inspect.TypeP7M, nil, true, map[string]string{"letter.pdf.p7m": inspect.TypeP7M, ">letter.pdf": inspect.TypePDF}},
		{"letter.pdf.p7m", "Antrag.pdf.p7m", inspect.TypeP7M, nil, true, map[string]string{">Antrag.pdf": inspect.TypePDF}},
		{"letter.pdf.p7s", "", inspect.TypeP7S, nil, true, nil},
		{"setup.exe.p7m.p7m", "", inspect.TypeP7M, []string{"executable|pe|setup.exe.p7m/setup.exe"}, false,
			map[string]string{">setup.exe.p7m": inspect.TypeP7M, ">>setup.exe": inspect.TypePE}},
		{"mime.p7m", "", inspect.TypeP7M, []string{"executable|pe|tool.exe"}, false, nil},
		{"truncated.p7m", "", inspect.TypeP7M, []string{"unscannable|p7m|"}, false, nil},
		// Named as something else: still read by its content.
		{"setup.exe.p7m", "Antrag.pdf", inspect.TypeP7M, []string{"executable|pe|part1"}, false, nil},
	}
	for _, tt := range tests {
		name := tt.name
		if name == "" {
			name = tt.file
		}
		t.Run(name, func(t *testing.T) {
			e, spy := spyEngine()
			data := cmsFixture(t, tt.file)
			res := e.Inspect(context.Background(), name, "", bytes.NewReader(data), int64(len(data)))
			if res.Type != tt.typ {
				t.Errorf("type %q, want %q", res.Type, tt.typ)
			}
			if tt.clean && len(res.Findings) != 0 {
				t.Errorf("findings %q, want none", short(res.Findings))
			}
			for _, w := range tt.want {
				if !hasFinding(res.Findings, w) {
					t.Errorf("no %q in %q", w, short(res.Findings))
				}
			}
			for k, v := range tt.children {
				if got := spy.types[k]; got != v {
					t.Errorf("%q: type %q, want %q (all: %v)", k, got, v, spy.types)
				}
			}
		})
	}
}

// TestCMSInMessage: a signed file attached to a message, whether the part
// says application/pkcs7-mime or application/octet-stream, is inspected
// for what it carries.
func TestCMSInMessage(t *testing.T) {
	msg := func(ct, name string, body []byte) []byte {
		b64 := base64.StdEncoding.EncodeToString(body)
		var lines []string
		for len(b64) > 76 {
			lines = append(lines, b64[:76])
			b64 = b64[76:]
		}
		lines = append(lines, b64)
		return []byte(strings.ReplaceAll("From: a@example.org\nTo: b@example.net\nSubject: signed\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attachment\n--b\nContent-Type: "+ct+"; name=\""+name+"\"\nContent-Disposition: attachment; filename=\""+name+"\"\nContent-Transfer-Encoding: base64\n\n"+strings.Join(lines, "\n")+"\n--b--\n", "\n", "\r\n"))
	}
	for _, ct := range []string{"application/pkcs7-mime; smime-type=signed-data", "application/octet-stream"} {
		t.Run(ct, func(t *testing.T) {
			e, spy := spyEngine()
			m := msg(ct, "setup.exe.p7m", cmsFixture(t, "setup.exe.p7m"))
			res := e.Inspect(context.Background(), "m.eml", "", bytes.NewReader(m), int64(len(m)))
			if !hasFinding(res.Findings, "executable|pe|setup.exe") {
				t.Errorf("findings %q", short(res.Findings))
			}
			m = msg(ct, "Antrag.pdf.p7m", cmsFixture(t, "letter.pdf.p7m"))
			res = e.Inspect(context.Background(), "m.eml", "", bytes.NewReader(m), int64(len(m)))
			if len(res.Findings) != 0 || spy.types[">Antrag.pdf"] != inspect.TypePDF {
				t.Errorf("findings %q, types %v", short(res.Findings), spy.types)
			}
			m = msg(ct, "x.p7m", cmsFixture(t, "truncated.p7m"))
			res = e.Inspect(context.Background(), "m.eml", "", bytes.NewReader(m), int64(len(m)))
			if !res.Has(inspect.KindUnscannable) {
				t.Errorf("truncated: findings %q", short(res.Findings))
			}
		})
	}
}

// signed wraps content in a minimal DER SignedData (RFC 5652 5.1).
func signed(content []byte) []byte {
	der := func(tag byte, parts ...[]byte) []byte {
		b := bytes.Join(parts, nil)
		n := len(b)
		hdr := []byte{tag, 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
		return append(hdr, b...)
	}
	oid := func(o asn1.ObjectIdentifier) []byte { b, _ := asn1.Marshal(o); return b }
	data, sd := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	eci := der(0x30, oid(data), der(0xA0, der(0x04, content)))
	return der(0x30, oid(sd), der(0xA0, der(0x30, []byte{2, 1, 1}, []byte{0x31, 0}, eci, []byte{0x31, 0})))
}

// TestCMSDepth: signatures inside signatures end at the engine's depth
// limit, as unscannable.
func TestCMSDepth(t *testing.T) {
	b := cmsFixture(t, "setup.exe.p7m")
	for i := 0; i < inspect.DefaultLimits.MaxDepth+5; i++ {
		b = signed(b)
	}
	res := NewEngine(inspect.Limits{}).Inspect(context.Background(), "deep.p7m", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != inspect.TypeP7M || !res.Has(inspect.KindUnscannable) || res.Has(inspect.KindExecutable) {
		t.Errorf("type %q findings %q", res.Type, short(res.Findings))
	}
	b = signed(signed(cmsFixture(t, "setup.exe.p7m")))
	res = NewEngine(inspect.Limits{}).Inspect(context.Background(), "x.p7m", "", bytes.NewReader(b), int64(len(b)))
	if !res.Has(inspect.KindExecutable) {
		t.Errorf("findings %q", short(res.Findings))
	}
}

func TestSniffCMS(t *testing.T) {
	der := cmsFixture(t, "setup.exe.p7m")
	tests := []struct {
		name string
		data []byte
		want inspect.Family
	}{
		{"a.p7m", der, inspect.FamilyCMS},
		{"a.bin", cmsFixture(t, "invoice-stream.docm.p7m"), inspect.FamilyCMS},
		{"a.p7s", cmsFixture(t, "letter.pdf.p7s"), inspect.FamilyCMS},
		{"a.p7m", cmsFixture(t, "setup-pem.exe.p7m"), inspect.FamilyCMS},
		{"a.txt", []byte("-----BEGIN PKCS7-----\nMIIB\n-----END PKCS7-----\n"), inspect.FamilyCMS},
		{"a.p7m", []byte("Bag Attributes\n-----BEGIN CMS-----\nMIIB\n"), inspect.FamilyCMS},
		{"a.txt", []byte("\r\n  -----BEGIN CMS-----\nMIIB\n"), inspect.FamilyCMS},
		// Text that quotes a PEM block is read by the text inspector.
		{"a.txt", []byte("Bag Attributes\n-----BEGIN CMS-----\nMIIB\n"), inspect.FamilyText},
		{"a.p7m", []byte(base64.StdEncoding.EncodeToString(der)), inspect.FamilyCMS},
		{"a.txt", []byte("quoting -----BEGIN PKCS7----- in prose\n"), inspect.FamilyText},
		{"a.txt", []byte("MIIBase64LooksLikeButIsNotCMSatAllReally"), inspect.FamilyText},
		{"a.der", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, inspect.FamilyOther},
		// A certificate is a SEQUENCE too, but of a SEQUENCE.
		{"a.cer", []byte{0x30, 0x82, 0x01, 0x0A, 0x30, 0x82, 0x01, 0x00, 0xA0, 0x03}, inspect.FamilyOther},
	}
	for _, tt := range tests {
		if got := inspect.Sniff(bytes.NewReader(tt.data), int64(len(tt.data)), tt.name); got != tt.want {
			t.Errorf("%s %.20q: %s, want %s", tt.name, tt.data, got, tt.want)
		}
	}
	for _, ty := range []string{inspect.TypeP7M, inspect.TypeP7S} {
		if !inspect.ValidType(ty) {
			t.Errorf("%s is not a valid type", ty)
		}
	}
	if inspect.DefaultType(inspect.FamilyCMS) != inspect.TypeP7M || inspect.TypeFromName("x.P7M") != inspect.TypeP7M {
		t.Error("p7m type names")
	}
}
