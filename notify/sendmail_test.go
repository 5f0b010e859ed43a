package notify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// recorder writes a sendmail stand-in that records its arguments and its
// input, and exits with the given status: the contract with the MTA's
// command is the argument list and the input (the MTA itself is tested in
// the Postfix end-to-end test).
func recorder(t *testing.T, status int) (argv []string, argsFile, inFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile, inFile = filepath.Join(dir, "args"), filepath.Join(dir, "in")
	script := filepath.Join(dir, "sendmail")
	body := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argsFile + "\ncat > " + inFile + "\n"
	if status != 0 {
		body += "echo 'postdrop: warning: unable to look up public/pickup: No such file or directory' >&2\nexit " + strconv.Itoa(status) + "\n"
	}
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{script, "-C", "/etc/postfix-out"}, argsFile, inFile
}

func TestSendmailArguments(t *testing.T) {
	argv, argsFile, inFile := recorder(t, 0)
	msg := "Subject: x\r\n\r\nline 1\r\n.\r\nbare\rcr\r\n"
	if err := Sendmail(context.Background(), argv, "", []string{"anna@example.net", "bob@example.org"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(argsFile)
	if got, want := string(args), "-C\n/etc/postfix-out\n-i\n-f\n<>\n--\nanna@example.net\nbob@example.org\n"; got != want {
		t.Errorf("arguments:\n%q\nwant\n%q", got, want)
	}
	in, _ := os.ReadFile(inFile)
	if got, want := string(in), "Subject: x\n\nline 1\n.\nbare\rcr\n"; got != want {
		t.Errorf("input %q, want %q", got, want)
	}
	if err := Sendmail(context.Background(), argv, "erika@example.com", []string{"anna@example.net"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if args, _ := os.ReadFile(argsFile); !strings.Contains(string(args), "-f\nerika@example.com\n--\n") {
		t.Errorf("sender: %q", args)
	}
	for _, bad := range []string{"-oQ/tmp", "a@b\nRCPT TO:<x@y>", ""} {
		if err := Sendmail(context.Background(), argv, "", []string{bad}, strings.NewReader(msg)); err == nil {
			t.Errorf("recipient %q accepted", bad)
		}
	}
}

func TestSendmailFailure(t *testing.T) {
	argv, _, _ := recorder(t, 75)
	err := Sendmail(context.Background(), argv, "", []string{"anna@example.net"}, strings.NewReader("x\r\n"))
	if err == nil || !strings.Contains(err.Error(), "exit status 75") || !strings.Contains(err.Error(), "public/pickup") {
		t.Fatalf("error %v", err)
	}
	if err := Sendmail(context.Background(), []string{"/nonexistent/sendmail"}, "", []string{"a@b"}, strings.NewReader("x")); err == nil {
		t.Fatal("missing command: no error")
	}
	// SMTP is not tried when no server is configured: the command is used.
	m := &Mailer{Sendmail: argv, From: "postmaster@example.org"}
	if err := m.Send(context.Background(), "anna@example.net", []byte("x\r\n")); err == nil {
		t.Fatal("Mailer.Send hid the failure")
	}
}

// TestWriteLF: CRLF becomes LF also where a line is longer than the read
// buffer and a CRLF straddles two reads; a lone CR stays.
func TestWriteLF(t *testing.T) {
	long := strings.Repeat("a", 64<<10-1)
	for _, in := range []string{
		"", "a\r\nb\r\n", "no line end", "a\rb\n", "end in cr\r",
		long + "\r\nx\r\n", long + "\rx\r\n", long + "a\r\n", long + "\r",
	} {
		var out bytes.Buffer
		if err := writeLF(&out, iotest.OneByteReader(strings.NewReader(in))); err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(in, "\r\n", "\n")
		if out.String() != want {
			t.Errorf("%q...: got %d bytes, want %d", in[:min(len(in), 20)], out.Len(), len(want))
		}
	}
}
