package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/milter"
	"github.com/officemilter/officemilter/milter/replay"
)

// scanOutput is one line of `scan --json` (ARCHITECTURE.md contract).
type scanOutput struct {
	File     string            `json:"file"`
	Action   string            `json:"action"`
	Reasons  []inspect.Finding `json:"reasons"`
	Reply    string            `json:"reply,omitempty"`
	Stripped []string          `json:"stripped,omitempty"`
	Policy   string            `json:"policy,omitempty"`
	Rcpt     string            `json:"rcpt,omitempty"`
	Out      string            `json:"out,omitempty"`
	Error    string            `json:"error,omitempty"`
	// Signed lists the signatures of the attachments, "file: detail"
	// (none verified; no policy acts on them).
	Signed []string `json:"signed,omitempty"`
	// Monitor: the policy runs in monitor mode; what it would have done.
	Monitor *milter.Monitored `json:"monitor,omitempty"`
}

const scanUsage = `usage: officemilter scan [--config FILE] [--rcpt ADDR] [--json] [--out DIR]
                         [--expect FILE [--update-expect]] [-j N] PATH...

Replays stored mail through the same filter the daemon runs. PATH is an .eml
file, a directory (recursive), an mbox file, or - for standard input.
Without --rcpt the recipient comes from Delivered-To, X-Original-To or To.

Exit status: 0 when every message got a verdict (and, with --expect, every
verdict matched); 1 when a verdict differs from --expect; 2 on usage or
configuration errors or when an input could not be read.

flags:
`

