package milter

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	stdmime "mime"
	"mime/quotedprintable"
	"sort"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
	"github.com/officemilter/officemilter/notify"
)

// HeaderEdit is one change to the top-level header. Index 0 adds a field at
// the end; Index n >= 1 changes the n-th field of that name (1-based, per
// name as in the milter protocol); an empty Value deletes it.
type HeaderEdit struct {
	Name  string
	Index int
	Value string
}

// rewrite is the plan for a stripped message: which byte ranges of the
// original body go, and what wraps the rest. Kept parts are copied byte for
// byte; nothing is re-encoded.
type rewrite struct {
	bodyStart int64
	size      int64
	cuts      [][2]int64 // sorted, disjoint ranges of the message to omit
	whole     bool       // the whole original body is removed
	boundary  string
	eol       string
	inner     []byte // the original top-level Content-* fields
	notice    string
	edits     []HeaderEdit
	// rebuild, when set, replaces the kept original body: the message is
	// made anew from its inspected parts (an ambiguous message).
	rebuild *rebuildPlan
}

// planRewrite decides what to cut. The result wraps the remaining body in a
// new multipart/mixed (new boundary) whose first part is the notice, so
// that the top-level Content-Type changes and every kept part keeps its
// bytes, whatever the original structure was.
func (f *Filter) planRewrite(res *Result) *rewrite {
	root := res.root
	rw := &rewrite{bodyStart: root.BodyStart, size: res.Bytes, eol: detectEOL(res.msg, res.Bytes)}
	rw.cuts, rw.whole = planCuts(res)
	rw.boundary = f.boundary()
	rw.inner = contentFields(res.msg, root, rw.eol)
	rw.edits = contentEdits(root, rw.boundary, rw.whole)
	rw.notice = f.notice(res, false)
	return rw
}

// planCuts returns the byte ranges that remove the stripped attachments,
// sorted, or whole when only the whole body can go.
func planCuts(res *Result) (cuts [][2]int64, whole bool) {
	removed := map[*mime.Entity]bool{}
	for _, at := range res.Attachments {
		if at.Action != Strip || at.leaf.Entity == nil {
			continue
		}
		n := removableNode(at.leaf.Entity)
		if n == nil {
			whole = true
			continue
		}
		removed[n] = true
	}
	// A multipart that loses every child goes as a whole.
	for changed := true; changed && !whole; {
		changed = false
		for n := range removed {
			p := n.Parent
			for p != nil && len(p.Children) == 0 { // a message/rfc822 wrapper
				p = p.Parent
			}
			if p == nil || removed[p] || len(p.Children) == 0 || !allRemoved(p.Children, removed) {
				continue
			}
			if up := removableNode(p); up != nil {
				removed[up] = true
			} else {
				whole = true
			}
			changed = true
		}
	}
	for n := range removed {
		if !insideRemoved(n, removed) {
			cuts = append(cuts, [2]int64{n.DelimStart, n.End})
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i][0] < cuts[j][0] })
	return cuts, whole
}

func allRemoved(children []*mime.Entity, removed map[*mime.Entity]bool) bool {
	for _, c := range children {
		if !removed[c] && !insideRemoved(c, removed) {
			return false
		}
	}
	return true
}

// contentFields returns the original top-level Content-* fields, byte for
// byte: the header of the part that carries the kept body.
func contentFields(msg io.ReaderAt, root *mime.Entity, eol string) []byte {
	var inner []byte
	for _, fd := range root.Header.Fields {
		if !strings.HasPrefix(strings.ToLower(fd.Name), "content-") {
			continue
		}
		raw := make([]byte, fd.End-fd.Start)
		if _, err := msg.ReadAt(raw, fd.Start); err == nil {
			inner = append(inner, raw...)
			if !bytes.HasSuffix(raw, []byte("\n")) {
				inner = append(inner, eol...)
			}
		}
	}
	return inner
}

// contentEdits turns the top-level header into that of the new
// multipart/mixed: other Content-* fields go, Content-Type names the new
// boundary, Content-Transfer-Encoding stays only where the kept body may
// hold 8-bit parts. Deletions run from the last occurrence down so that
// the indexes stay valid.
func contentEdits(root *mime.Entity, boundary string, whole bool) []HeaderEdit {
	cte := strings.ToLower(strings.TrimSpace(root.Header.Get("Content-Transfer-Encoding")))
	counts := map[string]int{}
	var edits []HeaderEdit
	for _, fd := range root.Header.Fields {
		name := strings.ToLower(fd.Name)
		counts[name]++
		if strings.HasPrefix(name, "content-") && name != "content-type" && name != "content-transfer-encoding" {
			edits = append(edits, HeaderEdit{Name: fd.Name, Index: occurrence(root.Header.Fields, fd)})
		}
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].Index > edits[j].Index })
	ct := fmt.Sprintf("multipart/mixed; boundary=\"%s\"", boundary)
	if counts["content-type"] > 0 {
		edits = append(edits, HeaderEdit{Name: "Content-Type", Index: 1, Value: ct})
		for i := counts["content-type"]; i > 1; i-- {
			edits = append(edits, HeaderEdit{Name: "Content-Type", Index: i})
		}
	} else {
		edits = append(edits, HeaderEdit{Name: "Content-Type", Value: ct})
	}
	for i := counts["content-transfer-encoding"]; i >= 1; i-- {
		v := ""
		if i == 1 && (cte == "8bit" || cte == "binary") && !whole {
			v = cte // the kept body may hold 8-bit parts (RFC 2045 6.4)
		}
		edits = append(edits, HeaderEdit{Name: "Content-Transfer-Encoding", Index: i, Value: v})
	}
	if counts["mime-version"] == 0 {
		edits = append(edits, HeaderEdit{Name: "MIME-Version", Value: "1.0"})
	}
	return edits
}

