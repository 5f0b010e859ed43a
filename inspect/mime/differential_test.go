package mime

// Differential tests: what an independent MIME reader exposes of a message
// must have been seen by officemilter (ARCHITECTURE.md "The attacker writes
// the bytes"; STYLE.md practice 17). Two references:
//
//   - Go's standard library (net/mail, mime, mime/multipart), walked by
//     goLeaves below: a strict reader, written by other hands than Parse.
//   - Perl MIME-tools (MIME::Parser, the parser behind MIMEDefang and
//     amavisd-new), run through testdata/mimetools-leaves.pl.
//
// officemilter's side is every leaf Walk emits, whatever its role, read
// through Leaf.Open: the bytes officemilter inspected or sniffed. An
// attachment that sniffs as a message is walked again, as the engine
// hands it to this package's Inspector.
//
// Leaves are compared by the SHA-256 of their decoded bytes. Empty leaves
// are ignored. For text (a text/* leaf of the reference) a match after
// turning CRLF into LF on both sides is accepted too: MIME-tools' 7bit/8bit
// decoder rewrites some line ends, and line ends of text are the transport's
// business, not content.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

// refLeaf is one leaf a reference reader exposes.
type refLeaf struct {
	reader string // "go" or "mime-tools"
	typ    string // the content type the reader gives it
	name   string // its file name, "" if none
	sum    [32]byte
	norm   [32]byte // sum of the bytes without CR
	size   int64
	// lineEnds: the reader may have changed CRLF to LF in these bytes
	// (MIME-tools' 7bit/8bit decoder does, whatever the type).
	lineEnds bool
	// truncated holds the bytes of a Go leaf cut short by the end of
	// input (a multipart without close delimiter: Go's reader keeps back
	// the last bytes that might start a delimiter). Any officemilter leaf
	// that starts with them covers it.
	truncated []byte
}

// text reports whether a match without CRs is accepted for l.
func (l refLeaf) text() bool { return strings.HasPrefix(l.typ, "text/") || l.lineEnds }

func (l refLeaf) String() string {
	name := l.name
	if name == "" {
		name = "(no name)"
	}
	return fmt.Sprintf("%s leaf %s %q, %d bytes, sha256 %x", l.reader, l.typ, name, l.size, l.sum[:8])
}

// dropCR removes every CR: text is compared without them (see above).
func dropCR(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r"), nil) }

// ---- Go's reader ----

// goLimits bound the Go reference walk (it reads untrusted fuzz input too).
const (
	goMaxDepth  = 20
	goMaxLeaves = 500
	goMaxBytes  = 64 << 20
)

// goLeaves walks msg with net/mail, mime and mime/multipart and returns the
// leaves they expose. Where the standard library refuses something (a
// header it cannot read, duplicate parameters, bad base64), that reading
// exposes nothing there.
func goLeaves(msg []byte) []refLeaf {
	g := &goWalker{}
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return nil
	}
	g.entity(textproto.MIMEHeader(m.Header), m.Body, 0, false)
	return g.leaves
}

type goWalker struct {
	leaves []refLeaf
}

func (g *goWalker) entity(h textproto.MIMEHeader, body io.Reader, depth int, digest bool) {
	if depth > goMaxDepth || len(g.leaves) >= goMaxLeaves {
		return
	}
	mt, params := "text/plain", map[string]string{}
	if digest {
		mt = "message/rfc822" // RFC 2046 5.1.5
	}
	if ct := h.Get("Content-Type"); ct != "" {
		t, p, err := stdmime.ParseMediaType(ct)
		if err != nil && !errors.Is(err, stdmime.ErrInvalidMediaParameter) {
			return
		}
		mt, params = t, p
	}
	data, cut, ok := goDecode(h.Get("Content-Transfer-Encoding"), body)
	switch {
	case !ok:
		return
	case strings.HasPrefix(mt, "multipart/"):
		if params["boundary"] == "" {
			return
		}
		mr := multipart.NewReader(bytes.NewReader(data), params["boundary"])
		for len(g.leaves) < goMaxLeaves {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			g.entity(p.Header, p, depth+1, mt == "multipart/digest")
		}
	case mt == "message/rfc822" || mt == "message/global":
		m, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			return
		}
		g.entity(textproto.MIMEHeader(m.Header), m.Body, depth+1, false)
	default:
		name := ""
		if _, dp, err := stdmime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
			name = dp["filename"]
		}
		if name == "" {
			name = params["name"]
		}
		l := refLeaf{reader: "go", typ: mt, name: name,
			sum: sha256.Sum256(data), norm: sha256.Sum256(dropCR(data)), size: int64(len(data))}
		if cut {
			l.truncated = data
		}
		g.leaves = append(g.leaves, l)
	}
}

