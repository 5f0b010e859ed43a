// Package postfixtest runs a private Postfix instance on loopback for
// end-to-end tests: smtpd with a milter, and smtp-sink as the next hop that
// writes every delivered message to a file. Nothing of the system's Postfix
// configuration is touched.
//
// It needs root (Postfix's master drops privileges itself) and the Debian
// packages postfix (postfix, postconf, smtp-sink). Without them a test is
// skipped, except under CI=true, where it fails: CI installs them.
package postfixtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Instance is a running private Postfix.
type Instance struct {
	Dir        string // everything lives below it
	SMTPAddr   string // where to send mail
	MilterAddr string // what smtpd_milters points to (inet:127.0.0.1:PORT)
	SinkDir    string // one file per delivered message

	t        testing.TB
	stopMTA  func() // nil: Postfix
	master   *exec.Cmd
	sink     *exec.Cmd
	logMu    sync.Mutex
	log      bytes.Buffer
	stopOnce sync.Once
}

// Require fails (CI=true) or skips the test when the real components are
// missing.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	miss := func(what string) { t.Helper(); Missing(t, what) }
	if os.Geteuid() != 0 {
		miss("root (a private Postfix instance needs it)")
	}
	for _, tool := range append([]string{"postfix", "postconf", "smtp-sink"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err2 := os.Stat(filepath.Join("/usr/sbin", tool)); err2 != nil {
				miss(tool)
			}
		}
	}
	if _, err := user.Lookup("postfix"); err != nil {
		miss("the postfix user")
	}
}

// Missing fails the test under CI=true and skips it otherwise.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing under CI; .ci/run installs it (make test)", what)
	}
	t.Skipf("%s is missing; run 'make test' as root to install and run everything", what)
}

func tool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return filepath.Join("/usr/sbin", name)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Options tune the instance.
type Options struct {
	// MilterPort is the port smtpd_milters points to; 0: no milter (the
	// baseline of load runs).
	MilterPort int
	// MessageSizeLimit is Postfix's message_size_limit (default 60 MB).
	MessageSizeLimit int64
	// RelayDomains are the recipient domains relayed to the sink
	// (default example.net, example.org, example.com).
	RelayDomains []string
	// NoDump runs smtp-sink without writing messages (load tests).
	NoDump bool
}

// Start runs Postfix and smtp-sink; t.Cleanup stops them.
func Start(t testing.TB, o Options) *Instance {
	t.Helper()
	Require(t)
	in := newInstance(t, "postfix")
	dir := in.Dir
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "conf")
	for _, d := range []string{conf, filepath.Join(dir, "queue"), filepath.Join(dir, "data")} {
		must(os.MkdirAll(d, 0o755))
	}
	must(chownPostfix(filepath.Join(dir, "data")))

	smtpPort, sinkPort := FreePort(t), FreePort(t)
	in.SMTPAddr = fmt.Sprintf("127.0.0.1:%d", smtpPort)
	if o.MilterPort != 0 {
		in.MilterAddr = fmt.Sprintf("inet:127.0.0.1:%d", o.MilterPort)
	}
	if o.MessageSizeLimit == 0 {
		o.MessageSizeLimit = 60 << 20
	}
	if len(o.RelayDomains) == 0 {
		o.RelayDomains = []string{"example.net", "example.org", "example.com"}
	}
	master, err := os.ReadFile("/etc/postfix/master.cf")
	must(err)
	must(os.WriteFile(filepath.Join(conf, "master.cf"), master, 0o644))
	mainCf := strings.Join([]string{
		"compatibility_level = 3.6",
		"queue_directory = " + filepath.Join(dir, "queue"),
		"data_directory = " + filepath.Join(dir, "data"),
		"maillog_file = /dev/stdout",
		"myhostname = mx.test.invalid",
		"inet_interfaces = loopback-only",
		"inet_protocols = ipv4",
		"mynetworks = 127.0.0.0/8",
		"mydestination =",
		"local_recipient_maps =",
		"alias_maps =",
		"alias_database =",
		"relay_domains = " + strings.Join(o.RelayDomains, ", "),
		fmt.Sprintf("relayhost = [127.0.0.1]:%d", sinkPort),
		"smtp_host_lookup = native",
		"smtpd_relay_restrictions = permit_mynetworks, reject",
		"smtputf8_enable = no",
		"smtpd_milters = " + in.MilterAddr,
		"non_smtpd_milters = $smtpd_milters",
		"milter_protocol = 6",
		"milter_default_action = tempfail",
		fmt.Sprintf("message_size_limit = %d", o.MessageSizeLimit),
		"smtp_destination_concurrency_limit = 4",
		"queue_run_delay = 1s",
		"minimal_backoff_time = 1s",
		"maximal_backoff_time = 2s",
		"",
	}, "\n")
	must(os.WriteFile(filepath.Join(conf, "main.cf"), []byte(mainCf), 0o644))
	for _, args := range [][]string{
		{"-c", conf, "-F", "*/*/chroot = n"},
		{"-c", conf, "-M#", "smtp/inet"},
		{"-c", conf, "-Me", fmt.Sprintf("127.0.0.1:%d/inet = 127.0.0.1:%d inet n - n - - smtpd", smtpPort, smtpPort)},
	} {
		if out, err := exec.Command(tool("postconf"), args...).CombinedOutput(); err != nil {
			t.Fatalf("postconf %v: %v\n%s", args, err, out)
		}
	}

	in.startSink(sinkPort, !o.NoDump)

	in.master = exec.Command(tool("postfix"), "-c", conf, "start-fg")
	in.master.Stdout, in.master.Stderr = &lockedWriter{in}, &lockedWriter{in}
	must(in.master.Start())
	go in.master.Wait() //nolint:errcheck // reaped; Stop waits for the pid file to go

	in.waitListening("postfix")
	return in
}

