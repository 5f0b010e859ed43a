package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostConfig writes a configuration whose spool and quarantine directories
// are given, with the rest from a minimal rule-1 policy.
func hostConfig(t *testing.T, extra string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "officemilter.yml")
	yml := "listen: inet:127.0.0.1:0\n" + extra + "policies:\n  - name: p\n    recipients: [\"*\"]\n    actions: {legacy-office: strip}\n"
	if err := os.WriteFile(name, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestServeRefusesBrokenHost: serve exits 2 before listening when a
// directory or key file it needs is missing, naming it and the fix;
// check-config reports the same as warnings (exit 0, or 1 with --strict).
func TestServeRefusesBrokenHost(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.Mkdir(good, 0o700)
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	missing := filepath.Join(dir, "missing")
	worldKey := filepath.Join(dir, "release.key")
	os.WriteFile(worldKey, []byte(strings.Repeat("k", 32)), 0o644)

	for _, c := range []struct {
		name, yml string
		want      []string
	}{
		{"spool dir missing", "spool:\n  dir: " + missing + "\n",
			[]string{"spool.dir " + missing + " does not exist", "install -d -o", "-m 0700 " + missing}},
		{"quarantine is a file", "spool:\n  dir: " + good + "\nquarantine:\n  dir: " + file + "\n",
			[]string{"quarantine.dir " + file + " is not a directory"}},
		{"smime key missing", "spool:\n  dir: " + good + "\nsmime:\n  keys:\n    - cert: " + missing + ".crt\n      key: " + missing + ".key\n",
			[]string{"smime.keys[0]", missing}},
		{"release key readable by others", "spool:\n  dir: " + good + "\nquarantine:\n  dir: " + good + "\n  release_key: " + worldKey + "\n",
			[]string{"quarantine.release_key " + worldKey + " is readable by others", "chmod 600 " + worldKey}},
		{"no sendmail command", "spool:\n  dir: " + good + "\nnotify:\n  from: postmaster@example.org\nsendmail: " + missing + " -C /etc/x\n",
			[]string{"sendmail command " + missing + " cannot be run", "notify.smtp"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := hostConfig(t, c.yml)
			code, out, errOut := runCmd(t, "serve", "--config", cfg)
			if code != exitUsage {
				t.Fatalf("serve: exit %d\n%s", code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("serve's message lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, "officemilter started") || out != "" {
				t.Errorf("serve started:\n%s", errOut)
			}
			code, out, errOut = runCmd(t, "check-config", cfg)
			if code != exitOK || !strings.Contains(out, "valid") || !strings.Contains(out, "warning: ") {
				t.Errorf("check-config: exit %d\n%s%s", code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("check-config's warning lacks %q:\n%s", w, out)
				}
			}
			if code, _, _ := runCmd(t, "check-config", "--strict", cfg); code != exitFindings {
				t.Errorf("check-config --strict: exit %d, want 1", code)
			}
		})
	}

	t.Run("a ready host has no warnings", func(t *testing.T) {
		cfg := hostConfig(t, "spool:\n  dir: "+good+"\nquarantine:\n  dir: "+good+"\n")
		code, out, errOut := runCmd(t, "check-config", "--strict", cfg)
		if code != exitOK || strings.Contains(out, "warning: ") {
			t.Errorf("check-config --strict: exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("malformed notify address is a configuration error", func(t *testing.T) {
		for _, from := range []string{"postmaster", "a@b@c", "<unterminated@example.org"} {
			cfg := hostConfig(t, "spool:\n  dir: "+good+"\nnotify:\n  from: \""+from+"\"\n")
			for _, cmd := range []string{"serve", "check-config"} {
				args := []string{cmd, cfg}
				if cmd == "serve" {
					args = []string{cmd, "--config", cfg}
				}
				code, _, errOut := runCmd(t, args...)
				if code != exitUsage || !strings.Contains(errOut, "notify.from") {
					t.Errorf("%s with notify.from %q: exit %d\n%s", cmd, from, code, errOut)
				}
			}
		}
	})
}
