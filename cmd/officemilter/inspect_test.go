package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// TestInspectBinaryMessage: a message with NUL and 8-bit bytes in its body,
// UTF-8 in its headers (RFC 6532) and a leading mbox "From " line is still
// a message to inspect, as it is to scan: its attachment is found.
func TestInspectBinaryMessage(t *testing.T) {
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 120)...)
	msg := "From sender@example.org Fri Nov 27 10:00:00 2026\r\n" +
		"From: J\xc3\xbcrgen <sender@example.org>\r\n" +
		"To: b@example.org\r\n" +
		"Subject: \xc3\x84nderung\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
		"Gr\xc3\xbc\xc3\x9fe\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" + strings.Repeat("\x00\x10\x11", 200) + "\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"setup.exe\"\r\nContent-Disposition: attachment; filename=\"setup.exe\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(exe) + "\r\n--b1--\r\n"
	path := filepath.Join(t.TempDir(), "binary.eml")
	if err := os.WriteFile(path, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "inspect", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got inspectOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if got.Type != inspect.TypeEML {
		t.Errorf("type %q, want eml; output %s", got.Type, out)
	}
	found := false
	for _, f := range got.Findings {
		found = found || (f.Kind == inspect.KindExecutable && strings.HasSuffix(f.Where, "setup.exe"))
	}
	if !found {
		t.Errorf("the attachment's executable finding is missing: %s", out)
	}
}
