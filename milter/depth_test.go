package milter

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/all"
)

// forwardedZip is a message that carries x.zip (one member, a.txt) inside
// three forwarded messages. Its depths, from the root: the root multipart
// 0, the first message/rfc822 part 1 and its multipart body 2, the second
// 3 and 4, the third 5 and 6, x.zip 7, a.txt 8.
func forwardedZip(t *testing.T) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, err := zw.Create("a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	body := "--b3\nContent-Type: application/zip; name=x.zip\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString(z.Bytes()) + "\n--b3--\n"
	msg := "Subject: fwd 3\nContent-Type: multipart/mixed; boundary=b3\n\n" + body
	for i := 2; i >= 0; i-- {
		msg = fmt.Sprintf("Subject: fwd %d\nContent-Type: multipart/mixed; boundary=b%d\n\n"+
			"--b%d\nContent-Type: text/plain\n\nsee below\n"+
			"--b%d\nContent-Type: message/rfc822\n\n%s\n--b%d--\n", i, i, i, i, msg, i)
	}
	return []byte(msg)
}

func depthConfig(t *testing.T, maxDepth int) *Config {
	t.Helper()
	c, err := ParseConfig(strings.NewReader(fmt.Sprintf("limits:\n  max_depth: %d\npolicies:\n  - name: all\n    recipients: ['*']\n    actions:\n      unscannable: reject\n", maxDepth)))
	if err != nil {
		t.Fatal(err)
	}
	c.Spool.Dir = t.TempDir()
	return c
}

// One max_depth counts every level from the message root: the multiparts
// and message/rfc822 parts of three forwarded messages and the zip alike.
func TestDepthCountsMessageLevelsAndContainers(t *testing.T) {
	msg := forwardedZip(t)
	depthFindings := func(fs []inspect.Finding) []inspect.Finding {
		var out []inspect.Finding
		for _, f := range fs {
			if strings.Contains(f.Detail, "limit depth=") {
				out = append(out, f)
			}
		}
		return out
	}

	// a.txt at depth 8: inspected under max_depth 8.
	res := check(t, newTestFilter(depthConfig(t, 8)), "anna@example.net", msg)
	if d := depthFindings(res.Findings); len(d) != 0 || res.Action != Accept {
		t.Errorf("max_depth 8: %v, depth findings %+v", res.Action, d)
	}

	// Under max_depth 7 the zip (7) is read, its member (8) is not: the
	// engine's finding, on the member.
	res = check(t, newTestFilter(depthConfig(t, 7)), "anna@example.net", msg)
	d := depthFindings(res.Findings)
	if len(d) != 1 || d[0].Limit != inspect.LimitDepth || d[0].Detail != "limit depth=7" || d[0].Where != "x.zip/a.txt" || d[0].Kind != inspect.KindUnscannable {
		t.Errorf("max_depth 7: depth findings %+v", d)
	}
	if res.Action != Reject {
		t.Errorf("max_depth 7: %v, want reject (unscannable: reject)", res.Action)
	}

	// Under max_depth 6 the zip's MIME part (7) is past the limit: the
	// message parser's finding, on the message.
	res = check(t, newTestFilter(depthConfig(t, 6)), "anna@example.net", msg)
	d = depthFindings(res.Findings)
	if len(d) != 1 || d[0].Detail != "message: limit depth=6" || d[0].Kind != inspect.KindUnscannable || res.Action != Reject {
		t.Errorf("max_depth 6: %v, depth findings %+v", res.Action, d)
	}

	// The same message as an .eml file inspected on its own (the engine's
	// message inspector) counts the same levels.
	for _, tc := range []struct {
		max  int
		want string // the depth finding's Where, Detail
	}{
		{8, ""},
		{7, "x.zip/a.txt: limit depth=7"},
		// The message parser's finding, and the part it did not parse.
		{6, ": message limit depth=6; part-2.2.2.1: not parsed: limit depth=6"},
	} {
		lim := inspect.Limits{MaxDepth: tc.max}
		r := all.NewEngine(lim).Inspect(context.Background(), "fwd.eml", "", bytes.NewReader(msg), int64(len(msg)))
		var got []string
		for _, f := range depthFindings(r.Findings) {
			got = append(got, f.Where+": "+f.Detail)
		}
		if strings.Join(got, "; ") != tc.want {
			t.Errorf("engine, max_depth %d: depth findings %q, want %q (all: %+v)", tc.max, got, tc.want, r.Findings)
		}
	}
}

// max_message_nesting, merged into max_depth, still loads and is named as
// deprecated; it changes no limit.
func TestMaxMessageNestingDeprecated(t *testing.T) {
	c, err := ParseConfig(strings.NewReader("limits:\n  max_message_nesting: 3\npolicies:\n  - name: all\n    recipients: ['*']\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Deprecations(); len(d) != 1 || !strings.Contains(d[0], "max_message_nesting") {
		t.Errorf("deprecations %q", d)
	}
	if got := c.InspectLimits(); got.MaxDepth != inspect.DefaultLimits.MaxDepth {
		t.Errorf("max_depth %d, want the default %d", got.MaxDepth, inspect.DefaultLimits.MaxDepth)
	}
	if d := DefaultConfig().Deprecations(); len(d) != 0 {
		t.Errorf("default config deprecations %q", d)
	}
}
