package milter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/all"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/mime"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const emlDir = "../testdata/eml"

func contribConfig(t testing.TB) *Config {
	t.Helper()
	c, err := LoadConfig("../contrib/officemilter.yml")
	if err != nil {
		t.Fatal(err)
	}
	c.Spool.Dir = t.TempDir()
	c.Quarantine.Dir = ""
	return c
}

func newTestFilter(c *Config) *Filter {
	f := NewFilter(c, all.NewEngine(c.InspectLimits()))
	f.boundary = func() string { return "=_officemilter_test" }
	return f
}

func check(t testing.TB, f *Filter, rcpt string, msg []byte) *Result {
	t.Helper()
	res, err := f.Check(context.Background(), Envelope{From: "erika@example.com", Rcpts: []string{rcpt}, QueueID: "4ABC12"}, bytes.NewReader(msg), int64(len(msg)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readEML(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(emlDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFilterVerdicts(t *testing.T) {
	f := newTestFilter(contribConfig(t))
	tests := []struct {
		file, rcpt string
		action     Action
		reply      []string // substrings of the SMTP reply
		stripped   []string
	}{
		{"r1-01-text-only.eml", "anna@example.net", Accept, nil, nil},
		{"r1-03-doc-stripped.eml", "anna@example.net", Strip, nil, []string{"Bericht.doc"}},
		{"r1-06-doc-and-docx.eml", "anna@example.net", Strip, nil, []string{"alt.doc"}},
		{"r1-07-doc-renamed-pdf.eml", "anna@example.net", Strip, nil, []string{"Rechnung.pdf"}},
		{"r2-05-doc-accepted.eml", "strict@example.org", Accept, nil, nil},
		{"r2-06-docm-rejected.eml", "strict@example.org", Reject, []string{"550 5.7.1 ", "Rechnung.docm", "macros", "strict-mailbox", "Queue ID 4ABC12"}, nil},
		{"r2-07-xlsx-not-allowed.eml", "strict@example.org", Reject, []string{"550 5.7.1 ", "Umsatz.xlsx", "type xlsx is not accepted", "Accepted types: pdf, doc, docx, odt, txt"}, nil},
		{"r2-09-password-docx.eml", "strict@example.org", Reject, []string{"Vertrag.docx", "password"}, nil},
		// The same message to another recipient is judged by that one's policy.
		{"r2-06-docm-rejected.eml", "anna@example.net", Accept, nil, nil},
		{"r1-03-doc-stripped.eml", "strict@example.org", Accept, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file+"→"+tc.rcpt, func(t *testing.T) {
			res := check(t, f, tc.rcpt, readEML(t, tc.file))
			if res.Action != tc.action {
				t.Fatalf("action %s, want %s (reasons %+v)", res.Action, tc.action, res.Reasons)
			}
			for _, s := range tc.reply {
				if !strings.Contains(res.Reply.String(), s) {
					t.Errorf("reply %q lacks %q", res.Reply.String(), s)
				}
			}
			if len(res.Reply.String()) > 512 {
				t.Errorf("reply of %d bytes", len(res.Reply.String()))
			}
			if fmt.Sprint(res.Stripped) != fmt.Sprint(tc.stripped) {
				t.Errorf("stripped %v, want %v", res.Stripped, tc.stripped)
			}
			if tc.stripped == nil {
				// Nothing may be cut where no strip is expected: no
				// attachment marked, no new body planned.
				for _, at := range res.Attachments {
					if at.Action == Strip {
						t.Errorf("attachment %q marked for stripping", at.Name)
					}
				}
				if res.rewrite != nil {
					t.Error("a rewrite is planned")
				}
			}
		})
	}
}

// TestTooLarge: 26 MB of allowed attachments to the strict mailbox (25 MB)
// is refused with 552 5.3.4; the same to everybody else is accepted.
func TestTooLarge(t *testing.T) {
	c := contribConfig(t)
	c.Spool.MaxMessage = 64 << 20
	f := newTestFilter(c)
	pdf, err := os.ReadFile("../testdata/files/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	// Two PDFs of 13 MB each: real PDF followed by padding after %%EOF.
	big := append(append([]byte{}, pdf...), bytes.Repeat([]byte("% padding\n"), 1300000)...)
	msg := buildMessage("strict@example.org", map[string][]byte{"a.pdf": big, "b.pdf": big})
	res := check(t, f, "strict@example.org", msg)
	if res.Action != Reject || !strings.HasPrefix(res.Reply.String(), "552 5.3.4 ") {
		t.Fatalf("action %s reply %q", res.Action, res.Reply.String())
	}
	if !strings.Contains(res.Reply.String(), "25 MB") {
		t.Errorf("reply does not name the limit: %q", res.Reply.String())
	}
	if res := check(t, f, "anna@example.net", msg); res.Action != Accept {
		t.Errorf("everybody else: %s", res.Action)
	}
}

// buildMessage writes a multipart/mixed message with base64 attachments.
func buildMessage(rcpt string, files map[string][]byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: erika@example.com\r\nTo: %s\r\nSubject: test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n", rcpt)
	b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nHallo,\r\n\r\nanbei die Unterlagen zur Sitzung am Dienstag.\r\n\r\nViele Gr=C3=BC=C3=9Fe\r\nErika\r\n")
	for _, name := range sortedKeys(files) {
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", name)
		writeBase64(&b, files[name])
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// TestRewriteInvariants: every stripped message of testdata/eml parses
// without new defects, keeps every other part byte for byte, loses the
// stripped ones, and carries the notice and the status header.
func TestRewriteInvariants(t *testing.T) {
	f := newTestFilter(contribConfig(t))
	ents, err := os.ReadDir(emlDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		orig := readEML(t, e.Name())
		root, _ := mime.Parse(bytes.NewReader(orig), int64(len(orig)), mime.Limits{})
		rcpt := root.Header.Get("To")
		rcpt = strings.Trim(rcpt, "<> ")
		res := check(t, f, rcpt, orig)
		if res.Action != Strip {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			var out bytes.Buffer
			if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
				t.Fatal(err)
			}
			got := out.Bytes()
			nroot, err := mime.Parse(bytes.NewReader(got), int64(len(got)), mime.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			before := map[string]bool{}
			for _, d := range defects(root) {
				before[d] = true
			}
			for _, d := range defects(nroot) {
				if !before[d] {
					t.Errorf("new MIME defect %q", d)
				}
			}
			if nroot.MediaType != "multipart/mixed" || nroot.Boundary != "=_officemilter_test" {
				t.Errorf("top level %s boundary %q", nroot.MediaType, nroot.Boundary)
			}
			status := nroot.Header.Get("X-Officemilter")
			if !strings.HasPrefix(status, "stripped; ") {
				t.Errorf("X-Officemilter: %q", status)
			}
			noticeBytes, err := io.ReadAll(nroot.Children[0].Body(bytes.NewReader(got)))
			if err != nil {
				t.Fatal(err)
			}
			notice := string(noticeBytes)
			for _, want := range append([]string{"Richtlinie", "policy", "4ABC12"}, res.Stripped...) {
				if !strings.Contains(notice, want) {
					t.Errorf("notice lacks %q:\n%s", want, notice)
				}
			}
			if res.rewrite.rebuild != nil {
				rebuiltInvariants(t, res, orig, got)
				return
			}
			// Kept parts byte for byte; stripped ones gone.
			// Check parsed the message itself: match entities by offset.
			stripped := map[int64]bool{}
			for _, at := range res.Attachments {
				if at.Action == Strip && at.leaf.Entity != nil {
					stripped[at.leaf.Entity.Start] = true
				}
			}
			for _, leaf := range leafEntities(root) {
				raw := orig[leaf.Start:leaf.End]
				if len(raw) < 40 {
					continue // too short to tell apart
				}
				inOut := bytes.Contains(got, raw)
				switch {
				case stripped[leaf.Start] && inOut:
					t.Errorf("stripped part %q still in the message", leaf.Filename)
				case !stripped[leaf.Start] && !insideStripped(leaf, stripped) && !inOut:
					t.Errorf("kept part %s %q changed", leaf.MediaType, leaf.Filename)
				}
			}
			if len(res.SignatureBroken) > 0 && !strings.Contains(notice, "Signatur") {
				t.Errorf("signature %v broken but the notice does not say so", res.SignatureBroken)
			}
		})
	}
	if n < 15 {
		t.Errorf("only %d stripped messages in testdata/eml", n)
	}
}

// rebuiltInvariants checks a stripped ambiguous message, which is rebuilt
// rather than cut: the new message reads one way only, holds no stripped
// content and every kept leaf's content (decoded, compared by SHA-256).
func rebuiltInvariants(t *testing.T, res *Result, orig, got []byte) {
	t.Helper()
	sums := func(msg []byte) ([][32]byte, []mime.Role) {
		r := bytes.NewReader(msg)
		root, err := mime.Parse(r, int64(len(msg)), mime.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var out [][32]byte
		var roles []mime.Role
		err = mime.Walk(context.Background(), r, root, mime.Limits{}, func(l mime.Leaf) error {
			b, _ := io.ReadAll(l.Open())
			out = append(out, sha256.Sum256(b))
			roles = append(roles, l.Role)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, roles
	}
	before, _ := sums(orig)
	after, roles := sums(got)
	if len(before) != len(res.leaves) {
		t.Fatalf("walk found %d leaves, the check %d", len(before), len(res.leaves))
	}
	present := map[[32]byte]bool{}
	for i, s := range after {
		if roles[i] == mime.RoleAmbiguous {
			t.Error("the rebuilt message is ambiguous")
		}
		present[s] = true
	}
	strippedSum := map[[32]byte]bool{}
	for _, at := range res.Attachments {
		if at.Action == Strip {
			strippedSum[before[at.index]] = true
		}
	}
	for _, at := range res.Attachments {
		sum := before[at.index]
		switch {
		case at.Action == Strip && present[sum]:
			t.Errorf("stripped %q is in the rebuilt message", at.Name)
		case at.Action != Strip && !strippedSum[sum] && !present[sum]:
			t.Errorf("kept %q is not in the rebuilt message", at.Name)
		}
	}
}

func defects(e *mime.Entity) []string {
	d := append([]string(nil), e.Defects...)
	for _, c := range e.Children {
		d = append(d, defects(c)...)
	}
	if e.Message != nil {
		d = append(d, defects(e.Message)...)
	}
	return d
}

// leafEntities lists the entities without children of a message tree.
func leafEntities(e *mime.Entity) []*mime.Entity {
	if e.Message != nil {
		return leafEntities(e.Message)
	}
	if len(e.Children) == 0 {
		return []*mime.Entity{e}
	}
	var out []*mime.Entity
	for _, c := range e.Children {
		out = append(out, leafEntities(c)...)
	}
	return out
}

func insideStripped(e *mime.Entity, stripped map[int64]bool) bool {
	for p := e; p != nil; p = p.Parent {
		if stripped[p.Start] {
			return true
		}
	}
	return false
}

var _ = json.Marshal
var _ = inspect.KindMacro
var _ = inspecttest.PE

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func writeBase64(w io.Writer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		io.WriteString(w, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(w, enc+"\r\n")
}

// TestRewriteGolden pins the exact output of a strip: notice text, header
// edits and the byte-identical rest. go test ./milter -run TestRewriteGolden -update
func TestRewriteGolden(t *testing.T) {
	f := newTestFilter(contribConfig(t))
	for _, tc := range []struct{ in, rcpt string }{
		{"r1-03-doc-stripped.eml", "anna@example.net"},
		{"r1-13-smime-signed-doc.eml", "anna@example.net"},
		{"r1-26-single-part-doc.eml", "anna@example.net"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			res := check(t, f, tc.rcpt, readEML(t, tc.in))
			var out bytes.Buffer
			if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(tc.in, ".eml")+".out.eml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s (run with -update after checking the change)\n--- got:\n%s", golden, out.String())
			}
		})
	}
}

// TestSpoolFilesRemoved: whatever Check spools (attachments, S/MIME
// content) is gone when it returns.
func TestSpoolFilesRemoved(t *testing.T) {
	c := contribConfig(t)
	c.Spool.Memory = 1 // everything goes to files
	f := newTestFilter(c)
	for _, name := range []string{"r1-03-doc-stripped.eml", "r2-29-nested-zip-docm.eml", "r1-15-tnef-with-doc.eml", "r2-27-velvetsweatshop-docm.eml"} {
		check(t, f, "strict@example.org", readEML(t, name))
		check(t, f, "anna@example.net", readEML(t, name))
	}
	ents, err := os.ReadDir(c.Spool.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in the spool directory: %s", e.Name())
	}
}

// stripToQuarantine is a stripped message, its verdict and an empty
// quarantine to store it in.
func stripToQuarantine(t *testing.T) ([]byte, *Result, *Quarantine) {
	t.Helper()
	msg := readEML(t, "r1-03-doc-stripped.eml")
	res := check(t, newTestFilter(contribConfig(t)), "anna@example.net", msg)
	q, err := NewQuarantine(filepath.Join(t.TempDir(), "q"))
	if err != nil {
		t.Fatal(err)
	}
	return msg, res, q
}

func TestQuarantineStore(t *testing.T) {
	msg, res, q := stripToQuarantine(t)
	path, err := q.Store(res, bytes.NewReader(msg), int64(len(msg)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("quarantined copy differs: %v", err)
	}
	for _, p := range []string{path, strings.TrimSuffix(path, ".eml") + ".json"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if !strings.Contains(filepath.Base(path), "4ABC12-") {
		t.Errorf("file %s not named by queue ID", path)
	}
	var rec QuarantineRecord
	js, _ := os.ReadFile(strings.TrimSuffix(path, ".eml") + ".json")
	if err := json.Unmarshal(js, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Verdict.Action != Strip || rec.QueueID != "4ABC12" || rec.Size != int64(len(msg)) || len(rec.SHA256) != 64 {
		t.Errorf("sidecar %+v", rec)
	}
	dir, _ := os.Stat(filepath.Dir(path))
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("quarantine directory mode %v", dir.Mode().Perm())
	}
}

// TestQuarantineDayDirGone: the day directory is made once a day, not per
// message; when it has gone meanwhile (an admin purged it) the next store
// makes it again, and a new day gets its own directory. Nothing is left
// behind but the message and its sidecar.
func TestQuarantineDayDirGone(t *testing.T) {
	msg, res, q := stripToQuarantine(t)
	day := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	q.now = func() time.Time { return day }
	store := func() string {
		t.Helper()
		path, err := q.Store(res, bytes.NewReader(msg), int64(len(msg)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("quarantined copy differs: %v", err)
		}
		return path
	}
	first := store()
	if err := os.RemoveAll(filepath.Dir(first)); err != nil {
		t.Fatal(err)
	}
	again := store()
	if filepath.Dir(again) != filepath.Dir(first) {
		t.Errorf("stored in %s, then in %s", first, again)
	}
	day = day.Add(24 * time.Hour)
	next := store()
	if filepath.Base(filepath.Dir(next)) != "2026-12-06" {
		t.Errorf("next day's message in %s", next)
	}
	for _, d := range []string{filepath.Dir(again), filepath.Dir(next)} {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 2 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("%s holds %v, want the message and its sidecar", d, names)
		}
	}
}
