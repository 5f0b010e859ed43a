package milter

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/milter/internal/postfixtest"
	"github.com/officemilter/officemilter/notify"
)

// testQuarantineRelease (a subtest of TestPostfixEndToEnd): a stripped
// message is released from the quarantine through Postfix's own sendmail
// command and delivered once, unchanged, the .doc intact; a release signed
// with another key is filtered like any other mail; notifications also go
// over SMTP when configured so.
func testQuarantineRelease(t *testing.T, e *e2e, next func(*testing.T, string) postfixtest.Delivery) {
	pf := e.pf
	msg := readEML(t, "r1-03-doc-stripped.eml")
	msg = bytes.Replace(msg, []byte("Subject: "), []byte("Subject: release test "), 1)
	if res := pf.Send("erika@example.com", []string{"anna@example.net"}, msg); res.Data.Code != 250 {
		t.Fatalf("DATA: %v", res.Data)
	}
	if d := next(t, "anna@example.net"); !bytes.Contains(d.Message, []byte("stripped; legacy-office; Bericht.doc")) {
		t.Fatalf("not stripped:\n%s", d.Message)
	}
	// The sender notification went through Postfix's sendmail command.
	found := false
	for i := 0; i < 5 && !found; i++ {
		n := next(t, "erika@example.com")
		found = n.From == "" && bytes.Contains(n.Message, []byte("Auto-Submitted: auto-generated")) && bytes.Contains(n.Message, []byte("Bericht.doc"))
	}
	if !found {
		t.Error("no sender notification through sendmail")
	}

	q, err := OpenQuarantine(e.qdir)
	if err != nil {
		t.Fatal(err)
	}
	all, err := q.List()
	if err != nil || len(all) == 0 {
		t.Fatalf("quarantine: %v %+v", err, all)
	}
	newest := all[len(all)-1]
	ent, err := q.Find(newest.Record.QueueID) // the queue ID alone is enough
	if err != nil || ent.ID != newest.ID || !fileContains(ent.Path, "Subject: release test ") {
		t.Fatalf("find by queue id %q: %v", newest.Record.QueueID, err)
	}
	if _, err := q.Find("NOSUCHID"); !errors.Is(err, ErrNotQuarantined) {
		t.Errorf("unknown id: %v", err)
	}

	t.Run("signed release is delivered once, unchanged", func(t *testing.T) {
		if err := q.Release(context.Background(), ent, e.releaseKey, pf.Sendmail(), nil); err != nil {
			t.Fatal(err)
		}
		d := next(t, "anna@example.net")
		if d.From != "erika@example.com" {
			t.Errorf("envelope sender %q", d.From)
		}
		if !bytes.Equal(body(d.Message), body(msg)) {
			t.Errorf("released body differs from the original")
		}
		s := string(d.Message)
		if !strings.Contains(s, "X-Officemilter: released; "+ent.ID) || strings.Contains(s, ReleaseHeader) {
			t.Errorf("headers of the released message:\n%s", s[:strings.Index(s, "\r\n\r\n")])
		}
		if !strings.Contains(s, `filename="Bericht.doc"`) {
			t.Error("the .doc is not in the released message")
		}
		// Exactly once: nothing more arrives for the recipient.
		time.Sleep(time.Second)
		for _, p := range pf.Deliveries() {
			if x := pf.Parse(p); len(x.Rcpts) == 1 && x.Rcpts[0] == "anna@example.net" &&
				bytes.Contains(x.Message, []byte("released; "+ent.ID)) && p != d.Path {
				t.Errorf("a second delivery: %s", p)
			}
		}
	})

	t.Run("release signed with another key is filtered", func(t *testing.T) {
		other := bytes.Repeat([]byte("x"), 32)
		if err := q.Release(context.Background(), ent, other, pf.Sendmail(), []string{"bob@example.net"}); err != nil {
			t.Fatal(err)
		}
		d := next(t, "bob@example.net")
		if !bytes.Contains(d.Message, []byte("stripped; legacy-office; Bericht.doc")) || bytes.Contains(d.Message, []byte(`filename="Bericht.doc"`)) {
			t.Errorf("forged release was not filtered:\n%s", d.Message)
		}
	})

	t.Run("notification over SMTP (notify.smtp)", func(t *testing.T) {
		m := &notify.Mailer{Addr: pf.SMTPAddr, From: "postmaster@example.org"}
		note := notify.Message(m.From, "carl@example.net", "smtp test", "über SMTP", time.Now())
		if err := m.Send(context.Background(), "carl@example.net", note); err != nil {
			t.Fatal(err)
		}
		if d := next(t, "carl@example.net"); d.From != "" || !bytes.Contains(d.Message, []byte("smtp test")) {
			t.Errorf("from %q\n%s", d.From, d.Message)
		}
	})
}

// fileContains says whether the file at path holds s (false when it cannot be read).
func fileContains(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, []byte(s))
}
