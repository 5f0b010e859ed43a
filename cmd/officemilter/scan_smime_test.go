package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const smimeDir = "../../milter/testdata/smime"

// smimeConfig is the shipped configuration with the test S/MIME keys of
// milter/testdata/smime, copied to a private directory with mode 0600 (git
// keeps no modes, and officemilter refuses a key others can read).
func smimeConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	base, err := os.ReadFile(contribConfig)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.Write(base)
	b.WriteString("\nsmime:\n  keys:\n")
	for _, name := range []string{"rsa", "p256"} {
		for _, ext := range []string{".crt", ".key"} {
			src, err := os.ReadFile(filepath.Join(smimeDir, name+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+ext), src, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&b, "    - cert: %q\n      key: %q\n", filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
	}
	cfg := filepath.Join(dir, "officemilter.yml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestScanSMIMEGolden replays the S/MIME messages of milter/testdata/smime
// through the shipped configuration with the site's keys, once for the
// strict mailbox and once for a recipient of rule 1, and compares every
// verdict with the golden files beside them. go test ./cmd/officemilter
// -run TestScanSMIMEGolden -update rewrites them.
func TestScanSMIMEGolden(t *testing.T) {
	cfg := smimeConfig(t)
	msgs, err := filepath.Glob(filepath.Join(smimeDir, "*.eml"))
	if err != nil || len(msgs) < 20 {
		t.Fatalf("%d messages in %s: %v", len(msgs), smimeDir, err)
	}
	for _, c := range []struct{ rcpt, expect string }{
		{"strict@example.org", "expect-strict.tsv"},
		{"anna.schmidt@example.net", "expect-rule1.tsv"},
	} {
		t.Run(c.expect, func(t *testing.T) {
			args := []string{"scan", "--config", cfg, "--rcpt", c.rcpt, "--progress=false", "--expect", filepath.Join(smimeDir, c.expect)}
			if *update {
				args = append(args, "--update-expect")
			}
			code, out, errOut := runCmd(t, append(args, msgs...)...)
			if code != 0 {
				t.Fatalf("scan exit %d\nstderr:\n%s\nstdout:\n%s", code, errOut, out)
			}
			if got := strings.Count(out, "\n"); got < len(msgs) {
				t.Errorf("%d output lines for %d messages", got, len(msgs))
			}
		})
	}
}
