package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/milter"
)

// TestQuarantineCLI drives `officemilter quarantine` on a quarantine that
// the milter's Store wrote. Release goes to a stand-in for the sendmail
// command that records what it was given; the real re-injection through
// Postfix is TestPostfixEndToEnd's.
func TestQuarantineCLI(t *testing.T) {
	dir := t.TempDir()
	qdir := filepath.Join(dir, "quarantine")
	q, err := milter.NewQuarantine(qdir)
	if err != nil {
		t.Fatal(err)
	}
	orig := "From: erika@example.com\r\nSubject: Bericht\r\n\r\nthe body with the .doc\r\n"
	for _, id := range []string{"4QA1", "4QB2"} {
		res := &milter.Result{Verdict: milter.Verdict{Action: milter.Strip, Stripped: []string{"Bericht.doc"}, Policy: "legacy-office"},
			Envelope: milter.Envelope{QueueID: id, From: "erika@example.com", Rcpts: []string{"anna@example.net"}}}
		if _, err := q.Store(res, strings.NewReader(orig), int64(len(orig))); err != nil {
			t.Fatal(err)
		}
	}
	key := filepath.Join(dir, "release.key")
	os.WriteFile(key, []byte("0123456789abcdef0123456789abcdef"), 0o600)
	rec := filepath.Join(dir, "sendmail")
	os.WriteFile(rec, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+rec+".args\ncat > "+rec+".in\n"), 0o755)
	cfg := hostConfig(t, "quarantine:\n  dir: "+qdir+"\n  release_key: "+key+"\nsendmail: "+rec+" -C /etc/postfix\n")
	noKey := hostConfig(t, "quarantine:\n  dir: "+qdir+"\n")
	qc := func(args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, append([]string{"quarantine", "--config", cfg}, args...)...)
	}

	code, out, errOut := qc("list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "4QA1-") || !strings.Contains(lines[0], "\tstrip\t<erika@example.com>\tanna@example.net\tBericht.doc") {
		t.Fatalf("list: %d\n%s%s", code, out, errOut)
	}
	id := strings.Fields(lines[0])[0]
	code, out, _ = qc("list", "--json", "--since", "1h")
	var ent struct {
		ID, QueueID, From, Action string
		Rcpts                     []string
		Stripped                  []string
	}
	if err := json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &ent); code != 0 || err != nil || ent.ID != id || ent.Action != "strip" || len(ent.Rcpts) != 1 || ent.Stripped[0] != "Bericht.doc" {
		t.Errorf("list --json: %d %v\n%s", code, err, out)
	}
	if code, out, _ = qc("list", "--since", "2999-01-01"); code != 0 || out != "" {
		t.Errorf("list --since the future: %d %q", code, out)
	}
	if code, _, errOut = qc("list", "--since", "yesterday"); code != exitUsage || !strings.Contains(errOut, "--since") {
		t.Errorf("bad --since: %d %s", code, errOut)
	}
	if code, out, _ = qc("show", id); code != 0 || !strings.Contains(out, `"queue_id": "4QA1"`) || !strings.Contains(out, `"id": "`+id+`"`) {
		t.Errorf("show: %d\n%s", code, out)
	}
	if code, out, _ = qc("show", "--eml", "4QA1"); code != 0 || out != orig {
		t.Errorf("show --eml: %d %q", code, out)
	}

	// Release of something that is not there: exit 1, a clear message.
	if code, _, errOut = qc("release", "NOSUCHID"); code != exitNotQuarantined || !strings.Contains(errOut, "NOSUCHID: not in the quarantine") {
		t.Errorf("release unknown: %d %s", code, errOut)
	}
	// Without a release key the milter would strip it again: refused.
	if code, _, errOut = runCmd(t, "quarantine", "--config", noKey, "release", id); code != exitUsage || !strings.Contains(errOut, "release_key") {
		t.Errorf("release without key: %d %s", code, errOut)
	}
	if code, out, errOut = qc("release", id); code != 0 || !strings.Contains(out, "released "+id+" to anna@example.net") {
		t.Fatalf("release: %d %s %s", code, out, errOut)
	}
	args, _ := os.ReadFile(rec + ".args")
	if got, want := string(args), "-C\n/etc/postfix\n-i\n-f\nerika@example.com\n--\nanna@example.net\n"; got != want {
		t.Errorf("sendmail arguments %q, want %q", got, want)
	}
	in, _ := os.ReadFile(rec + ".in")
	hdr, rest, _ := strings.Cut(string(in), "\n")
	if rest != strings.ReplaceAll(orig, "\r\n", "\n") || !strings.HasPrefix(hdr, milter.ReleaseHeader+": "+id+" ") {
		t.Fatalf("submitted message:\n%s", in)
	}
	k, _ := os.ReadFile(key)
	e, _ := q.Find(id)
	f, _ := os.Open(e.Path)
	defer f.Close()
	sum, _ := milter.BodyDigest(f, int64(len(orig)))
	if got, err := milter.VerifyRelease(k, strings.TrimPrefix(hdr, milter.ReleaseHeader+":"), sum, time.Now(), time.Hour); err != nil || got != id {
		t.Errorf("the release header does not verify: %v", err)
	}
	if code, out, _ = qc("release", "--to", "bob@example.org, carl@example.org", "4QB2"); code != 0 {
		t.Errorf("release --to: %d %s", code, out)
	}
	if args, _ := os.ReadFile(rec + ".args"); !strings.HasSuffix(string(args), "--\nbob@example.org\ncarl@example.org\n") {
		t.Errorf("release --to: arguments %q", args)
	}

	if code, out, _ = qc("delete", id); code != 0 || !strings.Contains(out, "deleted "+id) {
		t.Errorf("delete: %d %s", code, out)
	}
	if code, _, _ = qc("delete", id); code != exitNotQuarantined {
		t.Errorf("second delete: exit %d", code)
	}
	if code, out, _ = qc("purge", "--older-than", "1h"); code != 0 || !strings.Contains(out, "purged 0 ") {
		t.Errorf("purge 1h: %d %s", code, out)
	}
	if code, out, _ = qc("purge", "--older-than", "0s"); code != 0 || !strings.Contains(out, "purged 1 ") {
		t.Errorf("purge 0s: %d %s", code, out)
	}
	if code, _, _ = qc("purge"); code != exitUsage {
		t.Errorf("purge without --older-than: exit %d", code)
	}
	// Every action is on record next to the quarantine.
	log, err := os.ReadFile(filepath.Join(qdir, actionsLog))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"msg":"quarantine released","command":"quarantine release","id":"` + id, `"to":["bob@example.org","carl@example.org"]`,
		`"quarantine deleted"`, `"quarantine purged"`, `"id":"NOSUCHID"`} {
		if !strings.Contains(string(log), want) {
			t.Errorf("actions.log lacks %s:\n%s", want, log)
		}
	}
	if code, _, _ = qc("frobnicate"); code != exitUsage {
		t.Errorf("unknown action: exit %d", code)
	}
}
