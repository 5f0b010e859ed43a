package loadrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/officemilter/officemilter/milter/internal/postfixtest"
)

// params size one load run.
type params struct {
	rounds     int // alternating rounds per measurement; the median is reported
	perSession int // messages per smtp-source session in the mix run
	latencyN   int // messages per one-session run
	memory     bool
}

// share is one kind of message in the load and its smtp-source sessions.
type share struct {
	kind     string
	sessions int
}

// mix is the load: 20 sessions, one smtp-source each, 70 % text mail,
// 20 % a clean pdf/docx/odt, 10 % a legacy or macro document.
// LOADRUN_MIX replaces it ("text:20" for text mail only; kinds: text pdf
// docx odt doc docm), to see where a difference comes from.
var mix = []share{
	{"text", 14}, {"pdf", 1}, {"docx", 2}, {"odt", 1}, {"doc", 1}, {"docm", 1},
}

// parseMix reads LOADRUN_MIX: comma-separated kind:sessions.
func parseMix(t *testing.T, v string) []share {
	var out []share
	for _, f := range strings.Split(v, ",") {
		kind, n, ok := strings.Cut(strings.TrimSpace(f), ":")
		sessions, err := strconv.Atoi(n)
		if !ok || err != nil || sessions < 1 {
			t.Fatalf("LOADRUN_MIX: %q is not kind:sessions", f)
		}
		out = append(out, share{kind, sessions})
	}
	return out
}

