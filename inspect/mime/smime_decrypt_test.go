package mime

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/internal/cmsdecrypt"
)

// The fixtures are cmsdecrypt's (inspect/internal/cmsdecrypt/testdata,
// made by OpenSSL) and the milter's S/MIME messages
// (milter/testdata/smime, made by its gen.sh).

func cmsTestKey(t testing.TB, name string) Key {
	t.Helper()
	dir := filepath.Join("..", "internal", "cmsdecrypt", "testdata")
	crt, err := os.ReadFile(filepath.Join(dir, name+".crt"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := cmsdecrypt.LoadPEM(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readSMIME(t testing.TB, dir, name string) []byte {
	t.Helper()
	var p string
	switch dir {
	case "cmsdecrypt":
		p = filepath.Join("..", "internal", "cmsdecrypt", "testdata", name)
	default:
		p = filepath.Join("..", "..", "milter", "testdata", "smime", name)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type walkedLeaf struct {
	Leaf
	content []byte
}

func walkKeys(t testing.TB, msg []byte, keys []Key) ([]walkedLeaf, error) {
	t.Helper()
	root, err := Parse(bytes.NewReader(msg), int64(len(msg)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out []walkedLeaf
	err = Walk(context.Background(), bytes.NewReader(msg), root, Limits{Keys: keys, TempDir: t.TempDir()}, func(l Leaf) error {
		b, err := io.ReadAll(l.Open())
		if err != nil {
			return err
		}
		if l.Inner && l.Entity != root {
			t.Errorf("leaf %s: Inner to %v, want the top-level pkcs7 entity", l.Name, l.Entity.MediaType)
		}
		out = append(out, walkedLeaf{l, b})
		return nil
	})
	return out, err
}

func describe(ls []walkedLeaf) string {
	var s []string
	for _, l := range ls {
		d := l.Role.String() + " " + l.Name
		if l.Decrypted {
			d += " decrypted"
		}
		if l.Detail != "" {
			d += " (" + l.Detail + ")"
		}
		s = append(s, d)
	}
	return strings.Join(s, "; ")
}

func TestWalkDecrypts(t *testing.T) {
	rsa, p256, other := cmsTestKey(t, "rsa"), cmsTestKey(t, "p256"), cmsTestKey(t, "other")
	docm := readFile(t, "invoice.docm")
	plain := "Sehr geehrte Damen und Herren,\r\nanbei der Antrag.\r\n"
	tests := []struct {
		dir, file string
		keys      []Key
		want      string
		content   string // of the last leaf, when set
	}{
		// cmsdecrypt's plaintext is a text/plain entity.
		{"cmsdecrypt", "rsa-default.smime", []Key{rsa}, "text part-1.1 decrypted", plain},
		{"cmsdecrypt", "rsa-gcm.smime", []Key{rsa}, "text part-1.1 decrypted", plain},
		{"cmsdecrypt", "rsa-stream.smime", []Key{rsa}, "text part-1.1 decrypted", plain},
		{"cmsdecrypt", "p256.smime", []Key{other, p256}, "text part-1.1 decrypted", plain},
		// Without keys, or without ours: encrypted as ever.
		{"cmsdecrypt", "rsa-default.smime", nil, "encrypted smime.p7m (smime-enveloped)", ""},
		{"cmsdecrypt", "p256.smime", []Key{rsa}, "encrypted smime.p7m (smime-enveloped)", ""},
		// The milter's messages: a text and an attachment.
		{"milter", "rsa-docm.eml", []Key{rsa}, "text part-1.1 decrypted; attachment Rechnung.docm decrypted", string(docm)},
		{"milter", "oaep-docm.eml", []Key{rsa}, "text part-1.1 decrypted; attachment Rechnung.docm decrypted", string(docm)},
		{"milter", "gcm-docm.eml", []Key{rsa}, "text part-1.1 decrypted; attachment Rechnung.docm decrypted", string(docm)},
		{"milter", "p256-docm.eml", []Key{rsa, p256}, "text part-1.1 decrypted; attachment Rechnung.docm decrypted", string(docm)},
		{"milter", "other-pdf.eml", []Key{rsa, p256}, "encrypted smime.p7m (smime-enveloped)", ""},
		{"milter", "corrupt-gcm-pdf.eml", []Key{rsa}, "unscannable smime.p7m (S/MIME decryption failed: decryption failed: GCM tag does not verify (wrong key or altered message))", ""},
		// Signed then encrypted; encrypted then signed; both (RFC 8551 3.7).
		{"milter", "signed-enc-docm.eml", []Key{rsa}, "text part-1.1.1 decrypted; attachment Rechnung.docm decrypted; signature smime.p7s decrypted (smime-signature)", ""},
		{"milter", "enc-signed-docm.eml", []Key{rsa}, "text part-1.1.1 decrypted; attachment Rechnung.docm decrypted", string(docm)},
		{"milter", "triple-docm.eml", []Key{rsa}, "text part-1.1.1.1 decrypted; attachment Rechnung.docm decrypted; signature smime.p7s decrypted (smime-signature)", ""},
		{"milter", "triple-docm.eml", nil, "encrypted smime.p7m (smime-enveloped)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+strings.Repeat("k", len(tc.keys)), func(t *testing.T) {
			ls, err := walkKeys(t, readSMIME(t, tc.dir, tc.file), tc.keys)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(ls); got != tc.want {
				t.Errorf("leaves\n got %s\nwant %s", got, tc.want)
			}
			if tc.content != "" && len(ls) > 0 && string(ls[len(ls)-1].content) != tc.content {
				t.Errorf("content of %s differs (%d bytes)", ls[len(ls)-1].Name, len(ls[len(ls)-1].content))
			}
		})
	}
}

// TestWalkDecryptFailures: whatever goes wrong is a finding, never a
// crash and never content. (A structure cut short is "malformed S/MIME
// content" before decryption is tried.)
func TestWalkDecryptFailures(t *testing.T) {
	rsa := cmsTestKey(t, "rsa")
	msg := func(der []byte) []byte {
		return []byte(crlf(hdr+"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n") + b64(der))
	}
	der := readSMIME(t, "cmsdecrypt", "rsa-aes256.der")
	for name, body := range map[string][]byte{
		"truncated":   readSMIME(t, "cmsdecrypt", "truncated.der"),
		"gcm flipped": readSMIME(t, "cmsdecrypt", "gcm-flipped.der"),
		"cut":         der[:len(der)-20],
		"no content":  der[:len(der)/2],
		"header only": der[:40],
	} {
		t.Run(name, func(t *testing.T) {
			ls, err := walkKeys(t, msg(body), []Key{rsa})
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) != 1 || ls[0].Role != RoleUnscannable || !strings.Contains(ls[0].Detail, "S/MIME") || ls[0].Decrypted {
				t.Errorf("leaves: %s", describe(ls))
			}
		})
	}
	// Every prefix of a message: no panic, never clean content.
	for n := 0; n < len(der); n += 37 {
		ls, err := walkKeys(t, msg(der[:n]), []Key{rsa})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.Decrypted {
				t.Fatalf("prefix %d: decrypted leaf %s", n, describe(ls))
			}
		}
	}
}
