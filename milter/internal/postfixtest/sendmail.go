package postfixtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Sendmail runs Debian's Sendmail 8.17 (sendmail-bin and sendmail-cf, only
// unpacked, never installed beside Postfix) with a private configuration on
// loopback: the milter definition is contrib/sendmail/officemilter.mc with
// its port replaced, every other file lives in the instance directory, the
// next hop is smtp-sink. It runs in its own UTS and mount namespace with a
// dotted host name and a private /etc/hosts, so that it neither waits for
// a qualified host name nor asks DNS.
//
// SendmailRoot is where the packages were unpacked: the environment
// variable OFFICEMILTER_SENDMAIL_ROOT (make test sets it), else the
// repository's .cache/sendmail (make sendmail-deps).
type SendmailOptions struct {
	MilterPort int
	// MC is the officemilter .mc snippet (contrib/sendmail/officemilter.mc).
	MC string
}

const sendmailMC = `OSTYPE(` + "`linux'" + `)dnl
define(` + "`confDOMAIN_NAME', `mx.test.invalid'" + `)dnl
define(` + "`QUEUE_DIR', `@WORK@/queue'" + `)dnl
define(` + "`confPID_FILE', `@WORK@/sendmail.pid'" + `)dnl
define(` + "`STATUS_FILE', `@WORK@/sendmail.st'" + `)dnl
define(` + "`HELP_FILE', `@ROOT@/etc/mail/helpfile'" + `)dnl
define(` + "`confSERVICE_SWITCH_FILE', `@WORK@/service.switch'" + `)dnl
define(` + "`confHOSTS_FILE', `@WORK@/hosts'" + `)dnl
define(` + "`confCR_FILE', `-o @WORK@/relay-domains'" + `)dnl
define(` + "`confDEAD_LETTER_DROP', `@WORK@/dead.letter'" + `)dnl
undefine(` + "`ALIAS_FILE'" + `)dnl
define(` + "`confDEF_USER_ID', `1:1'" + `)dnl
define(` + "`confDONT_PROBE_INTERFACES', `True'" + `)dnl
define(` + "`confTO_IDENT', `0s'" + `)dnl
define(` + "`confBIND_OPTS', `-DNSRCH -DEFNAMES'" + `)dnl
define(` + "`confQUEUE_LA', `1000'" + `)dnl
define(` + "`confREFUSE_LA', `1000'" + `)dnl
define(` + "`confDELIVERY_MODE', `interactive'" + `)dnl
define(` + "`SMART_HOST', `relay:[127.0.0.1]'" + `)dnl
define(` + "`RELAY_MAILER_ARGS', `TCP $h @SINK_PORT@'" + `)dnl
FEATURE(` + "`no_default_msa'" + `)dnl
FEATURE(` + "`accept_unresolvable_domains'" + `)dnl
FEATURE(` + "`nocanonify'" + `)dnl
DAEMON_OPTIONS(` + "`Port=@SMTP_PORT@, Addr=127.0.0.1, Name=MTA, Family=inet'" + `)dnl
include(` + "`@WORK@/officemilter.m4'" + `)dnl
MAILER(` + "`smtp'" + `)dnl
`

// SendmailRoot returns the directory the Sendmail packages were unpacked
// into ("" when none is found).
func SendmailRoot() string {
	if r := os.Getenv("OFFICEMILTER_SENDMAIL_ROOT"); r != "" {
		return r
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "sendmail")
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// RequireSendmail fails (CI=true) or skips the test when Sendmail, m4,
// unshare, root or the postfix tools (smtp-sink) are missing, and returns
// the unpacked root.
func RequireSendmail(t testing.TB) string {
	t.Helper()
	Require(t, "m4", "unshare")
	root := SendmailRoot()
	bin := filepath.Join(root, "usr/libexec/sendmail/sendmail")
	for _, f := range []string{bin, filepath.Join(root, "usr/share/sendmail/cf/m4/cf.m4")} {
		if _, err := os.Stat(f); err != nil {
			Missing(t, fmt.Sprintf("sendmail (%s; 'make sendmail-deps' unpacks it)", f))
		}
	}
	out, _ := exec.Command("ldd", bin).Output()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "not found") {
			Missing(t, "a library sendmail needs: "+strings.TrimSpace(line))
		}
	}
	return root
}

// StartSendmail runs a private Sendmail whose milter is the one on
// o.MilterPort; stopped at the end of the test.
func StartSendmail(t testing.TB, o SendmailOptions) *Instance {
	t.Helper()
	root := RequireSendmail(t)
	in := newInstance(t, "sendmail")
	dir := in.Dir
	smtpPort, sinkPort := FreePort(t), FreePort(t)
	in.SMTPAddr = fmt.Sprintf("127.0.0.1:%d", smtpPort)
	in.MilterAddr = fmt.Sprintf("inet:%d@127.0.0.1", o.MilterPort)
	snippet := strings.Replace(o.MC, "inet:7357@", fmt.Sprintf("inet:%d@", o.MilterPort), 1)
	if snippet == o.MC {
		t.Fatalf("the .mc snippet has no inet:7357@ milter socket to point at the test's port:\n%s", o.MC)
	}
	mc := strings.NewReplacer("@WORK@", dir, "@ROOT@", root, "@SMTP_PORT@", fmt.Sprint(smtpPort), "@SINK_PORT@", fmt.Sprint(sinkPort)).Replace(sendmailMC)
	for name, content := range map[string]string{
		"service.switch":  "hosts files\naliases files\n",
		"hosts":           "127.0.0.1 mx.test.invalid localhost\n::1 mx.test.invalid localhost\n",
		"relay-domains":   "",
		"officemilter.m4": snippet,
		"test.mc":         mc,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "queue"), 0o700); err != nil {
		t.Fatal(err)
	}
	cf, err := exec.Command("m4", filepath.Join(root, "usr/share/sendmail/cf/m4/cf.m4"), filepath.Join(dir, "test.mc")).Output()
	if err != nil {
		t.Fatalf("m4: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sendmail.cf"), cf, 0o644); err != nil {
		t.Fatal(err)
	}

	in.startSink(sinkPort, true)
	// unshare and sh exec: the process started is sendmail itself.
	script := `hostname mx.test.invalid && mount -n --bind "$1/hosts" /etc/hosts && exec "$2" -C "$1/sendmail.cf" -bD -X "$1/transcript.log"`
	cmd := exec.Command("unshare", "--uts", "--mount", "sh", "-c", script, "sh", dir, filepath.Join(root, "usr/libexec/sendmail/sendmail"))
	cmd.Stdout, cmd.Stderr = &lockedWriter{in}, &lockedWriter{in}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	in.stopMTA = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	in.waitListening("sendmail")
	return in
}

// Transcript returns Sendmail's SMTP transcript (-X): there is no syslog
// to read its log from.
func (in *Instance) Transcript() string {
	b, _ := os.ReadFile(filepath.Join(in.Dir, "transcript.log"))
	return string(b)
}

// QueueFiles lists what Sendmail left in its queue (nothing: every message
// was relayed or refused).
func (in *Instance) QueueFiles() []string {
	m, _ := filepath.Glob(filepath.Join(in.Dir, "queue", "*"))
	return m
}
