package milter

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	stdmime "mime"
	"mime/multipart"
	"net/mail"
	"os"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
)

// twoBoundaries is the shape of ClamAV's regression sample for the
// multiple-boundary bypass (amavisd-new CVE-2024-28054): a reader that takes
// the first boundary parameter sees only the text; one that takes the last
// (Perl MIME-tools, behind MIMEDefang and amavisd-new) sees the file.
func twoBoundaries(rcpt, name string, file []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: erika@example.com\r\nTo: %s\r\nSubject: Unterlagen\r\nMIME-Version: 1.0\r\n", rcpt)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"AAA\"; boundary=\"BBB\"\r\n\r\n")
	b.WriteString("--AAA\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo, anbei die Unterlagen.\r\n")
	b.WriteString("--BBB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo, anbei die Unterlagen.\r\n")
	fmt.Fprintf(&b, "--BBB\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", name)
	writeBase64(&b, file)
	b.WriteString("--BBB--\r\n--AAA--\r\n")
	return b.Bytes()
}

// goLeaves returns the SHA-256 of every leaf Go's net/mail and
// mime/multipart expose in msg (decoded), and the file names they carry.
func goLeaves(t *testing.T, msg []byte) (map[[32]byte]string, error) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	out := map[[32]byte]string{}
	var walk func(h map[string][]string, body io.Reader, depth int) error
	walk = func(h map[string][]string, body io.Reader, depth int) error {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		mt, params, err := stdmime.ParseMediaType(get("Content-Type"))
		if err != nil {
			mt = "text/plain"
		}
		if strings.HasPrefix(mt, "multipart/") && depth < 20 {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return nil
				}
				if err := walk(p.Header, p, depth+1); err != nil {
					return err
				}
			}
		}
		var r io.Reader = body
		if strings.EqualFold(strings.TrimSpace(get("Content-Transfer-Encoding")), "base64") {
			raw, _ := io.ReadAll(body)
			clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(raw))
			dec, err := base64.StdEncoding.DecodeString(clean)
			if err != nil {
				return nil
			}
			r = bytes.NewReader(dec)
		}
		data, _ := io.ReadAll(r)
		_, dp, _ := stdmime.ParseMediaType(get("Content-Disposition"))
		out[sha256.Sum256(data)] = dp["filename"]
		return nil
	}
	return out, walk(m.Header, m.Body, 0)
}

func TestAmbiguousMessage(t *testing.T) {
	doc, err := os.ReadFile("../testdata/files/letter.doc")
	if err != nil {
		t.Fatal(err)
	}
	docSum := sha256.Sum256(doc)

	t.Run("rule 1 rebuilds: the hidden .doc is gone under every reading", func(t *testing.T) {
		f := newTestFilter(contribConfig(t))
		msg := twoBoundaries("anna@example.net", "alt.doc", doc)
		res := check(t, f, "anna@example.net", msg)
		if res.Action != Strip || res.rewrite == nil || res.rewrite.rebuild == nil {
			t.Fatalf("action %s, reasons %v: want a rebuilt strip", res.Action, res.Reasons)
		}
		if !hasKind(res.Findings, inspect.KindAmbiguous) || !hasKind(res.Reasons, inspect.KindLegacyOffice) {
			t.Fatalf("findings %v, reasons %v", res.Findings, res.Reasons)
		}
		var out bytes.Buffer
		if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out.Bytes(), []byte("AAA")) || bytes.Contains(out.Bytes(), []byte("BBB")) {
			t.Errorf("an old boundary survived:\n%s", out.Bytes())
		}
		leaves, err := goLeaves(t, out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := leaves[docSum]; ok {
			t.Error("Go's reader still finds the .doc")
		}
		if len(leaves) < 2 {
			t.Errorf("want the notice and the text, Go sees %d leaves", len(leaves))
		}
		// officemilter reads the rebuilt message in one way only, and finds
		// the text in it.
		root, err := mime.Parse(bytes.NewReader(out.Bytes()), int64(out.Len()), mime.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		text := false
		err = mime.Walk(t.Context(), bytes.NewReader(out.Bytes()), root, mime.Limits{}, func(l mime.Leaf) error {
			data, _ := io.ReadAll(l.Open())
			switch {
			case l.Role == mime.RoleAmbiguous:
				t.Errorf("the rebuilt message is ambiguous: %s", l.Detail)
			case sha256.Sum256(data) == docSum:
				t.Error("the rebuilt message still carries the .doc")
			case l.Role == mime.RoleText && bytes.Contains(data, []byte("anbei die Unterlagen")):
				text = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !text {
			t.Errorf("the mail text was not delivered:\n%s", out.Bytes())
		}
		if !strings.Contains(out.String(), "mehrdeutig") {
			t.Error("the notice does not say why the message was rebuilt")
		}
	})

	t.Run("strict mailbox rejects the ambiguity and names it", func(t *testing.T) {
		f := newTestFilter(contribConfig(t))
		res := check(t, f, "strict@example.org", twoBoundaries("strict@example.org", "clam.exe", minimalPE()))
		if res.Action != Reject || !strings.HasPrefix(res.Reply.String(), "550 5.7.1") || !strings.Contains(res.Reply.String(), "ambiguous") {
			t.Fatalf("action %s reply %q", res.Action, res.Reply.String())
		}
		if !hasKind(res.Findings, inspect.KindExecutable) {
			t.Errorf("the exe under the second reading was not inspected: %v", res.Findings)
		}
	})

	t.Run("ambiguous_strip: reject refuses instead of rebuilding", func(t *testing.T) {
		cfg := contribConfig(t)
		for i := range cfg.Policies {
			cfg.Policies[i].AmbiguousStrip = AmbiguousReject
		}
		res := check(t, newTestFilter(cfg), "anna@example.net", twoBoundaries("anna@example.net", "alt.doc", doc))
		if res.Action != Reject || !hasKind(res.Reasons, inspect.KindAmbiguous) {
			t.Fatalf("action %s reasons %v", res.Action, res.Reasons)
		}
	})

	t.Run("ambiguous without anything to remove is delivered unchanged", func(t *testing.T) {
		f := newTestFilter(contribConfig(t))
		msg := twoBoundaries("anna@example.net", "brief.txt", []byte("nur Text\r\n"))
		res := check(t, f, "anna@example.net", msg)
		if res.Action != Accept || res.rewrite != nil {
			t.Fatalf("action %s", res.Action)
		}
		if !hasKind(res.Findings, inspect.KindAmbiguous) {
			t.Errorf("the ambiguity was not recorded: %v", res.Findings)
		}
	})
}

// minimalPE is the smallest file every sniffer takes for a PE: an MZ header
// whose e_lfanew points at "PE\0\0" and a COFF header.
func minimalPE() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	b[0x3c] = 0x80
	copy(b[0x80:], "PE\x00\x00")
	b[0x84], b[0x85] = 0x4c, 0x01 // i386
	b[0x86] = 1                   // one section
	b[0x94] = 0xe0                // SizeOfOptionalHeader
	b[0x96], b[0x97] = 0x02, 0x01 // executable, 32-bit
	return b
}