func runScan(args []string, stdout, stderr io.Writer) int {
	fs := subcommand("scan", scanUsage, stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the embedded default)")
	rcpt := fs.String("rcpt", "", "envelope recipient for every message (default: from the header)")
	asJSON := fs.Bool("json", false, "one JSON object per message and line")
	outDir := fs.String("out", "", "write each message as it would be delivered into `DIR`")
	expectPath := fs.String("expect", "", "golden verdicts `FILE`: exit 1 with a diff when a verdict differs")
	update := fs.Bool("update-expect", false, "rewrite the --expect file from this run")
	jobs := fs.Int("j", 0, "messages checked in parallel (default: number of CPUs)")
	progress := fs.Bool("progress", isTerminal(os.Stderr), "progress bar on stderr (default: when stderr is a terminal)")
	paths, exit, ok := operands(fs, args, 1, -1)
	if !ok {
		return exit
	}
	if *update && *expectPath == "" {
		fmt.Fprintln(stderr, "officemilter scan: --update-expect needs --expect FILE")
		return exitUsage
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "officemilter scan: %v\n", err)
		return exitUsage
	}
	var expect *replay.Expect
	if *expectPath != "" {
		if expect, err = replay.ReadExpect(*expectPath); err != nil {
			fmt.Fprintf(stderr, "officemilter scan: %v\n", err)
			return exitUsage
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var bar *progressBar
	if *progress {
		bar = newProgressBar(stderr, paths)
		defer bar.stop()
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	got := map[string]replay.Expectation{}
	readErrors := 0
	opts := replay.Options{Filter: newFilter(cfg), Rcpt: *rcpt, OutDir: *outDir, Jobs: *jobs, Skip: map[string]bool{}}
	if *expectPath != "" {
		if abs, err := filepath.Abs(*expectPath); err == nil {
			opts.Skip[abs] = true // the golden file may live beside the messages
		}
	}
	sum, err := replay.Run(ctx, opts, paths, os.Stdin, func(o replay.Outcome) error {
		if bar != nil {
			bar.add(o.Bytes)
		}
		if o.Err != nil {
			readErrors++
		}
		if expect != nil {
			got[expect.Key(o.ID)] = replay.ExpectationOf(o)
		}
		if *asJSON {
			return enc.Encode(toScanOutput(o))
		}
		if bar != nil {
			bar.clear()
		}
		_, err := io.WriteString(stdout, humanLine(o))
		return err
	})
	if bar != nil {
		bar.stop()
	}
	if err != nil {
		fmt.Fprintf(stderr, "officemilter scan: %v\n", err)
		return exitUsage
	}
	summaryTo := stdout
	if *asJSON {
		summaryTo = stderr
	}
	printSummary(summaryTo, sum)

	code := exitOK
	if readErrors > 0 {
		code = exitUsage
	}
	if expect != nil {
		if *update {
			expect.Entries = got
			if err := expect.Write(*expectPath); err != nil {
				fmt.Fprintf(stderr, "officemilter scan: %v\n", err)
				return exitUsage
			}
			fmt.Fprintf(stderr, "wrote %d expectations to %s\n", len(got), *expectPath)
		} else if n := expect.Diff(got, stderr); n > 0 {
			fmt.Fprintf(stderr, "%d verdicts differ from %s\n", n, *expectPath)
			if code == exitOK {
				code = exitFindings
			}
		}
	}
	return code
}

func toScanOutput(o replay.Outcome) scanOutput {
	out := scanOutput{File: o.ID, Rcpt: o.Rcpt, Out: o.Out}
	if o.Err != nil {
		out.Action = "error"
		out.Error = o.Err.Error()
		out.Reasons = []inspect.Finding{}
		return out
	}
	r := o.Result
	out.Action, out.Reply, out.Stripped, out.Policy = string(r.Action), r.Reply.String(), r.Stripped, r.Verdict.Policy
	out.Reasons, out.Monitor = r.Reasons, r.Monitor
	for _, a := range r.Attachments {
		out.Signed = append(out.Signed, a.Signed...)
	}
	if out.Reasons == nil {
		out.Reasons = []inspect.Finding{}
	}
	return out
}

func humanLine(o replay.Outcome) string {
	if o.Err != nil {
		return fmt.Sprintf("%s: ERROR %v\n", o.ID, o.Err)
	}
	r := o.Result
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", o.ID, strings.ToUpper(string(r.Action)))
	if r.Verdict.Policy != "" {
		fmt.Fprintf(&b, " [%s]", r.Verdict.Policy)
	}
	if m := r.Monitor; m != nil && m.Action != milter.Accept {
		fmt.Fprintf(&b, " (monitor: would %s)", m.Action)
	}
	for i, f := range r.Reasons {
		if i == 3 {
			fmt.Fprintf(&b, " (+%d more)", len(r.Reasons)-3)
			break
		}
		fmt.Fprintf(&b, " %s:%s", f.Kind, f.Where)
		if f.Detail != "" {
			fmt.Fprintf(&b, " (%s)", f.Detail)
		}
	}
	if !r.Reply.IsZero() {
		fmt.Fprintf(&b, " -> %s", r.Reply)
	}
	if o.Out != "" {
		fmt.Fprintf(&b, " => %s", o.Out)
	}
	b.WriteByte('\n')
	// Unusual structure is worth a line: what could not be inspected.
	for _, f := range r.Findings {
		if f.Kind == inspect.KindUnscannable && r.Action == milter.Accept {
			fmt.Fprintf(&b, "  note: %s could not be inspected completely: %s\n", f.Where, f.Detail)
		}
	}
	return b.String()
}

func printSummary(w io.Writer, s replay.Summary) {
	secs := s.Elapsed.Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	fmt.Fprintf(w, "%d messages, %.1f MB in %s (%.0f messages/s, %.1f MB/s)", s.Messages, float64(s.Bytes)/1e6,
		s.Elapsed.Round(time.Millisecond), float64(s.Messages)/secs, float64(s.Bytes)/1e6/secs)
	var parts []string
	for _, a := range []milter.Action{milter.Accept, milter.Strip, milter.Reject, milter.Tempfail} {
		if n := s.Actions[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", a, n))
		}
	}
	if s.Errors > 0 {
		parts = append(parts, fmt.Sprintf("error %d", s.Errors))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if len(s.Reasons) > 0 {
		kinds := make([]string, 0, len(s.Reasons))
		for k := range s.Reasons {
			kinds = append(kinds, string(k))
		}
		sort.Strings(kinds)
		var rs []string
		for _, k := range kinds {
			rs = append(rs, fmt.Sprintf("%s %d", k, s.Reasons[inspect.Kind(k)]))
		}
		fmt.Fprintf(w, "reasons: %s\n", strings.Join(rs, ", "))
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws messages, MB and an ETA on one terminal line.
type progressBar struct {
	w       io.Writer
	total   int64 // bytes of all inputs, when known (0 for stdin)
	done    atomic.Int64
	msgs    atomic.Int64
	start   time.Time
	ticker  *time.Ticker
	quit    chan struct{}
	stopped atomic.Bool
}

func newProgressBar(w io.Writer, paths []string) *progressBar {
	p := &progressBar{w: w, start: time.Now(), ticker: time.NewTicker(200 * time.Millisecond), quit: make(chan struct{})}
	for _, path := range paths {
		_ = filepath.Walk(path, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				p.total += fi.Size()
			}
			return nil
		})
	}
	go func() {
		for {
			select {
			case <-p.ticker.C:
				p.draw()
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

func (p *progressBar) add(n int64) { p.done.Add(n); p.msgs.Add(1) }

func (p *progressBar) draw() {
	done, msgs := p.done.Load(), p.msgs.Load()
	el := time.Since(p.start).Seconds()
	line := fmt.Sprintf("\r%6d messages  %8.1f MB", msgs, float64(done)/1e6)
	if p.total > 0 {
		frac := float64(done) / float64(p.total)
		if frac > 1 {
			frac = 1
		}
		const width = 30
		bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
		eta := "?"
		if frac > 0 {
			eta = time.Duration(el / frac * (1 - frac) * float64(time.Second)).Round(time.Second).String()
		}
		line += fmt.Sprintf("  [%s] %3.0f%%  ETA %s", bar, frac*100, eta)
	}
	fmt.Fprint(p.w, line+"\033[K")
}

func (p *progressBar) clear() { fmt.Fprint(p.w, "\r\033[K") }

func (p *progressBar) stop() {
	if p.stopped.Swap(true) {
		return
	}
	p.ticker.Stop()
	close(p.quit)
	p.clear()
}
