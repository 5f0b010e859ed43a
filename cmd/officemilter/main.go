// Command officemilter is the mail attachment filter: a milter daemon for
// Postfix and Sendmail (serve), a corpus replayer (scan), a file inspector
// (inspect) and a configuration checker (check-config).
//
// This package holds flags, configuration loading, logging and the explicit
// wiring of the packages; no protocol or format logic.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes shared by the subcommands.
const (
	exitOK       = 0
	exitFindings = 1 // scan --expect: a verdict differs
	exitUsage    = 2 // usage, configuration or I/O error
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the milter daemon for Postfix or Sendmail", runServe},
		{"scan", "replay .eml files, directories or mbox files through the filter", runScan},
		{"inspect", "inspect files and print what they are and what they carry", runInspect},
		{"check-config", "validate a configuration file", runCheckConfig},
		{"quarantine", "list, show, release, delete and purge quarantined messages", runQuarantine},
		{"healthcheck", "check that a running milter answers (for container health checks)", runHealthcheck},
		{"version", "print the version", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: officemilter COMMAND [flags] [args]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'officemilter COMMAND -h' for a command's flags.\n")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return runVersion(nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "officemilter: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// parseArgs parses flags wherever they stand among the arguments
// ("scan DIR --json" works like "scan --json DIR"); "--" ends flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// subcommand returns the flag set of a subcommand: its errors go to
// stderr, and its usage prints usage, then the flags.
func subcommand(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// operands parses args with fs (see parseArgs) and returns the operands.
// ok is false when the command ends with code: a flag error, -h, or
// fewer operands than least or more than most (most < 0: no bound),
// which print the usage.
func operands(fs *flag.FlagSet, args []string, least, most int) (pos []string, code int, ok bool) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, flagExit(err), false
	}
	if len(pos) < least || most >= 0 && len(pos) > most {
		fs.Usage()
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

// flagExit is the exit status for a flag parsing error: -h asked for the
// usage (0), anything else is a usage error (2).
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
