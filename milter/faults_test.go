package milter

// Scripted fault runs against the real daemon (officemilter serve, built
// from this tree) behind a private Postfix. They print the figures the
// README quotes and are not part of the default test run:
//
//	OFFICEMILTER_FAULTS=1 go test ./milter -run TestFaultKill -v -timeout 30m
//	OFFICEMILTER_SOAK=30m go test ./milter -run TestFaultSoak -v -timeout 40m
//
// TestFaultFullSpool is fast and runs with the other tests when root can
// mount a tmpfs.

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/officemilter/officemilter/milter/internal/postfixtest"
)

// daemon is officemilter serve as a child process, restarted when it dies
// (what systemd's Restart=always does).
type daemon struct {
	t          *testing.T
	bin, cfg   string
	log        *os.File
	mu         sync.Mutex
	cmd        *exec.Cmd
	starts     int
	stop       chan struct{}
	done       chan struct{}
	metricsURL string
}

// buildDaemon compiles cmd/officemilter into a temporary directory.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "officemilter")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/officemilter").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// daemonConfig writes contrib/officemilter.yml with the test's ports and
// directories: milter on milterPort, metrics on metricsAddr, spool and
// quarantine below dir, notifications to smtp ("" none).
func daemonConfig(t *testing.T, dir string, milterPort int, metricsAddr, smtp string) string {
	t.Helper()
	raw, err := os.ReadFile("../contrib/officemilter.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"spool", "quarantine"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	repl := []struct{ re, to string }{
		{`(?m)^listen: .*$`, fmt.Sprintf("listen: inet:127.0.0.1:%d", milterPort)},
		{`(?m)^metrics: .*$`, "metrics: " + metricsAddr},
		{`(?m)^  dir: /var/spool/officemilter.*$`, "  dir: " + filepath.Join(dir, "spool")},
		{`(?m)^  dir: /var/lib/officemilter/quarantine.*$`, "  dir: " + filepath.Join(dir, "quarantine")},
		{`(?m)^notify:$`, "notify:\n  smtp: \"" + smtp + "\""},
	}
	s := string(raw)
	for _, r := range repl {
		n := regexp.MustCompile(r.re).ReplaceAllString(s, r.to)
		if n == s {
			t.Fatalf("contrib/officemilter.yml has no line matching %s", r.re)
		}
		s = n
	}
	path := filepath.Join(dir, "officemilter.yml")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startDaemon runs bin serve --config cfg and restarts it 100 ms after
// every exit until the test ends.
func startDaemon(t *testing.T, bin, cfg, metricsAddr string) *daemon {
	t.Helper()
	lf, err := os.Create(filepath.Join(filepath.Dir(cfg), "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, bin: bin, cfg: cfg, log: lf, stop: make(chan struct{}), done: make(chan struct{}), metricsURL: "http://" + metricsAddr + "/metrics"}
	go d.loop()
	t.Cleanup(d.shutdown)
	d.waitHealthy()
	return d
}

func (d *daemon) loop() {
	defer close(d.done)
	for {
		cmd := exec.Command(d.bin, "serve", "--config", d.cfg)
		cmd.Stdout, cmd.Stderr = d.log, d.log
		if err := cmd.Start(); err != nil {
			d.t.Errorf("start daemon: %v", err)
			return
		}
		d.mu.Lock()
		d.cmd = cmd
		d.starts++
		d.mu.Unlock()
		_ = cmd.Wait()
		select {
		case <-d.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kill9 kills the running daemon with SIGKILL; the loop restarts it.
func (d *daemon) kill9() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd != nil && d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGKILL)
	}
}

func (d *daemon) shutdown() {
	close(d.stop)
	d.mu.Lock()
	if d.cmd != nil && d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
	}
	d.mu.Unlock()
	<-d.done
	d.log.Close()
}

func (d *daemon) waitHealthy() {
	d.t.Helper()
	url := strings.TrimSuffix(d.metricsURL, "/metrics") + "/healthz"
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("daemon not healthy at %s; log %s", url, d.log.Name())
}

// scrapeAll reads every unlabelled series and the sums of labelled ones
// (name without labels) from /metrics.
func scrapeAll(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name := line[:i]
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name = name[:j]
		}
		out[name] += v
	}
	return out, sc.Err()
}

