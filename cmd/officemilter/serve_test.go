package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
)

// TestServeEmbeddedDefault starts `officemilter serve` without a config
// (rule 1: legacy Office stripped), sends a .doc through the milter
// protocol, and stops it with SIGTERM.
func TestServeEmbeddedDefault(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"serve", "--listen", "inet:" + addr}, &stdout, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	if !milterStrips(t, addr) {
		t.Errorf("embedded default did not strip the .doc")
	}

	syscall.Kill(os.Getpid(), syscall.SIGHUP) // no config file: logged, nothing changes
	time.Sleep(100 * time.Millisecond)
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	log := stderr.String()
	for _, want := range []string{`"officemilter started"`, `"config":"(embedded default)"`, `"action":"strip"`, `"stripped":["Bericht.doc"]`, "nothing to reload", `"stopped"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	code, out, errOut := runCmd(t, "check-config", contribConfig)
	if code != 0 || !strings.Contains(out, "strict-mailbox") || !strings.Contains(out, "legacy-office") {
		t.Errorf("check-config: %d %s %s", code, out, errOut)
	}
	bad := t.TempDir() + "/bad.yml"
	os.WriteFile(bad, []byte("policies:\n  - name: x\n    recipients: [\"*\"]\n    actoins: {}\n"), 0o644)
	code, _, errOut = runCmd(t, "check-config", bad)
	if code != exitUsage || !strings.Contains(errOut, "line 4") {
		t.Errorf("bad config: %d %s", code, errOut)
	}
	code, out, _ = runCmd(t, "check-config", "--print-default")
	if code != 0 || !strings.Contains(out, "legacy-office: strip") {
		t.Errorf("--print-default: %d %s", code, out)
	}
}

func TestInspectCLI(t *testing.T) {
	code, out, _ := runCmd(t, "inspect", "--json", "../../testdata/files/invoice.docm", "../../testdata/files/letter.pdf")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"findings":[]`) {
		t.Fatalf("inspect --json:\n%s", out)
	}
	var first struct {
		File, Type string
		Findings   []struct{ Kind, Detail, Where string }
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range first.Findings {
		found = found || (f.Kind == "macro" && f.Detail == "vbaProject.bin" && f.Where == "word/vbaProject.bin")
	}
	if first.Type != "docm" || !found {
		t.Errorf("inspect --json: %+v", first)
	}
	if code, _, _ := runCmd(t, "inspect", "/nonexistent"); code != exitUsage {
		t.Errorf("missing file: exit %d", code)
	}
	if code, _, _ := runCmd(t, "inspect"); code != exitUsage {
		t.Errorf("no args: exit %d", code)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// milterStrips sends a message with a .doc through the milter at addr and
// reports whether the milter accepted it with its body replaced (rule 1).
func milterStrips(t *testing.T, addr string) bool {
	t.Helper()
	msg, err := os.ReadFile("../../testdata/eml/r1-03-doc-stripped.eml")
	if err != nil {
		t.Fatal(err)
	}
	c := gomilter.NewClient("tcp", addr)
	s, err := c.Session(gomilter.NewMacroBag())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Conn("client.example", gomilter.FamilyInet, 4711, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Helo("client.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Mail("erika@example.com", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rcpt("anna@example.net", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DataStart(); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(msg, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(msg[:i]), "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		if _, err := s.HeaderField(name, value, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.HeaderEnd(); err != nil {
		t.Fatal(err)
	}
	mods, act, err := s.BodyReadFrom(bytes.NewReader(msg[i+4:]))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	replaced := false
	for _, m := range mods {
		if m.Type == gomilter.ActionReplaceBody {
			replaced = true
		}
	}
	if act.Type != gomilter.ActionAccept {
		t.Logf("milter answered %+v", act)
	}
	return act.Type == gomilter.ActionAccept && replaced

}
