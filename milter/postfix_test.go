package milter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/milter/internal/postfixtest"
	"github.com/officemilter/officemilter/notify"
)

// e2e is a running milter and a private Postfix that uses it.
type e2e struct {
	pf      *postfixtest.Instance
	srv     *Server
	ln      net.Listener
	cfg     *Config
	qdir    string
	stopped bool
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	postfixtest.Require(t)
	return startE2EWith(t, func(port int) *postfixtest.Instance {
		return postfixtest.Start(t, postfixtest.Options{MilterPort: port})
	})
}

// startE2EWith runs the milter on a free port and the MTA that startMTA
// starts in front of it.
func startE2EWith(t *testing.T, startMTA func(milterPort int) *postfixtest.Instance) *e2e {
	t.Helper()
	// The organisation's S/MIME keys (testdata/smime), as an smime section
	// would configure them.
	cfg := withSMIMEKeys(t, contribConfig(t))
	e := &e2e{cfg: cfg, qdir: filepath.Join(t.TempDir(), "quarantine")}
	cfg.Quarantine.Dir = e.qdir
	port := postfixtest.FreePort(t)
	e.startMilter(t, port)
	e.pf = startMTA(port)
	t.Cleanup(func() { e.stopMilter() })
	return e
}

func (e *e2e) startMilter(t *testing.T, port int) {
	t.Helper()
	q, err := NewQuarantine(e.qdir)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = NewServer(newTestFilter(e.cfg), ServerOptions{Quarantine: q})
	var ln net.Listener
	for i := 0; i < 50; i++ { // the port may linger for a moment after a stop
		if ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(port))); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.ln = ln
	e.stopped = false
	go e.srv.Serve(ln)
}

func (e *e2e) stopMilter() {
	if e.stopped {
		return
	}
	e.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.srv.Shutdown(ctx)
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

func body(msg []byte) []byte {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[i+4:]
	}
	return msg
}

