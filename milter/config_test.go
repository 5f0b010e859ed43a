package milter

import (
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func TestShippedConfigs(t *testing.T) {
	def := DefaultConfig()
	if len(def.Policies) != 1 || def.Policies[0].ActionFor(inspect.KindLegacyOffice) != Strip || !def.Policies[0].MatchesEverything() {
		t.Errorf("embedded default is not rule 1: %+v", def.Policies)
	}
	if def.OnError != Tempfail {
		t.Errorf("default on_error %q", def.OnError)
	}
	c, err := LoadConfig("../contrib/officemilter.yml")
	if err != nil {
		t.Fatal(err)
	}
	strict := c.PolicyFor(Envelope{}, "Strict@Example.org")
	if strict == nil || strict.Name != "strict-mailbox" {
		t.Fatalf("strict mailbox not matched: %+v", strict)
	}
	for _, k := range []inspect.Kind{inspect.KindMacro, inspect.KindEncrypted, inspect.KindExecutable, inspect.KindActiveContent, inspect.KindUnscannable, inspect.KindTooLarge, inspect.KindDisallowedType} {
		if strict.ActionFor(k) != Reject {
			t.Errorf("strict: %s → %s, want reject", k, strict.ActionFor(k))
		}
	}
	if strict.ActionFor(inspect.KindLegacyOffice) != Accept || !strict.Allows("doc") || strict.Allows("docm") || strict.Allows("zip") {
		t.Errorf("strict mailbox must accept .doc and allow only pdf/doc/docx/odt/txt: %v", strict.AllowTypes)
	}
	if strict.MaxAttachments != 25*1000*1000 {
		t.Errorf("max_attachments_size %d", strict.MaxAttachments)
	}
	if p := c.PolicyFor(Envelope{}, "someone@example.com"); p == nil || p.Name != "legacy-office" {
		t.Errorf("everyone else: %+v", p)
	}
}

func TestConfigErrors(t *testing.T) {
	base := "policies:\n  - name: p\n    recipients: [\"*\"]\n"
	tests := []struct {
		yaml, want string
	}{
		{"listen: inet:127.0.0.1:1\nbogus: 1\n" + base, "line 2: field bogus not found"},
		{base + "    actions:\n      macro: delete\n", `line 5: action "delete"`},
		{base + "    actions:\n      macros: reject\n", `unknown finding kind "macros"`},
		{base + "    allow_types: [pdf, docz]\n", `unknown type "docz"`},
		{base + "    max_attachments_size: 25 parsecs\n", `size "25 parsecs"`},
		{"timeout: soon\n" + base, "duration \"soon\""},
		{"listen: unix:relative.sock\n" + base, "absolute path"},
		{"on_error: strip\n" + base, "on_error"},
		{"policies: []\n", "no policies"},
		{base + "  - name: p\n    recipients: [x@example.org]\n", "used twice"},
		{base + "    notify_sender: sometimes\n", "notify_sender"},
		{"notify:\n  smtp: 127.0.0.1:25\n" + base, "notify.from"},
		{"", "empty configuration"},
	}
	for _, tc := range tests {
		_, err := ParseConfig(strings.NewReader(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %q: error %v, want it to mention %q", tc.yaml, err, tc.want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"25MB": 25e6, "25 MiB": 25 << 20, "512KiB": 512 << 10, "1048576": 1 << 20, "1.5GB": 1.5e9, "4M": 4 << 20} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1", "1e30GB", "ten"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", bad)
		}
	}
}

func TestPolicyMatches(t *testing.T) {
	p := &Policy{Recipients: []string{"strict@example.org", "@lists.example.org", "*+legal@example.com"}}
	for rcpt, want := range map[string]bool{
		"strict@example.org": true, "<STRICT@example.org>": true, "other@example.org": false,
		"x@lists.example.org": true, "x@sub.lists.example.org": false, "anna+legal@example.com": true,
		"anna@example.com": false, "": false,
	} {
		if got := p.Matches(Envelope{}, rcpt); got != want {
			t.Errorf("Matches(%q) = %v, want %v", rcpt, got, want)
		}
	}
}

func TestParseListen(t *testing.T) {
	for in, want := range map[string]string{
		"inet:127.0.0.1:7357": "tcp 127.0.0.1:7357", "127.0.0.1:7357": "tcp 127.0.0.1:7357",
		"unix:/run/om.sock": "unix /run/om.sock", "local:/run/om.sock": "unix /run/om.sock", "inet6:[::1]:7357": "tcp6 [::1]:7357",
	} {
		n, a, err := ParseListen(in)
		if err != nil || n+" "+a != want {
			t.Errorf("ParseListen(%q) = %s %s %v, want %s", in, n, a, err, want)
		}
	}
	for _, bad := range []string{"inet:", "unix:rel", "nonsense"} {
		if _, _, err := ParseListen(bad); err == nil {
			t.Errorf("ParseListen(%q) accepted", bad)
		}
	}
}
