package mime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func mustParse(t testing.TB, msg []byte) *Entity {
	t.Helper()
	root, err := Parse(bytes.NewReader(msg), int64(len(msg)), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return root
}

func TestHeaderFields(t *testing.T) {
	msg := "Subject: a\r\n  folded\r\n\tvalue \r\nX-Empty:\r\nfrom : obsolete\r\nX-8bit: Gr\xfc\xdfe\r\n\r\nbody"
	root := mustParse(t, []byte(msg))
	want := []Field{
		{Name: "Subject", Value: "a  folded\tvalue ", Start: 0, End: 31},
		{Name: "X-Empty", Value: "", Start: 31, End: 41},
		{Name: "from", Value: "obsolete", Start: 41, End: 58},
		{Name: "X-8bit", Value: "Gr\xfc\xdfe", Start: 58, End: 73},
	}
	if !reflect.DeepEqual(root.Header.Fields, want) {
		t.Errorf("fields\n got %+v\nwant %+v", root.Header.Fields, want)
	}
	for _, f := range root.Header.Fields {
		raw := msg[f.Start:f.End]
		if !strings.HasPrefix(raw, f.Name) || !strings.HasSuffix(raw, "\r\n") {
			t.Errorf("field %s spans %q", f.Name, raw)
		}
	}
	if root.BodyStart != 75 || msg[root.BodyStart:root.End] != "body" {
		t.Errorf("body [%d,%d) = %q", root.BodyStart, root.End, msg[root.BodyStart:root.End])
	}
	if got := root.Header.Get("SUBJECT"); got != "a  folded\tvalue" {
		t.Errorf("Get = %q", got)
	}
	if got := root.Header.Get("missing"); got != "" {
		t.Errorf("Get(missing) = %q", got)
	}
	h := Header{Fields: []Field{{Name: "Received", Value: " one "}, {Name: "X", Value: "x"}, {Name: "received", Value: "two"}}}
	if got := h.Values("Received"); !reflect.DeepEqual(got, []string{"one", "two"}) {
		t.Errorf("Values = %q", got)
	}
	if root.MediaType != "text/plain" || root.Encoding != "7bit" || len(root.Defects) != 0 {
		t.Errorf("root: %s %s %q", root.MediaType, root.Encoding, root.Defects)
	}
}

// TestOffsets pins every offset of a small multipart, CRLF and LF.
func TestOffsets(t *testing.T) {
	for _, nl := range []string{"\r\n", "\n"} {
		t.Run(fmt.Sprintf("%q", nl), func(t *testing.T) {
			lines := []string{
				"Content-Type: multipart/mixed; boundary=b", // root header
				"",
				"preamble",
				"--b",
				"Content-Type: text/plain",
				"",
				"one",
				"--b   ", // transport padding
				"",
				"two",
				"",
				"--b",
				"Content-Type: text/plain",
				"",
				"--b--",
				"epilogue",
			}
			msg := strings.Join(lines, nl)
			root := mustParse(t, []byte(msg))
			at := func(s string) int64 { return int64(strings.Index(msg, s)) }
			lb := int64(len(nl))
			if len(root.Children) != 3 {
				t.Fatalf("%d children", len(root.Children))
			}
			c1, c2, c3 := root.Children[0], root.Children[1], root.Children[2]
			checks := []struct {
				name      string
				got, want int64
			}{
				{"root.BodyStart", root.BodyStart, at("preamble")},
				{"root.End", root.End, int64(len(msg))},
				{"c1.DelimStart", c1.DelimStart, at("preamble") + 8},
				{"c1.Start", c1.Start, at("--b") + 3 + lb},
				{"c1.End", c1.End, at("one") + 3},
				{"c2.DelimStart", c2.DelimStart, at("one") + 3},
				{"c2.Start", c2.Start, at("--b   ") + 6 + lb},
				{"c2.BodyStart", c2.BodyStart, c2.Start + lb},
				{"c2.End", c2.End, at("two") + 3 + lb},
				{"c3.DelimStart", c3.DelimStart, at("two") + 3 + lb},
				// Header directly followed by the close delimiter: the
				// blank line is the delimiter's line break.
				{"c3.BodyStart", c3.BodyStart, at("--b--") - 2*lb + lb},
				{"c3.End", c3.End, at("--b--") - lb},
				{"root.CloseDelim", root.CloseDelim, at("--b--") - lb},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
				}
			}
			if msg[c2.BodyStart:c2.End] != "two"+nl {
				t.Errorf("c2 body %q", msg[c2.BodyStart:c2.End])
			}
			if len(allDefects(root)) != 0 {
				t.Errorf("defects %q", allDefects(root))
			}
		})
	}
}

