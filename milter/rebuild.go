package milter

import (
	"bytes"
	"context"
	"errors"
	"io"
	stdmime "mime"
	"strings"
	"time"

	"github.com/officemilter/officemilter/inspect/mime"
)

// A message that mail programs read in more than one way (an ambiguous
// finding) cannot be stripped by cutting byte ranges: the cut follows one
// reading, and a part that another reading shows could stay in the
// delivered bytes. Such a message is rebuilt instead: a new multipart/mixed
// body holding the notice and, each base64-encoded under a header written
// here, exactly the leaves the walk inspected (every reading's, each once)
// that the policy keeps. What is delivered is then what was inspected,
// under any reading, because the new body has only one.

// rebuildPlan says which leaves of the walk the rebuilt message keeps.
type rebuildPlan struct {
	// roles holds the role of every leaf in walk order; drop marks the
	// leaves left out.
	roles []mime.Role
	drop  []bool
	// walk walks the message again with the same parser and limits: the
	// walk is deterministic, so it visits the same leaves in the same
	// order (checked: a difference is an error, never a guess).
	walk func(fn func(mime.Leaf) error) error
}

// errRebuildDiffers is returned when the second walk of a message does not
// find the leaves the first one found (a timeout cut it short, say).
var errRebuildDiffers = errors.New("rebuild: the message's parts changed between check and rewrite")

// planRebuild plans the rewrite of a stripped ambiguous message.
func (f *Filter) planRebuild(res *Result) *rewrite {
	root := res.root
	rw := &rewrite{bodyStart: root.BodyStart, size: res.Bytes, eol: detectEOL(res.msg, res.Bytes), boundary: f.boundary()}
	p := &rebuildPlan{roles: make([]mime.Role, len(res.leaves)), drop: make([]bool, len(res.leaves))}
	for i, l := range res.leaves {
		p.roles[i] = l.role
		switch l.role {
		case mime.RoleSignature, mime.RoleAmbiguous:
			// A signature no longer verifies on a rebuilt message; an
			// ambiguity is no content.
			p.drop[i] = true
		}
	}
	for _, at := range res.Attachments {
		if at.Action != Strip || at.index >= len(p.drop) {
			continue
		}
		p.drop[at.index] = true
		if !res.leaves[at.index].inText {
			continue
		}
		// A block found inside a text (uuencode, inline PGP) goes with
		// that text: the nearest text leaf before it of the same entity.
		for j := at.index - 1; j >= 0; j-- {
			if res.leaves[j].role == mime.RoleText && res.leaves[j].entity == res.leaves[at.index].entity {
				p.drop[j] = true
				break
			}
		}
	}
	msg, lim, timeout := res.msg, f.mlim, time.Duration(f.cfg.Timeout)
	p.walk = func(fn func(mime.Leaf) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return mime.Walk(ctx, msg, root, lim, fn)
	}
	rw.rebuild = p
	rw.whole = true
	rw.edits = rebuildEdits(res.msg, root, rw.boundary)
	if !strippedDecrypted(res) {
		rw.notice = f.notice(res, true)
		return rw
	}
	// A decrypted S/MIME message (encrypted_strip: decrypt): say that,
	// not that it was ambiguous (unless it was that too).
	rw.notice = f.notice(res, len(res.ambiguities) > 0) + decryptedNotice(res.Policy.Languages)
	return rw
}

// decryptedNotice tells the recipient that the message arrived encrypted
// and is delivered decrypted.
func decryptedNotice(langs []string) string {
	var b strings.Builder
	for _, l := range langs {
		switch l {
		case "de":
			b.WriteString("\nDie Nachricht war S/MIME-verschlüsselt. Sie wurde entschlüsselt, geprüft und ohne die entfernten Anhänge unverschlüsselt zugestellt.\n")
		case "en":
			b.WriteString("\nThe message was S/MIME-encrypted. It was decrypted, checked and is delivered without the removed attachments, unencrypted.\n")
		}
	}
	return b.String()
}

// rebuildEdits replaces the top-level header's MIME fields: every field that
// some reader could take for a Content-* field (names with comments,
// whitespace or control characters included) goes, and so does every field
// whose raw bytes hold a bare CR or a NUL (a reader that ends lines at a
// bare CR finds another field inside it); the new Content-Type comes.
func rebuildEdits(msg io.ReaderAt, root *mime.Entity, boundary string) []HeaderEdit {
	var edits []HeaderEdit
	hasVersion := false
	for _, fd := range root.Header.Fields {
		if strings.EqualFold(fd.Name, "MIME-Version") {
			hasVersion = true
		}
		if strings.HasPrefix(lenientName(fd.Name), "content-") || hiddenLines(msg, fd) {
			// The name as the MTA knows it: the bytes before the colon
			// ("Content-Type :" is a field named "Content-Type " there).
			edits = append(edits, HeaderEdit{Name: rawName(msg, fd), Index: occurrence(root.Header.Fields, fd)})
		}
	}
	// Deletions from the last occurrence down, so that the indexes of the
	// others stay valid.
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].Index > edits[j-1].Index; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	if !hasVersion {
		edits = append(edits, HeaderEdit{Name: "MIME-Version", Value: "1.0"})
	}
	return append(edits, HeaderEdit{Name: "Content-Type", Value: "multipart/mixed; boundary=\"" + boundary + "\""})
}

