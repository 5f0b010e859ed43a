package milter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/milter/internal/mta"
)

// panicky is an inspector that panics on every PDF, so that the engine's
// recovered-panic counter moves.
type panicky struct{}

func (panicky) Inspect(context.Context, inspect.Part, inspect.Scope) error {
	var m map[string]int
	m["boom"]++ // nil map write
	return nil
}

func panickyFilter(cfg *Config) *Filter {
	return NewFilter(cfg, inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyPDF: panicky{}}, cfg.InspectLimits()))
}

// metricValue returns the value of the series whose line starts with
// prefix (name and labels as the text format writes them), or -1.
func metricValue(t *testing.T, text, prefix string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return -1
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// TestMetricsReloadRace reloads the configuration (SetFilter) again and
// again while /metrics is read concurrently (run with -race: the reload
// used to write the panic counter the scrape reads), and checks that the
// counters go on across reloads instead of starting again at zero.
func TestMetricsReloadRace(t *testing.T) {
	cfg := contribConfig(t)
	addr, _, srv := startServer(t, cfg, ServerOptions{})
	srv.SetFilter(panickyFilter(cfg))
	web := httptest.NewServer(srv.metrics)
	defer web.Close()
	msg := buildMessage("anna@example.net", map[string][]byte{"a.pdf": []byte("%PDF-1.7\n%%EOF\n")})

	send := func() {
		res := mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, msg)
		if res.End == nil {
			t.Fatalf("no end-of-message answer: %+v", res.End)
		}
	}
	send()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(web.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for range 50 {
		srv.SetFilter(panickyFilter(cfg))
	}
	send()
	close(stop)
	wg.Wait()

	text := scrape(t, web.URL)
	if got := metricValue(t, text, "officemilter_inspector_panics_total"); got != 2 {
		t.Errorf("inspector panics after reloads: %v, want 2 (one per message, across reloads)", got)
	}
	pol := srv.filter.Load().cfg.PolicyFor(Envelope{}, "anna@example.net").Name
	var sum float64
	re := regexp.MustCompile(`(?m)^officemilter_messages_total\{action="[a-z]+",mode="enforce",policy="` + regexp.QuoteMeta(pol) + `"\} (\d+)$`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		sum += v
	}
	if sum != 2 {
		t.Errorf("messages of policy %q counted %v, want 2:\n%s", pol, sum, text)
	}
	if got := metricValue(t, text, `officemilter_findings_total{kind="unscannable",policy="`+pol+`"}`); got != 2 {
		t.Errorf("unscannable findings %v, want 2", got)
	}
	for _, name := range []string{"process_resident_memory_bytes", "process_open_fds", "go_goroutines", "officemilter_sessions", "officemilter_spool_memory_bytes"} {
		if metricValue(t, text, name) < 0 {
			t.Errorf("%s missing", name)
		}
	}
	if got := metricValue(t, text, "officemilter_check_seconds_count"); got != 2 {
		t.Errorf("check_seconds_count %v, want 2", got)
	}
	if got := metricValue(t, text, "officemilter_message_seconds_count"); got != 2 {
		t.Errorf("message_seconds_count %v, want 2", got)
	}
}

// TestMetricsQuarantineSize: the quarantine gauges count what is in the
// directory at scrape time, messages by their .eml files.
func TestMetricsQuarantineSize(t *testing.T) {
	m := NewMetrics()
	if strings.Contains(m.Text(), "officemilter_quarantine_") {
		t.Error("quarantine gauges without a quarantine")
	}
	dir := t.TempDir()
	m.SetQuarantineDir(dir)
	day := filepath.Join(dir, "2026-01-02")
	for name, size := range map[string]int{"Q1-ab.eml": 100, "Q1-ab.json": 20, "Q2-cd.eml": 50, ".incoming-1": 7} {
		if err := os.MkdirAll(day, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(day, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := m.Text()
	if got := metricValue(t, text, "officemilter_quarantine_messages"); got != 2 {
		t.Errorf("quarantine messages %v", got)
	}
	if got := metricValue(t, text, "officemilter_quarantine_bytes"); got != 177 {
		t.Errorf("quarantine bytes %v", got)
	}
	m.NotifyFailed()
	m.NotifyFailed()
	m.NotifyDropped()
	text = m.Text()
	for want, v := range map[string]float64{"failed": 2, "dropped": 1, "sent": 0} {
		if got := metricValue(t, text, `officemilter_notifications_total{result="`+want+`"}`); got != v {
			t.Errorf("notifications %s: %v, want %v", want, got, v)
		}
	}
}

// TestDashboardNames: every series the Grafana dashboard in contrib queries
// is one the daemon exports (a rename must update the dashboard).
func TestDashboardNames(t *testing.T) {
	raw, err := os.ReadFile("../contrib/grafana/officemilter-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct{ Expr string } `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	m.SetQuarantineDir(t.TempDir())
	m.Observe(&Result{Verdict: Verdict{Action: Accept}, Findings: []inspect.Finding{{Kind: inspect.KindMacro}}, Elapsed: 1}, 1)
	text := m.Text()
	name := regexp.MustCompile(`\b(officemilter|process|go)_[a-z_]+\b`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, s := range name.FindAllString(tg.Expr, -1) {
				n++
				if !strings.Contains(text, "\n"+s+" ") && !strings.Contains(text, "\n"+s+"{") {
					t.Errorf("dashboard queries %s, which /metrics does not have", s)
				}
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d series names found in the dashboard", n)
	}
}

// A policy in monitor mode is counted with what it would have done and
// mode="monitor"; the same decision enforced is counted as enforce.
func TestMetricsMonitorMode(t *testing.T) {
	for _, mode := range []Mode{"", Monitor} {
		m := NewMetrics()
		res := &Result{}
		res.Verdict.Policy = "strict"
		res.Action = Reject
		if mode == Monitor {
			res.Monitor = &Monitored{Action: Reject}
			res.Action = Accept
		}
		m.Observe(res, 0)
		want := ModeEnforce
		if mode == Monitor {
			want = ModeMonitor
		}
		text := m.Text()
		if got := metricValue(t, text, `officemilter_messages_total{action="reject",mode="`+want+`",policy="strict"}`); got != 1 {
			t.Errorf("mode %q: reject/%s counted %v, want 1\n%s", mode, want, got, text)
		}
		if got := metricValue(t, text, `officemilter_messages_total{action="accept",mode="`+want+`",policy="strict"}`); got > 0 {
			t.Errorf("mode %q: counted as accepted", mode)
		}
	}
}