// notice is the text of the notice part of a stripped (or rebuilt) message.
func (f *Filter) notice(res *Result, rebuilt bool) string {
	n := notify.Notice{Policy: res.Policy.Name, QueueID: res.Envelope.QueueID,
		Quarantined: f.cfg.Quarantine.Dir != "" && f.cfg.quarantines(Strip), SignatureBroken: res.SignatureBroken,
		Advice: res.Policy.Advice, Rebuilt: rebuilt}
	for _, at := range res.Attachments {
		if at.Action != Strip {
			continue
		}
		n.Files = append(n.Files, notify.File{Name: at.Name, Type: at.Type, Kind: at.deciding.Kind, Detail: at.deciding.Detail, Signed: at.signedSelf})
	}
	return n.Text(res.Policy.Languages)
}

// occurrence returns the 1-based index of fd among the fields of its name.
func occurrence(fields []mime.Field, fd mime.Field) int {
	n := 0
	for _, x := range fields {
		if strings.EqualFold(x.Name, fd.Name) {
			n++
		}
		if x.Start == fd.Start {
			return n
		}
	}
	return n
}

// removableNode returns the entity whose [DelimStart, End) range removes e
// from the message: e itself when it is a part of a multipart, else the
// nearest such ancestor (a message/rfc822 part whose whole body is e). Nil
// means only the whole body can go.
func removableNode(e *mime.Entity) *mime.Entity {
	for n := e; n != nil; n = n.Parent {
		if n.DelimStart >= 0 {
			return n
		}
	}
	return nil
}

func insideRemoved(e *mime.Entity, removed map[*mime.Entity]bool) bool {
	for p := e.Parent; p != nil; p = p.Parent {
		if removed[p] {
			return true
		}
	}
	return false
}

// detectEOL returns the line ending the message uses.
func detectEOL(r io.ReaderAt, size int64) string {
	buf := make([]byte, min(size, 8192))
	n, _ := r.ReadAt(buf, 0)
	if i := bytes.IndexByte(buf[:n], '\n'); i > 0 && buf[i-1] == '\r' {
		return "\r\n"
	} else if i >= 0 {
		return "\n"
	}
	return "\r\n"
}

// WriteBody writes the rewritten body of a stripped message.
func (r *Result) WriteBody(w io.Writer) error {
	if r.rewrite == nil {
		_, err := io.Copy(w, io.NewSectionReader(r.msg, r.bodyStart(), r.Bytes-r.bodyStart()))
		return err
	}
	return r.rewrite.writeBody(w, r.msg)
}

func (r *Result) bodyStart() int64 {
	if r.root != nil {
		return r.root.BodyStart
	}
	return 0
}

func (rw *rewrite) writeBody(w io.Writer, msg io.ReaderAt) error {
	eol := rw.eol
	bw := &errWriter{w: w}
	rw.writeNotice(bw)
	if rw.rebuild != nil {
		rw.rebuild.write(bw, rw.boundary, eol)
	} else if !rw.whole {
		bw.str("--" + rw.boundary + eol)
		bw.bytes(rw.inner)
		bw.str(eol)
		pos := rw.bodyStart
		for _, c := range rw.cuts {
			if c[0] > pos {
				bw.copy(msg, pos, c[0])
			}
			if c[1] > pos {
				pos = c[1]
			}
		}
		if pos < rw.size {
			bw.copy(msg, pos, rw.size)
		}
		bw.str(eol)
	}
	bw.str("--" + rw.boundary + "--" + eol)
	return bw.err
}

// writeNotice writes the preamble and the notice part that open every
// rewritten body.
func (rw *rewrite) writeNotice(bw *errWriter) {
	eol := rw.eol
	bw.str("This message was modified by officemilter: attachments were removed." + eol + eol)
	bw.str("--" + rw.boundary + eol)
	bw.str("Content-Type: text/plain; charset=utf-8" + eol)
	bw.str("Content-Transfer-Encoding: quoted-printable" + eol)
	bw.str("Content-Disposition: inline" + eol)
	bw.str("Content-Description: officemilter notice" + eol + eol)
	var qp bytes.Buffer
	qw := quotedprintable.NewWriter(&qp)
	_, _ = qw.Write([]byte(strings.ReplaceAll(rw.notice, "\n", "\r\n")))
	_ = qw.Close()
	bw.str(strings.ReplaceAll(qp.String(), "\r\n", eol))
	bw.str(eol)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *errWriter) str(s string) { e.bytes([]byte(s)) }

