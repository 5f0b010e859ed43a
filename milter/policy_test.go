package milter

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// TestPolicySelectors: a policy applies when every condition it gives
// holds; the first such policy wins.
func TestPolicySelectors(t *testing.T) {
	c, err := ParseConfig(strings.NewReader(`
policies:
  - name: partner-relay
    clients: [198.51.100.0/24, "2001:db8:1::7"]
  - name: own-users
    authenticated: true
  - name: from-lists
    senders: ["*@lists.example.org", "<>"]
  - name: strict-inbound
    recipients: [strict@example.org]
    senders: ["@example.com"]
    authenticated: false
  - name: rest
    recipients: ["*"]
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  Envelope
		rcpt string
		want string
	}{
		{Envelope{From: "erika@example.com", Client: "198.51.100.25"}, "anna@example.net", "partner-relay"},
		{Envelope{From: "erika@example.com", Client: "::ffff:198.51.100.25"}, "anna@example.net", "partner-relay"},
		{Envelope{From: "erika@example.com", Client: "2001:db8:1::7"}, "anna@example.net", "partner-relay"},
		{Envelope{From: "erika@example.com", Client: "2001:db8:1::8"}, "anna@example.net", "rest"},
		{Envelope{From: "erika@example.com", Client: "198.51.101.1"}, "strict@example.org", "strict-inbound"},
		{Envelope{From: "erika@example.com", Client: "localhost"}, "anna@example.net", "rest"},
		{Envelope{From: "erika@example.com", Client: "192.0.2.1", AuthUser: "erika"}, "strict@example.org", "own-users"},
		{Envelope{From: "<news@lists.example.org>", Client: "192.0.2.1"}, "strict@example.org", "from-lists"},
		{Envelope{From: "", Client: "192.0.2.1"}, "anna@example.net", "from-lists"},
		{Envelope{From: "<>", Client: "192.0.2.1"}, "anna@example.net", "from-lists"},
		{Envelope{From: "Erika@Example.COM", Client: "192.0.2.1"}, "Strict@example.org", "strict-inbound"},
		{Envelope{From: "erika@example.net", Client: "192.0.2.1"}, "strict@example.org", "rest"},
	}
	for _, tc := range tests {
		p := c.PolicyFor(tc.env, tc.rcpt)
		if got := policyName(p); got != tc.want {
			t.Errorf("%+v to %s: policy %s, want %s", tc.env, tc.rcpt, got, tc.want)
		}
	}
	for _, p := range c.Policies[:4] {
		if p.MatchesEverything() {
			t.Errorf("%s matches everything", p.Name)
		}
	}
	if !c.Policies[4].MatchesEverything() {
		t.Error("rest does not match everything")
	}
}

// TestSelectorErrors: check-config names the bad selector.
func TestSelectorErrors(t *testing.T) {
	for yaml, want := range map[string]string{
		"policies:\n  - name: p\n    clients: [10.0.0.0/33]\n":                     `clients: "10.0.0.0/33" is not an IP address or a network`,
		"policies:\n  - name: p\n    clients: [intranet]\n":                        `clients: "intranet"`,
		"policies:\n  - name: p\n    senders: [\"[x\"]\n":                          `sender pattern "[x" is not valid`,
		"policies:\n  - name: p\n    recipients: [\"\"]\n":                         `recipient pattern "" is not valid`,
		"policies:\n  - name: p\n    actions:\n      macro: reject\n":              `policy "p" matches no recipients`,
		"policies:\n  - name: p\n    authenticated: maybe\n":                       "line 3: cannot unmarshal",
		"policies:\n  - name: p\n    recipients: [\"*\"]\n    mode: dry-run\n":     `mode "dry-run": want enforce or monitor`,
		"mode: dry-run\npolicies:\n  - name: p\n    recipients: [\"*\"]\n":         `mode "dry-run": want enforce or monitor`,
		"policies:\n  - name: p\n    recipients: [\"*\"]\n    notify_sender: no\n": `notify_sender "no"`,
	} {
		_, err := ParseConfig(strings.NewReader(yaml))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: error %v, want it to mention %q", yaml, err, want)
		}
	}
	c, err := ParseConfig(strings.NewReader("policies:\n  - name: p\n    authenticated: false\n    clients: [\"2001:db8::/32\", 192.0.2.7]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Policies[0]; p.Mode != Enforce || p.NotifySender != NotifyNever || p.Authenticated == nil || *p.Authenticated {
		t.Errorf("policy %+v", p)
	}
}

// TestMonitorMode: a policy in monitor mode decides as usual but the
// message goes through unchanged; the status header says what would have
// happened.
func TestMonitorMode(t *testing.T) {
	for _, global := range []bool{false, true} {
		c := contribConfig(t)
		if global {
			c.Mode = Monitor
		} else {
			policyNamed(c, "legacy-office").Mode = Monitor
			policyNamed(c, "strict-mailbox").Mode = Monitor
		}
		f := newTestFilter(c)

		msg := readEML(t, "r1-03-doc-stripped.eml")
		res := check(t, f, "anna@example.net", msg)
		if res.Action != Accept || res.Monitor == nil || res.Monitor.Action != Strip || strings.Join(res.Monitor.Stripped, ",") != "Bericht.doc" {
			t.Fatalf("global %v: action %s monitor %+v", global, res.Action, res.Monitor)
		}
		if len(res.Stripped) > 0 || res.rewrite != nil || !res.Reply.IsZero() {
			t.Errorf("monitor mode changes the message: stripped %v reply %q", res.Stripped, res.Reply)
		}
		if got := res.Status(); got != "monitor: would strip; legacy-office; Bericht.doc" {
			t.Errorf("status %q", got)
		}
		var out bytes.Buffer
		if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body(out.Bytes()), body(msg)) {
			t.Error("body changed under monitor mode")
		}

		res = check(t, f, "strict@example.org", readEML(t, "r2-06-docm-rejected.eml"))
		if res.Action != Accept || res.Monitor == nil || res.Monitor.Action != Reject ||
			!strings.HasPrefix(res.Monitor.Reply.String(), "550 5.7.1 ") || !strings.Contains(res.Monitor.Reply.Text, "Rechnung.docm") {
			t.Fatalf("strict: action %s monitor %+v", res.Action, res.Monitor)
		}
		if got := res.Status(); !strings.HasPrefix(got, "monitor: would reject; macro") || !strings.Contains(got, "Rechnung.docm") {
			t.Errorf("status %q", got)
		}
		js, _ := json.Marshal(res.Verdict)
		if !bytes.Contains(js, []byte(`"action":"accept"`)) || !bytes.Contains(js, []byte(`"monitor":{"action":"reject","reply":"550 5.7.1 `)) {
			t.Errorf("verdict JSON %s", js)
		}

		// Nothing found: clean, as without monitor mode.
		if res := check(t, f, "anna@example.net", readEML(t, "r1-01-text-only.eml")); res.Status() != "clean" || res.Monitor == nil || res.Monitor.Action != Accept {
			t.Errorf("clean message: %q %+v", res.Status(), res.Monitor)
		}
	}
	// Without monitor mode nothing records one.
	if res := check(t, newTestFilter(contribConfig(t)), "anna@example.net", readEML(t, "r1-03-doc-stripped.eml")); res.Monitor != nil || res.Action != Strip {
		t.Errorf("enforce: %s %+v", res.Action, res.Monitor)
	}
}

// TestSignedRefusal: on_signed: reject refuses a strip that would break a
// signature, as a decision of its own with a reply that says so.
func TestSignedRefusal(t *testing.T) {
	c := contribConfig(t)
	policyNamed(c, "legacy-office").OnSigned = Reject
	f := newTestFilter(c)
	for _, tc := range []struct{ file, sig string }{
		{"r1-13-smime-signed-doc.eml", "S/MIME"},
		{"r1-14-dkim-signed-xls.eml", "DKIM"},
	} {
		res := check(t, f, "anna@example.net", readEML(t, tc.file))
		reply := res.Reply.String()
		if res.Action != Reject || res.outcome != refusedSigned || !strings.HasPrefix(reply, "550 5.7.1 ") {
			t.Fatalf("%s: action %s outcome %d reply %q", tc.file, res.Action, res.outcome, reply)
		}
		if !strings.Contains(reply, "message: removing attachments would break its signature ("+tc.sig) ||
			strings.Contains(reply, "file type is not accepted") || strings.Contains(reply, "Only the file types") {
			t.Errorf("%s: reply %q", tc.file, reply)
		}
		if last := res.Reasons[len(res.Reasons)-1]; last != signatureFinding {
			t.Errorf("%s: last reason %+v", tc.file, last)
		}
		if res.rewrite != nil || len(res.Stripped) > 0 {
			t.Errorf("%s: still stripped", tc.file)
		}
	}
}

// TestDecidingFinding: the notice names the finding that decided, also for
// attachments removed by a message-wide finding.
func TestDecidingFinding(t *testing.T) {
	c := contribConfig(t)
	p := policyNamed(c, "legacy-office")
	p.MaxAttachments = 10
	p.Actions = map[inspect.Kind]Action{inspect.KindTooLarge: Strip, inspect.KindLegacyOffice: Strip}
	res := check(t, newTestFilter(c), "anna@example.net", readEML(t, "r1-06-doc-and-docx.eml"))
	if res.Action != Strip || len(res.Stripped) != 2 {
		t.Fatalf("action %s stripped %v", res.Action, res.Stripped)
	}
	for _, at := range res.Attachments {
		want := inspect.KindTooLarge
		if at.Type == "doc" {
			want = inspect.KindLegacyOffice
		}
		if at.deciding.Kind != want {
			t.Errorf("%s: deciding %+v, want %s", at.Name, at.deciding, want)
		}
	}
	if !strings.Contains(res.rewrite.notice, "neu.docx (docx): attachments are too large in total\n") {
		t.Errorf("notice:\n%s", res.rewrite.notice)
	}
}

func TestReplyJSON(t *testing.T) {
	r := Reply{Code: 550, Enhanced: "5.7.1", Text: "Rejected by attachment policy \"p\": a.docm: contains macros."}
	js, err := json.Marshal(r)
	if err != nil || string(js) != `"550 5.7.1 Rejected by attachment policy \"p\": a.docm: contains macros."` {
		t.Fatalf("%s %v", js, err)
	}
	var back Reply
	if err := json.Unmarshal(js, &back); err != nil || back != r {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"bogus reply"`), &back); err == nil {
		t.Error("a reply without a code was read")
	}
	js, _ = json.Marshal(Verdict{Action: Accept})
	if bytes.Contains(js, []byte("reply")) || bytes.Contains(js, []byte("monitor")) {
		t.Errorf("accept verdict %s", js)
	}
}
