package milter

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/milter/internal/mta"
	"github.com/officemilter/officemilter/milter/internal/postfixtest"
)

// TestMiltertest drives the daemon with Debian's miltertest (the MTA side
// of libmilter, scripted in Lua): strip, reject, tempfail and the 452
// split. The scripts are in testdata/miltertest.
func TestMiltertest(t *testing.T) {
	bin, err := exec.LookPath("miltertest")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("miltertest is missing under CI; make test installs it")
		}
		t.Skip("miltertest is not installed (apt-get install miltertest; make test does it)")
	}
	dir, err := filepath.Abs("testdata/miltertest")
	if err != nil {
		t.Fatal(err)
	}
	good, _, srv := startServer(t, contribConfig(t), ServerOptions{})
	srv.replaceChunk = 1 << 10 // miltertest's buffer for a replacement chunk
	broken := contribConfig(t)
	broken.Spool.Dir = filepath.Join(t.TempDir(), "missing")
	broken.Spool.Memory = 16
	bad, _, _ := startServer(t, broken, ServerOptions{})

	tests := []struct {
		script, addr, eml, rcpt, rcpt2 string
	}{
		{"strip.lua", good, "r1-03-doc-stripped.eml", "anna.schmidt@example.net", ""},
		{"reject.lua", good, "r2-06-docm-rejected.eml", "strict@example.org", ""},
		{"tempfail.lua", bad, "r1-01-text-only.eml", "anna.schmidt@example.net", ""},
		{"split.lua", good, "r1-03-doc-stripped.eml", "anna.schmidt@example.net", "strict@example.org"},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			msg := readEML(t, tc.eml)
			i := bytes.Index(msg, []byte("\r\n\r\n"))
			body := filepath.Join(t.TempDir(), "body")
			if err := os.WriteFile(body, msg[i+4:], 0o644); err != nil {
				t.Fatal(err)
			}
			port := tc.addr[strings.LastIndexByte(tc.addr, ':')+1:]
			args := []string{"-s", filepath.Join(dir, tc.script),
				"-D", "dir=" + dir,
				"-D", fmt.Sprintf("addr=inet:%s@127.0.0.1", port),
				"-D", "body=" + body,
				"-D", "ctype=" + mta.HeaderValue(msg, "Content-Type"),
				"-D", "subject=" + mta.HeaderValue(msg, "Subject"),
				"-D", "rcpt=" + tc.rcpt,
				"-D", "rcpt2=" + tc.rcpt2,
			}
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "PASS") {
				t.Fatalf("miltertest %s: %v\n%s", tc.script, err, out)
			}
		})
	}
	_ = postfixtest.FreePort
}