func (e *errWriter) copy(r io.ReaderAt, from, to int64) {
	if e.err == nil {
		_, e.err = io.Copy(e.w, io.NewSectionReader(r, from, to-from))
	}
}

// HeaderEdits returns the header changes for the verdict: the rewritten
// message's Content-* fields and the status header (any status header the
// message arrived with is removed: it is not ours to trust).
func (r *Result) HeaderEdits(statusHeader string) []HeaderEdit {
	var edits []HeaderEdit
	if r.root != nil {
		n := 0
		for _, fd := range r.root.Header.Fields {
			if strings.EqualFold(fd.Name, statusHeader) {
				n++
			}
		}
		for i := n; i >= 1; i-- {
			edits = append(edits, HeaderEdit{Name: statusHeader, Index: i})
		}
	}
	if r.rewrite != nil {
		edits = append(edits, r.rewrite.edits...)
	}
	if r.Policy != nil {
		edits = append(edits, HeaderEdit{Name: statusHeader, Value: r.Status()})
	}
	return edits
}

// Status is the value of the status header: "clean",
// "stripped; legacy-office; a.doc", "accepted; unscannable; x.7z", and
// under a policy in monitor mode "monitor: would strip; legacy-office; a.doc".
func (r *Result) Status() string {
	if m := r.Monitor; m != nil && m.Action != Accept {
		return "monitor: would " + string(m.Action) + "; " + r.statusFindings(m.Action, m.Stripped)
	}
	word := map[Action]string{Accept: "accepted", Strip: "stripped", Reject: "rejected", Tempfail: "tempfailed"}[r.Action]
	if r.Action == Accept && len(r.Findings) == 0 {
		return "clean"
	}
	return word + "; " + r.statusFindings(r.Action, r.Stripped)
}

// statusFindings lists the kinds found and the files concerned: the
// stripped ones, or for any other action every file with a finding.
func (r *Result) statusFindings(action Action, stripped []string) string {
	var kinds, files []string
	seenK, seenF := map[inspect.Kind]bool{}, map[string]bool{}
	for _, fd := range r.Findings {
		if !seenK[fd.Kind] {
			seenK[fd.Kind] = true
			kinds = append(kinds, string(fd.Kind))
		}
	}
	names := stripped
	if action != Strip {
		for _, fd := range r.Findings {
			names = append(names, top(fd.Where))
		}
	}
	for _, n := range names {
		if n != "" && !seenF[n] {
			seenF[n] = true
			files = append(files, encodeWord(n))
		}
	}
	v := strings.Join(kinds, ",")
	if len(files) > 0 {
		v += "; " + strings.Join(files, ", ")
	}
	return v
}

// encodeWord keeps a file name ASCII in a header: as is, or as an RFC 2047
// encoded-word (the rest of the value stays readable).
func encodeWord(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < ' ' {
			return stdmime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// WriteMessage writes the message as it would be delivered: the header with
// the edits applied (new fields at the end, as the MTA adds them), then the
// body.
func (r *Result) WriteMessage(w io.Writer, statusHeader string) error {
	edits := r.HeaderEdits(statusHeader)
	bw := &errWriter{w: w}
	if r.root == nil {
		bw.copy(r.msg, 0, r.Bytes)
		return bw.err
	}
	eol := detectEOL(r.msg, r.Bytes)
	counts := map[string]int{}
	pos := r.root.Start
	for _, fd := range r.root.Header.Fields {
		name := strings.ToLower(fd.Name)
		counts[name]++
		bw.copy(r.msg, pos, fd.Start)
		pos = fd.End
		replaced := false
		for _, e := range edits {
			if e.Index == counts[name] && strings.EqualFold(e.Name, fd.Name) {
				if e.Value != "" {
					bw.str(fd.Name + ": " + e.Value + eol)
				}
				replaced = true
				break
			}
		}
		if !replaced {
			bw.copy(r.msg, fd.Start, fd.End)
		}
	}
	for _, e := range edits {
		if e.Index == 0 {
			bw.str(e.Name + ": " + e.Value + eol)
		}
	}
	// Whatever lies between the last field and the body (the blank line).
	bw.copy(r.msg, pos, r.root.BodyStart)
	if bw.err != nil {
		return bw.err
	}
	return r.WriteBody(w)
}

// randomBoundary returns a boundary no content can contain by chance
// ("=_" cannot occur in base64 or quoted-printable text either).
func randomBoundary() string {
	var buf [12]byte
	_, _ = rand.Read(buf[:])
	return "=_officemilter_" + hex.EncodeToString(buf[:])
}