func faultGate(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		t.Skipf("scripted fault run; set %s to run it", env)
	}
	postfixtest.Require(t)
	return v
}

var messageIDRe = regexp.MustCompile(`(?mi)^Message-ID:\s*<([^>]+)>`)

// TestFaultKill: 1,000 messages through Postfix (milter_default_action =
// tempfail) while the daemon is killed with SIGKILL twice and restarted.
// The sender retries every 4xx answer, as a sending MTA does. Every message
// Postfix accepted (250 after DATA) must reach the sink exactly once, and
// nothing that was not accepted may arrive.
func TestFaultKill(t *testing.T) {
	faultGate(t, "OFFICEMILTER_FAULTS")
	const total = 1000
	const senders = 4
	bin := buildDaemon(t)
	dir := t.TempDir()
	milterPort, metricsPort := postfixtest.FreePort(t), postfixtest.FreePort(t)
	pf := postfixtest.Start(t, postfixtest.Options{MilterPort: milterPort})
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", metricsPort)
	d := startDaemon(t, bin, daemonConfig(t, dir, milterPort, metricsAddr, ""), metricsAddr)

	doc, err := os.ReadFile("../testdata/files/letter.doc")
	if err != nil {
		t.Fatal(err)
	}
	docx := readEML(t, "r1-02-docx-kept.eml")
	message := func(i int) []byte {
		var body []byte
		switch i % 3 {
		case 0: // stripped
			body = buildMessage("anna@example.net", map[string][]byte{fmt.Sprintf("brief-%d.doc", i): doc})
		case 1: // clean
			body = docx
		default: // plain text
			body = []byte("From: erika@example.com\r\nTo: anna@example.net\r\nSubject: text\r\n\r\nHallo.\r\n")
		}
		return append([]byte(fmt.Sprintf("Message-ID: <fault-%d@test.invalid>\r\n", i)), body...)
	}

	var accepted, tempfails, refused, sent atomic.Int64
	acceptedIDs := make([]bool, total)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				msg := message(i)
				for try := 0; ; try++ {
					res, err := postfixtest.SendSMTP(pf.SMTPAddr, "erika@example.com", []string{"anna@example.net"}, msg)
					code := res.Data.Code
					switch {
					case err != nil:
						code = 421
					case !res.Mail.OK():
						code = res.Mail.Code
					case !res.Rcpts["anna@example.net"].OK():
						code = res.Rcpts["anna@example.net"].Code
					}
					if code == 250 {
						accepted.Add(1)
						acceptedIDs[i] = true
						break
					}
					if code >= 500 {
						refused.Add(1)
						t.Errorf("message %d refused: %v %v", i, res.Data, err)
						break
					}
					tempfails.Add(1)
					if try > 200 {
						t.Errorf("message %d: still 4xx after %d tries", i, try)
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
				sent.Add(1)
			}
		}()
	}
	// The two kills, a third and two thirds of the way.
	for _, at := range []int64{total / 3, 2 * total / 3} {
		for sent.Load() < at {
			time.Sleep(5 * time.Millisecond)
		}
		d.kill9()
		t.Logf("SIGKILL after %d messages answered", sent.Load())
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Postfix delivers asynchronously: wait until every accepted message
	// arrived, then a little longer to see duplicates.
	var unfiltered []string // delivered without the milter's verdict
	count := func() map[string]int {
		ids := map[string]int{}
		unfiltered = unfiltered[:0]
		for _, p := range pf.Deliveries() {
			dl := pf.Parse(p)
			m := messageIDRe.FindSubmatch(dl.Message)
			if m == nil {
				continue
			}
			id := string(m[1])
			ids[id]++
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(id, "fault-"), "@test.invalid"))
			s := string(dl.Message)
			if !strings.Contains(s, "\r\nX-Officemilter: ") || n%3 == 0 && (!strings.Contains(s, "X-Officemilter: stripped; legacy-office; brief-") || strings.Contains(s, ".doc\"")) {
				unfiltered = append(unfiltered, id)
			}
		}
		return ids
	}
	deadline := time.Now().Add(2 * time.Minute)
	for len(count()) < int(accepted.Load()) && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	ids := count()
	var missing, dups, unexpected []string
	for i := range total {
		id := fmt.Sprintf("fault-%d@test.invalid", i)
		n := ids[id]
		switch {
		case acceptedIDs[i] && n == 0:
			missing = append(missing, id)
		case n > 1:
			dups = append(dups, fmt.Sprintf("%s x%d", id, n))
		case !acceptedIDs[i] && n > 0:
			unexpected = append(unexpected, id)
		}
	}
	d.mu.Lock()
	starts := d.starts
	d.mu.Unlock()
	t.Logf("FIGURES kill: %d messages, %d accepted (250), %d refused (5xx), %d tempfail answers retried, daemon started %d times, %d sink files, %d distinct Message-IDs delivered, %d missing, %d duplicated, %d delivered without a 250, %d delivered unfiltered; %.1fs",
		total, accepted.Load(), refused.Load(), tempfails.Load(), starts, len(pf.Deliveries()), len(ids), len(missing), len(dups), len(unexpected), len(unfiltered), elapsed.Seconds())
	if starts != 3 {
		t.Errorf("daemon started %d times, want 3 (two kills)", starts)
	}
	if accepted.Load() != total || len(missing) > 0 || len(dups) > 0 || len(unexpected) > 0 {
		t.Errorf("not exactly once: missing %v, duplicated %v, unexpected %v", missing, dups, unexpected)
	}
	if len(unfiltered) > 0 {
		t.Errorf("delivered without the milter's verdict (or with the .doc): %v", unfiltered)
	}
	if tempfails.Load() == 0 {
		t.Error("no tempfail seen: the kills did not hit a transaction or a connection")
	}
}