// TestLoadRun is the scripted load run of the README: a private Postfix with
// smtp-sink as next hop, driven by smtp-source, in three configurations
// (no milter, the do-nothing milter of ./noopmilter, officemilter serve with
// contrib/officemilter.yml) in alternating rounds. It prints messages/s,
// the ratios and the milter CPU per message, the one-session latency, and
// officemilter's peak RSS with 20 concurrent ~24 MB messages.
//
// Without OFFICEMILTER_LOADRUN=full it is a smoke run of a few seconds
// (one round, few messages) that checks that the harness works and that
// officemilter saw every message.
func TestLoadRun(t *testing.T) {
	postfixtest.Require(t, "smtp-source")
	p := params{rounds: 1, perSession: 2, latencyN: 5}
	if os.Getenv("OFFICEMILTER_LOADRUN") == "full" {
		p = params{rounds: envInt("LOADRUN_ROUNDS", 5), perSession: envInt("LOADRUN_PER_SESSION", 50), latencyN: envInt("LOADRUN_LATENCY_N", 200), memory: os.Getenv("LOADRUN_MEMORY") != "0"}
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // smtp-source runs as root, postfix reads nothing here; keep it plain
		t.Fatal(err)
	}
	noopBin, omBin := filepath.Join(dir, "noopmilter"), filepath.Join(dir, "officemilter")
	goBuild(t, noopBin, "./noopmilter")
	profile := os.Getenv("LOADRUN_CPUPROFILE") // officemilter's CPU profile of the mix rounds
	if profile != "" {
		profile, _ = filepath.Abs(profile)
		goBuild(t, omBin, "../../../cmd/officemilter", "-tags", "loadrunprofile")
		t.Setenv("OFFICEMILTER_CPUPROFILE", profile)
	} else {
		goBuild(t, omBin, "../../../cmd/officemilter")
	}
	msgs := writeMessages(t, dir, p.memory)
	mix := mix
	if v := os.Getenv("LOADRUN_MIX"); v != "" {
		mix = parseMix(t, v)
		for _, m := range mix {
			if msgs[m.kind] == "" {
				t.Fatalf("LOADRUN_MIX: no message of kind %q", m.kind)
			}
		}
	}

	noopPort, omPort, metricsPort := postfixtest.FreePort(t), postfixtest.FreePort(t), postfixtest.FreePort(t)
	pfs := map[string]*postfixtest.Instance{
		"none":         postfixtest.Start(t, postfixtest.Options{NoDump: true}),
		"noop":         postfixtest.Start(t, postfixtest.Options{MilterPort: noopPort, NoDump: true}),
		"officemilter": postfixtest.Start(t, postfixtest.Options{MilterPort: omPort, NoDump: true}),
	}
	cfgFile := writeConfig(t, dir, omPort, metricsPort, pfs["officemilter"].SMTPAddr)
	procs := map[string]*proc{
		"noop":         startProc(t, filepath.Join(dir, "noop.log"), noopPort, noopBin, fmt.Sprintf("127.0.0.1:%d", noopPort)),
		"officemilter": startProc(t, filepath.Join(dir, "officemilter.log"), omPort, omBin, "serve", "--config", cfgFile),
	}
	configs := []string{"none", "noop", "officemilter"}
	fmt.Printf("load run: %d CPUs, %d rounds, Postfix + smtp-sink on loopback, milters on inet sockets\n", runtime.NumCPU(), p.rounds)

	// 1. Throughput of the mix, 20 sessions.
	total := 0
	for _, m := range mix {
		total += m.sessions * p.perSession
	}
	rate := map[string][]float64{}
	cpu := map[string][]float64{}
	for r := 0; r < p.rounds; r++ {
		for _, c := range roundOrder(r) {
			pr := procs[c]
			before := pr.cpu(t)
			var jobs []job
			for _, m := range mix {
				for s := 0; s < m.sessions; s++ {
					jobs = append(jobs, job{file: msgs[m.kind], n: p.perSession})
				}
			}
			d := smtpSource(t, pfs[c], jobs)
			rate[c] = append(rate[c], float64(total)/d.Seconds())
			if pr != nil {
				cpu[c] = append(cpu[c], (pr.cpu(t)-before).Seconds()*1000/float64(total))
			}
			pfs[c].WaitQueueEmpty(t, time.Minute)
		}
	}
	if profile != "" {
		if err := procs["officemilter"].cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("CPU profile of officemilter during the mix rounds: %s\n", profile)
	}
	sessions := 0
	var shares []string
	for _, m := range mix {
		sessions += m.sessions
		shares = append(shares, fmt.Sprintf("%s:%d", m.kind, m.sessions))
	}
	fmt.Printf("\nmix (sessions per kind: %s), %d sessions, %d messages per round:\n", strings.Join(shares, " "), sessions, total)
	fmt.Printf("%-14s %12s %10s %16s %s\n", "", "msgs/s(med)", "vs none", "vs do-nothing", "milter CPU ms/msg (med)")
	for _, c := range configs {
		cpuS := "-"
		if len(cpu[c]) > 0 {
			cpuS = fmt.Sprintf("%.3f", median(cpu[c]))
		}
		fmt.Printf("%-14s %12.1f %9.2fx %15.2fx %s   rounds %s\n", c, median(rate[c]), median(rate[c])/median(rate["none"]),
			median(rate[c])/median(rate["noop"]), cpuS, fmtEach(rate[c], "%.0f"))
	}
	// The machine's speed drifts between rounds more than the milters
	// differ; each round runs the configurations back to back, so the
	// ratio within a round is the steadier figure.
	var paired []float64
	for r := range rate["officemilter"] {
		paired = append(paired, rate["officemilter"][r]/rate["noop"][r])
	}
	fmt.Printf("officemilter / do-nothing within each round: median %.2fx   rounds %s\n", median(paired), fmtEach(paired, "%.2f"))

	// 2. One session at a time: what a sender waits for.
	fmt.Printf("\none session, %d messages per run, ms per message (median of %d):\n", p.latencyN, p.rounds)
	for _, kind := range []string{"text", "docx"} {
		per := map[string][]float64{}
		for r := 0; r < p.rounds; r++ {
			for _, c := range roundOrder(r) {
				d := smtpSource(t, pfs[c], []job{{file: msgs[kind], n: p.latencyN}})
				per[c] = append(per[c], float64(d.Microseconds())/1000/float64(p.latencyN))
				pfs[c].WaitQueueEmpty(t, time.Minute)
			}
		}
		base := median(per["none"])
		fmt.Printf("  %-5s none %.3f ms; do-nothing %.3f ms (+%.3f); officemilter %.3f ms (+%.3f)\n", kind, base,
			median(per["noop"]), median(per["noop"])-base, median(per["officemilter"]), median(per["officemilter"])-base)
		// As for throughput: the difference within a round, the two
		// milters back to back, drifts less than medians of separate runs.
		var diff []float64
		for r := range per["officemilter"] {
			diff = append(diff, per["officemilter"][r]-per["noop"][r])
		}
		fmt.Printf("        officemilter - do-nothing within each round: median %+.3f ms   rounds %s\n", median(diff), fmtEach(diff, "%+.3f"))
	}

	// 3. Memory: 20 concurrent ~24 MB messages.
	if p.memory {
		fmt.Printf("\n20 concurrent messages of %.1f MB:\n", float64(fileSize(t, msgs["big"]))/1e6)
		for _, c := range []string{"noop", "officemilter"} {
			pr := procs[c]
			pr.resetPeak(t)
			var jobs []job
			for i := 0; i < 20; i++ {
				jobs = append(jobs, job{file: msgs["big"], n: 1})
			}
			d := smtpSource(t, pfs[c], jobs)
			fmt.Printf("  %-13s peak RSS %d MB (%.1f s)\n", c, pr.peakRSS(t)>>20, d.Seconds())
			pfs[c].WaitQueueEmpty(t, 2*time.Minute)
		}
	}

	// officemilter saw every message it was sent (the runs above went
	// through it, not around it); the sender notices about stripped .doc
	// files go through it too.
	want := p.rounds*total + 2*p.rounds*p.latencyN
	if p.memory {
		want += 20
	}
	if got := scrapeMessages(t, metricsPort); got < want {
		t.Errorf("officemilter counted %d messages, sent %d", got, want)
	}
	if len(cpu["officemilter"]) == 0 || median(cpu["officemilter"]) <= 0 {
		t.Errorf("no CPU time measured for officemilter: %v", cpu["officemilter"])
	}
}