func TestFirstLineDelimiter(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"
	root := mustParse(t, []byte(msg))
	if len(root.Children) != 1 {
		t.Fatalf("%d children", len(root.Children))
	}
	c := root.Children[0]
	if c.DelimStart != root.BodyStart || c.DelimStart != int64(strings.Index(msg, "--b")) {
		t.Errorf("DelimStart %d, body at %d", c.DelimStart, root.BodyStart)
	}
	if msg[c.BodyStart:c.End] != "x" {
		t.Errorf("body %q", msg[c.BodyStart:c.End])
	}
}

func TestStrictDelimiters(t *testing.T) {
	// "--b" followed by anything but "--" and whitespace is no delimiter
	// (RFC 2046 5.1.1); boundaries are case-sensitive.
	msg := "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bx\n--B\n--b-\n--b\n\ny\n--b--\n"
	root := mustParse(t, []byte(msg))
	if len(root.Children) != 2 {
		t.Fatalf("%d children", len(root.Children))
	}
	if got := msg[root.Children[0].BodyStart:root.Children[0].End]; got != "--bx\n--B\n--b-" {
		t.Errorf("first body %q", got)
	}
}

func TestNestedSameBoundaryPrefix(t *testing.T) {
	// An inner boundary that extends the outer one.
	msg := "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=b2\n\n--b2\n\ninner\n--b2--\n--b\n\nsecond\n--b--\n"
	root := mustParse(t, []byte(msg))
	if len(root.Children) != 2 || len(root.Children[0].Children) != 1 {
		t.Fatalf("structure: %d / %d", len(root.Children), len(root.Children[0].Children))
	}
	if d := allDefects(root); len(d) != 0 {
		t.Errorf("defects %q", d)
	}
}

func TestOuterDelimiterClosesInner(t *testing.T) {
	// The inner multipart never closes; the outer delimiter ends it.
	msg := "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\na\n--o\n\nb\n--o--\n"
	root := mustParse(t, []byte(msg))
	if len(root.Children) != 2 {
		t.Fatalf("%d children", len(root.Children))
	}
	inner := root.Children[0]
	if !inner.HasDefect(DefectMissingClose) || inner.CloseDelim != -1 {
		t.Errorf("inner: defects %q close %d", inner.Defects, inner.CloseDelim)
	}
	if inner.End != inner.Children[0].End || msg[inner.Children[0].BodyStart:inner.Children[0].End] != "a" {
		t.Errorf("inner ends at %d, its child at %d", inner.End, inner.Children[0].End)
	}
}

// TestRemoveChild removes every multipart child of every fixture by its
// [DelimStart, End) range and checks that the rest parses the same, with
// no new defect, every other entity byte-identical.
func TestRemoveChild(t *testing.T) {
	msgs := map[string][]byte{}
	for _, f := range fixtures {
		msgs[f.name] = f.build()
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "openssl", "*.eml"))
	if d := inspecttest.CorpusPath(t); d != "" {
		more, _ := filepath.Glob(filepath.Join(d, "email", "*.eml"))
		files = append(files, more...)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		msgs[filepath.Base(p)] = b
	}
	removed := 0
	for name, msg := range msgs {
		root := mustParse(t, msg)
		before := defectSet(root)
		for _, key := range entityKeys(root, "") {
			e := entityAt(root, key)
			if e.DelimStart < 0 {
				continue
			}
			out := append(append([]byte{}, msg[:e.DelimStart]...), msg[e.End:]...)
			root2 := mustParse(t, out)
			after := defectSet(root2)
			for d := range after {
				if !before[d] && !(d == DefectBoundaryNotFound && len(e.Parent.Children) == 1) {
					t.Errorf("%s without %s: new defect %q", name, key, d)
				}
			}
			// Every entity that is neither the removed one, inside it, nor
			// one of its ancestors keeps its bytes.
			for _, k := range entityKeys(root, "") {
				if strings.HasPrefix(k, key) || strings.HasPrefix(key, k) {
					continue
				}
				k2 := shiftKey(k, key)
				e1, e2 := entityAt(root, k), entityAt(root2, k2)
				if e2 == nil {
					t.Errorf("%s without %s: %s (now %s) is gone", name, key, k, k2)
					continue
				}
				if !bytes.Equal(msg[e1.Start:e1.End], out[e2.Start:e2.End]) {
					t.Errorf("%s without %s: %s changed", name, key, k)
				}
			}
			removed++
		}
	}
	if removed < 40 {
		t.Errorf("only %d removals tried", removed)
	}
}

