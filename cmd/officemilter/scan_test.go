package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/mime"
)

var update = flag.Bool("update", false, "rewrite testdata/eml/expect.tsv from this run")

const (
	contribConfig = "../../contrib/officemilter.yml"
	emlDir        = "../../testdata/eml"
	expectFile    = "../../testdata/eml/expect.tsv"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// TestScanGolden replays testdata/eml through the shipped configuration
// (both rules of the mission) and compares every verdict with the golden
// file. go test ./cmd/officemilter -run TestScanGolden -update rewrites it.
func TestScanGolden(t *testing.T) {
	args := []string{"scan", "--config", contribConfig, "--progress=false", "--expect", expectFile, emlDir}
	if *update {
		args = append(args, "--update-expect")
	}
	code, out, errOut := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("scan exit %d\nstderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	ents, err := os.ReadDir(emlDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".eml") {
			n++
		}
	}
	if n < 40 {
		t.Errorf("testdata/eml has %d messages; the set should cover every rule with at least 40", n)
	}
	if got := strings.Count(out, "\n"); got < n {
		t.Errorf("%d output lines for %d messages", got, n)
	}
}

// TestScanExpectDiff: a changed verdict is exit 1 with a readable diff.
func TestScanExpectDiff(t *testing.T) {
	golden, err := os.ReadFile(expectFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The expect file's keys are relative to its directory: keep it beside
	// the messages by copying both.
	for _, name := range []string{"r1-03-doc-stripped.eml", "r2-02-docx-accepted.eml"} {
		b, err := os.ReadFile(filepath.Join(emlDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	for _, l := range strings.Split(string(golden), "\n") {
		if strings.HasPrefix(l, "r1-03-doc-stripped.eml\t") {
			lines = append(lines, "r1-03-doc-stripped.eml\taccept\t-")
		}
		if strings.HasPrefix(l, "r2-02-docx-accepted.eml\t") {
			lines = append(lines, l)
		}
	}
	exp := filepath.Join(dir, "expect.tsv")
	if err := os.WriteFile(exp, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "scan", "--config", contribConfig, "--progress=false", "--expect", exp, dir)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFindings, errOut)
	}
	for _, want := range []string{"r1-03-doc-stripped.eml:", "- accept\t-", "+ strip\tlegacy-office@Bericht.doc", "1 verdicts differ"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("diff lacks %q:\n%s", want, errOut)
		}
	}
}

// TestScanJSON checks the --json contract of ARCHITECTURE.md line by line.
func TestScanJSON(t *testing.T) {
	code, out, errOut := runCmd(t, "scan", "--config", contribConfig, "--json", "--progress=false",
		filepath.Join(emlDir, "r1-03-doc-stripped.eml"), filepath.Join(emlDir, "r2-06-docm-rejected.eml"), filepath.Join(emlDir, "r2-01-pdf-accepted.eml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", sc.Text(), err)
		}
		got = append(got, m)
	}
	if len(got) != 3 {
		t.Fatalf("%d JSON lines, want 3:\n%s", len(got), out)
	}
	if got[0]["action"] != "strip" || got[1]["action"] != "reject" || got[2]["action"] != "accept" {
		t.Errorf("actions %v %v %v", got[0]["action"], got[1]["action"], got[2]["action"])
	}
	if s, _ := got[0]["stripped"].([]any); len(s) != 1 || s[0] != "Bericht.doc" {
		t.Errorf("stripped = %v", got[0]["stripped"])
	}
	if r, _ := got[1]["reply"].(string); !strings.HasPrefix(r, "550 5.7.1 ") || !strings.Contains(r, "Rechnung.docm") {
		t.Errorf("reply = %q", r)
	}
	if rs, ok := got[2]["reasons"].([]any); !ok || len(rs) != 0 {
		t.Errorf("clean message: reasons = %#v, want []", got[2]["reasons"])
	}
	if !strings.Contains(errOut, "3 messages") {
		t.Errorf("summary not on stderr with --json: %q", errOut)
	}
}

// TestScanMboxStdinOut: an mbox on stdin is split; --out writes the
// delivered form, which parses without new defects.
func TestScanMboxStdinOut(t *testing.T) {
	var mbox bytes.Buffer
	for _, name := range []string{"r1-01-text-only.eml", "r1-03-doc-stripped.eml", "r2-06-docm-rejected.eml"} {
		b, err := os.ReadFile(filepath.Join(emlDir, name))
		if err != nil {
			t.Fatal(err)
		}
		mbox.WriteString("From erika@example.com Fri Nov 27 10:00:00 2026\n")
		mbox.Write(bytes.ReplaceAll(b, []byte("\nFrom "), []byte("\n>From ")))
		mbox.WriteString("\n")
	}
	f := filepath.Join(t.TempDir(), "in.mbox")
	if err := os.WriteFile(f, mbox.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	old := os.Stdin
	os.Stdin = in
	defer func() { os.Stdin = old }()
	outDir := t.TempDir()
	code, out, errOut := runCmd(t, "scan", "--config", contribConfig, "--progress=false", "--out", outDir, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"-#1: ACCEPT", "-#2: STRIP", "-#3: REJECT"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	ents, _ := os.ReadDir(outDir)
	if len(ents) != 2 { // the rejected one is not delivered
		t.Fatalf("%d files in --out, want 2", len(ents))
	}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(outDir, e.Name()))
		root, err := mime.Parse(bytes.NewReader(b), int64(len(b)), mime.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if d := allDefects(root); len(d) > 0 {
			t.Errorf("%s: defects %v", e.Name(), d)
		}
		if strings.Contains(string(b), "Content-Type: application/msword") {
			t.Errorf("%s still carries the .doc", e.Name())
		}
	}
}

func allDefects(e *mime.Entity) []string {
	d := append([]string(nil), e.Defects...)
	for _, c := range e.Children {
		d = append(d, allDefects(c)...)
	}
	if e.Message != nil {
		d = append(d, allDefects(e.Message)...)
	}
	return d
}

// TestScanBadInput: an unreadable path is reported and the run goes on.
func TestScanBadInput(t *testing.T) {
	code, out, _ := runCmd(t, "scan", "--progress=false", filepath.Join(t.TempDir(), "missing.eml"), filepath.Join(emlDir, "r1-01-text-only.eml"))
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(out, "missing.eml: ERROR") || !strings.Contains(out, "r1-01-text-only.eml: ACCEPT") {
		t.Errorf("output:\n%s", out)
	}
}

// TestScanMonitor: under a configuration in monitor mode scan accepts and
// says what would have happened, in JSON and in the human line.
func TestScanMonitor(t *testing.T) {
	orig, err := os.ReadFile(contribConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "monitor.yml")
	if err := os.WriteFile(cfg, append([]byte("mode: monitor\n"), orig...), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := filepath.Join(emlDir, "r1-03-doc-stripped.eml")
	code, out, errOut := runCmd(t, "scan", "--config", cfg, "--json", "--progress=false", msg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Action   string
		Stripped []string
		Monitor  struct {
			Action   string
			Stripped []string
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Action != "accept" || len(got.Stripped) != 0 || got.Monitor.Action != "strip" || strings.Join(got.Monitor.Stripped, ",") != "Bericht.doc" {
		t.Errorf("verdict %s", out)
	}
	if _, out, _ = runCmd(t, "scan", "--config", cfg, "--progress=false", msg); !strings.Contains(out, "ACCEPT [legacy-office] (monitor: would strip)") {
		t.Errorf("human line %q", out)
	}
}
