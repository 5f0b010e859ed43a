package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/officemilter/officemilter/milter"
)

// exitNotQuarantined: show, release or delete of an id that is not in the
// quarantine.
const exitNotQuarantined = 1

// defaultConfigPath is where the README installs the configuration.
const defaultConfigPath = "/etc/officemilter/officemilter.yml"

// actionsLog is the file in the quarantine directory that every release,
// delete and purge is appended to (one JSON line each), besides stderr.
const actionsLog = "actions.log"

const quarantineUsage = `usage: officemilter quarantine [--config FILE] ACTION [flags] [ID]

actions:
  list [--since DUR|DATE] [--json]   quarantined messages, oldest first
  show [--eml] ID                    one message's envelope and verdict (--eml: the message)
  release [--to ADDR] ID             re-inject the original, unchanged, to its recipients
                                     (or ADDR) through the MTA's sendmail command
  delete ID                          remove a message
  purge --older-than DUR             remove messages older than DUR (e.g. 720h or 30d)

ID is the id 'list' prints (<queue-id>-<hash>) or a unique prefix of it.
--config defaults to ` + defaultConfigPath + ` when it exists, else the embedded
default; $OFFICEMILTER_QUARANTINE and $OFFICEMILTER_SPOOL override it, as for serve.
Exit status: 0 done, 1 ID not in the quarantine, 2 usage, configuration or I/O error.
`

// runQuarantine is `officemilter quarantine ACTION`.
func runQuarantine(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, quarantineUsage)
		return exitUsage
	}
	// --config may stand before the action too.
	cfgPath := ""
	if _, err := os.Stat(defaultConfigPath); err == nil {
		cfgPath = defaultConfigPath
	}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		switch {
		case a == "-h" || a == "--help" || a == "-help":
			fmt.Fprint(stdout, quarantineUsage)
			return exitOK
		case a == "--config" || a == "-config":
			if len(args) < 2 {
				fmt.Fprint(stderr, quarantineUsage)
				return exitUsage
			}
			cfgPath, args = args[1], args[2:]
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			cfgPath, args = a[strings.IndexByte(a, '=')+1:], args[1:]
		default:
			fmt.Fprintf(stderr, "officemilter quarantine: unknown flag %s\n\n%s", a, quarantineUsage)
			return exitUsage
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, quarantineUsage)
		return exitUsage
	}
	action, args := args[0], args[1:]
	fs := flag.NewFlagSet("quarantine "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, quarantineUsage) }
	fs.StringVar(&cfgPath, "config", cfgPath, "configuration file")
	var (
		since, olderThan, to string
		asJSON, asEML        bool
	)
	switch action {
	case "list":
		fs.StringVar(&since, "since", "", "only messages quarantined in the last DUR (24h, 7d) or since DATE (2026-12-01)")
		fs.BoolVar(&asJSON, "json", false, "one JSON object per message")
	case "show":
		fs.BoolVar(&asEML, "eml", false, "print the quarantined message itself")
	case "release":
		fs.StringVar(&to, "to", "", "deliver to these addresses (comma-separated) instead of the original recipients")
	case "delete":
	case "purge":
		fs.StringVar(&olderThan, "older-than", "", "remove messages quarantined longer ago than DUR (720h, 30d)")
	default:
		fmt.Fprintf(stderr, "officemilter quarantine: unknown action %q\n\n%s", action, quarantineUsage)
		return exitUsage
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	wantID := action == "show" || action == "release" || action == "delete"
	if (wantID && len(pos) != 1) || (!wantID && len(pos) != 0) {
		fs.Usage()
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "officemilter quarantine %s: %v\n", action, err)
		if errors.Is(err, milter.ErrNotQuarantined) {
			return exitNotQuarantined
		}
		return exitUsage
	}
	// The S/MIME key files the configuration names are serve's business.
	cfg := milter.DefaultConfig()
	if cfgPath != "" {
		if cfg, err = milter.LoadConfigSettings(cfgPath); err != nil {
			return fail(err)
		}
	}
	if err := applyEnv(cfg); err != nil {
		return fail(err)
	}
	if cfg.Quarantine.Dir == "" {
		return fail(fmt.Errorf("no quarantine: quarantine.dir is not set in %s (give --config FILE)", orEmbedded(cfgPath)))
	}
	q, err := milter.OpenQuarantine(cfg.Quarantine.Dir)
	if err != nil {
		return fail(err)
	}
	log, err := newLogger(cfg.Log, zapcore.Lock(zapcore.AddSync(stderr)))
	if err != nil {
		return fail(err)
	}
	log = auditLogger(log, cfg, filepath.Join(cfg.Quarantine.Dir, actionsLog)).With(zap.String("command", "quarantine "+action))
	defer log.Sync() //nolint:errcheck

	switch action {
	case "list":
		var cutoff time.Time
		if since != "" {
			if cutoff, err = parseSince(since, time.Now()); err != nil {
				return fail(err)
			}
		}
		all, err := q.List()
		if err != nil {
			return fail(err)
		}
		for _, e := range all {
			if e.Record.Time.Before(cutoff) {
				continue
			}
			if asJSON {
				writeEntryJSON(stdout, e)
			} else {
				writeEntryLine(stdout, e)
			}
		}
		return exitOK
	case "purge":
		if olderThan == "" {
			return fail(errors.New("--older-than is required (e.g. --older-than 30d)"))
		}
		d, err := parseAge(olderThan)
		if err != nil {
			return fail(err)
		}
		done, err := q.Purge(time.Now().Add(-d))
		for _, e := range done {
			log.Info("quarantine purged", entryFields(e)...)
		}
		fmt.Fprintf(stdout, "purged %d messages older than %s\n", len(done), olderThan)
		if err != nil {
			log.Error("quarantine purge failed", zap.Error(err))
			return fail(err)
		}
		return exitOK
	}

	e, err := q.Find(pos[0])
	if err != nil {
		if errors.Is(err, milter.ErrNotQuarantined) {
			log.Warn("quarantine "+action+": id not in the quarantine", zap.String("id", pos[0]))
		}
		return fail(err)
	}
	switch action {
	case "show":
		if asEML {
			f, err := os.Open(e.Path)
			if err != nil {
				return fail(err)
			}
			defer f.Close()
			if _, err := io.Copy(stdout, f); err != nil {
				return fail(err)
			}
			return exitOK
		}
		js, _ := json.MarshalIndent(struct {
			ID   string `json:"id"`
			Path string `json:"path"`
			milter.QuarantineRecord
		}{e.ID, e.Path, e.Record}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", js)
		return exitOK
	case "delete":
		if err := q.Delete(e); err != nil {
			log.Error("quarantine delete failed", append(entryFields(e), zap.Error(err))...)
			return fail(err)
		}
		log.Info("quarantine deleted", entryFields(e)...)
		fmt.Fprintf(stdout, "deleted %s\n", e.ID)
		return exitOK
	}
	// release
	rcpts := e.Record.Rcpts
	if to != "" {
		rcpts = nil
		for _, a := range strings.Split(to, ",") {
			if a = strings.TrimSpace(a); a != "" {
				rcpts = append(rcpts, a)
			}
		}
	}
	if err := release(cfg, q, e, rcpts); err != nil {
		log.Error("quarantine release failed", append(entryFields(e), zap.Strings("to", rcpts), zap.Error(err))...)
		return fail(err)
	}
	log.Info("quarantine released", append(entryFields(e), zap.Strings("to", rcpts))...)
	fmt.Fprintf(stdout, "released %s to %s\n", e.ID, strings.Join(rcpts, ", "))
	return exitOK
}

