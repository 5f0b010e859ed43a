package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/officemilter/officemilter/inspect/all"
	"github.com/officemilter/officemilter/milter"
	"github.com/officemilter/officemilter/notify"
)

// loadConfig reads --config, or returns the embedded default.
func loadConfig(path string) (*milter.Config, error) {
	if path == "" {
		return milter.DefaultConfig(), nil
	}
	return milter.LoadConfig(path)
}

// loadConfigEnv is loadConfig with the OFFICEMILTER_* overrides applied.
func loadConfigEnv(path string) (*milter.Config, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	return cfg, applyEnv(cfg)
}

func newLogger(cfg milter.LogConfig, w zapcore.WriteSyncer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "ts"
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if cfg.Format == "console" {
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		enc = zapcore.NewJSONEncoder(ec)
	}
	return zap.New(zapcore.NewCore(enc, w, lvl)), nil
}

// newFilter wires the inspection engine into a filter for cfg.
func newFilter(cfg *milter.Config) *milter.Filter {
	return milter.NewFilter(cfg, all.NewEngine(cfg.InspectLimits()))
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := subcommand("serve", "usage: officemilter serve [--config FILE] [--listen ADDR]\n\nRuns the milter daemon until SIGINT or SIGTERM.\n\nflags:\n", stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the embedded default, legacy Office stripped for everyone)")
	listen := fs.String("listen", "", "milter socket as Postfix writes it: inet:127.0.0.1:7357 or unix:/path (overrides the config and $OFFICEMILTER_LISTEN)")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	cfg, err := loadConfigEnv(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "officemilter serve: %v\n", err)
		return exitUsage
	}
	if *listen != "" {
		if _, _, err := milter.ParseListen(*listen); err != nil {
			fmt.Fprintf(stderr, "officemilter serve: %v\n", err)
			return exitUsage
		}
		cfg.Listen = *listen
	}
	// Refuse to start on a host where the configuration cannot work,
	// rather than answer 451 to every large message later.
	if problems := cfg.CheckHost(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "officemilter serve: %v\n", p)
		}
		fmt.Fprintf(stderr, "officemilter serve: not started (%d problems above; check-config lists them too)\n", len(problems))
		return exitUsage
	}
	log, err := newLogger(cfg.Log, zapcore.Lock(zapcore.AddSync(stderr)))
	if err != nil {
		fmt.Fprintf(stderr, "officemilter serve: %v\n", err)
		return exitUsage
	}
	defer log.Sync() //nolint:errcheck
	for _, d := range cfg.Deprecations() {
		log.Warn(d)
	}

	filter := newFilter(cfg)
	metrics := milter.NewMetrics()
	opts := milter.ServerOptions{Log: log, Metrics: metrics}
	if cfg.Quarantine.Dir != "" {
		q, err := milter.NewQuarantine(cfg.Quarantine.Dir)
		if err != nil {
			log.Error("cannot use quarantine", zap.Error(err))
			return exitUsage
		}
		opts.Quarantine = q
	}
	if cfg.Notify.From != "" {
		opts.Mailer = &notify.Mailer{Sendmail: strings.Fields(cfg.Sendmail), Addr: cfg.Notify.SMTP, From: cfg.Notify.From}
	}
	if cfg.Quarantine.ReleaseKey != "" {
		// CheckHost read it a moment ago.
		if opts.ReleaseKey, err = milter.ReadReleaseKey(cfg.Quarantine.ReleaseKey); err != nil {
			log.Error("cannot use the release key", zap.Error(err))
			return exitUsage
		}
	}
	srv := milter.NewServer(filter, opts)

	ln, err := milter.Listen(cfg.Listen)
	if err != nil {
		log.Error("cannot listen", zap.String("listen", cfg.Listen), zap.Error(err))
		return exitUsage
	}
	var httpSrv *http.Server
	if cfg.Metrics != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics)
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
		httpSrv = &http.Server{Addr: cfg.Metrics, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := httpSrv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics endpoint failed", zap.Error(err))
			}
		}()
	}
	policies := make([]string, 0, len(cfg.Policies))
	for _, p := range cfg.Policies {
		policies = append(policies, p.Name)
	}
	source := *cfgPath
	if source == "" {
		source = "(embedded default)"
	}
	log.Info("officemilter started", zap.String("version", versionString()), zap.String("listen", cfg.Listen),
		zap.String("config", source), zap.Strings("policies", policies), zap.Bool("quarantine", opts.Quarantine != nil))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