// TestFaultSoak: moderate load through Postfix for OFFICEMILTER_SOAK
// (e.g. 30m), sampling the daemon's RSS, goroutines and open files from its
// /metrics every OFFICEMILTER_SOAK_EVERY (default 1m). Fails when the
// goroutines or open files after the load are above where they started, or
// RSS keeps growing in the second half.
func TestFaultSoak(t *testing.T) {
	dur, err := time.ParseDuration(faultGate(t, "OFFICEMILTER_SOAK"))
	if err != nil {
		t.Fatalf("OFFICEMILTER_SOAK: %v", err)
	}
	every := time.Minute
	if v := os.Getenv("OFFICEMILTER_SOAK_EVERY"); v != "" {
		if every, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	rate := 5.0 // messages per second
	if v := os.Getenv("OFFICEMILTER_SOAK_RATE"); v != "" {
		if rate, err = strconv.ParseFloat(v, 64); err != nil {
			t.Fatal(err)
		}
	}
	bin := buildDaemon(t)
	dir := t.TempDir()
	milterPort, metricsPort := postfixtest.FreePort(t), postfixtest.FreePort(t)
	pf := postfixtest.Start(t, postfixtest.Options{MilterPort: milterPort, NoDump: true})
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", metricsPort)
	d := startDaemon(t, bin, daemonConfig(t, dir, milterPort, metricsAddr, pf.SMTPAddr), metricsAddr)

	// Every small message of testdata/eml, to rule 1 and to the strict
	// mailbox in turn: clean, stripped, rejected, notifications.
	files, _ := filepath.Glob("../testdata/eml/*.eml")
	var msgs [][]byte
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && len(b) < 256<<10 {
			msgs = append(msgs, b)
		}
	}
	if len(msgs) < 10 {
		t.Fatalf("only %d messages in testdata/eml", len(msgs))
	}
	rcpts := []string{"anna@example.net", "strict@example.org"}

	type sample struct {
		at                     time.Duration
		rss, gor, fds, msgs, q float64
	}
	var samples []sample
	take := func(at time.Duration) {
		m, err := scrapeAll(d.metricsURL)
		if err != nil {
			t.Errorf("scrape: %v", err)
			return
		}
		s := sample{at, m["process_resident_memory_bytes"], m["go_goroutines"], m["process_open_fds"], m["officemilter_messages_total"], m["officemilter_quarantine_messages"]}
		samples = append(samples, s)
		t.Logf("SAMPLE t=%-6s rss=%6.1fMB goroutines=%4.0f fds=%3.0f messages=%6.0f quarantine=%5.0f", at.Round(time.Second), s.rss/(1<<20), s.gor, s.fds, s.msgs, s.q)
	}
	take(0)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, temp, perm, errs atomic.Int64
	const senders = 4
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Duration(float64(senders) / rate * float64(time.Second)))
			defer tick.Stop()
			for i := w; ; i += senders {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				rcpt := rcpts[i%len(rcpts)]
				res, err := postfixtest.SendSMTP(pf.SMTPAddr, "erika@example.com", []string{rcpt}, msgs[i%len(msgs)])
				switch {
				case err != nil:
					errs.Add(1)
				case res.Data.Code == 250:
					ok.Add(1)
				case res.Data.Code >= 500 || res.Rcpts[rcpt].Code >= 500:
					perm.Add(1)
				default:
					temp.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	tick := time.NewTicker(every)
	for time.Since(start) < dur {
		<-tick.C
		take(time.Since(start))
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	// Idle: sessions closed, notifications sent.
	time.Sleep(10 * time.Second)
	take(time.Since(start))
	t.Logf("FIGURES soak: %s at %.1f msg/s offered: %d accepted, %d refused (5xx), %d tempfail, %d client errors", dur, rate, ok.Load(), perm.Load(), temp.Load(), errs.Load())
	if len(samples) < 4 {
		t.Fatalf("only %d samples", len(samples))
	}
	first, last := samples[1], samples[len(samples)-1] // samples[0] is before any mail
	var maxRSS float64
	for _, s := range samples[len(samples)/2:] {
		maxRSS = max(maxRSS, s.rss)
	}
	t.Logf("FIGURES soak: RSS %.1f MB after 1 sample, %.1f MB max in the second half, %.1f MB at the end; goroutines %.0f idle at start, %.0f idle at the end; open files %.0f at start, %.0f at the end",
		first.rss/(1<<20), maxRSS/(1<<20), last.rss/(1<<20), samples[0].gor, last.gor, samples[0].fds, last.fds)
	if last.gor > samples[0].gor+5 {
		t.Errorf("goroutines grew: %v idle at start, %v idle at the end", samples[0].gor, last.gor)
	}
	if last.fds > samples[0].fds+5 {
		t.Errorf("open files grew: %v at start, %v at the end", samples[0].fds, last.fds)
	}
	if errs.Load() > 0 || temp.Load() > 0 {
		t.Errorf("%d client errors, %d tempfails under moderate load", errs.Load(), temp.Load())
	}
	if n := len(samples); n >= 6 {
		var early float64
		for _, s := range samples[1 : n/2] {
			early = max(early, s.rss)
		}
		if maxRSS > early*1.5+16<<20 {
			t.Errorf("RSS grew: %.1f MB max in the first half, %.1f MB in the second", early/(1<<20), maxRSS/(1<<20))
		}
	}
}

// TestFaultFullSpool: the spool directory on a full file system (a 1 MiB
// tmpfs) gives 451 through Postfix, never a truncated or accepted message:
// once for a message larger than the file system, once for a message that
// spools but whose rewritten body no longer fits. With space again the same
// message is delivered whole.
func TestFaultFullSpool(t *testing.T) {
	postfixtest.Require(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-n", "-t", "tmpfs", "-o", "size=1m,mode=0700", "officemilter-test", mnt).CombinedOutput(); err != nil {
		postfixtest.Missing(t, fmt.Sprintf("a tmpfs mount (%v: %s)", err, out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-n", mnt).Run() })

	cfg := contribConfig(t)
	cfg.Spool.Dir = mnt
	cfg.Spool.Memory = 32 << 10 // every message below goes to a file
	e := &e2e{cfg: cfg, qdir: filepath.Join(t.TempDir(), "quarantine")}
	port := postfixtest.FreePort(t)
	e.startMilter(t, port)
	t.Cleanup(e.stopMilter)
	pf := postfixtest.Start(t, postfixtest.Options{MilterPort: port})

	doc, err := os.ReadFile("../testdata/files/letter.doc")
	if err != nil {
		t.Fatal(err)
	}
	// A text of ~300 KB ending in a marker, and a .doc to strip.
	text := strings.Repeat("Sehr geehrte Damen und Herren, anbei die Unterlagen.\r\n", 5800) + "ENDE-DES-TEXTES\r\n"
	withText := func(extra map[string][]byte) []byte {
		msg := buildMessage("anna@example.net", extra)
		return bytes.Replace(msg, []byte("Hallo,\r\n"), []byte("Hallo,\r\n"+text), 1)
	}
	leftovers := func() []string {
		ents, _ := os.ReadDir(mnt)
		var names []string
		for _, e := range ents {
			if e.Name() != "filler" {
				names = append(names, e.Name())
			}
		}
		return names
	}
	expect451 := func(t *testing.T, msg []byte) {
		t.Helper()
		before := len(pf.Deliveries())
		res := pf.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 451 || !strings.HasPrefix(res.Data.Msg, "4.") {
			t.Fatalf("DATA: %v, want 451", res.Data)
		}
		time.Sleep(time.Second) // a delivery would have reached the sink by now
		if n := len(pf.Deliveries()); n != before {
			t.Fatalf("%d deliveries of a tempfailed message", n-before)
		}
		if l := leftovers(); len(l) > 0 {
			t.Errorf("spool files left behind: %v", l)
		}
	}

	t.Run("message larger than the file system", func(t *testing.T) {
		pdf, err := os.ReadFile("../testdata/files/letter.pdf")
		if err != nil {
			t.Fatal(err)
		}
		big := append(append([]byte{}, pdf...), bytes.Repeat([]byte("% padding\n"), 200000)...) // 2 MB
		expect451(t, buildMessage("anna@example.net", map[string][]byte{"gross.pdf": big}))
	})
	quarantined := func() int {
		m, _ := filepath.Glob(filepath.Join(e.qdir, "*", "*.eml"))
		return len(m)
	}

	msg := withText(map[string][]byte{"brief.doc": doc})
	t.Run("original spooled, rewritten body does not fit", func(t *testing.T) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(mnt, &st); err != nil {
			t.Fatal(err)
		}
		free := int64(st.Bavail) * st.Bsize
		// Room for the original and half the rewritten body.
		keep := int64(len(msg)) + int64(len(text))/2
		if err := os.WriteFile(filepath.Join(mnt, "filler"), make([]byte, free-keep), 0o600); err != nil {
			t.Fatal(err)
		}
		expect451(t, msg)
		// The check itself ran (its original is in the quarantine): what
		// failed was writing the rewritten body.
		if n := quarantined(); n != 1 {
			t.Errorf("%d quarantined; the failure was not in the rewrite", n)
		}
		if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("with space again the message is delivered whole", func(t *testing.T) {
		res := pf.Send("erika@example.com", []string{"anna@example.net"}, msg)
		if res.Data.Code != 250 {
			t.Fatalf("DATA: %v", res.Data)
		}
		ds := pf.WaitDeliveries(1, time.Minute)
		s := string(ds[0].Message)
		if len(ds) != 1 || !strings.Contains(s, "X-Officemilter: stripped; legacy-office; brief.doc") || !strings.Contains(s, "ENDE-DES-TEXTES") {
			t.Errorf("%d deliveries; delivered:\n%.600s", len(ds), s)
		}
	})
}
