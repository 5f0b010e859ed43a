package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// The differential tests read the attack messages with independent
// parsers, Go's net/mail + mime/multipart and Perl MIME-tools (what
// MIMEDefang and amavisd-new use), and require that every file such a
// reader exposes is among the leaves Walk emits (STYLE 17): the union of
// the readings covers what mainstream readers see.

// exposed is a file an independent reader exposes.
type exposed struct {
	sum  string // hex SHA-256 of the decoded content
	size int
	name string
}

// attackMessages are the messages of the ambiguity and content
// tests and the fixtures.
func attackMessages(t *testing.T) map[string][]byte {
	msgs := map[string][]byte{}
	for _, f := range fixtures {
		msgs[f.name] = f.build()
	}
	for _, m := range ambiguityMessages() {
		msgs[m.name] = []byte(m.msg)
	}
	for name, m := range map[string]string{
		"crlf two boundaries": crlf("Content-Type: multipart/mixed; boundary=X; boundary=Y\n\n--Y\n" + exePart("clam.exe") + "--Y--\n--X\n\nhello\n--X--\n"),
	} {
		msgs[name] = []byte(m)
	}
	return msgs
}

// covered checks that every file a reader exposes (a name, or content
// that sniffs as a file format) is an attachment leaf of the walk, and
// that every other content is some leaf.
func covered(t *testing.T, reader, name string, msg []byte, files []exposed) {
	t.Helper()
	att := map[string]bool{}
	all := map[string]bool{}
	for _, l := range walkViews(t, msg) {
		s := sha256.Sum256(l.content)
		k := hex.EncodeToString(s[:])
		all[k] = true
		if l.Role == RoleText || l.Role == RoleAmbiguous {
			continue
		}
		// Inspected, or judged as a whole (encrypted, a signature,
		// unscannable, the outer entity of unwrapped content): what the
		// entity holds, decoded or raw, is covered.
		att[k] = true
		var rec func(e *Entity)
		rec = func(e *Entity) {
			b, _ := io.ReadAll(e.Body(bytes.NewReader(msg)))
			for _, c := range [][]byte{b, msg[e.BodyStart:e.End]} {
				s := sha256.Sum256(c)
				att[hex.EncodeToString(s[:])] = true
			}
			for _, c := range e.Children {
				rec(c)
			}
		}
		if l.Entity != nil && l.Entity.End <= int64(len(msg)) {
			rec(l.Entity)
		}
	}
	for _, f := range files {
		if f.size == 0 {
			continue
		}
		switch {
		case f.name != "" && !att[f.sum]:
			t.Errorf("%s: %s exposes %s (%d bytes), the walk has no such attachment", name, reader, f.name, f.size)
		case f.name == "" && !all[f.sum] && !textual(f):
			t.Errorf("%s: %s exposes %d bytes the walk has not", name, reader, f.size)
		}
	}
}

// textual reports content an independent reader shows as body text: it
// may differ from the walk's text by a line break and is not inspected
// anyway. (Only the Go reader sniffs; MIME-tools lines carry no content.)
func textual(f exposed) bool { return f.name == "" }

// goExposed reads msg with net/mail and mime/multipart as a Go program
// would, and returns the files it exposes. ok=false when Go refuses the
// message.
func goExposed(msg []byte) (files []exposed, ok bool) {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return nil, false
	}
	var walk func(h map[string][]string, body io.Reader, depth int) bool
	walk = func(h map[string][]string, body io.Reader, depth int) bool {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		mt, params, err := mime.ParseMediaType(get("Content-Type"))
		if err != nil && get("Content-Type") != "" {
			return false
		}
		if strings.HasPrefix(mt, "multipart/") && depth < 10 {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					return err == io.EOF
				}
				if !walk(p.Header, p, depth+1) {
					return false
				}
			}
		}
		if strings.EqualFold(strings.TrimSpace(get("Content-Transfer-Encoding")), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, &b64Clean{r: body})
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return false
		}
		name := params["name"]
		if _, dp, err := mime.ParseMediaType(get("Content-Disposition")); err == nil && dp["filename"] != "" {
			name = dp["filename"]
		}
		if name == "" && mt != "message/rfc822" {
			// (The walk descends into an encapsulated message.)
			if f := inspect.Sniff(bytes.NewReader(b), int64(len(b)), ""); f != inspect.FamilyText && f != inspect.FamilyOther && f != inspect.FamilyEML {
				name = "(" + string(f) + ")"
			}
		}
		s := sha256.Sum256(b)
		files = append(files, exposed{sum: hex.EncodeToString(s[:]), size: len(b), name: name})
		return true
	}
	if !walk(m.Header, m.Body, 0) {
		return nil, false
	}
	return files, true
}