// TestPostfixEndToEnd: the mission's rules through a real Postfix 3.x with
// smtp-sink as next hop.
func TestPostfixEndToEnd(t *testing.T) {
	e := startE2E(t)
	pf := e.pf
	seen := map[string]bool{}
	// expectDelivery waits for a new message at the sink for rcpt
	// (deliveries and notifications arrive in any order).
	expectDelivery := func(t *testing.T, rcpt string) postfixtest.Delivery {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			for _, path := range pf.Deliveries() {
				if seen[path] {
					continue
				}
				d := pf.Parse(path)
				if len(d.Rcpts) == 1 && d.Rcpts[0] == rcpt {
					seen[path] = true
					return d
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("no delivery to %s within 60s\npostfix log:\n%s", rcpt, pf.Log())
		return postfixtest.Delivery{}
	}
	// Sender notifications go through the same Postfix.
	e.srv.mailer = &notify.Mailer{Addr: pf.SMTPAddr, From: "postmaster@example.org"}

	// withPolicies runs the rest of a subtest under a reloaded
	// configuration changed by change.
	withPolicies := func(t *testing.T, change func(*Config)) {
		cfg := *e.cfg
		cfg.Policies = append([]Policy(nil), e.cfg.Policies...)
		change(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		e.srv.SetFilter(newTestFilter(&cfg))
		t.Cleanup(func() { e.srv.SetFilter(newTestFilter(e.cfg)) })
	}

	// deliveredUnchanged sends msg and expects it at the sink with its body
	// unchanged and the status header saying status.
	deliveredUnchanged := func(t *testing.T, from, rcpt string, msg []byte, status string) {
		t.Helper()
		res := pf.Send(from, []string{rcpt}, msg)
		if res.Data.Code != 250 {
			t.Fatalf("DATA: %v", res.Data)
		}
		d := expectDelivery(t, rcpt)
		if !bytes.Equal(body(d.Message), body(msg)) {
			t.Errorf("body changed on its way")
		}
		if !bytes.Contains(d.Message, []byte("X-Officemilter: "+status+"\r\n")) {
			t.Errorf("no status header %q:\n%s", status, d.Message[:min(len(d.Message), 1500)])
		}
	}

	t.Run("clean mail delivered unchanged", func(t *testing.T) {
		deliveredUnchanged(t, "erika@example.com", "anna@example.net", readEML(t, "r1-02-docx-kept.eml"), "clean")
	})

	t.Run("legacy .doc stripped, text and notice delivered", func(t *testing.T) {
		msg := readEML(t, "r1-06-doc-and-docx.eml")
		res := pf.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 250 {
			t.Fatalf("DATA: %v", res.Data)
		}
		d := expectDelivery(t, "anna@example.net")
		s := string(d.Message)
		for _, want := range []string{"X-Officemilter: stripped; legacy-office; alt.doc", "boundary=\"=_officemilter_test\"", "Richtlinie", "filename=\"neu.docx\""} {
			if !strings.Contains(s, want) {
				t.Errorf("delivered message lacks %q", want)
			}
		}
		if strings.Contains(s, "filename=\"alt.doc\"") {
			t.Error("the .doc was delivered")
		}
		// The text part arrives byte for byte.
		text := "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHallo,\r\n\r\nanbei die Unterlagen."
		if !strings.Contains(s, text) {
			t.Error("text part changed")
		}
		if m, _ := filepath.Glob(filepath.Join(e.qdir, "*", "*.eml")); len(m) == 0 {
			t.Error("original not quarantined")
		}
		// The sender is told too (policy notify_sender: always), with the
		// null sender so that the notice can never bounce.
		n := expectDelivery(t, "erika@example.com")
		ns := string(n.Message)
		if n.From != "" || !strings.Contains(ns, "Auto-Submitted: auto-generated") || !strings.Contains(ns, "alt.doc") {
			t.Errorf("sender notification: from %q\n%s", n.From, ns)
		}
	})

	t.Run("strict mailbox refuses a docm with 550 naming the file", func(t *testing.T) {
		res := pf.Send("erika@example.com", []string{"strict@example.org"}, readEML(t, "r2-06-docm-rejected.eml"))
		if res.Data.Code != 550 || !strings.Contains(res.Data.Msg, "5.7.1") || !strings.Contains(res.Data.Msg, "Rechnung.docm") {
			t.Fatalf("DATA: %v", res.Data)
		}
	})

	t.Run("strict mailbox refuses 26 MB of attachments with 552", func(t *testing.T) {
		pdf, err := os.ReadFile("../testdata/files/letter.pdf")
		if err != nil {
			t.Fatal(err)
		}
		big := append(append([]byte{}, pdf...), bytes.Repeat([]byte("% padding\n"), 1300000)...)
		msg := buildMessage("strict@example.org", map[string][]byte{"teil1.pdf": big, "teil2.pdf": big})
		res := pf.Send("erika@example.com", []string{"strict@example.org"}, msg)
		if res.Data.Code != 552 || !strings.Contains(res.Data.Msg, "5.3.4") {
			t.Fatalf("DATA: %v", res.Data)
		}
	})

	t.Run("two recipients of different policies: 452, each delivered per its own policy", func(t *testing.T) {
		msg := readEML(t, "r1-03-doc-stripped.eml")
		res := pf.Send("erika@example.com", []string{"anna@example.net", "strict@example.org"}, msg)
		if r := res.Rcpts["anna@example.net"]; r.Code != 250 {
			t.Fatalf("first rcpt: %v", r)
		}
		if r := res.Rcpts["strict@example.org"]; r.Code != 452 || !strings.Contains(r.Msg, "4.5.3") {
			t.Fatalf("second rcpt: %v", r)
		}
		if res.Data.Code != 250 {
			t.Fatalf("DATA: %v", res.Data)
		}
		d := expectDelivery(t, "anna@example.net")
		if !bytes.Contains(d.Message, []byte("stripped; legacy-office; Bericht.doc")) {
			t.Errorf("rule 1 delivery: rcpts %v", d.Rcpts)
		}
		// The sending MTA retries the deferred recipient on its own: the
		// strict mailbox accepts a plain .doc unchanged.
		res = pf.Send("erika@example.com", []string{"strict@example.org"}, msg)
		if res.Data.Code != 250 {
			t.Fatalf("retry DATA: %v", res.Data)
		}
		d = expectDelivery(t, "strict@example.org")
		if !bytes.Equal(body(d.Message), body(msg)) {
			t.Errorf("strict delivery: rcpts %v, body unchanged %v", d.Rcpts, bytes.Equal(body(d.Message), body(msg)))
		}
	})

	t.Run("ambiguous message: rule 1 delivers it rebuilt without the hidden .doc", func(t *testing.T) {
		doc, err := os.ReadFile("../testdata/files/letter.doc")
		if err != nil {
			t.Fatal(err)
		}
		msg := twoBoundaries("anna@example.net", "versteckt.doc", doc)
		res := pf.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 250 {
			t.Fatalf("DATA: %v", res.Data)
		}
		d := expectDelivery(t, "anna@example.net")
		s := string(d.Message)
		if !strings.Contains(s, "X-Officemilter: stripped; ambiguous,legacy-office; versteckt.doc") &&
			!strings.Contains(s, "X-Officemilter: stripped; legacy-office,ambiguous; versteckt.doc") {
			t.Errorf("status header:\n%s", s[:min(len(s), 1500)])
		}
		if strings.Contains(s, "--AAA") || strings.Contains(s, "--BBB") || strings.Contains(s, "versteckt.doc\"") {
			t.Error("the original structure or the .doc was delivered")
		}
		leaves, err := goLeaves(t, d.Message)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := leaves[sha256.Sum256(doc)]; ok {
			t.Error("the delivered message carries the .doc")
		}
		if !strings.Contains(s, base64.StdEncoding.EncodeToString([]byte("Hallo, anbei die Unterlagen.\r\n"))) {
			t.Error("the mail text was not delivered")
		}
		// notify_sender: always. Earlier subtests' notifications to the
		// same sender may arrive first.
		found := false
		for i := 0; i < 3 && !found; i++ {
			n := expectDelivery(t, "erika@example.com")
			found = strings.Contains(string(n.Message), "versteckt.doc")
		}
		if !found {
			t.Errorf("no sender notification names the file")
		}
	})

	t.Run("ambiguous message: the strict mailbox refuses it with 550", func(t *testing.T) {
		res := pf.Send("erika@example.com", []string{"strict@example.org"}, twoBoundaries("strict@example.org", "clam.exe", minimalPE()))
		if res.Data.Code != 550 || !strings.Contains(res.Data.Msg, "ambiguous") {
			t.Fatalf("DATA: %v", res.Data)
		}
	})

	t.Run("S/MIME: an encrypted clean pdf reaches the strict mailbox unchanged", func(t *testing.T) {
		deliveredUnchanged(t, "erika@example.com", "strict@example.org", readSMIME(t, "rsa-pdf.eml"), "clean")
	})

	t.Run("S/MIME: an encrypted docm is refused with 550 naming it", func(t *testing.T) {
		res := pf.Send("erika@example.com", []string{"strict@example.org"}, readSMIME(t, "gcm-docm.eml"))
		if res.Data.Code != 550 || !strings.Contains(res.Data.Msg, "5.7.1") || !strings.Contains(res.Data.Msg, "Rechnung.docm") {
			t.Fatalf("DATA: %v", res.Data)
		}
	})

	t.Run("S/MIME: an encrypted legacy .doc under rule 1 follows encrypted_strip", func(t *testing.T) {
		msg := readSMIME(t, "p256-doc.eml")
		res := pf.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 550 || !strings.Contains(res.Data.Msg, "5.7.1") || !strings.Contains(res.Data.Msg, "Bericht.doc") {
			t.Fatalf("default (reject): DATA: %v", res.Data)
		}
		// encrypted_strip: decrypt (a reloaded configuration).
		withPolicies(t, func(c *Config) { policyNamed(c, "legacy-office").EncryptedStrip = EncryptedDecrypt })
		res = pf.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 250 {
			t.Fatalf("decrypt: DATA: %v", res.Data)
		}
		d := expectDelivery(t, "anna@example.net")
		s := string(d.Message)
		if !strings.Contains(s, "X-Officemilter: stripped; legacy-office; Bericht.doc") || strings.Contains(s, "pkcs7") ||
			strings.Contains(s, "Bericht.doc\"") {
			t.Errorf("delivered:\n%s", s[:min(len(s), 1500)])
		}
		if !strings.Contains(s, base64.StdEncoding.EncodeToString([]byte("Sehr geehrte Damen und Herren,\r\nanbei das Dokument."))) {
			t.Error("the decrypted text was not delivered")
		}
	})

	t.Run("monitor mode: a .doc is delivered unchanged, the header says what would have happened", func(t *testing.T) {
		withPolicies(t, func(c *Config) { policyNamed(c, "legacy-office").Mode = Monitor })
		quarantined, _ := filepath.Glob(filepath.Join(e.qdir, "*", "*.eml"))
		deliveredUnchanged(t, "erika@example.com", "anna@example.net", readEML(t, "r1-03-doc-stripped.eml"), "monitor: would strip; legacy-office; Bericht.doc")
		if now, _ := filepath.Glob(filepath.Join(e.qdir, "*", "*.eml")); len(now) != len(quarantined) {
			t.Errorf("monitor mode quarantined the message")
		}
	})

	t.Run("sender selector: a partner's mail is exempt, everybody else's is stripped", func(t *testing.T) {
		withPolicies(t, func(c *Config) {
			c.Policies = append([]Policy{{Name: "partner", Senders: []string{"@partner.example"}}}, c.Policies...)
			c.fillDefaults()
		})
		msg := readEML(t, "r1-03-doc-stripped.eml")
		deliveredUnchanged(t, "kim@partner.example", "anna@example.net", msg, "accepted; legacy-office; Bericht.doc")
		if res := pf.Send("kim@example.com", []string{"anna@example.net"}, msg); res.Data.Code != 250 {
			t.Fatalf("DATA: %v", res.Data)
		}
		if d := expectDelivery(t, "anna@example.net"); !bytes.Contains(d.Message, []byte("X-Officemilter: stripped; legacy-office; Bericht.doc")) {
			t.Errorf("other sender's mail not stripped:\n%s", d.Message[:min(len(d.Message), 1500)])
		}
	})

	t.Run("milter stopped: 451, nothing lost", func(t *testing.T) {
		port := e.ln.Addr().(*net.TCPAddr).Port
		e.stopMilter()
		msg := readEML(t, "r1-03-doc-stripped.eml")
		res, err := postfixtest.SendSMTP(pf.SMTPAddr, "erika@example.com", []string{"anna@example.net"}, msg)
		if err != nil {
			t.Fatal(err)
		}
		code := res.Mail.Code
		if res.Mail.OK() {
			code = res.Data.Code
			for _, r := range res.Rcpts {
				if !r.OK() {
					code = r.Code
				}
			}
		}
		if code != 451 {
			t.Fatalf("milter down: got %d (MAIL %v, DATA %v)", code, res.Mail, res.Data)
		}
		before := len(pf.Deliveries())
		time.Sleep(500 * time.Millisecond)
		if n := len(pf.Deliveries()); n != before {
			t.Fatalf("%d deliveries while the milter was down", n-before)
		}
		// The sender retries once the milter is back.
		e.startMilter(t, port)
		res = pf.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 250 {
			t.Fatalf("after restart: %v", res.Data)
		}
		d := expectDelivery(t, "anna@example.net")
		if !bytes.Contains(d.Message, []byte("stripped; legacy-office; Bericht.doc")) {
			t.Error("after restart the message was not filtered")
		}
	})
}
