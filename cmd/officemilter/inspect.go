package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/all"
	"github.com/officemilter/officemilter/milter/replay"
)

// inspectOutput is one line of `inspect --json` (ARCHITECTURE.md contract).
type inspectOutput struct {
	File     string            `json:"file"`
	Type     string            `json:"type"`
	Declared string            `json:"declared,omitempty"`
	Findings []inspect.Finding `json:"findings"`
	// Notes are facts that are no findings: the signatures of the file
	// and of what it holds (none verified).
	Notes []inspect.Note `json:"notes,omitempty"`
}

const inspectUsage = `usage: officemilter inspect [--json] [-j N] FILE...

Says what each file is by content and whether it carries macros,
encryption, executable code or active content. Exit 0 when every file
was inspected (findings or not), 2 on usage or I/O errors.

flags:
`

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := subcommand("inspect", inspectUsage, stderr)
	asJSON := fs.Bool("json", false, "one JSON object per file and line")
	jobs := fs.Int("j", runtime.NumCPU(), "files inspected in parallel (output stays in argument order)")
	paths, exit, ok := operands(fs, args, 1, -1)
	if !ok {
		return exit
	}
	eng := all.NewEngine(inspect.Limits{})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	code := exitOK
	type result struct {
		res *inspect.Result
		err error
	}
	feed := func(yield func(int) bool) error {
		for i := range paths {
			if !yield(i) {
				break
			}
		}
		return nil
	}
	work := func(i int) result {
		res, err := inspectPath(eng, paths[i])
		return result{res, err}
	}
	i := 0
	err := replay.Ordered(context.Background(), *jobs, feed, work, func(r result) error {
		name := paths[i]
		i++
		if r.err != nil {
			fmt.Fprintf(stderr, "officemilter inspect: %v\n", r.err)
			code = exitUsage
			return nil
		}
		res := r.res
		out := inspectOutput{File: name, Type: res.Type, Declared: res.Declared, Findings: res.Findings, Notes: res.Notes}
		if out.Findings == nil {
			out.Findings = []inspect.Finding{}
		}
		if *asJSON {
			return enc.Encode(out)
		}
		printHuman(stdout, out)
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "officemilter inspect: %v\n", err)
		return exitUsage
	}
	return code
}

func inspectPath(eng *inspect.Engine, name string) (*inspect.Result, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	// A file that fits the in-memory spool is read at once: parsers then
	// work on memory instead of issuing many small reads.
	if lim := eng.Limits().MemSpool; st.Size() <= lim {
		b := make([]byte, st.Size())
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, err
		}
		return eng.Inspect(context.Background(), name, "", inspect.BytesReaderAt(b), st.Size()), nil
	}
	return eng.Inspect(context.Background(), name, "", f, st.Size()), nil
}

func printHuman(w io.Writer, o inspectOutput) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", o.File, o.Type)
	if o.Declared != "" {
		fmt.Fprintf(&b, " (name says %s)", o.Declared)
	}
	if len(o.Findings) == 0 {
		b.WriteString(", clean")
	}
	b.WriteByte('\n')
	for _, f := range o.Findings {
		fmt.Fprintf(&b, "  %-18s %s", f.Kind, f.Detail)
		if f.Where != "" {
			fmt.Fprintf(&b, "  in %s", f.Where)
			if f.Type != "" {
				fmt.Fprintf(&b, " (%s)", f.Type)
			}
		}
		b.WriteByte('\n')
	}
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "  %-18s %s", "("+n.Kind+")", n.Detail)
		if n.Where != "" {
			fmt.Fprintf(&b, "  in %s", n.Where)
		}
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}