// newInstance makes the instance's directory (0755: smtp-sink runs as
// postfix and writes below it) with a sink directory the postfix user owns,
// removed at the end of a passing test.
func newInstance(t testing.TB, mta string) *Instance {
	t.Helper()
	dir, err := os.MkdirTemp("", "officemilter-"+mta+"-")
	if err != nil {
		t.Fatal(err)
	}
	in := &Instance{t: t, Dir: dir, SinkDir: filepath.Join(dir, "sink")}
	t.Cleanup(func() {
		in.Stop()
		if !t.Failed() {
			os.RemoveAll(dir)
		} else {
			t.Logf("%s instance kept in %s", mta, dir)
		}
	})
	for _, err := range []error{os.Chmod(dir, 0o755), os.Mkdir(in.SinkDir, 0o755), chownPostfix(in.SinkDir)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func chownPostfix(path string) error {
	pf, err := user.Lookup("postfix")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	return os.Chown(path, uid, gid)
}

// startSink runs smtp-sink on port as the next hop, writing every message
// to SinkDir when dump is set.
func (in *Instance) startSink(port int, dump bool) {
	in.t.Helper()
	args := []string{"-u", "postfix", fmt.Sprintf("127.0.0.1:%d", port), "256"}
	if dump {
		args = append([]string{"-d", filepath.Join(in.SinkDir, "%H%M%S.")}, args...)
	}
	in.sink = exec.Command(tool("smtp-sink"), args...)
	in.sink.Stdout, in.sink.Stderr = &lockedWriter{in}, &lockedWriter{in}
	if err := in.sink.Start(); err != nil {
		in.t.Fatal(err)
	}
}

// waitListening waits until SMTPAddr takes connections.
func (in *Instance) waitListening(mta string) {
	in.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", in.SMTPAddr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("%s did not start listening on %s:\n%s", mta, in.SMTPAddr, in.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter struct{ in *Instance }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.in.logMu.Lock()
	defer w.in.logMu.Unlock()
	return w.in.log.Write(p)
}

// Log returns what Postfix and smtp-sink printed so far.
func (in *Instance) Log() string {
	in.logMu.Lock()
	defer in.logMu.Unlock()
	return in.log.String()
}

// Stop stops Postfix and the sink (idempotent).
func (in *Instance) Stop() {
	in.stopOnce.Do(func() {
		if in.stopMTA != nil {
			in.stopMTA()
			in.stopSink()
			return
		}
		conf := filepath.Join(in.Dir, "conf")
		_ = exec.Command(tool("postfix"), "-c", conf, "stop").Run()
		pidFile := filepath.Join(in.Dir, "queue", "pid", "master.pid")
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(pidFile); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		in.stopSink()
	})
}

func (in *Instance) stopSink() {
	if in.sink != nil && in.sink.Process != nil {
		_ = in.sink.Process.Kill()
		_ = in.sink.Wait()
	}
}

// Deliveries returns the files the sink wrote, oldest first: by the time
// the sink finished writing them, not by name (smtp-sink names them by the
// second, %H%M%S, plus a random suffix, so names do not order two
// deliveries of one second, nor any across midnight).
func (in *Instance) Deliveries() []string {
	ents, _ := os.ReadDir(in.SinkDir)
	type file struct {
		path string
		mod  time.Time
	}
	var fs []file
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		f := file{path: filepath.Join(in.SinkDir, e.Name())}
		if info, err := e.Info(); err == nil {
			f.mod = info.ModTime()
		}
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool {
		if !fs[i].mod.Equal(fs[j].mod) {
			return fs[i].mod.Before(fs[j].mod)
		}
		return fs[i].path < fs[j].path
	})
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.path
	}
	return out
}