func defectSet(e *Entity) map[string]bool {
	m := map[string]bool{}
	for _, d := range allDefects(e) {
		m[d] = true
	}
	return m
}

// entityKeys lists entities as paths: "/2" is the second child, "/m" the
// encapsulated message.
func entityKeys(e *Entity, prefix string) []string {
	keys := []string{prefix}
	for i, c := range e.Children {
		keys = append(keys, entityKeys(c, fmt.Sprintf("%s/%03d", prefix, i))...)
	}
	if e.Message != nil {
		keys = append(keys, entityKeys(e.Message, prefix+"/m")...)
	}
	return keys
}

func entityAt(e *Entity, key string) *Entity {
	for _, p := range strings.Split(strings.TrimPrefix(key, "/"), "/") {
		if p == "" {
			continue
		}
		if e == nil {
			return nil
		}
		if p == "m" {
			e = e.Message
			continue
		}
		var i int
		fmt.Sscanf(p, "%d", &i)
		if i >= len(e.Children) {
			return nil
		}
		e = e.Children[i]
	}
	return e
}

// shiftKey renames k after the removal of the sibling removed.
func shiftKey(k, removed string) string {
	parent := removed[:strings.LastIndexByte(removed, '/')]
	if !strings.HasPrefix(k, parent+"/") {
		return k
	}
	rest := k[len(parent)+1:]
	seg := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg = rest[:i]
	}
	if seg == "m" || seg <= removed[len(parent)+1:] {
		return k
	}
	var i int
	fmt.Sscanf(seg, "%d", &i)
	return fmt.Sprintf("%s/%03d%s", parent, i-1, rest[len(seg):])
}

func TestLineEndingsAgree(t *testing.T) {
	lf := fixtureByName(t, "nested_multipart.eml").build()
	lf = bytes.ReplaceAll(lf, []byte("\r\n"), []byte("\n"))
	crlfMsg := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	// Mixed: every other line CRLF.
	var mixed []byte
	for i, line := range bytes.SplitAfter(lf, []byte("\n")) {
		if i%2 == 0 {
			line = bytes.ReplaceAll(line, []byte("\n"), []byte("\r\n"))
		}
		mixed = append(mixed, line...)
	}
	want, wantContent, _ := walkAll(t, lf)
	for name, msg := range map[string][]byte{"crlf": crlfMsg, "mixed": mixed} {
		got, content, _ := walkAll(t, msg)
		if name == "mixed" {
			// The primary reading is the same; mixed line ends are an
			// ambiguity (Go's mime/multipart stays in CRLF mode and
			// misses the LF delimiters: the crlf-delimiters reading).
			var primary []string
			amb := false
			for _, l := range got {
				switch {
				case strings.HasPrefix(l, "ambiguous "):
					amb = amb || strings.Contains(l, AmbiguityMixedDelimEnds)
				case !strings.Contains(l, " @"):
					primary = append(primary, l)
				}
			}
			if !amb {
				t.Errorf("mixed: no %q in %q", AmbiguityMixedDelimEnds, got)
			}
			got = primary
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: leaves %q, want %q", name, got, want)
		}
		for _, k := range []string{"a.doc", "logo.png"} {
			if !bytes.Equal(content[k], wantContent[k]) {
				t.Errorf("%s: %s differs", name, k)
			}
		}
	}
}