// goDecode decodes a body by its Content-Transfer-Encoding: base64
// (line breaks skipped), quoted-printable, anything else as is. ok is false
// when the standard library's decoder fails, and for uuencode, which it
// cannot decode at all: the raw text would be uuencoded lines, not the
// file (MIME-tools decodes it and is the reference there). A multipart part without a
// close delimiter ends in io.ErrUnexpectedEOF: the bytes read so far are
// what a reader shows.
func goDecode(cte string, body io.Reader) (data []byte, cut, ok bool) {
	raw, err := io.ReadAll(io.LimitReader(body, goMaxBytes))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, false, false
	}
	cut = err != nil
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		// encoding/base64 skips \r and \n; other whitespace is an error.
		r = base64.NewDecoder(base64.StdEncoding, bytes.NewReader(raw))
	case "quoted-printable":
		r = quotedprintable.NewReader(bytes.NewReader(raw))
	case "x-uuencode", "uuencode", "x-uue", "uue":
		return nil, false, false
	default:
		return raw, cut, true
	}
	data, err = io.ReadAll(r)
	if err != nil {
		return nil, false, false
	}
	return data, cut, true
}

// ---- MIME-tools ----

const mimetoolsScript = "testdata/mimetools-leaves.pl"

// haveMIMETools reports whether perl with MIME::Parser runs here. Under
// CI=true its absence is a failure: the differential proof must run there.
func haveMIMETools(t testing.TB) bool {
	t.Helper()
	perl, err := exec.LookPath("perl")
	if err == nil {
		err = exec.Command(perl, "-MMIME::Parser", "-MDigest::SHA", "-e1").Run()
	}
	if err != nil {
		msg := "perl with MIME::Parser (Debian libmime-tools-perl, `make test-deps`) is needed: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
		return false
	}
	return true
}

// mimetoolsLeaves runs the MIME-tools script on the message file path.
func mimetoolsLeaves(t *testing.T, path string) []refLeaf {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "perl", mimetoolsScript, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: mime-tools: %v\n%s", path, err, stderr.Bytes())
	}
	var leaves []refLeaf
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 7 {
			t.Fatalf("%s: mime-tools line %q", path, sc.Text())
		}
		if f[6] == "uu-text" {
			// The text around a uuencoded or BinHex block: a piece of a
			// text part that officemilter exposes whole.
			continue
		}
		l := refLeaf{reader: "mime-tools", typ: strings.ToLower(f[1]), name: f[2],
			lineEnds: f[5] == "7bit" || f[5] == "8bit"}
		s1, err1 := hex.DecodeString(f[0])
		s2, err2 := hex.DecodeString(f[3])
		n, err3 := strconv.ParseInt(f[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || len(s1) != 32 || len(s2) != 32 {
			t.Fatalf("%s: mime-tools line %q", path, sc.Text())
		}
		copy(l.sum[:], s1)
		copy(l.norm[:], s2)
		l.size = n
		leaves = append(leaves, l)
	}
	return leaves
}

// ---- officemilter ----

// omLeaf is one leaf Walk emitted.
type omLeaf struct {
	name   string
	role   Role
	binary bool // its bytes do not look like text
	data   []byte
}

// omSet is what officemilter exposed of a message, by SHA-256 of the
// decoded bytes, and by SHA-256 after CRLF to LF.
type omSet struct {
	exact, norm map[[32]byte][]omLeaf
	all         []omLeaf
	errs        []string
}

// omMaxDepth bounds the re-walk of attachments that are messages, like the
// engine's depth limit.
const omMaxDepth = 8

