package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
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
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the embedded default, legacy Office stripped for everyone)")
	listen := fs.String("listen", "", "milter socket as Postfix writes it: inet:127.0.0.1:7357 or unix:/path (overrides the config)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: officemilter serve [--config FILE] [--listen ADDR]\n\nRuns the milter daemon until SIGINT or SIGTERM.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	cfg, err := loadConfig(*cfgPath)
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
	log, err := newLogger(cfg.Log, zapcore.Lock(zapcore.AddSync(stderr)))
	if err != nil {
		fmt.Fprintf(stderr, "officemilter serve: %v\n", err)
		return exitUsage
	}
	defer log.Sync() //nolint:errcheck

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
	if cfg.Notify.SMTP != "" {
		opts.Mailer = &notify.Mailer{Addr: cfg.Notify.SMTP, From: cfg.Notify.From}
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

func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	printDefault := fs.Bool("print-default", false, "print the embedded default configuration and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: officemilter check-config FILE\n       officemilter check-config --print-default\n\n"+
			"Validates the configuration (unknown keys are errors, with line numbers)\nand prints its policies. Exit 0 when valid, 2 otherwise.\n\nflags:\n")
		fs.PrintDefaults()
	}
	files, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if *printDefault {
		stdout.Write(milter.DefaultConfigYAML())
		return exitOK
	}
	if len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	cfg, err := milter.LoadConfig(files[0])
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
		fmt.Fprintf(stdout, " actions=%v\n", p.Actions)
	}
	if last := cfg.Policies[len(cfg.Policies)-1]; !last.MatchesEverything() {
		fmt.Fprintf(stdout, "note: no policy matches every recipient; mail to others is accepted unchecked\n")
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
	cfg, err := milter.LoadConfig(path)
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