func TestLimits(t *testing.T) {
	nested := func(n int) []byte {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i)
		}
		b.WriteString("\nleaf\n")
		return []byte(b.String())
	}
	siblings := func(n int) []byte {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=s\n\n")
		for i := 0; i < n; i++ {
			b.WriteString("--s\n\nx\n")
		}
		b.WriteString("--s--\n")
		return []byte(b.String())
	}
	bigHeader := func(n int) []byte {
		return []byte("Subject: big\nX-Big: " + strings.Repeat("a", n) + "\n\nbody")
	}
	manyFields := func(n int) []byte {
		return []byte(strings.Repeat("a:\n", n) + "\nbody")
	}
	foldedForever := func(n int) []byte {
		return []byte("Subject: x\n" + strings.Repeat(" folded\n", n))
	}
	tests := []struct {
		name  string
		msg   []byte
		lim   Limits
		limit inspect.Limit // LimitNone = no error
	}{
		{"depth 32 ok", nested(32), Limits{}, inspect.LimitNone},
		{"depth 33", nested(33), Limits{}, inspect.LimitMessageNesting},
		// A message found 2 or 3 levels down: those count too.
		{"root at depth 2 ok", nested(30), Limits{RootDepth: 2}, inspect.LimitNone},
		{"root at depth 3", nested(30), Limits{RootDepth: 3}, inspect.LimitMessageNesting},
		{"10000 nested multiparts", nested(10000), Limits{}, inspect.LimitMessageNesting},
		{"depth 5", nested(6), Limits{MaxDepth: 5}, inspect.LimitMessageNesting},
		{"10000 parts ok", siblings(9999), Limits{}, inspect.LimitNone},
		{"10001 parts", siblings(10001), Limits{}, inspect.LimitMessageParts},
		{"header 1 MiB+", bigHeader(1 << 20), Limits{}, inspect.LimitHeaderSize},
		{"header that never ends", foldedForever(200000), Limits{}, inspect.LimitHeaderSize},
		{"one 20 MiB header line", []byte("X: " + strings.Repeat("a", 20<<20)), Limits{}, inspect.LimitHeaderSize},
		{"header just under", bigHeader(1<<20 - 100), Limits{}, inspect.LimitNone},
		{"header fields", manyFields(250000), Limits{}, inspect.LimitHeaderFields},
		{"header fields ok", manyFields(1000), Limits{MaxHeaderFields: 1000}, inspect.LimitNone},
		{"header fields small", manyFields(1001), Limits{MaxHeaderFields: 1000}, inspect.LimitHeaderFields},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var root *Entity
			var err error
			inspecttest.NoHang(t, 2*time.Second, func() { root, err = Parse(bytes.NewReader(tt.msg), int64(len(tt.msg)), tt.lim) })
			if root == nil {
				t.Fatal("no tree")
			}
			checkInvariants(t, root, int64(len(tt.msg)))
			var le *inspect.LimitError
			switch {
			case tt.limit == inspect.LimitNone && err != nil:
				t.Errorf("error %v", err)
			case tt.limit != inspect.LimitNone && (!errors.As(err, &le) || le.Limit != tt.limit || !errors.Is(err, inspect.ErrLimit)):
				t.Errorf("error %v, want limit %s", err, tt.limit)
			}
		})
	}
}

// checkInvariants is what every parse must satisfy, whatever the input.
func checkInvariants(t testing.TB, root *Entity, size int64) {
	t.Helper()
	var rec func(e *Entity, lo, hi int64)
	rec = func(e *Entity, lo, hi int64) {
		if !(lo <= e.Start && e.Start <= e.BodyStart && e.BodyStart <= e.End && e.End <= hi) {
			t.Fatalf("entity %s: %d <= %d <= %d <= %d <= %d violated", e.MediaType, lo, e.Start, e.BodyStart, e.End, hi)
		}
		for _, f := range e.Header.Fields {
			if f.Start < e.Start || f.End < f.Start || f.End > e.End {
				t.Fatalf("field %q [%d,%d) outside entity [%d,%d)", f.Name, f.Start, f.End, e.Start, e.End)
			}
		}
		prev := e.BodyStart
		for _, c := range e.Children {
			if c.DelimStart < prev || c.DelimStart > c.Start {
				t.Fatalf("child DelimStart %d not in [%d, %d]", c.DelimStart, prev, c.Start)
			}
			if c.Parent != e {
				t.Fatal("bad parent")
			}
			rec(c, e.BodyStart, e.End)
			prev = c.End
		}
		if e.CloseDelim >= 0 && (e.CloseDelim < prev || e.CloseDelim > e.End) {
			t.Fatalf("CloseDelim %d not in [%d, %d]", e.CloseDelim, prev, e.End)
		}
		if e.Message != nil {
			if e.Message.Start != e.BodyStart || e.Message.Parent != e {
				t.Fatalf("message starts at %d, body at %d", e.Message.Start, e.BodyStart)
			}
			rec(e.Message, e.BodyStart, e.End)
		}
	}
	rec(root, 0, size)
}

func TestInvariantsFixtures(t *testing.T) {
	for _, f := range fixtures {
		msg := f.build()
		checkInvariants(t, mustParse(t, msg), int64(len(msg)))
	}
}