// Delivery is one message as the sink received it.
type Delivery struct {
	Path    string
	From    string   // envelope sender
	Rcpts   []string // envelope recipients
	Message []byte   // the message (header and body) as delivered
}

// WaitDeliveries waits until the sink holds at least n messages (delivery
// is asynchronous) and returns them, or fails after timeout.
func (in *Instance) WaitDeliveries(n int, timeout time.Duration) []Delivery {
	in.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		files := in.Deliveries()
		if len(files) >= n {
			// A file may still be in writing: wait until sizes settle.
			time.Sleep(200 * time.Millisecond)
			var out []Delivery
			for _, f := range in.Deliveries() {
				out = append(out, parseSinkFile(in.t, f))
			}
			return out
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("waited %s for %d deliveries, have %d\npostfix log:\n%s", timeout, n, len(files), in.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Parse reads one file the sink wrote.
func (in *Instance) Parse(path string) Delivery {
	in.t.Helper()
	waitSettled(path)
	return parseSinkFile(in.t, path)
}

// waitSettled waits (up to 5 s) until the sink has stopped writing path:
// a file seen while it is still being written would be a truncated message.
func waitSettled(path string) {
	last := int64(-1)
	for i := 0; i < 100; i++ {
		fi, err := os.Stat(path)
		if err != nil {
			return
		}
		if fi.Size() == last {
			return
		}
		last = fi.Size()
		time.Sleep(50 * time.Millisecond)
	}
}

// parseSinkFile splits smtp-sink's dump: envelope attribute lines
// (X-Client-Addr, X-Mail-Args, X-Rcpt-Args ...), then the message as
// received, with LF line endings; Message gets CRLF back so that it
// compares with what was sent.
func parseSinkFile(t testing.TB, path string) Delivery {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := Delivery{Path: path}
	off := 0
	for off < len(data) {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			break
		}
		line := string(data[off : off+end])
		name, value, ok := strings.Cut(line, ": ")
		if !ok || !isSinkAttr(name) {
			break
		}
		switch name {
		case "X-Mail-Args":
			d.From = strings.Trim(strings.Fields(value + " ")[0], "<>")
		case "X-Rcpt-Args":
			d.Rcpts = append(d.Rcpts, strings.Trim(strings.Fields(value + " ")[0], "<>"))
		}
		off += end + 1
	}
	msg := data[off:]
	// smtp-sink ends each dump with an empty line of its own.
	if bytes.HasSuffix(msg, []byte("\n\n")) {
		msg = msg[:len(msg)-1]
	}
	d.Message = bytes.ReplaceAll(msg, []byte("\n"), []byte("\r\n"))
	return d
}

func isSinkAttr(name string) bool {
	switch name {
	case "X-Client-Addr", "X-Client-Proto", "X-Helo-Args", "X-Mail-Args", "X-Rcpt-Args", "X-Client-Name", "X-Client-Port", "X-Mail-From", "X-Rcpt-To":
		return true
	}
	return false
}

// Reply is an SMTP server's answer to one command.
type Reply struct {
	Code int
	Msg  string
}

// OK reports a 2xx/3xx reply.
func (r Reply) OK() bool { return r.Code >= 200 && r.Code < 400 }

func (r Reply) String() string { return fmt.Sprintf("%d %s", r.Code, r.Msg) }

// SendResult holds the replies to one SMTP transaction.
type SendResult struct {
	Mail  Reply
	Rcpts map[string]Reply
	Data  Reply // the reply after the final "." (zero when no recipient was accepted)
}

// Send runs one SMTP transaction against the instance.
func (in *Instance) Send(from string, rcpts []string, msg []byte) SendResult {
	in.t.Helper()
	res, err := SendSMTP(in.SMTPAddr, from, rcpts, msg)
	if err != nil {
		in.t.Fatalf("smtp: %v\npostfix log:\n%s", err, in.Log())
	}
	return res
}

// Sendmail is the instance's sendmail command: Postfix's sendmail with -C
// pointing at the private configuration, so that what it submits goes
// through this instance's queue (pickup, cleanup, the milter) to the sink.
func (in *Instance) Sendmail() []string {
	return []string{tool("sendmail"), "-C", filepath.Join(in.Dir, "conf")}
}

// WaitQueueEmpty waits until Postfix has delivered everything it accepted
// (no file left in its queues), so that one load round does not spill into
// the next.
func (in *Instance) WaitQueueEmpty(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := 0
		for _, q := range []string{"maildrop", "incoming", "active", "deferred", "hold"} {
			_ = filepath.WalkDir(filepath.Join(in.Dir, "queue", q), func(_ string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					n++
				}
				return nil
			})
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued after %s\npostfix log:\n%s", n, timeout, in.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