// rawName returns the bytes of fd's line before its colon.
func rawName(msg io.ReaderAt, fd mime.Field) string {
	n := min(fd.End-fd.Start, int64(len(fd.Name))+256)
	if n <= 0 {
		return fd.Name
	}
	raw := make([]byte, n)
	k, _ := msg.ReadAt(raw, fd.Start)
	if i := bytes.IndexByte(raw[:k], ':'); i >= 0 {
		return string(raw[:i])
	}
	return fd.Name
}

// hiddenLines reports a field whose bytes hold a bare CR or a NUL.
func hiddenLines(msg io.ReaderAt, fd mime.Field) bool {
	n := fd.End - fd.Start
	if n <= 0 || n > 1<<20 {
		return n > 0
	}
	raw := make([]byte, n)
	if _, err := msg.ReadAt(raw, fd.Start); err != nil {
		return true
	}
	for i, c := range raw {
		if c == 0 || c == '\r' && (i+1 >= len(raw) || raw[i+1] != '\n') {
			return true
		}
	}
	return false
}

// lenientName is a field name as the most lenient reader sees it: lower
// case, without comments, whitespace, control or 8-bit characters.
func lenientName(name string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0, c <= ' ', c >= 0x7f:
		default:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// write writes the kept leaves as parts of the new body.
func (p *rebuildPlan) write(bw *errWriter, boundary, eol string) {
	if bw.err != nil {
		return
	}
	i := 0
	err := p.walk(func(l mime.Leaf) error {
		idx := i
		i++
		if idx >= len(p.roles) || p.roles[idx] != l.Role {
			return errRebuildDiffers
		}
		if p.drop[idx] {
			return nil
		}
		bw.str("--" + boundary + eol)
		for _, h := range partHeader(l) {
			bw.str(h + eol)
		}
		writeBase64Part(bw, eol, l.Open())
		bw.str(eol)
		return bw.err
	})
	if err == nil && i != len(p.roles) {
		err = errRebuildDiffers
	}
	if err != nil && bw.err == nil {
		bw.err = err
	}
}

// partHeader writes the Content-Type and Content-Disposition of a kept
// leaf: body text keeps its text type and charset, everything else is a
// file with its name and, when it is a plain token pair, its declared type.
func partHeader(l mime.Leaf) []string {
	if l.Role == mime.RoleText && l.Part != nil {
		params := map[string]string{}
		if cs := l.Part.Params["charset"]; cs != "" && isToken(cs) {
			params["charset"] = cs
		}
		ct := stdmime.FormatMediaType(l.Part.MediaType, params)
		if ct == "" {
			ct = "text/plain"
		}
		return []string{"Content-Type: " + ct, "Content-Disposition: inline"}
	}
	mt := "application/octet-stream"
	if l.Part != nil && !l.InText {
		t := l.Part.MediaType
		if i := strings.IndexByte(t, '/'); i > 0 && isToken(t[:i]) && isToken(t[i+1:]) &&
			!strings.HasPrefix(t, "multipart/") && !strings.HasPrefix(t, "message/") {
			mt = t
		}
	}
	name := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, l.Name)
	ct := stdmime.FormatMediaType(mt, map[string]string{"name": name})
	cd := stdmime.FormatMediaType("attachment", map[string]string{"filename": name})
	if ct == "" || cd == "" {
		ct, cd = mt, "attachment"
	}
	return []string{"Content-Type: " + ct, "Content-Disposition: " + cd}
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// lineWriter breaks base64 into lines of 76 characters (RFC 2045 6.8).
type lineWriter struct {
	w   *errWriter
	eol string
	n   int
}

func (lw *lineWriter) Write(b []byte) (int, error) {
	total := len(b)
	for len(b) > 0 {
		k := min(76-lw.n, len(b))
		lw.w.bytes(b[:k])
		lw.n += k
		b = b[k:]
		if lw.n == 76 {
			lw.w.str(lw.eol)
			lw.n = 0
		}
	}
	return total, lw.w.err
}

func (lw *lineWriter) end() {
	if lw.n > 0 {
		lw.w.str(lw.eol)
		lw.n = 0
	}
}