// omLeaves walks msg like the milter does and hashes every leaf. ctx
// bounds the walk (the fuzz target gives each input a time limit).
func omLeaves(ctx context.Context, msg []byte) *omSet {
	s := &omSet{exact: map[[32]byte][]omLeaf{}, norm: map[[32]byte][]omLeaf{}}
	s.walk(ctx, msg, 0)
	return s
}

func (s *omSet) walk(ctx context.Context, msg []byte, depth int) {
	r := bytes.NewReader(msg)
	lim := Limits{}
	root, err := Parse(r, int64(len(msg)), lim)
	if err != nil {
		s.errs = append(s.errs, "parse: "+err.Error())
	}
	var nested [][]byte
	err = Walk(ctx, r, root, lim, func(l Leaf) error {
		data := s.add(l.Name, l.Role, l.Open())
		if l.Role == RoleAttachment && depth < omMaxDepth &&
			inspect.Sniff(bytes.NewReader(data), int64(len(data)), l.Name) == inspect.FamilyEML {
			nested = append(nested, data)
		}
		switch {
		case l.Inner:
			// Content found inside l.Entity (an opaque S/MIME body, a
			// text with a uuencoded block): officemilter decoded and
			// read all of l.Entity to find it.
			s.add(l.Name+" (outer)", l.Role, l.Entity.Body(r))
		case l.Role == RoleEncrypted || l.Role == RoleUnscannable:
			// A verdict on l.Entity as a whole: everything inside it as
			// officemilter parsed it is covered by the finding.
			var sub func(e *Entity)
			sub = func(e *Entity) {
				if e != l.Entity {
					s.add(l.Name+" (inside)", l.Role, e.Body(r))
				}
				for _, c := range e.Children {
					sub(c)
				}
				if e.Message != nil {
					sub(e.Message)
				}
			}
			sub(l.Entity)
		}
		return nil
	})
	if err != nil {
		s.errs = append(s.errs, "walk: "+err.Error())
	}
	for _, m := range nested {
		s.walk(ctx, m, depth+1)
	}
}

func (s *omSet) String() string {
	var lines []string
	for sum, ls := range s.exact {
		for _, l := range ls {
			lines = append(lines, fmt.Sprintf("  %s %q, sha256 %x", l.role, l.name, sum[:8]))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// add records the bytes of src as seen by officemilter and returns them.
func (s *omSet) add(name string, role Role, src io.Reader) []byte {
	data, err := io.ReadAll(io.LimitReader(src, goMaxBytes))
	if err != nil {
		s.errs = append(s.errs, fmt.Sprintf("%s: %v", name, err))
	}
	head := data[:min(len(data), inspect.SniffLen)]
	ol := omLeaf{name: name, role: role, binary: len(data) > 0 && !inspect.IsText(head), data: data}
	s.all = append(s.all, ol)
	sum := sha256.Sum256(data)
	s.exact[sum] = append(s.exact[sum], ol)
	n := sha256.Sum256(dropCR(data))
	s.norm[n] = append(s.norm[n], ol)
	return data
}

// missing returns why officemilter does not cover the reference leaf l, or
// "" when it does.
func (s *omSet) missing(l refLeaf) string {
	if l.size == 0 {
		return ""
	}
	got := s.exact[l.sum]
	if len(got) == 0 && l.text() {
		got = s.norm[l.norm]
	}
	if len(got) == 0 && l.truncated != nil {
		for _, o := range s.all {
			if bytes.HasPrefix(o.data, l.truncated) || l.text() && bytes.HasPrefix(dropCR(o.data), dropCR(l.truncated)) {
				got = append(got, o)
			}
		}
	}
	if len(got) == 0 {
		return "not exposed by officemilter"
	}
	// Content that is no text but reaches officemilter only as body text
	// is not inspected (the Inspector passes only attachments on).
	for _, o := range got {
		if o.role != RoleText || !o.binary {
			return ""
		}
	}
	return fmt.Sprintf("officemilter sees it only as body text %q (binary content, not inspected)", got[0].name)
}

// ---- the tests ----

// differentialMessages are the messages TestDifferential compares: the
// project's .eml corpus and this package's fixtures.
func differentialMessages(t testing.TB) []string {
	var paths []string
	for _, g := range []string{filepath.Join("..", "..", "testdata", "eml", "*.eml"), filepath.Join("testdata", "*.eml")} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		t.Fatal("no messages")
	}
	sort.Strings(paths)
	return paths
}

// TestDifferential checks that every leaf Go's reader or MIME-tools
// exposes of a message was exposed by officemilter's walk too.
func TestDifferential(t *testing.T) {
	perl := haveMIMETools(t)
	for _, path := range differentialMessages(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			msg, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			om := omLeaves(context.Background(), msg)
			for _, e := range om.errs {
				t.Logf("officemilter: %s", e)
			}
			refs := goLeaves(msg)
			if perl {
				refs = append(refs, mimetoolsLeaves(t, path)...)
			}
			for _, l := range refs {
				if why := om.missing(l); why != "" {
					t.Errorf("%s: %s: %s", filepath.Base(path), l, why)
				}
			}
			if t.Failed() {
				t.Logf("officemilter exposed:\n%s", om)
			}
		})
	}
}

