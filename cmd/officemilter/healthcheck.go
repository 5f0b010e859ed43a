package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/officemilter/officemilter/milter"
)

// Environment variables that override the configuration, for containers
// (an explicit flag wins over them).
const (
	envListen     = "OFFICEMILTER_LISTEN"     // listen
	envSpool      = "OFFICEMILTER_SPOOL"      // spool.dir
	envQuarantine = "OFFICEMILTER_QUARANTINE" // quarantine.dir
)

// applyEnv applies the OFFICEMILTER_* overrides to cfg.
func applyEnv(cfg *milter.Config) error {
	if v := os.Getenv(envListen); v != "" {
		if _, _, err := milter.ParseListen(v); err != nil {
			return fmt.Errorf("%s: %w", envListen, err)
		}
		cfg.Listen = v
	}
	if v := os.Getenv(envSpool); v != "" {
		cfg.Spool.Dir = v
	}
	if v := os.Getenv(envQuarantine); v != "" {
		cfg.Quarantine.Dir = v
	}
	return nil
}

// runHealthcheck is `officemilter healthcheck`: it opens a milter session
// (connect and option negotiation, then quit) with the daemon, and with
// --http also asks an HTTP endpoint (the metrics listener's /healthz).
// Exit 0 healthy, 1 not, 2 usage. A container's HEALTHCHECK runs it.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fs := subcommand("healthcheck", "usage: officemilter healthcheck [--config FILE] [--listen ADDR] [--http URL]\n\n"+
		"Checks that the milter answers a protocol negotiation. Exit 0 healthy, 1 not, 2 usage.\n\nflags:\n", stderr)
	cfgPath := fs.String("config", "", "configuration file whose listen address to check (default: the embedded default's)")
	listen := fs.String("listen", "", "milter address to check (default: $"+envListen+", else the configuration's)")
	httpURL := fs.String("http", "", "also require 200 from this URL, e.g. http://127.0.0.1:9357/healthz")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if _, exit, ok := operands(fs, args, 0, 0); !ok {
		return exit
	}
	addr := *listen
	if addr == "" {
		cfg, err := loadConfigEnv(*cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "officemilter healthcheck: %v\n", err)
			return exitUsage
		}
		addr = cfg.Listen
	}
	network, address, err := milter.ParseListen(addr)
	if err != nil {
		fmt.Fprintf(stderr, "officemilter healthcheck: %v\n", err)
		return exitUsage
	}
	address = dialable(network, address)
	c := gomilter.NewClient(network, address, gomilter.WithDialer(&net.Dialer{Timeout: *timeout}),
		gomilter.WithReadTimeout(*timeout), gomilter.WithWriteTimeout(*timeout))
	s, err := c.Session(gomilter.NewMacroBag())
	if err != nil {
		fmt.Fprintf(stderr, "officemilter healthcheck: milter at %s: %v\n", addr, err)
		return exitFindings
	}
	_ = s.Close()
	if *httpURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, *httpURL, nil)
		if err != nil {
			fmt.Fprintf(stderr, "officemilter healthcheck: %v\n", err)
			return exitUsage
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintf(stderr, "officemilter healthcheck: %v\n", err)
			return exitFindings
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintf(stderr, "officemilter healthcheck: %s: %s\n", *httpURL, resp.Status)
			return exitFindings
		}
	}
	fmt.Fprintf(stdout, "ok: milter at %s answered\n", addr)
	return exitOK
}

// dialable turns a wildcard listen address (0.0.0.0:7357, [::]:7357,
// :7357) into the loopback address of the same port.
func dialable(network, address string) string {
	if network == "unix" {
		return address
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}
	switch strings.Trim(host, "[]") {
	case "", "0.0.0.0":
		return net.JoinHostPort("127.0.0.1", port)
	case "::":
		return net.JoinHostPort("::1", port)
	}
	return address
}