type failingReader struct {
	data []byte
	at   int64
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.at {
		n := 0
		if off < f.at {
			n = copy(p, f.data[off:f.at])
		}
		return n, errors.New("disk on fire")
	}
	return copy(p, f.data[off:]), nil
}

func TestIOError(t *testing.T) {
	msg := fixtureByName(t, "nested_multipart.eml").build()
	_, err := Parse(failingReader{data: msg, at: 100}, int64(len(msg)), Limits{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Parse = %v", err)
	}
	// A reader shorter than the size claimed.
	_, err = Parse(bytes.NewReader(msg[:50]), int64(len(msg)), Limits{})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: %v", err)
	}
}

func TestMediaTypes(t *testing.T) {
	tests := []struct {
		header         string
		typ, enc, disp string
		filename       string
		params         map[string]string
		defects        []string
	}{
		{"", "text/plain", "7bit", "", "", map[string]string{}, nil},
		{"Content-Type: TEXT/HTML; Charset=\"UTF-8\"\n", "text/html", "7bit", "", "", map[string]string{"charset": "UTF-8"}, nil},
		{"Content-Type: text / plain\n", "text/plain", "7bit", "", "", map[string]string{}, nil},
		{"Content-Type: text\n", "application/octet-stream", "7bit", "", "", map[string]string{}, []string{DefectInvalidType}},
		{"Content-Type: (comment) image/png (x); name=a.png\n", "image/png", "7bit", "", "a.png", map[string]string{"name": "a.png"}, nil},
		{"Content-Transfer-Encoding: BASE64 (comment)\n", "text/plain", "base64", "", "", map[string]string{}, nil},
		{"Content-Transfer-Encoding: \"quoted-printable\"\n", "text/plain", "quoted-printable", "", "", map[string]string{}, nil},
		{"Content-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\n", "text/plain", "base64", "", "", map[string]string{}, []string{DefectConflictingEncode}},
		{"Content-Disposition: ATTACHMENT; FileName=\"x.doc\"\n", "text/plain", "7bit", "attachment", "x.doc", map[string]string{}, nil},
		{"Content-Type: application/pdf; name=n.pdf\nContent-Disposition: attachment; filename=f.pdf\n", "application/pdf", "7bit", "attachment", "f.pdf", map[string]string{"name": "n.pdf"}, nil},
	}
	for _, tt := range tests {
		root := mustParse(t, []byte(tt.header+"\nbody"))
		if root.MediaType != tt.typ || root.Encoding != tt.enc || root.Disposition != tt.disp || root.Filename != tt.filename {
			t.Errorf("%q: got %s %s %q %q", tt.header, root.MediaType, root.Encoding, root.Disposition, root.Filename)
		}
		if !reflect.DeepEqual(root.Params, tt.params) {
			t.Errorf("%q: params %q", tt.header, root.Params)
		}
		if !reflect.DeepEqual(root.Defects, tt.defects) {
			t.Errorf("%q: defects %q, want %q", tt.header, root.Defects, tt.defects)
		}
	}
}

func TestHeaderDefects(t *testing.T) {
	tests := []struct {
		msg       string
		bodyStart int
		defects   []string
	}{
		{"Subject: x\nnot a field\n\nrest", 11, []string{DefectNoBlankLine}},
		{"Subject: x", 10, []string{DefectNoBlankLine}},
		{"", 0, nil},
		{" leading\nSubject: x\n\nb", 21, []string{DefectLeadingWhitespace}},
		{"\nbody only", 1, nil},
		{"From someone Tue Mar  4\nSubject: x\n\nb", 36, nil},
	}
	for _, tt := range tests {
		root := mustParse(t, []byte(tt.msg))
		if root.BodyStart != int64(tt.bodyStart) || !reflect.DeepEqual(root.Defects, tt.defects) {
			t.Errorf("%q: body at %d defects %q, want %d %q", tt.msg, root.BodyStart, root.Defects, tt.bodyStart, tt.defects)
		}
	}
}

// TestReadingsLinear: every reading parses a message of many near-miss
// delimiter lines in linear time.
func TestReadingsLinear(t *testing.T) {
	msg := []byte("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n" + strings.Repeat("x\n--c\n", 50000) + "--b--\n")
	for _, rd := range append(readingOrder, rdAll&^strictReadings) {
		start := time.Now()
		parse(bytes.NewReader(msg), int64(len(msg)), Limits{}, rd)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v", rd.name(), d)
		}
	}
}
