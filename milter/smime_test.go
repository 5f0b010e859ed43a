package milter

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	stdmime "mime"
	"mime/multipart"
	"mime/quotedprintable"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// The messages of testdata/smime are made by its gen.sh (README there).

const smimeDir = "testdata/smime"

func readSMIME(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(smimeDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// copySMIMEKey copies a test key pair to dir, the key with mode 0600 (git
// keeps no modes, and a key others can read is refused).
func copySMIMEKey(t testing.TB, dir, name string, mode os.FileMode) SMIMEKey {
	t.Helper()
	k := SMIMEKey{Cert: filepath.Join(dir, name+".crt"), Key: filepath.Join(dir, name+".key")}
	for src, dst := range map[string]string{name + ".crt": k.Cert, name + ".key": k.Key} {
		m := os.FileMode(0o644)
		if dst == k.Key {
			m = mode
		}
		if err := os.WriteFile(dst, readSMIME(t, src), m); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dst, m); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	return k
}

// withSMIMEKeys gives c the test RSA and P-256 keys, as the smime section
// of a configuration does.
func withSMIMEKeys(t testing.TB, c *Config) *Config {
	t.Helper()
	dir := t.TempDir()
	c.SMIME.Keys = []SMIMEKey{copySMIMEKey(t, dir, "rsa", 0o600), copySMIMEKey(t, dir, "p256", 0o600)}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func policyNamed(c *Config, name string) *Policy {
	for i := range c.Policies {
		if c.Policies[i].Name == name {
			return &c.Policies[i]
		}
	}
	return nil
}

func TestSMIMEFixturePE(t *testing.T) {
	if !bytes.Equal(readSMIME(t, "setup.exe"), inspecttest.PE()) {
		t.Error("testdata/smime/setup.exe is not inspecttest.PE(): run gen.sh after writing it anew")
	}
}

// TestSMIMEVerdicts: mail encrypted to the organisation's key is decrypted
// and its inner message judged like any other.
func TestSMIMEVerdicts(t *testing.T) {
	f := newTestFilter(withSMIMEKeys(t, contribConfig(t)))
	const strict, anna = "strict@example.org", "anna@example.net"
	for _, enc := range []string{"rsa", "oaep", "gcm", "p256"} {
		t.Run(enc, func(t *testing.T) {
			t.Run("clean pdf accepted unchanged", func(t *testing.T) {
				msg := readSMIME(t, enc+"-pdf.eml")
				res := check(t, f, strict, msg)
				if res.Action != Accept {
					t.Fatalf("action %s (reasons %+v)", res.Action, res.Reasons)
				}
				if len(res.Attachments) != 1 || res.Attachments[0].Name != "Antrag.pdf" || res.Attachments[0].Type != "pdf" || !res.Attachments[0].leaf.Decrypted {
					t.Errorf("attachments %+v", res.Attachments)
				}
				var out bytes.Buffer
				if err := res.WriteMessage(&out, ""); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(body(out.Bytes()), body(msg)) {
					t.Error("the accepted body changed")
				}
			})
			for file, name := range map[string]string{"docm": "Rechnung.docm", "exe": "setup.exe"} {
				t.Run(file+" rejected naming "+name, func(t *testing.T) {
					res := check(t, f, strict, readSMIME(t, enc+"-"+file+".eml"))
					if res.Action != Reject || !strings.HasPrefix(res.Reply.String(), "550 5.7.1 ") || !strings.Contains(res.Reply.String(), name+":") {
						t.Fatalf("action %s reply %q", res.Action, res.Reply.String())
					}
				})
			}
			t.Run("legacy doc: accepted by the strict mailbox, refused under rule 1", func(t *testing.T) {
				msg := readSMIME(t, enc+"-doc.eml")
				if res := check(t, f, strict, msg); res.Action != Accept {
					t.Errorf("strict: action %s reply %q", res.Action, res.Reply.String())
				}
				res := check(t, f, anna, msg)
				if res.Action != Reject || !strings.HasPrefix(res.Reply.String(), "550 5.7.1 ") || !strings.Contains(res.Reply.String(), "Bericht.doc:") ||
					!strings.Contains(res.Reply.String(), `"legacy-office"`) || res.rewrite != nil {
					t.Fatalf("rule 1: action %s reply %q", res.Action, res.Reply.String())
				}
			})
		})
	}
	t.Run("a key we do not have: encrypted, as without keys", func(t *testing.T) {
		res := check(t, f, strict, readSMIME(t, "other-pdf.eml"))
		if res.Action != Reject || len(res.Reasons) == 0 || res.Reasons[0].Kind != inspect.KindEncrypted || res.Reasons[0].Detail != "smime-enveloped" {
			t.Fatalf("action %s reasons %+v", res.Action, res.Reasons)
		}
		if res := check(t, f, anna, readSMIME(t, "other-pdf.eml")); res.Action != Accept {
			t.Errorf("rule 1: action %s", res.Action)
		}
	})
	t.Run("corrupted ciphertext: unscannable", func(t *testing.T) {
		res := check(t, f, strict, readSMIME(t, "corrupt-gcm-pdf.eml"))
		if res.Action != Reject || len(res.Reasons) == 0 || res.Reasons[0].Kind != inspect.KindUnscannable ||
			!strings.HasPrefix(res.Reasons[0].Detail, "S/MIME decryption failed: ") {
			t.Fatalf("action %s reasons %+v", res.Action, res.Reasons)
		}
		// Rule 1 removes what it cannot inspect (unscannable: strip).
		res = check(t, f, anna, readSMIME(t, "corrupt-gcm-pdf.eml"))
		if res.Action != Strip || strings.Join(res.Stripped, ",") != "smime.p7m" {
			t.Errorf("rule 1: action %s stripped %v", res.Action, res.Stripped)
		}
	})
	for _, file := range []string{"signed-enc-docm.eml", "enc-signed-docm.eml", "triple-docm.eml"} {
		t.Run("nested "+file, func(t *testing.T) {
			res := check(t, f, strict, readSMIME(t, file))
			if res.Action != Reject || !strings.Contains(res.Reply.String(), "Rechnung.docm:") || !strings.Contains(res.Reply.String(), "macros") {
				t.Fatalf("action %s reply %q", res.Action, res.Reply.String())
			}
		})
	}
	t.Run("a signed file carrying an encrypted file: decrypted and inspected", func(t *testing.T) {
		res := check(t, f, strict, readSMIME(t, "signed-enc-file-exe.eml"))
		if res.Action != Reject || !hasKind(res.Reasons, inspect.KindExecutable) {
			t.Fatalf("action %s reasons %+v", res.Action, res.Reasons)
		}
		// Without the key it stays encrypted.
		res = check(t, newTestFilter(contribConfig(t)), strict, readSMIME(t, "signed-enc-file-exe.eml"))
		if res.Action != Reject || !hasKind(res.Reasons, inspect.KindEncrypted) || hasKind(res.Reasons, inspect.KindExecutable) {
			t.Fatalf("without keys: action %s reasons %+v", res.Action, res.Reasons)
		}
	})
	t.Run("without keys: encrypted, as before", func(t *testing.T) {
		res := check(t, newTestFilter(contribConfig(t)), strict, readSMIME(t, "rsa-pdf.eml"))
		if res.Action != Reject || len(res.Reasons) == 0 || res.Reasons[0].Kind != inspect.KindEncrypted {
			t.Fatalf("action %s reasons %+v", res.Action, res.Reasons)
		}
	})
}

// TestSMIMEDecryptStrip: with encrypted_strip: decrypt, rule 1 delivers the
// decrypted message without the .doc and with the notice.
func TestSMIMEDecryptStrip(t *testing.T) {
	c := withSMIMEKeys(t, contribConfig(t))
	policyNamed(c, "legacy-office").EncryptedStrip = EncryptedDecrypt
	f := newTestFilter(c)
	doc, err := os.ReadFile("../testdata/files/letter.doc")
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"rsa", "oaep", "gcm", "p256"} {
		t.Run(enc, func(t *testing.T) {
			msg := readSMIME(t, enc+"-doc.eml")
			res := check(t, f, "anna@example.net", msg)
			if res.Action != Strip || strings.Join(res.Stripped, ",") != "Bericht.doc" {
				t.Fatalf("action %s stripped %v reasons %+v", res.Action, res.Stripped, res.Reasons)
			}
			var out bytes.Buffer
			if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
				t.Fatal(err)
			}
			parts := goParts(t, out.Bytes())
			var texts []string
			for _, p := range parts {
				switch {
				case p.ctype == "application/pkcs7-mime" || strings.Contains(p.name, "p7m"):
					t.Errorf("the encrypted body was kept: %s %s", p.ctype, p.name)
				case bytes.Equal(p.data, doc) || p.name == "Bericht.doc":
					t.Error("the .doc was delivered")
				case strings.HasPrefix(p.ctype, "text/"):
					texts = append(texts, string(p.data))
				default:
					t.Errorf("unexpected part %s %s", p.ctype, p.name)
				}
			}
			all := strings.Join(texts, "\n")
			if !strings.Contains(all, "anbei das Dokument.") || !strings.Contains(all, "Bericht.doc") ||
				!strings.Contains(all, "S/MIME-encrypted") || !strings.Contains(all, "S/MIME-verschlüsselt") || strings.Contains(all, "ambiguous") {
				t.Errorf("text or notice missing:\n%s", all)
			}
			if s := out.String(); !strings.Contains(s, "X-Officemilter: stripped; legacy-office; Bericht.doc") ||
				!strings.Contains(s, "From: erika@example.com") || !strings.Contains(s, "Subject: Antrag") {
				t.Errorf("header:\n%s", s[:min(len(s), 800)])
			}
		})
	}
	// The strict mailbox is not asked: a docm there is still refused.
	if res := check(t, f, "strict@example.org", readSMIME(t, "rsa-docm.eml")); res.Action != Reject {
		t.Errorf("strict docm: %s", res.Action)
	}
}

type goPart struct {
	ctype, name string
	data        []byte
}

// goParts reads a message's leaves with net/mail and mime/multipart (not
// the parser under test).
func goParts(t *testing.T, msg []byte) []goPart {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	var out []goPart
	var walk func(ct, cte, disp string, r io.Reader)
	walk = func(ct, cte, disp string, r io.Reader) {
		mt, params, err := stdmime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("Content-Type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p)
			}
		}
		switch strings.ToLower(cte) {
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, &noSpace{r: r})
		case "quoted-printable":
			r = quotedprintable.NewReader(r)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		name := params["name"]
		if _, dp, err := stdmime.ParseMediaType(disp); err == nil && dp["filename"] != "" {
			name = dp["filename"]
		}
		out = append(out, goPart{ctype: mt, name: name, data: data})
	}
	walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", m.Body)
	return out
}

// noSpace drops line breaks and blanks from base64 text.
type noSpace struct{ r io.Reader }

func (n *noSpace) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// TestSMIMEKeyFileMode: check-config (and serve) refuse a decryption key
// that others can read, naming the file and the fix.
func TestSMIMEKeyFileMode(t *testing.T) {
	dir := t.TempDir()
	k := copySMIMEKey(t, dir, "rsa", 0o644)
	yaml := "smime:\n  keys:\n    - cert: " + k.Cert + "\n      key: " + k.Key + "\npolicies:\n  - name: p\n    recipients: [\"*\"]\n"
	_, err := ParseConfig(strings.NewReader(yaml))
	if err == nil || !strings.Contains(err.Error(), k.Key) || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "smime.keys[0]") {
		t.Fatalf("error %v", err)
	}
	if err := os.Chmod(k.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.smimeKeys) != 1 || NewFilter(c, nil).mlim.Keys == nil {
		t.Errorf("keys not loaded: %d", len(c.smimeKeys))
	}
}
