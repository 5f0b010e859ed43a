package mime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func leafString(l Leaf) string {
	s := l.Role.String()
	if l.Inner {
		s += "*"
	}
	s += " " + l.Name
	if l.Detail != "" {
		s += " " + l.Detail
	}
	if l.View != "" {
		s += " @" + l.View
	}
	return s
}

// walkAll parses and walks msg and returns the leaves as strings and the
// decoded content of each leaf by name.
func walkAll(t testing.TB, msg []byte) ([]string, map[string][]byte, *Entity) {
	t.Helper()
	r := bytes.NewReader(msg)
	root, err := Parse(r, int64(len(msg)), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var leaves []string
	content := map[string][]byte{}
	err = Walk(context.Background(), r, root, Limits{}, func(l Leaf) error {
		leaves = append(leaves, leafString(l))
		b, err := io.ReadAll(l.Open())
		if err != nil {
			t.Errorf("%s: read: %v", l.Name, err)
		}
		if _, dup := content[l.Name]; !dup || l.View == "" {
			content[l.Name] = b // the primary reading's content wins
		}
		if l.Inner && l.Entity.Parent != nil && l.Entity.Parent.Parent == l.Entity {
			t.Errorf("%s: bad outer entity", l.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return leaves, content, root
}

func allDefects(e *Entity) []string {
	var out []string
	var rec func(e *Entity)
	rec = func(e *Entity) {
		out = append(out, e.Defects...)
		for _, c := range e.Children {
			rec(c)
		}
		if e.Message != nil {
			rec(e.Message)
		}
	}
	rec(e)
	return out
}

func TestWalkFixtures(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			leaves, content, root := walkAll(t, f.build())
			if !reflect.DeepEqual(leaves, f.leaves) {
				t.Errorf("leaves\n got %q\nwant %q", leaves, f.leaves)
			}
			for name, want := range f.content {
				if got, ok := content[name]; !ok || !bytes.Equal(got, want) {
					t.Errorf("content of %s = %q, want %q", name, got, want)
				}
			}
			defects := allDefects(root)
			for _, d := range f.defects {
				if !contains(defects, d) {
					t.Errorf("defect %q missing; have %q", d, defects)
				}
			}
			if f.defects == nil {
				for _, d := range defects {
					if d != DefectMissingClose {
						t.Errorf("unexpected defect %q", d)
					}
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestWalkOpenSSL(t *testing.T) {
	inner := []string{"text* part-1.1", "attachment* tool.exe"}
	tests := []struct {
		file   string
		leaves []string
	}{
		{"smime_openssl_opaque.eml", inner},
		{"smime_openssl_stream.eml", inner},
		{"smime_openssl_enveloped.eml", []string{"encrypted smime.p7m smime-enveloped"}},
		{"smime_openssl_detached.eml", []string{"text part-1.1", "attachment tool.exe", "signature smime.p7s smime-signature"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			msg, err := os.ReadFile(filepath.Join("testdata", "openssl", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			leaves, content, _ := walkAll(t, msg)
			if !reflect.DeepEqual(leaves, tt.leaves) {
				t.Errorf("leaves\n got %q\nwant %q", leaves, tt.leaves)
			}
			if exe, ok := content["tool.exe"]; ok && !bytes.HasPrefix(exe, []byte("MZ")) {
				t.Errorf("tool.exe decodes to %q", exe)
			}
		})
	}
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(inspecttest.CorpusPath(t), "email", name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared corpus missing under CI: %v", err)
		}
		t.Skipf("shared corpus not available: %v", err)
	}
	return b
}

func TestWalkCorpus(t *testing.T) {
	tests := []struct {
		file   string
		leaves []string
		magic  map[string]string // leaf name → decoded prefix
	}{
		{"gen_eml_smime_encrypted.eml", []string{"encrypted smime.p7m smime-enveloped"}, nil},
		{"gen_eml_smime_signed.eml", []string{"text part-1.1", "attachment memo.doc", "signature smime.p7s smime-signature"},
			map[string]string{"memo.doc": "\xd0\xcf\x11\xe0"}},
		{"zbateson__m3007.txt.eml", []string{"text part-1", "attachment greenball.png", "attachment blueball.png", "attachment HasenundFrösche.txt"},
			map[string]string{"greenball.png": "\x89PNG", "blueball.png": "\x89PNG"}},
		{"gen_eml_xls_vba_rfc2231_name.eml", []string{"text part-1", "attachment Prüfung_Übersicht.xls"},
			map[string]string{"Prüfung_Übersicht.xls": "\xd0\xcf\x11\xe0", "part-1": "Gr\xfc\xdfe"}},
		{"gen_eml_nested_rfc822_xlsm.eml", []string{"text part-1", "text part-2.1", "attachment report.xlsm"},
			map[string]string{"report.xlsm": "PK\x03\x04"}},
		{"gen_eml_docm_attachment.eml", []string{"text part-1", "attachment invoice.docm"}, map[string]string{"invoice.docm": "PK\x03\x04"}},
		{"gen_eml_exe_attachment.eml", []string{"text part-1", "attachment update.exe"}, map[string]string{"update.exe": "MZ"}},
		{"gen_eml_tnef_winmail.eml", []string{"text part-1", "attachment winmail.dat"}, map[string]string{"winmail.dat": "\x78\x9f\x3e\x22"}},
		{"mimekit__ukr.eml", []string{"text part-1", "attachment winmail.dat"}, map[string]string{"winmail.dat": "\x78\x9f\x3e\x22"}},
		{"mimekit__simple-embedded-message.eml", []string{"text part-1", "text part-2.1"}, map[string]string{"part-2.1": "This is the embedded message body."}},
		{"mikel__raw_email2.eml", []string{"text part-1", "signature smime.p7s smime-signature"}, nil},
		{"mikel__japanese_iso_2022.eml", []string{"text part-1"}, nil},
		{"zbateson__m1005.txt.eml", []string{"text part-1.1", "text part-1.2.1", `attachment C:\TEMP\nsmailEG.png`, `attachment C:\TEMP\nsmail39.png`, "attachment redball.png", "attachment greenball.png"},
			map[string]string{"redball.png": "\x89PNG"}},
		// The "signature" of m4002 is an MD5 sum in hex, no signature: it
		// is treated as the attachment it is.
		{"zbateson__m4002.txt.eml", []string{"text part-1.1", "attachment blueball.png", "attachment greenball.png", "attachment redball.png", "attachment part-2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			leaves, content, _ := walkAll(t, readCorpus(t, tt.file))
			if !reflect.DeepEqual(leaves, tt.leaves) {
				t.Errorf("leaves\n got %q\nwant %q", leaves, tt.leaves)
			}
			for name, prefix := range tt.magic {
				if !bytes.HasPrefix(content[name], []byte(prefix)) {
					t.Errorf("%s decodes to %.20q, want prefix %q", name, content[name], prefix)
				}
			}
		})
	}
}

func TestWalkStops(t *testing.T) {
	msg := fixtureByName(t, "nested_multipart.eml").build()
	r := bytes.NewReader(msg)
	root, err := Parse(r, int64(len(msg)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = Walk(context.Background(), r, root, Limits{}, func(l Leaf) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("Walk = %v after %d leaves, want stop after 2", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Walk(ctx, r, root, Limits{}, func(Leaf) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk with a cancelled context = %v", err)
	}
}

func TestIsAttachment(t *testing.T) {
	msg := fixtureByName(t, "nested_multipart.eml").build()
	root, err := Parse(bytes.NewReader(msg), int64(len(msg)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var rec func(e *Entity)
	rec = func(e *Entity) {
		if e.IsAttachment() {
			got = append(got, e.Filename)
		}
		for _, c := range e.Children {
			rec(c)
		}
	}
	rec(root)
	want := []string{"logo.png", "a.doc", "q.bin", "latin1.txt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IsAttachment: %q, want %q", got, want)
	}
}

func TestRoleString(t *testing.T) {
	for r, want := range map[Role]string{RoleText: "text", RoleAttachment: "attachment", RoleSignature: "signature",
		RoleEncrypted: "encrypted", RoleUnscannable: "unscannable", Role(9): "role(9)"} {
		if r.String() != want {
			t.Errorf("%d: %q", r, r.String())
		}
	}
}

func TestCMSNestingLimit(t *testing.T) {
	content := []byte(crlf("Content-Type: text/plain\n\ninnermost\n"))
	for i := 0; i < maxCMSNesting+1; i++ {
		content = []byte(crlf("Content-Type: application/pkcs7-mime; smime-type=signed-data\nContent-Transfer-Encoding: base64\n\n" + b64(cmsSignedDER(content))))
	}
	leaves, _, _ := walkAll(t, content)
	want := []string{"unscannable* part-1.1.1.1.1.1.1.1.1 S/MIME nested deeper than 8"}
	if !reflect.DeepEqual(leaves, want) {
		t.Errorf("leaves %q, want %q", leaves, want)
	}
}

func TestScanTextLongLines(t *testing.T) {
	// A text part with one line longer than the scanner's buffer, then a
	// uuencoded block: the block must still be found.
	long := strings.Repeat("x", 3*lineBuf)
	msg := []byte("Content-Type: text/plain\n\n" + long + "\n" + uuencode("after.bin", []byte("data")))
	leaves, content, _ := walkAll(t, msg)
	want := []string{"text part-1", "attachment* after.bin"}
	if !reflect.DeepEqual(leaves, want) {
		t.Fatalf("leaves %q, want %q", leaves, want)
	}
	if string(content["after.bin"]) != "data" {
		t.Errorf("after.bin = %q", content["after.bin"])
	}
}