// roundOrder is the order of the configurations in round r: the two milters
// take turns to go first.
func roundOrder(r int) []string {
	if r%2 == 1 {
		return []string{"none", "officemilter", "noop"}
	}
	return []string{"none", "noop", "officemilter"}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func goBuild(t *testing.T, out, pkg string, flags ...string) {
	t.Helper()
	cmd := exec.Command("go", append(append([]string{"build", "-o", out}, flags...), pkg)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// writeMessages writes one message file per kind in smtp-source's form
// (LF line ends; it sends CRLF).
func writeMessages(t *testing.T, dir string, big bool) map[string]string {
	t.Helper()
	files := "../../../testdata/files/"
	att := map[string]string{"pdf": "letter.pdf", "docx": "letter.docx", "odt": "letter.odt", "doc": "letter.doc", "docm": "invoice.docm"}
	out := map[string]string{}
	write := func(kind string, body []byte) {
		name := filepath.Join(dir, kind+".eml")
		if err := os.WriteFile(name, body, 0o644); err != nil {
			t.Fatal(err)
		}
		out[kind] = name
	}
	write("text", message("", nil))
	for kind, f := range att {
		data, err := os.ReadFile(files + f)
		if err != nil {
			t.Fatal(err)
		}
		write(kind, message("Bericht."+kind, data))
	}
	if big {
		pdf, err := os.ReadFile(files + "letter.pdf")
		if err != nil {
			t.Fatal(err)
		}
		data := append(pdf, bytes.Repeat([]byte("% padding\n"), 1750000)...) // 17.5 MB, 24 MB in base64
		write("big", message("Scan.pdf", data))
	}
	return out
}

const textBody = "Hallo Anna,\n\nanbei wie besprochen die Unterlagen zur Sitzung am Donnerstag.\nBitte gib mir bis Mittwoch Bescheid, ob die Zahlen so passen.\n\nViele Gruesse\nErika\n"

func message(name string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: Erika Muster <erika@example.com>\nTo: Anna <anna@example.net>\nSubject: Unterlagen\nDate: Fri, 04 Dec 2026 10:00:00 +0100\nMessage-ID: <load@example.com>\nMIME-Version: 1.0\n")
	if data == nil {
		b.WriteString("Content-Type: text/plain; charset=utf-8\n\n" + textBody)
		return b.Bytes()
	}
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n" + textBody)
	b.WriteString("--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"" + name + "\"\n\n")
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n--b1--\n")
	return b.Bytes()
}

func fileSize(t *testing.T, name string) int64 {
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// writeConfig is contrib/officemilter.yml with this run's sockets and
// directories.
func writeConfig(t *testing.T, dir string, port, metricsPort int, smtp string) string {
	t.Helper()
	data, err := os.ReadFile("../../../contrib/officemilter.yml")
	if err != nil {
		t.Fatal(err)
	}
	repl := map[string]string{
		"listen: ":                       fmt.Sprintf("listen: inet:127.0.0.1:%d", port),
		"metrics: ":                      fmt.Sprintf("metrics: 127.0.0.1:%d", metricsPort),
		"  dir: /var/spool/officemilter": "  dir: " + filepath.Join(dir, "spool"),
		"  dir: /var/lib/officemilter/quarantine": "  dir: " + filepath.Join(dir, "quarantine"),
		"notify:": "notify:\n  smtp: " + smtp,
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		for prefix, with := range repl {
			if strings.HasPrefix(line, prefix) {
				line = with
			}
		}
		out = append(out, line)
	}
	for _, d := range []string{"spool", "quarantine"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	name := filepath.Join(dir, "officemilter.yml")
	if err := os.WriteFile(name, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// proc is a milter running as its own process (nil: no milter).
type proc struct {
	cmd *exec.Cmd
}

func startProc(t *testing.T, logFile string, port int, bin string, args ...string) *proc {
	t.Helper()
	lf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		lf.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return &proc{cmd: cmd}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s does not listen on %d:\n%s", bin, port, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clockTick is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
const clockTick = 100

// cpu is the process's user+system CPU time so far.
func (p *proc) cpu(t *testing.T) time.Duration {
	if p == nil {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTick
}

// resetPeak resets VmHWM (Linux >= 4.0).
func (p *proc) resetPeak(t *testing.T) {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0); err != nil {
		t.Fatal(err)
	}
}

func (p *proc) peakRSS(t *testing.T) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

type job struct {
	file string
	n    int
}

// smtpSource runs one smtp-source (one session) per job at once and
// returns the wall time until the last one is done.
func smtpSource(t *testing.T, pf *postfixtest.Instance, jobs []job) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan string, len(jobs))
	start := time.Now()
	for _, j := range jobs {
		wg.Add(1)
		go func(j job) {
			defer wg.Done()
			out, err := exec.CommandContext(ctx, "smtp-source", "-s", "1", "-m", strconv.Itoa(j.n), "-F", j.file,
				"-f", "erika@example.com", "-t", "anna@example.net", pf.SMTPAddr).CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				errs <- fmt.Sprintf("smtp-source %s: %v\n%s", filepath.Base(j.file), err, out)
			}
		}(j)
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	return d
}

func scrapeMessages(t *testing.T, port int) int {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "officemilter_messages_total{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// fmtEach formats each value of v with verb, space-separated.
func fmtEach(v []float64, verb string) string {
	var out []string
	for _, x := range v {
		out = append(out, fmt.Sprintf(verb, x))
	}
	return strings.Join(out, " ")
}