// release reads the release key and hands the message to the MTA.
func release(cfg *milter.Config, q *milter.Quarantine, e milter.QuarantineEntry, rcpts []string) error {
	if cfg.Quarantine.ReleaseKey == "" {
		return errors.New("quarantine.release_key is not set: without it the milter would strip the released message again " +
			"(create one: head -c 32 /dev/urandom > /etc/officemilter/release.key; chmod 600 it; set quarantine.release_key and restart serve)")
	}
	key, err := milter.ReadReleaseKey(cfg.Quarantine.ReleaseKey)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return q.Release(ctx, e, key, strings.Fields(cfg.Sendmail), rcpts)
}

func entryFields(e milter.QuarantineEntry) []zap.Field {
	return []zap.Field{zap.String("id", e.ID), zap.String("queue_id", e.Record.QueueID), zap.String("from", e.Record.From),
		zap.Strings("rcpts", e.Record.Rcpts), zap.String("action", string(e.Record.Verdict.Action)), zap.String("path", e.Path)}
}

// auditLogger also appends every line to the quarantine's actions.log,
// so that what was released or deleted stays on record next to it.
func auditLogger(log *zap.Logger, cfg *milter.Config, path string) *zap.Logger {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		log.Warn("cannot write the quarantine actions log", zap.String("path", path), zap.Error(err))
		return log
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "ts"
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(ec), zapcore.Lock(f), zapcore.InfoLevel)
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) }))
}

func writeEntryLine(w io.Writer, e milter.QuarantineEntry) {
	what := strings.Join(e.Record.Verdict.Stripped, ",")
	if what == "" {
		var kinds []string
		for _, f := range e.Record.Verdict.Reasons {
			kinds = append(kinds, string(f.Kind)+":"+f.Where)
		}
		what = strings.Join(kinds, ",")
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Record.Time.UTC().Format(time.RFC3339), orDash(string(e.Record.Verdict.Action)),
		orDash("<"+e.Record.From+">"), orDash(strings.Join(e.Record.Rcpts, ",")), orDash(what))
}

func writeEntryJSON(w io.Writer, e milter.QuarantineEntry) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		ID       string   `json:"id"`
		Time     string   `json:"time"`
		QueueID  string   `json:"queue_id"`
		From     string   `json:"from"`
		Rcpts    []string `json:"rcpts"`
		Action   string   `json:"action"`
		Policy   string   `json:"policy,omitempty"`
		Stripped []string `json:"stripped,omitempty"`
		Reply    string   `json:"reply,omitempty"`
		Size     int64    `json:"size"`
		Path     string   `json:"path"`
	}{e.ID, e.Record.Time.UTC().Format(time.RFC3339), e.Record.QueueID, e.Record.From, nonNil(e.Record.Rcpts), string(e.Record.Verdict.Action),
		e.Record.Verdict.Policy, e.Record.Verdict.Stripped, e.Record.Verdict.Reply.String(), e.Record.Size, e.Path})
	w.Write(b.Bytes())
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseAge reads a duration: Go's (90m, 720h) or days (30d).
func parseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d >= 0 {
			return time.Duration(d) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration like 24h, 90m or 30d", s)
	}
	return d, nil
}

// parseSince reads --since: a duration back from now, a date (UTC) or an
// RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := parseAge(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration (24h, 7d), a date (2026-12-01) or an RFC 3339 time", s)
}

func orEmbedded(path string) string {
	if path == "" {
		return "the embedded default"
	}
	return path
}
