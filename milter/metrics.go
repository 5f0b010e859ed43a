package milter

import (
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// Metrics counts what the daemon does, in a Prometheus registry of its own
// (process and Go runtime collectors included). One Metrics lives as long
// as the process: a configuration reload swaps the filter, never the
// metrics, so counters keep counting across SIGHUP.
//
// The atomic fields are written on the hot path without a lock; the
// registry reads them at scrape time.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	messages  *prometheus.CounterVec // policy, action, mode
	findings  *prometheus.CounterVec // policy, kind
	bytes     prometheus.Counter
	check     prometheus.Histogram
	message   prometheus.Histogram
	notifyVec *prometheus.CounterVec // result

	Sessions   atomic.Int64 // open milter connections
	Panics     atomic.Int64 // recovered panics in sessions
	BadPackets atomic.Int64 // connections closed by the packet guard
	Errors     atomic.Int64 // messages answered with on_error

	mu      sync.Mutex
	engines []panicCounter // every engine ever used: their panics add up
	qdir    string         // quarantine directory, measured at scrape
}

// panicCounter is what the metrics need of an inspect.Engine.
type panicCounter interface{ Panics() int64 }

// Modes of a decision: "enforce" acts on it, "monitor" only logs and
// counts what would have happened (a policy's mode: monitor).
const (
	ModeEnforce = "enforce"
	ModeMonitor = "monitor"
)

// checkBuckets are the upper bounds (seconds) of the duration histograms:
// a plain message takes milliseconds, a large archive up to the time limit.
var checkBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// NewMetrics returns metrics with every series registered at zero.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "officemilter_messages_total",
		Help: "Messages by deciding policy, verdict action and mode (enforce or monitor).",
	}, []string{"policy", "action", "mode"})
	m.findings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "officemilter_findings_total",
		Help: "Findings by policy and kind (also those the policy accepts).",
	}, []string{"policy", "kind"})
	m.bytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "officemilter_message_bytes_total",
		Help: "Bytes of inspected messages.",
	})
	m.check = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "officemilter_check_seconds",
		Help:    "Time to inspect a message and decide about it.",
		Buckets: checkBuckets,
	})
	m.message = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "officemilter_message_seconds",
		Help:    "Time from MAIL FROM to the end-of-message answer (receiving, spooling, inspecting, rewriting).",
		Buckets: checkBuckets,
	})
	m.notifyVec = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "officemilter_notifications_total",
		Help: "Sender notifications by result: sent, failed (the MTA or relay refused or was down), dropped (more than 1,000 waiting for the MTA).",
	}, []string{"result"})
	for _, r := range []string{"sent", "failed", "dropped"} {
		m.notifyVec.WithLabelValues(r)
	}
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	m.reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		m.messages, m.findings, m.bytes, m.check, m.message, m.notifyVec,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "officemilter_sessions", Help: "Open milter connections."},
			func() float64 { return float64(m.Sessions.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "officemilter_spool_memory_bytes",
			Help: "Bytes of the messages and attachments being checked that their spools hold in memory (bounded by spool.memory_total)."},
			func() float64 { return float64(inspect.SpoolMemory()) }),
		counter("officemilter_session_panics_total", "Recovered panics in milter sessions.", &m.Panics),
		counter("officemilter_bad_packets_total", "Connections closed for malformed milter packets.", &m.BadPackets),
		counter("officemilter_errors_total", "Messages answered with on_error.", &m.Errors),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "officemilter_inspector_panics_total",
			Help: "Recovered panics in file inspectors (all configurations since start).",
		}, m.inspectPanics),
		quarantineCollector{m},
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// AddEngine counts the recovered panics of e from now on. A reload adds the
// new engine and keeps the old ones (transactions in progress may still use
// them), so the sum never goes back.
func (m *Metrics) AddEngine(e panicCounter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, old := range m.engines {
		if old == e {
			return
		}
	}
	m.engines = append(m.engines, e)
}

func (m *Metrics) inspectPanics() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, e := range m.engines {
		n += e.Panics()
	}
	return float64(n)
}

// SetQuarantineDir makes a scrape report the files and bytes in dir.
func (m *Metrics) SetQuarantineDir(dir string) {
	m.mu.Lock()
	m.qdir = dir
	m.mu.Unlock()
}

// NotifySent, NotifyFailed and NotifyDropped count sender notifications.
func (m *Metrics) NotifySent()    { m.notifyVec.WithLabelValues("sent").Inc() }
func (m *Metrics) NotifyFailed()  { m.notifyVec.WithLabelValues("failed").Inc() }
func (m *Metrics) NotifyDropped() { m.notifyVec.WithLabelValues("dropped").Inc() }

// Observe records one decided message; total is the time since MAIL FROM.
func (m *Metrics) Observe(res *Result, total time.Duration) {
	if m == nil || res == nil {
		return
	}
	pol := res.Verdict.Policy
	if pol == "" {
		pol = "none"
	}
	action, mode := string(res.Action), ModeEnforce
	if res.Monitor != nil {
		// What the policy would have done; the message itself was accepted.
		action, mode = string(res.Monitor.Action), ModeMonitor
	}
	m.messages.WithLabelValues(pol, action, mode).Inc()
	for _, f := range res.Findings {
		m.findings.WithLabelValues(pol, string(f.Kind)).Inc()
	}
	m.bytes.Add(float64(res.Bytes))
	if res.Elapsed > 0 {
		m.check.Observe(res.Elapsed.Seconds())
	}
	m.message.Observe(total.Seconds())
}

// ServeHTTP writes the metrics in the Prometheus exposition format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.handler.ServeHTTP(w, r)
}

// Text renders the metrics in the Prometheus text format (tests, debugging).
func (m *Metrics) Text() string {
	mfs, err := m.reg.Gather()
	var b strings.Builder
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		_ = enc.Encode(mf)
	}
	if err != nil {
		b.WriteString("# gather error: " + err.Error() + "\n")
	}
	return b.String()
}

// quarantineCollector measures the quarantine directory at scrape time.
type quarantineCollector struct{ m *Metrics }

var (
	quarantineFiles = prometheus.NewDesc("officemilter_quarantine_messages", "Messages (.eml files) in the quarantine directory.", nil, nil)
	quarantineBytes = prometheus.NewDesc("officemilter_quarantine_bytes", "Bytes of all files in the quarantine directory.", nil, nil)
)

func (c quarantineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- quarantineFiles
	ch <- quarantineBytes
}

func (c quarantineCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	dir := c.m.qdir
	c.m.mu.Unlock()
	if dir == "" {
		return
	}
	var files, bytes int64
	// A file removed while we walk is not an error worth a failed scrape.
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		bytes += info.Size()
		if strings.HasSuffix(d.Name(), ".eml") && !strings.HasPrefix(d.Name(), ".") {
			files++
		}
		return nil
	})
	ch <- prometheus.MustNewConstMetric(quarantineFiles, prometheus.GaugeValue, float64(files))
	ch <- prometheus.MustNewConstMetric(quarantineBytes, prometheus.GaugeValue, float64(bytes))
}
