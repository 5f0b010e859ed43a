package milter

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReleaseSignature(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	body := sha256.Sum256([]byte("the body\r\n"))
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	v := SignRelease(key, "4ABC12-0123456789abcdef", at, body)
	valid := 120 * time.Hour
	if id, err := VerifyRelease(key, " "+v, body, at.Add(time.Hour), valid); err != nil || id != "4ABC12-0123456789abcdef" {
		t.Fatalf("valid signature: %q %v", id, err)
	}
	other := sha256.Sum256([]byte("another body\r\n"))
	f := strings.Fields(v)
	for name, c := range map[string]struct {
		key   []byte
		value string
		body  [32]byte
		now   time.Time
		want  error
	}{
		"other body":      {key, v, other, at, ErrReleaseForged},
		"other key":       {bytes.Repeat([]byte{8}, 32), v, body, at, ErrReleaseForged},
		"other id":        {key, "X" + v, body, at, ErrReleaseForged},
		"later time":      {key, f[0] + " " + "1796119201" + " " + f[2], body, at, ErrReleaseForged},
		"expired":         {key, v, body, at.Add(valid + time.Second), ErrReleaseExpired},
		"from the future": {key, v, body, at.Add(-2 * time.Hour), ErrReleaseExpired},
		"two fields":      {key, f[0] + " " + f[2], body, at, ErrReleaseMalformed},
		"not hex":         {key, f[0] + " " + f[1] + " zz", body, at, ErrReleaseMalformed},
		"empty":           {key, "", body, at, ErrReleaseMalformed},
	} {
		if _, err := VerifyRelease(c.key, c.value, c.body, c.now, valid); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestBodyDigest(t *testing.T) {
	pad := strings.Repeat("X-Pad: y\r\n", 64<<10/10) // the header block ends across a 64 KiB read
	for _, c := range []struct{ msg, body string }{
		{"Subject: a\r\n\r\nbody\r\n", "body\r\n"},
		{"Subject: a\r\n\r\n\r\nbody\r\n", "\r\nbody\r\n"},
		{"Subject: a\r\n", ""},
		{"", ""},
		{pad + "\r\nthe body", "the body"},
		{pad[:len(pad)-1] + "\r\n\r\nthe body", "the body"},
	} {
		got, err := BodyDigest(strings.NewReader(c.msg), int64(len(c.msg)))
		if err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256([]byte(c.body)); got != want {
			t.Errorf("%q...: digest of the wrong bytes", c.msg[:min(len(c.msg), 30)])
		}
	}
}

func TestReadReleaseKey(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "release.key")
	if _, err := ReadReleaseKey(name); err == nil || !strings.Contains(err.Error(), "head -c 32 /dev/urandom") {
		t.Errorf("missing key: %v", err)
	}
	os.WriteFile(name, bytes.Repeat([]byte{1}, 32), 0o644)
	if _, err := ReadReleaseKey(name); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("key readable by others: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "short"), []byte("short"), 0o600)
	if _, err := ReadReleaseKey(filepath.Join(dir, "short")); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("short key: %v", err)
	}
	os.Chmod(name, 0o600)
	if k, err := ReadReleaseKey(name); err != nil || len(k) != 32 {
		t.Errorf("good key: %v", err)
	}
}

// TestQuarantineAdmin: what Store writes can be listed, found by id or by
// queue ID, deleted and purged by age.
func TestQuarantineAdmin(t *testing.T) {
	dir := t.TempDir()
	q, err := NewQuarantine(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	q.now = func() time.Time { return clock }
	store := func(queueID, from string, msg string) string {
		t.Helper()
		res := &Result{Verdict: Verdict{Action: Strip, Stripped: []string{"a.doc"}, Policy: "legacy-office"},
			Envelope: Envelope{QueueID: queueID, From: from, Rcpts: []string{"anna@example.net"}}}
		p, err := q.Store(res, strings.NewReader(msg), int64(len(msg)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	store("4QA1", "erika@example.com", "Subject: one\r\n\r\n1\r\n")
	clock = clock.Add(48 * time.Hour)
	store("4QB2", "", "Subject: two\r\n\r\n2\r\n")
	store("4QB3", "x@example.com", "Subject: three\r\n\r\n3\r\n")

	all, err := q.List()
	if err != nil || len(all) != 3 {
		t.Fatalf("list: %v %d", err, len(all))
	}
	if all[0].Record.QueueID != "4QA1" || !strings.HasPrefix(all[0].ID, "4QA1-") || all[0].Record.Verdict.Stripped[0] != "a.doc" {
		t.Errorf("first entry %+v", all[0])
	}
	if e, err := q.Find("4QB2"); err != nil || e.Record.From != "" || e.Record.QueueID != "4QB2" {
		t.Errorf("find by queue id: %+v %v", e, err)
	}
	if _, err := q.Find("4QB"); err == nil || !strings.Contains(err.Error(), "matches 2 messages") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	for _, id := range []string{"NOPE", "", "../" + all[0].ID, "."} {
		if _, err := q.Find(id); !errors.Is(err, ErrNotQuarantined) {
			t.Errorf("find %q: %v", id, err)
		}
	}
	if err := q.Delete(all[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimSuffix(all[2].Path, ".eml") + ".json"); !os.IsNotExist(err) {
		t.Errorf("sidecar left behind: %v", err)
	}
	// Purge what is older than a day: only the first message.
	done, err := q.Purge(clock.Add(-24 * time.Hour))
	if err != nil || len(done) != 1 || done[0].Record.QueueID != "4QA1" {
		t.Fatalf("purge: %v %+v", err, done)
	}
	if _, err := os.Stat(filepath.Dir(all[0].Path)); !os.IsNotExist(err) {
		t.Errorf("empty day directory kept: %v", err)
	}
	left, _ := q.List()
	if len(left) != 1 || left[0].Record.QueueID != "4QB2" {
		t.Errorf("left: %+v", left)
	}
	// A message without its sidecar is still listed.
	os.Remove(strings.TrimSuffix(left[0].Path, ".eml") + ".json")
	if left, _ := q.List(); len(left) != 1 || left[0].Record.Time.IsZero() {
		t.Errorf("orphan message: %+v", left)
	}
}
