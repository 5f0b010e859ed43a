package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/officemilter/officemilter/inspect/all"
	"github.com/officemilter/officemilter/milter"
	"github.com/officemilter/officemilter/milter/internal/mta"
	"github.com/officemilter/officemilter/milter/replay"
)

const emlDir = "../../testdata/eml"

func loadConfig(t testing.TB) *milter.Config {
	t.Helper()
	c, err := milter.LoadConfig("../../contrib/officemilter.yml")
	if err != nil {
		t.Fatal(err)
	}
	c.Spool.Dir, c.Quarantine.Dir = t.TempDir(), ""
	return c
}

// TestScanEqualsDaemon: for every message of testdata/eml, the verdict of
// scan equals what the running daemon answers over the milter protocol
// for the same message and recipient.
func TestScanEqualsDaemon(t *testing.T) {
	cfg := loadConfig(t)
	filter := milter.NewFilter(cfg, all.NewEngine(cfg.InspectLimits()))
	srv := milter.NewServer(filter, milter.ServerOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()

	var outcomes []replay.Outcome
	_, err = replay.Run(context.Background(), replay.Options{Filter: filter, Jobs: 2}, []string{emlDir}, nil, func(o replay.Outcome) error {
		outcomes = append(outcomes, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(outcomes) < 40 {
		t.Fatalf("%d messages scanned", len(outcomes))
	}
	for _, o := range outcomes {
		if o.Err != nil {
			t.Errorf("%s: %v", o.ID, o.Err)
			continue
		}
		msg, err := os.ReadFile(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if hdr, _, _ := bytes.Cut(msg, []byte("\r\n\r\n")); bytes.IndexByte(hdr, 0) >= 0 {
			// The milter protocol cannot carry a NUL inside a header
			// value (it ends the string): the daemon's connection fails
			// and Postfix answers milter_default_action (tempfail). scan
			// judges the bytes: the two cannot agree, by design.
			continue
		}
		res := mta.Send(t, ln.Addr().String(), "erika@example.com", []string{o.Rcpt}, msg)
		got := daemonAction(res)
		want := string(o.Result.Action)
		if got != want {
			t.Errorf("%s to %s: scan says %s, daemon says %s", filepath.Base(o.ID), o.Rcpt, want, got)
			continue
		}
		switch o.Result.Action {
		case milter.Reject, milter.Tempfail:
			code := strings.SplitN(o.Result.Reply.String(), " ", 2)[0]
			if fmt.Sprint(res.End.SMTPCode) != code {
				t.Errorf("%s: scan reply %q, daemon code %d", filepath.Base(o.ID), o.Result.Reply.String(), res.End.SMTPCode)
			}
		case milter.Strip:
			// The daemon's delivered message equals scan --out's, but for
			// the random boundary and where the MTA puts added headers.
			// (Outcome.Result's message is gone once Run has returned;
			// check it again to write it out.)
			env := o.Result.Envelope
			env.QueueID = "4ABC12" // what mta.Send tells the daemon
			again, err := filter.Check(context.Background(), env, bytes.NewReader(msg), int64(len(msg)))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := again.WriteMessage(&out, cfg.Header); err != nil {
				t.Fatal(err)
			}
			if a, b := normalize(out.Bytes()), normalize(res.Msg); a != b {
				t.Errorf("%s: scan --out and the daemon deliver different messages:\n%s", filepath.Base(o.ID), firstDiff(a, b))
			}
		}
	}
}

func daemonAction(r mta.Result) string {
	if r.End == nil {
		return "no-end"
	}
	switch r.End.Type {
	case gomilter.ActionAccept, gomilter.ActionContinue:
		for _, m := range r.Mods {
			if m.Type == gomilter.ActionReplaceBody {
				return string(milter.Strip)
			}
		}
		return string(milter.Accept)
	case gomilter.ActionRejectWithCode:
		if r.End.SMTPCode >= 500 {
			return string(milter.Reject)
		}
		return string(milter.Tempfail)
	}
	return fmt.Sprint(r.End.Type)
}

// normalize blanks the random boundary and sorts header lines.
func normalize(msg []byte) string {
	hdr, body := mta.SplitMessage(msg)
	var lines []string
	for _, f := range hdr {
		lines = append(lines, strings.ToLower(f[0])+":"+strings.TrimSpace(f[1]))
	}
	sort.Strings(lines)
	s := strings.Join(lines, "\n") + "\n\n" + string(body)
	return boundaryRE.ReplaceAllString(s, "=_officemilter_BOUNDARY")
}

var boundaryRE = regexp.MustCompile(`=_officemilter_[0-9a-f]{24}`)

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  scan:   %q\n  daemon: %q", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}