// TestDifferentialHarness checks the harness itself on a message whose
// readings agree and on one where the reference sees a part officemilter
// cannot have seen (a leaf invented for the test).
func TestDifferentialHarness(t *testing.T) {
	msg := []byte(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b\n" +
		"Content-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe) + "--b--\n"))
	om := omLeaves(context.Background(), msg)
	refs := goLeaves(msg)
	if len(refs) != 2 {
		t.Fatalf("go reader: %d leaves, want 2: %v", len(refs), refs)
	}
	for _, l := range refs {
		if why := om.missing(l); why != "" {
			t.Errorf("%s: %s", l, why)
		}
	}
	extra := refLeaf{reader: "test", typ: "application/octet-stream", sum: sha256.Sum256([]byte("never sent")), size: 10}
	if om.missing(extra) == "" {
		t.Error("a leaf officemilter never saw counts as seen")
	}
	// Text differing only in line ends matches; binary does not.
	msg = []byte(crlf("Content-Type: text/plain\n\nhello\nworld\n"))
	om = omLeaves(context.Background(), msg)
	lf := refLeaf{reader: "test", typ: "text/plain", sum: sha256.Sum256([]byte("hello\nworld\n")), norm: sha256.Sum256([]byte("hello\nworld\n")), size: 12}
	if why := om.missing(lf); why != "" {
		t.Errorf("LF text: %s", why)
	}
	lf.typ = "application/octet-stream"
	if om.missing(lf) == "" {
		t.Error("binary matched after line-end normalisation")
	}
	// An exe labelled as body text is an attachment to officemilter
	// (content, not labels) ...
	msg = []byte(crlf("Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe)))
	om = omLeaves(context.Background(), msg)
	exe := refLeaf{reader: "test", typ: "text/plain", sum: sha256.Sum256(payloadExe), size: int64(len(payloadExe))}
	if why := om.missing(exe); why != "" {
		t.Errorf("exe labelled as text: %s", why)
	}
	// ... and binary content that a walk would show only as body text is
	// no cover.
	om = omLeaves(context.Background(), []byte(crlf("Content-Type: text/plain\n\nhello\n")))
	om.add("body", RoleText, bytes.NewReader(payloadExe))
	if !strings.Contains(om.missing(exe), "only as body text") {
		t.Errorf("exe as body text: %q", om.missing(exe))
	}
}

// fuzzBudget bounds the time of one fuzz input (both walks together).
const fuzzBudget = 2 * time.Second

// FuzzDifferential compares Go's reader with officemilter's on mutated
// messages (MIME-tools is left out: one perl per input is too slow).
func FuzzDifferential(f *testing.F) {
	for _, p := range differentialMessages(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 1<<20 {
			t.Skip("larger than the fuzz budget allows")
		}
		ctx, cancel := context.WithTimeout(context.Background(), fuzzBudget)
		defer cancel()
		start := time.Now()
		om := omLeaves(ctx, msg)
		refs := goLeaves(msg)
		if ctx.Err() != nil {
			// The walk was cut short: what it missed proves nothing.
			t.Skipf("over the time budget (%v)", time.Since(start))
		}
		for _, l := range refs {
			if why := om.missing(l); why != "" {
				t.Errorf("%s: %s\nmessage:\n%q", l, why, msg)
			}
		}
	})
}
