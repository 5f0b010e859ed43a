package replay

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Expectation is the golden verdict of one message.
type Expectation struct {
	Action  string   // accept, strip, reject, tempfail, or error
	Reasons []string // "kind@attachment", sorted, unique
}

func (e Expectation) String() string {
	r := "-"
	if len(e.Reasons) > 0 {
		r = strings.Join(e.Reasons, " ")
	}
	return e.Action + "\t" + r
}

// Expect maps message keys (paths relative to the expect file) to their
// golden verdicts.
type Expect struct {
	Dir     string // keys are relative to it
	Entries map[string]Expectation
	Order   []string
}

const expectHeader = `# officemilter scan expectations: one message per line,
# FILE <TAB> ACTION <TAB> REASONS (kind@attachment, space-separated; - for none).
# FILE is relative to this file. Regenerate with:
#   officemilter scan --expect THIS_FILE --update-expect [--config ...] PATH...
`

// ExpectationOf turns an outcome into its golden form.
func ExpectationOf(o Outcome) Expectation {
	if o.Err != nil {
		return Expectation{Action: "error"}
	}
	seen := map[string]bool{}
	var reasons []string
	for _, f := range o.Result.Reasons {
		where := f.Where
		if i := strings.IndexByte(where, '/'); i >= 0 {
			where = where[:i]
		}
		if where == "" {
			where = "message"
		}
		r := strings.ReplaceAll(string(f.Kind)+"@"+where, "\t", " ")
		r = strings.ReplaceAll(r, " ", "_")
		if !seen[r] {
			seen[r] = true
			reasons = append(reasons, r)
		}
	}
	sort.Strings(reasons)
	return Expectation{Action: string(o.Result.Action), Reasons: reasons}
}

// Key returns the key of a message ID relative to the expect file.
func (e *Expect) Key(id string) string {
	if id == "-" || strings.HasPrefix(id, "-#") {
		return id
	}
	path, frag := id, ""
	if i := strings.LastIndexByte(id, '#'); i > 0 {
		if _, err := os.Stat(id); err != nil {
			path, frag = id[:i], id[i:]
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(id)
	}
	rel, err := filepath.Rel(e.Dir, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(id)
	}
	return filepath.ToSlash(rel) + frag
}

// ReadExpect reads an expect file; a missing file is an empty one.
func ReadExpect(name string) (*Expect, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	e := &Expect{Dir: filepath.Dir(abs), Entries: map[string]Expectation{}}
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return e, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 {
			return nil, fmt.Errorf("%s:%d: want FILE<TAB>ACTION<TAB>REASONS", name, line)
		}
		ex := Expectation{Action: strings.TrimSpace(cols[1])}
		if r := strings.TrimSpace(cols[2]); r != "-" && r != "" {
			ex.Reasons = strings.Fields(r)
			sort.Strings(ex.Reasons)
		}
		key := strings.TrimSpace(cols[0])
		if _, dup := e.Entries[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s listed twice", name, line, key)
		}
		e.Entries[key] = ex
		e.Order = append(e.Order, key)
	}
	return e, sc.Err()
}

// Write writes the expectations, sorted by key.
func (e *Expect) Write(name string) error {
	keys := make([]string, 0, len(e.Entries))
	for k := range e.Entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(expectHeader)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s\t%s\n", k, e.Entries[k])
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// Diff compares the run's verdicts (by key) with the expectations and
// writes a readable difference to w. It returns the number of
// differences: verdicts that changed, messages not in the file, and
// entries of the file that were not scanned.
func (e *Expect) Diff(got map[string]Expectation, w io.Writer) int {
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range e.Entries {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	n := 0
	for _, k := range keys {
		want, inFile := e.Entries[k]
		have, scanned := got[k]
		switch {
		case !inFile:
			fmt.Fprintf(w, "%s: not in the expect file\n  + %s\n", k, have)
		case !scanned:
			fmt.Fprintf(w, "%s: expected but not scanned\n  - %s\n", k, want)
		case want.String() != have.String():
			fmt.Fprintf(w, "%s:\n  - %s\n  + %s\n", k, want, have)
		default:
			continue
		}
		n++
	}
	return n
}
