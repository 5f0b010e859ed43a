package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
	"github.com/officemilter/officemilter/milter"
)

// Options configure a replay.
type Options struct {
	Filter *milter.Filter
	// Rcpt is the envelope recipient for every message; empty: taken from
	// Delivered-To, X-Original-To or To.
	Rcpt string
	// OutDir receives each message as it would be delivered (accepted ones
	// unchanged, stripped ones rewritten; rejected ones are not delivered).
	OutDir string
	// Jobs is how many messages are checked at once (default: CPUs).
	Jobs int
	// Skip holds absolute paths left out of directory walks.
	Skip map[string]bool
}

// Outcome is the result for one message, or why there is none.
type Outcome struct {
	ID   string
	Path string
	Rcpt string
	// Result is the verdict (nil when Err is set). The message it was made
	// from is released once emit returns: use Options.OutDir for the
	// delivered form.
	Result *milter.Result
	Err    error  // the input could not be read or checked
	Out    string // file written under OutDir
	Bytes  int64
}

// Summary counts a whole run.
type Summary struct {
	Messages int
	Errors   int
	Bytes    int64
	Actions  map[milter.Action]int
	Reasons  map[inspect.Kind]int
	Elapsed  time.Duration
}

type job struct {
	item  Item
	spool *inspect.Spool
	size  int64
	err   error
}

// Run replays every message below paths and calls emit for each, in input
// order. Memory stays bounded: at most about 2*Jobs messages are spooled at
// once (in memory up to the spool threshold, then in temporary files). A
// bad message gets a verdict or an Outcome with Err; Run never stops at
// one. It returns an error only when emit does or ctx ends.
func Run(ctx context.Context, o Options, paths []string, stdin io.Reader, emit func(Outcome) error) (Summary, error) {
	start := time.Now()
	sum := Summary{Actions: map[milter.Action]int{}, Reasons: map[inspect.Kind]int{}}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	cfg := o.Filter.Config()
	inspect.SetSpoolMemoryLimit(int64(cfg.Spool.MemoryTotal))
	if o.OutDir != "" {
		if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
			return sum, err
		}
	}
	// Each message is spooled in order by the feed, checked by a worker,
	// and counted and emitted in input order.
	feed := func(yield func(job) bool) error {
		return Walk(paths, stdin, o.Skip, func(it Item) error {
			j := job{item: it}
			if it.Err == nil {
				j.spool = inspect.NewSpool(cfg.Spool.Dir, int64(cfg.Spool.Memory), int64(cfg.Spool.MaxMessage), nil)
				_, err := j.spool.ReadFrom(it.r)
				j.size = j.spool.Size()
				if errors.Is(err, inspect.ErrSpoolFull) {
					// Drain the rest so that its size is known; the
					// verdict is the daemon's for an oversized message.
					n, _ := io.Copy(io.Discard, it.r)
					j.size += n
				} else if err != nil {
					j.err = err
				}
			}
			if !yield(j) {
				if j.spool != nil {
					j.spool.Close()
				}
				return context.Canceled
			}
			return nil
		})
	}
	err := Ordered(ctx, o.Jobs, feed, func(j job) Outcome { return check(ctx, o, j) }, func(o Outcome) error {
		sum.Messages++
		sum.Bytes += o.Bytes
		if o.Err != nil {
			sum.Errors++
		} else {
			sum.Actions[o.Result.Action]++
			for _, f := range o.Result.Reasons {
				sum.Reasons[f.Kind]++
			}
		}
		return emit(o)
	})
	sum.Elapsed = time.Since(start)
	return sum, err
}

func check(ctx context.Context, o Options, j job) Outcome {
	out := Outcome{ID: j.item.ID, Path: j.item.Path, Bytes: j.size}
	if j.spool != nil {
		defer j.spool.Close()
	}
	if j.item.Err != nil {
		out.Err = j.item.Err
		return out
	}
	if j.err != nil {
		out.Err = j.err
		return out
	}
	env := envelope(j.spool, j.spool.Size(), o.Rcpt)
	out.Rcpt = strings.Join(env.Rcpts, ",")
	cfg := o.Filter.Config()
	var res *milter.Result
	if j.size > int64(cfg.Spool.MaxMessage) {
		res = o.Filter.TooBig(env, j.size)
	} else {
		var err error
		res, err = o.Filter.Check(ctx, env, j.spool, j.spool.Size())
		if err != nil {
			out.Err = err
			return out
		}
	}
	out.Result = res
	if o.OutDir != "" && (res.Action == milter.Accept || res.Action == milter.Strip) {
		name, err := writeOut(o.OutDir, j.item.ID, cfg.Header, res)
		if err != nil {
			out.Err = err
			return out
		}
		out.Out = name
	}
	return out
}

// headerScan is how much of a message envelope() reads to find its header.
const headerScan = 256 << 10

// envelope takes the recipient (unless given) and the sender from the
// message header, as the MTA would have had them.
func envelope(r io.ReaderAt, size int64, rcpt string) milter.Envelope {
	env := milter.Envelope{}
	// Only the header block is needed: parse up to its end, not the whole
	// message (Check parses that once more anyway).
	head := make([]byte, min(size, headerScan))
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	if i := bytes.Index(head, []byte("\n\r\n")); i >= 0 {
		head = head[:i+3]
	} else if i := bytes.Index(head, []byte("\n\n")); i >= 0 {
		head = head[:i+2]
	}
	root, _ := mime.Parse(bytes.NewReader(head), int64(len(head)), mime.Limits{})
	if root == nil {
		root = &mime.Entity{}
	}
	if rcpt == "" {
		for _, h := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
			if a := firstAddress(root.Header.Get(h)); a != "" {
				rcpt = a
				break
			}
		}
	}
	if rcpt != "" {
		env.Rcpts = []string{rcpt}
	} else {
		env.Rcpts = []string{""}
	}
	for _, h := range []string{"Return-Path", "From", "Sender"} {
		if a := firstAddress(root.Header.Get(h)); a != "" {
			env.From = a
			break
		}
	}
	return env
}

func firstAddress(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if list, err := mail.ParseAddressList(v); err == nil && len(list) > 0 {
		return list[0].Address
	}
	// Tolerate what net/mail refuses: take what looks like an address.
	v = strings.Trim(strings.Fields(strings.Split(v, ",")[0])[0], "<>\"")
	if strings.Contains(v, "@") {
		return v
	}
	return ""
}

var outMu sync.Mutex

// writeOut stores the delivered form of a message; names stay unique.
func writeOut(dir, id, header string, res *milter.Result) (string, error) {
	base := filepath.Base(strings.ReplaceAll(id, "#", "_"))
	if base == "-" || base == "." || base == "/" {
		base = "stdin"
	}
	if !strings.HasSuffix(base, ".eml") {
		base += ".eml"
	}
	outMu.Lock()
	name := filepath.Join(dir, base)
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = filepath.Join(dir, fmt.Sprintf("%s.%d.eml", strings.TrimSuffix(base, ".eml"), i))
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	outMu.Unlock()
	if err != nil {
		return "", err
	}
	if err := res.WriteMessage(f, header); err != nil {
		f.Close()
		return "", err
	}
	return name, f.Close()
}
