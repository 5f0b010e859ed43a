package milter

import (
	"strings"
	"testing"

	gomilter "github.com/d--j/go-milter"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/milter/internal/mta"
)

const signedPDFNote = "Antrag.pdf: PAdES signature (ETSI.CAdES.detached) by Erika Mustermann"

// TestCheckSigned: a signed document is accepted where its type is (a
// signature is no finding), and the attachment says it is signed.
func TestCheckSigned(t *testing.T) {
	f := newTestFilter(contribConfig(t))
	msg := buildMessage("strict@example.org", map[string][]byte{"Antrag.pdf": inspecttest.SignedPDF("Erika Mustermann"), "Notiz.txt": []byte("Hallo\r\n")})
	res := check(t, f, "strict@example.org", msg)
	if res.Action != Accept {
		t.Fatalf("action %s, reasons %+v", res.Action, res.Reasons)
	}
	for _, a := range res.Attachments {
		want := ""
		if a.Name == "Antrag.pdf" {
			want = signedPDFNote
		}
		if got := strings.Join(a.Signed, "|"); got != want {
			t.Errorf("%s: signed %q, want %q", a.Name, got, want)
		}
	}
}

// TestNoticeSigned: the notice says of a removed file that it was signed.
func TestNoticeSigned(t *testing.T) {
	c := contribConfig(t)
	for i := range c.Policies {
		if p := &c.Policies[i]; p.Name == "legacy-office" {
			p.AllowTypes = []string{inspect.TypeTXT}
			p.Actions[inspect.KindDisallowedType] = Strip
		}
	}
	f := newTestFilter(c)
	msg := buildMessage("anna@example.net", map[string][]byte{"Antrag.pdf": inspecttest.SignedPDF("Erika Mustermann")})
	res := check(t, f, "anna@example.net", msg)
	if res.Action != Strip || res.rewrite == nil {
		t.Fatalf("action %s", res.Action)
	}
	for _, want := range []string{"Antrag.pdf (pdf) (signiert): ", "Antrag.pdf (pdf) (signed): "} {
		if !strings.Contains(res.rewrite.notice, want) {
			t.Errorf("notice lacks %q:\n%s", want, res.rewrite.notice)
		}
	}
}

// TestServerLogsSigned: the message log line lists the signatures.
func TestServerLogsSigned(t *testing.T) {
	addr, logs, _ := startServer(t, contribConfig(t), ServerOptions{})
	msg := buildMessage("strict@example.org", map[string][]byte{"Antrag.pdf": inspecttest.SignedPDF("Erika Mustermann")})
	res := mta.Send(t, addr, "erika@example.com", []string{"strict@example.org"}, msg)
	if res.End.Type != gomilter.ActionAccept {
		t.Fatalf("end action %+v", res.End)
	}
	line := logs.FilterMessage("message").All()
	if len(line) != 1 {
		t.Fatalf("log lines %+v", line)
	}
	got, _ := line[0].ContextMap()["signed"].([]any)
	if len(got) != 1 || got[0] != signedPDFNote {
		t.Errorf("signed %#v, want [%q]", line[0].ContextMap()["signed"], signedPDFNote)
	}
	// A message without signed documents has no signed field.
	logs.TakeAll()
	mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, readEML(t, "r1-02-docx-kept.eml"))
	if l := logs.FilterMessage("message").All(); len(l) != 1 || l[0].ContextMap()["signed"] != nil {
		t.Errorf("log line %+v", l)
	}
}
