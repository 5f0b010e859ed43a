package milter

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/milter/internal/postfixtest"
)

// TestSendmailEndToEnd: the shipped contrib/sendmail/officemilter.mc in a
// real Sendmail 8.17 on loopback (private configuration, smtp-sink as the
// next hop): a legacy .doc stripped with the notice, a docm refused with 550
// naming it, and 451 while the milter is down (F=T), with nothing delivered
// or queued.
func TestSendmailEndToEnd(t *testing.T) {
	postfixtest.RequireSendmail(t)
	mc, err := os.ReadFile("../contrib/sendmail/officemilter.mc")
	if err != nil {
		t.Fatal(err)
	}
	e := startE2EWith(t, func(port int) *postfixtest.Instance {
		return postfixtest.StartSendmail(t, postfixtest.SendmailOptions{MilterPort: port, MC: string(mc)})
	})
	sm := e.pf
	fail := func(t *testing.T, format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nsendmail transcript:\n%s\nlog:\n%s", append(args, sm.Transcript(), sm.Log())...)
	}

	t.Run("legacy .doc stripped, text and notice delivered", func(t *testing.T) {
		msg := readEML(t, "r1-06-doc-and-docx.eml")
		res := sm.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 250 {
			fail(t, "DATA: %v", res.Data)
		}
		// Interactive delivery: the sink has the message before the 250.
		ds := sm.WaitDeliveries(1, 10*time.Second)
		if len(ds) != 1 || len(ds[0].Rcpts) != 1 || ds[0].Rcpts[0] != "anna@example.net" {
			fail(t, "deliveries %+v", ds)
		}
		s := string(ds[0].Message)
		for _, want := range []string{"X-Officemilter: stripped; legacy-office; alt.doc", "Richtlinie", "Attachments were removed", "filename=\"neu.docx\""} {
			if !strings.Contains(s, want) {
				t.Errorf("delivered message lacks %q", want)
			}
		}
		if strings.Contains(s, "filename=\"alt.doc\"") {
			t.Error("the .doc was delivered")
		}
		// The snippet's confMILTER_MACROS_EOM gives the queue ID: the
		// quarantined original is named after it.
		qid := strings.Fields(res.Data.Msg)
		m, _ := filepath.Glob(filepath.Join(e.qdir, "*", "*.eml"))
		if len(m) != 1 || len(qid) < 2 || !strings.HasPrefix(filepath.Base(m[0]), qid[1]+"-") {
			t.Errorf("quarantine %v, reply %q: the original is not filed under Sendmail's queue ID", m, res.Data.Msg)
		}
	})

	t.Run("strict mailbox refuses a docm with 550 naming the file", func(t *testing.T) {
		before := len(sm.Deliveries())
		res := sm.Send("erika@example.com", []string{"strict@example.org"}, readEML(t, "r2-06-docm-rejected.eml"))
		if res.Data.Code != 550 || !strings.Contains(res.Data.Msg, "5.7.1") || !strings.Contains(res.Data.Msg, "Rechnung.docm") {
			fail(t, "DATA: %v", res.Data)
		}
		if n := len(sm.Deliveries()); n != before {
			t.Errorf("%d deliveries of a refused message", n-before)
		}
	})

	t.Run("milter down: 451 (F=T), nothing delivered or queued", func(t *testing.T) {
		port := e.ln.Addr().(*net.TCPAddr).Port
		e.stopMilter()
		before := len(sm.Deliveries())
		msg := readEML(t, "r1-03-doc-stripped.eml")
		res, err := postfixtest.SendSMTP(sm.SMTPAddr, "erika@example.com", []string{"anna@example.net"}, msg)
		if err != nil {
			t.Fatal(err)
		}
		code, text := res.Mail.Code, res.Mail.Msg
		if res.Mail.OK() {
			code, text = res.Data.Code, res.Data.Msg
		}
		if code != 451 || !strings.HasPrefix(text, "4.") {
			fail(t, "milter down: MAIL %v, DATA %v", res.Mail, res.Data)
		}
		if n := len(sm.Deliveries()); n != before {
			t.Errorf("%d deliveries while the milter was down", n-before)
		}
		if q := sm.QueueFiles(); len(q) != 0 {
			t.Errorf("queued while the milter was down: %v", q)
		}
		// Back up: the retry is filtered.
		e.startMilter(t, port)
		res = sm.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 250 {
			fail(t, "after restart: %v", res.Data)
		}
		ds := sm.WaitDeliveries(before+1, 10*time.Second)
		if !strings.Contains(string(ds[len(ds)-1].Message), "stripped; legacy-office; Bericht.doc") {
			t.Error("after restart the message was not filtered")
		}
	})
}