wait:
	for {
		select {
		case err := <-errc:
			if err != nil {
				log.Error("milter server failed", zap.Error(err))
				return exitUsage
			}
			return exitOK
		case s := <-sig:
			if s != syscall.SIGHUP {
				log.Info("shutting down", zap.String("signal", s.String()))
				break wait
			}
			reload(log, srv, *cfgPath, cfg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("shutdown", zap.Error(err))
	}
	if httpSrv != nil {
		_ = httpSrv.Shutdown(ctx)
	}
	log.Info("stopped")
	return exitOK
}

const checkConfigUsage = `usage: officemilter check-config [--strict] FILE
       officemilter check-config --print-default

Validates the configuration (unknown keys are errors, with line numbers)
and prints its policies. What this host lacks for it (directories, key files,
the sendmail command) is printed as warnings: serve refuses to start on them.
Exit 0 when valid, 1 with --strict when there are warnings, 2 when invalid.

flags:
`

func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := subcommand("check-config", checkConfigUsage, stderr)
	printDefault := fs.Bool("print-default", false, "print the embedded default configuration and exit")
	strict := fs.Bool("strict", false, "exit 1 when this host has a problem serve would refuse to start on (a warning otherwise)")
	files, exit, ok := operands(fs, args, 0, -1)
	if !ok {
		return exit
	}
	if *printDefault {
		stdout.Write(milter.DefaultConfigYAML())
		return exitOK
	}
	if len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	// Key files are checked with the directories (CheckHost): the file
	// may be validated on another machine than the one that runs it.
	cfg, err := milter.LoadConfigSettings(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "officemilter check-config: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: valid; listen %s; on_error %s; %d policies:\n", files[0], cfg.Listen, cfg.OnError, len(cfg.Policies))
	for i, p := range cfg.Policies {
		fmt.Fprintf(stdout, "  %d. %s  recipients=%v", i+1, p.Name, p.Recipients)
		if len(p.Senders) > 0 {
			fmt.Fprintf(stdout, " senders=%v", p.Senders)
		}
		if p.Authenticated != nil {
			fmt.Fprintf(stdout, " authenticated=%v", *p.Authenticated)
		}
		if len(p.Clients) > 0 {
			fmt.Fprintf(stdout, " clients=%v", p.Clients)
		}
		if p.Mode == milter.Monitor || cfg.Mode == milter.Monitor {
			fmt.Fprintf(stdout, " mode=monitor")
		}
		if len(p.AllowTypes) > 0 {
			fmt.Fprintf(stdout, " allow=%v", p.AllowTypes)
		}
		if p.MaxAttachments > 0 {
			fmt.Fprintf(stdout, " max_attachments_size=%s", p.MaxAttachments)
		}
		if p.LegacyText {
			fmt.Fprintf(stdout, " legacy_text=%s", p.EffectiveLegacyTextMax())
		}
		fmt.Fprintf(stdout, " actions=%v\n", p.Actions)
	}
	if last := cfg.Policies[len(cfg.Policies)-1]; !last.MatchesEverything() {
		fmt.Fprintf(stdout, "note: no policy matches every recipient; mail to others is accepted unchecked\n")
	}
	for _, d := range cfg.Deprecations() {
		fmt.Fprintf(stdout, "warning: %s\n", d)
	}
	problems := cfg.CheckHost()
	for _, p := range problems {
		fmt.Fprintf(stdout, "warning: %v\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "warning: serve refuses to start on this host until the %d problems above are fixed\n", len(problems))
		if *strict {
			return exitFindings
		}
	}
	return exitOK
}

// reload re-reads the configuration on SIGHUP and swaps the policies in; a
// file that does not validate is logged and the running one kept. Listen
// address, logging, quarantine, notifications and metrics need a restart.
func reload(log *zap.Logger, srv *milter.Server, path string, running *milter.Config) {
	if path == "" {
		log.Info("SIGHUP: running on the embedded default; nothing to reload")
		return
	}
	// The environment was checked at start; the spool directory may come
	// from it.
	cfg, err := loadConfigEnv(path)
	if err != nil {
		log.Error("SIGHUP: configuration not reloaded", zap.Error(err))
		return
	}
	cfg.Listen = running.Listen
	srv.SetFilter(newFilter(cfg))
	names := make([]string, 0, len(cfg.Policies))
	for _, p := range cfg.Policies {
		names = append(names, p.Name)
	}
	log.Info("configuration reloaded", zap.String("config", path), zap.Strings("policies", names))
}