// b64Clean drops what encoding/base64 does not skip by itself.
type b64Clean struct{ r io.Reader }

func (c *b64Clean) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	k := 0
	for _, x := range p[:n] {
		if x != ' ' && x != '\t' {
			p[k] = x
			k++
		}
	}
	return k, err
}

func TestDifferentialGo(t *testing.T) {
	for name, msg := range attackMessages(t) {
		files, ok := goExposed(msg)
		if !ok {
			continue // Go refuses it: nothing exposed
		}
		covered(t, "Go mime/multipart", name, msg, files)
	}
}

// mimeToolsScript prints one line per leaf MIME-tools exposes: the
// SHA-256 of the decoded body, its size and its recommended file name.
const mimeToolsScript = `
use strict; use warnings; use MIME::Parser; use Digest::SHA qw(sha256_hex);
my $p = MIME::Parser->new; $p->output_to_core(1); $p->tmp_to_core(1);
$p->decode_bodies(1); $p->extract_uuencode(0);
sub walk { my ($e, $d) = @_;
  my @parts = $e->parts;
  if (@parts && $d < 10) { walk($_, $d+1) for @parts; return }
  my $b = $e->bodyhandle or return;
  my $s = $b->as_string; $s = "" unless defined $s;
  my $n = $e->head->recommended_filename; $n = "-" unless defined $n && $n ne "";
  $n =~ s/\s+/_/g;
  print sha256_hex($s), " ", length($s), " ", $n, "\n";
}
for my $f (@ARGV) {
  print "== $f\n";
  open(my $fh, "<:raw", $f) or die "$f: $!";
  local $/; my $msg = <$fh>; close $fh;
  my $e = eval { $p->parse_data($msg) };
  if (!$e) { print "ERROR\n"; next }
  walk($e, 0);
}
`

func TestDifferentialMIMETools(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err == nil {
		err = exec.Command(perl, "-MMIME::Parser", "-e1").Run()
	}
	if err != nil {
		// Debian's libmime-tools-perl, installed by make test-deps.
		if os.Getenv("CI") != "" {
			t.Fatalf("Perl MIME-tools not available under CI: %v", err)
		}
		t.Skipf("Perl MIME-tools not available: %v", err)
	}
	if os.Getenv("OFFICEMILTER_SKIP_MIMETOOLS") != "" {
		t.Skip("OFFICEMILTER_SKIP_MIMETOOLS set")
	}
	// One Perl process reads every message.
	msgs := attackMessages(t)
	dir := t.TempDir()
	args := []string{"-e", mimeToolsScript}
	byFile := map[string]string{}
	i := 0
	for name, msg := range msgs {
		i++
		p := filepath.Join(dir, strconv.Itoa(i)+".eml")
		if err := os.WriteFile(p, msg, 0o600); err != nil {
			t.Fatal(err)
		}
		byFile[p] = name
		args = append(args, p)
	}
	out, err := exec.Command(perl, args...).Output()
	if err != nil {
		t.Fatalf("MIME-tools: %v", err)
	}
	files := map[string][]exposed{}
	cur := ""
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if p, ok := strings.CutPrefix(line, "== "); ok {
			cur = byFile[p]
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			continue // ERROR: MIME-tools refuses it
		}
		n, _ := strconv.Atoi(f[1])
		e := exposed{sum: f[0], size: n}
		if f[2] != "-" {
			e.name = f[2]
		}
		files[cur] = append(files[cur], e)
	}
	if len(files) == 0 {
		t.Fatalf("MIME-tools exposed nothing: %q", out)
	}
	for name, fs := range files {
		covered(t, "MIME-tools", name, msgs[name], fs)
	}
}
