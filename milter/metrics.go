package milter

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

// Metrics counts what the daemon does, exposed in the Prometheus text
// format (no client library needed for a handful of counters).
type Metrics struct {
	mu        sync.Mutex
	messages  map[Action]int64
	findings  map[inspect.Kind]int64
	durations []float64 // histogram bucket counts, see buckets
	durSum    float64
	durCount  int64
	bytes     int64

	Sessions      atomic.Int64 // open milter connections
	Panics        atomic.Int64 // recovered panics in sessions
	BadPackets    atomic.Int64 // connections closed by the packet guard
	Errors        atomic.Int64 // messages answered with on_error
	NotifyFailed  atomic.Int64 // sender notifications the MTA did not take
	InspectPanics func() int64 // recovered inspector panics (engine)
}

var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{messages: map[Action]int64{}, findings: map[inspect.Kind]int64{}, durations: make([]float64, len(buckets))}
}

// Observe records one message.
func (m *Metrics) Observe(res *Result, d time.Duration) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.messages[res.Action]++
	for _, f := range res.Findings {
		m.findings[f.Kind]++
	}
	s := d.Seconds()
	for i, b := range buckets {
		if s <= b {
			m.durations[i]++
		}
	}
	m.durSum += s
	m.durCount++
	m.bytes += res.Bytes
}

// ServeHTTP writes the metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprint(w, m.Text())
}

// Text renders the metrics in the Prometheus exposition format.
func (m *Metrics) Text() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("# HELP officemilter_messages_total Messages by verdict action.\n# TYPE officemilter_messages_total counter\n")
	for _, a := range []Action{Accept, Strip, Reject, Tempfail} {
		fmt.Fprintf(&b, "officemilter_messages_total{action=%q} %d\n", a, m.messages[a])
	}
	b.WriteString("# HELP officemilter_findings_total Findings by kind.\n# TYPE officemilter_findings_total counter\n")
	kinds := append([]inspect.Kind(nil), inspect.Kinds...)
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	for _, k := range kinds {
		fmt.Fprintf(&b, "officemilter_findings_total{kind=%q} %d\n", k, m.findings[k])
	}
	b.WriteString("# HELP officemilter_message_bytes_total Bytes of inspected messages.\n# TYPE officemilter_message_bytes_total counter\n")
	fmt.Fprintf(&b, "officemilter_message_bytes_total %d\n", m.bytes)
	b.WriteString("# HELP officemilter_check_seconds Time to decide about a message.\n# TYPE officemilter_check_seconds histogram\n")
	for i, bk := range buckets {
		fmt.Fprintf(&b, "officemilter_check_seconds_bucket{le=\"%g\"} %g\n", bk, m.durations[i])
	}
	fmt.Fprintf(&b, "officemilter_check_seconds_bucket{le=\"+Inf\"} %d\n", m.durCount)
	fmt.Fprintf(&b, "officemilter_check_seconds_sum %g\nofficemilter_check_seconds_count %d\n", m.durSum, m.durCount)
	gauge := func(name, help string, v int64, typ string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	gauge("officemilter_sessions", "Open milter connections.", m.Sessions.Load(), "gauge")
	gauge("officemilter_session_panics_total", "Recovered panics in milter sessions.", m.Panics.Load(), "counter")
	gauge("officemilter_bad_packets_total", "Connections closed for malformed milter packets.", m.BadPackets.Load(), "counter")
	gauge("officemilter_errors_total", "Messages answered with on_error.", m.Errors.Load(), "counter")
	gauge("officemilter_notifications_failed_total", "Sender notifications that could not be submitted.", m.NotifyFailed.Load(), "counter")
	if m.InspectPanics != nil {
		gauge("officemilter_inspector_panics_total", "Recovered panics in file inspectors.", m.InspectPanics(), "counter")
	}
	return b.String()
}
