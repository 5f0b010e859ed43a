package mime

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// Limits bound the parse of one message. Zero fields take the defaults.
type Limits struct {
	// MaxHeaderBytes caps one header block (default 1 MiB).
	MaxHeaderBytes int64
	// MaxParts caps the entities of one message (default 10000).
	MaxParts int
	// MaxDepth caps multipart and message/rfc822 nesting (default 50).
	MaxDepth int
	// MaxHeaderFields caps the header fields of all header blocks of one
	// message together (default 200000): a megabyte of "a:\n" lines would
	// otherwise cost far more memory than the message itself.
	MaxHeaderFields int
	// MemSpool is how many decoded bytes of an opaque S/MIME body Walk holds
	// in memory before it spools them to a temporary file (default 2 MiB).
	MemSpool int64
	// TempDir holds those spool files (default os.TempDir()).
	TempDir string
}

// Defaults for Limits.
const (
	DefaultMaxHeaderBytes  = 1 << 20
	DefaultMaxParts        = 10000
	DefaultMaxDepth        = 50
	DefaultMaxHeaderFields = 200000
	DefaultMemSpool        = 2 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxHeaderFields <= 0 {
		l.MaxHeaderFields = DefaultMaxHeaderFields
	}
	if l.MemSpool <= 0 {
		l.MemSpool = DefaultMemSpool
	}
	return l
}

// Entity is one MIME entity (a message or a body part) and where its pieces
// lie in the message. All offsets are in the reader given to Parse.
type Entity struct {
	Header Header
	// Start is the first byte of the header block. (For a part without a
	// single byte between two delimiter lines it is the line break of the
	// first one, the only line break between them.)
	Start int64
	// BodyStart is the first byte after the blank line that ends the header
	// block (the end of the header block). Without a blank line it is where
	// the header stopped (a line that is no field, a delimiter, the end) and
	// a defect is recorded. When a delimiter follows the header directly,
	// the line break before the delimiter belongs to the delimiter (RFC 2046
	// 5.1.1) and BodyStart == End sits at that line break.
	BodyStart int64
	// End is the end of the body, exclusive. For a multipart child it is
	// the offset of the line break (CRLF or LF) before the next delimiter
	// line: that line break belongs to the delimiter (RFC 2046 5.1.1).
	End int64
	// DelimStart is, for a multipart child, where its preceding delimiter
	// begins: the line break before "--boundary", or the line start when
	// the delimiter is the first line of the body. Removing the bytes
	// [DelimStart, End) removes the child cleanly. -1 otherwise.
	DelimStart int64
	// MediaType is the lower-case "type/subtype": text/plain by default,
	// message/rfc822 inside multipart/digest (RFC 2046 5.1.5);
	// application/octet-stream (and a defect) when the field is invalid.
	MediaType string
	// Params are the Content-Type parameters, lower-case keys, RFC 2231
	// continuations joined and charsets decoded.
	Params map[string]string
	// Disposition is the lower-case Content-Disposition ("attachment",
	// "inline", "" when absent).
	Disposition string
	// DispParams are the Content-Disposition parameters, like Params.
	DispParams map[string]string
	// Filename is the decoded file name (RFC 2231, RFC 2047, any charset to
	// UTF-8): the disposition filename, else the Content-Type name; "" if
	// none.
	Filename string
	// Encoding is the lower-case Content-Transfer-Encoding, "7bit" when the
	// field is absent.
	Encoding string
	// Boundary is the multipart boundary (multipart only).
	Boundary string
	// Children are the parts of a multipart, in order.
	Children []*Entity
	// CloseDelim is, for a multipart, the offset of the line break before
	// the close delimiter "--boundary--" (the line start when it is the
	// first line of the body); -1 when it is missing (a defect).
	CloseDelim int64
	// Message is, for message/rfc822 and message/global with an identity
	// encoding, the body parsed as a message (offsets in the same reader);
	// nil otherwise.
	Message *Entity
	// Parent is the enclosing multipart or message entity (nil for the root).
	Parent *Entity
	// Defects are short texts naming what was wrong and tolerated.
	Defects []string
}

// Defect texts that Walk and the inspector act upon.
const (
	DefectNoBoundary        = "multipart without boundary"
	DefectBoundaryNotFound  = "multipart boundary not found"
	DefectMissingClose      = "missing close delimiter"
	DefectNoBlankLine       = "header without blank line"
	DefectConflictingType   = "conflicting Content-Type fields"
	DefectConflictingEncode = "conflicting Content-Transfer-Encoding fields"
	DefectInvalidType       = "invalid Content-Type"
	DefectUnknownEncoding   = "unknown Content-Transfer-Encoding"
	DefectLeadingWhitespace = "header starts with a continuation line"
	// DefectNotParsed starts the defect of an entity a limit cut short:
	// "not parsed: limit depth=50".
	DefectNotParsed = "not parsed: "
)

func (e *Entity) defect(d string) {
	for _, x := range e.Defects {
		if x == d {
			return
		}
	}
	e.Defects = append(e.Defects, d)
}

// HasDefect reports whether d is among e's defects.
func (e *Entity) HasDefect(d string) bool {
	for _, x := range e.Defects {
		if x == d {
			return true
		}
	}
	return false
}

// IsMultipart reports a multipart/* entity.
func (e *Entity) IsMultipart() bool { return strings.HasPrefix(e.MediaType, "multipart/") }

// Parse parses the message in r (size bytes). It is tolerant like a mail
// client: every syntax problem becomes a defect on the entity and parsing
// goes on. It returns an error only for a limit (an *inspect.LimitError
// wrapping inspect.ErrLimit: "parts", "depth", "header-size",
// "header-fields") or an I/O error; even then the tree parsed so far is
// returned (every offset within [0, size]) so that a caller can walk what
// was seen.
func Parse(r io.ReaderAt, size int64, lim Limits) (*Entity, error) {
	if size < 0 {
		size = 0
	}
	p := &parser{lim: lim.withDefaults(), w: window{r: r, size: size, all: inspect.InMemory(r, size)}}
	root, _, err := p.entity(0, nil, 0, false)
	if err == nil && p.w.err != nil {
		err = p.w.err
	}
	return root, err
}

// Line breaks and delimiters: RFC 2046 5.1.1.
var nlDash = []byte("\n--")

// hit is a delimiter line found while scanning.
type hit struct {
	found bool
	idx   int   // index of the boundary in the parser's stack
	close bool  // "--boundary--"
	line  int64 // start of the delimiter line
	lb    int64 // start of the line break before it (see endAt)
	next  int64 // first byte after the delimiter line
}

type parser struct {
	w      window
	lim    Limits
	parts  int
	fields int
	// stack holds the boundaries of the open multiparts, outermost first.
	stack [][]byte
	// peek is how many bytes a delimiter check may need.
	peek []int
	hdr  []byte
}

// cut marks e as not parsed because of err, a limit: its content is
// unknown (Walk reports it as unscannable).
func (p *parser) cut(e *Entity, err error) error {
	var le *inspect.LimitError
	if errors.As(err, &le) {
		e.Header.Fields = nil
		e.MediaType = "application/octet-stream"
		e.defect(DefectNotParsed + err.Error())
	}
	return err
}

func (p *parser) limitErr(name string, v int64) error {
	return &inspect.LimitError{Limit: name, Value: v}
}

// entity parses the entity starting at start. It returns the delimiter
// that ended it (found=false at the end of input).
func (p *parser) entity(start int64, parent *Entity, depth int, digest bool) (*Entity, hit, error) {
	e := &Entity{Start: start, BodyStart: start, End: p.w.size, DelimStart: -1, CloseDelim: -1, Parent: parent}
	p.parts++
	if p.parts > p.lim.MaxParts {
		return e, hit{}, p.cut(e, p.limitErr("parts", int64(p.lim.MaxParts)))
	}
	if depth > p.lim.MaxDepth {
		return e, hit{}, p.cut(e, p.limitErr("depth", int64(p.lim.MaxDepth)))
	}
	h, err := p.header(e, parent == nil && start == 0)
	if err != nil {
		return e, hit{}, p.cut(e, err)
	}
	p.interpret(e, digest)
	if h.found {
		// The header ran into a delimiter: no body.
		if e.IsMultipart() {
			if e.Boundary == "" {
				e.defect(DefectNoBoundary)
			} else {
				e.defect(DefectBoundaryNotFound)
			}
		}
		p.endAt(e, &h)
		return e, h, nil
	}
	switch {
	case e.IsMultipart() && e.Boundary != "":
		h, err = p.multipart(e, depth)
		if err != nil {
			return e, h, err
		}
	case e.isEncapsulated():
		m, mh, err := p.entity(e.BodyStart, e, depth+1, false)
		e.Message = m
		if err != nil {
			return e, mh, err
		}
		h = mh
	default:
		if e.IsMultipart() {
			e.defect(DefectNoBoundary)
		}
		h = p.findDelim(e.BodyStart)
	}
	p.endAt(e, &h)
	if e.Message != nil && e.Message.End > e.End {
		// Cannot happen (the message ended at the same delimiter), but
		// keep the tree consistent whatever the input.
		e.Message.End = e.End
	}
	return e, h, p.w.err
}

// isEncapsulated reports a message/rfc822 or message/global body that is
// parsed as a message: only with an identity encoding (RFC 2046 5.2.1,
// RFC 6532 3.7).
func (e *Entity) isEncapsulated() bool {
	if e.MediaType != "message/rfc822" && e.MediaType != "message/global" {
		return false
	}
	switch e.Encoding {
	case "7bit", "8bit", "binary":
		return true
	}
	return false
}

// endAt ends e at the delimiter h. The line break before a delimiter line
// belongs to the delimiter; when it lies in e's header block (a header
// followed directly by the delimiter, with or without a blank line) the
// header block ends there and the body is empty. When e has no byte at all
// (a delimiter line right after the previous one), the only line break
// between the two delimiters is the first one's: e becomes empty at that
// line break, so that removing [DelimStart, End) still leaves a clean
// delimiter line behind.
func (p *parser) endAt(e *Entity, h *hit) {
	if !h.found {
		e.End = p.w.size
		if e.End < e.BodyStart {
			e.End = e.BodyStart
		}
		return
	}
	if h.lb < e.Start && e.Parent != nil && e.Parent.IsMultipart() && h.lb >= e.Parent.BodyStart {
		e.Start = h.lb
	}
	if h.lb < e.Start {
		h.lb = e.Start
	}
	if h.lb < e.BodyStart {
		e.BodyStart = h.lb
		for i := range e.Header.Fields {
			f := &e.Header.Fields[i]
			if f.End > h.lb {
				f.End = h.lb
			}
			if f.Start > f.End {
				f.Start = f.End
			}
		}
	}
	e.End = h.lb
}

// multipart parses the body of a multipart entity: preamble, parts, close
// delimiter, epilogue. RFC 2046 5.1.1.
func (p *parser) multipart(e *Entity, depth int) (hit, error) {
	p.push([]byte(e.Boundary))
	own := len(p.stack) - 1
	digest := e.MediaType == "multipart/digest"
	h := p.findDelim(e.BodyStart)
	for {
		if !h.found || h.idx < own {
			// The end of input or an enclosing boundary.
			if len(e.Children) == 0 {
				e.defect(DefectBoundaryNotFound)
			} else {
				e.defect(DefectMissingClose)
			}
			p.pop()
			return h, nil
		}
		delim := h.lb
		if delim < e.BodyStart {
			delim = h.line // the first line of the body
		}
		if h.close {
			e.CloseDelim = delim
			break
		}
		child, ch, err := p.entity(h.next, e, depth+1, digest)
		child.DelimStart = delim
		e.Children = append(e.Children, child)
		if err != nil {
			p.pop()
			return ch, err
		}
		h = ch
	}
	p.pop()
	// The epilogue runs to the next enclosing delimiter. Anything there,
	// even a delimiter of this boundary, is invisible to mail clients.
	return p.findDelim(h.next), nil
}

func (p *parser) push(b []byte) {
	p.stack = append(p.stack, b)
	n := 2 + len(b) + 2 + maxPadding + 2
	if len(p.peek) > 0 && p.peek[len(p.peek)-1] > n {
		n = p.peek[len(p.peek)-1]
	}
	p.peek = append(p.peek, n)
}

func (p *parser) pop() {
	p.stack = p.stack[:len(p.stack)-1]
	p.peek = p.peek[:len(p.peek)-1]
}

// maxPadding is how much transport padding (RFC 2046 5.1.1: whitespace
// after the boundary) a delimiter line may carry.
const maxPadding = 256

// delimAt checks whether the line starting at l is a delimiter line of a
// boundary on the stack, innermost first.
func (p *parser) delimAt(l int64) (hit, bool) {
	if len(p.stack) == 0 {
		return hit{}, false
	}
	b := p.w.get(l, p.peek[len(p.peek)-1])
	if len(b) < 2 || b[0] != '-' || b[1] != '-' {
		return hit{}, false
	}
	for i := len(p.stack) - 1; i >= 0; i-- {
		bd := p.stack[i]
		if !bytes.HasPrefix(b[2:], bd) {
			continue
		}
		rest := b[2+len(bd):]
		h := hit{found: true, idx: i, line: l}
		if len(rest) >= 2 && rest[0] == '-' && rest[1] == '-' {
			h.close = true
			rest = rest[2:]
		}
		j := 0
		for j < len(rest) && j <= maxPadding && isWSP(rest[j]) {
			j++
		}
		consumed := int64(len(b) - len(rest) + j)
		rest = rest[j:]
		switch {
		case len(rest) == 0 && l+consumed == p.w.size:
			h.next = p.w.size
		case len(rest) >= 1 && rest[0] == '\n':
			h.next = l + consumed + 1
		case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
			h.next = l + consumed + 2
		case len(rest) == 1 && rest[0] == '\r' && l+consumed+1 == p.w.size:
			h.next = p.w.size
		default:
			continue
		}
		h.lb = p.lineBreakBefore(l)
		return h, true
	}
	return hit{}, false
}

// lineBreakBefore returns the start of the line break ending at l (l
// itself when none precedes it).
func (p *parser) lineBreakBefore(l int64) int64 {
	if l == 0 || p.w.byteAt(l-1) != '\n' {
		return l
	}
	if l >= 2 && p.w.byteAt(l-2) == '\r' {
		return l - 2
	}
	return l - 1
}

// findDelim finds the first delimiter line at or after the line start from.
func (p *parser) findDelim(from int64) hit {
	if len(p.stack) == 0 {
		return hit{}
	}
	if h, ok := p.delimAt(from); ok {
		return h
	}
	pos := from
	for {
		b := p.w.get(pos, 3)
		if len(b) < 3 {
			return hit{}
		}
		i := bytes.Index(b, nlDash)
		if i < 0 {
			pos += int64(len(b) - 2)
			continue
		}
		l := pos + int64(i) + 1
		if h, ok := p.delimAt(l); ok {
			return h
		}
		pos = l
	}
}

// header reads the header block of e. It returns the delimiter that cut it
// short, if any.
func (p *parser) header(e *Entity, root bool) (hit, error) {
	type rawField struct {
		start, end int64 // offsets in the message
		bs, be     int   // offsets in blk
		colon      int   // offset of the colon in blk
		nameEnd    int   // offset after the field name in blk
		lines      int
	}
	var raws []rawField
	blk := p.hdr[:0]
	pos := e.Start
	first := true
	var cut hit
	defer func() { p.hdr = blk[:0] }()
	for {
		if pos >= p.w.size {
			if pos > e.Start {
				e.defect(DefectNoBlankLine)
			}
			e.BodyStart = p.w.size
			break
		}
		if h, ok := p.delimAt(pos); ok {
			e.defect(DefectNoBlankLine)
			e.BodyStart = pos
			cut = h
			break
		}
		next, lb := p.w.lineEnd(pos, p.lim.MaxHeaderBytes-int64(len(blk)))
		if int64(len(blk))+(next-pos) > p.lim.MaxHeaderBytes {
			e.BodyStart = pos
			return hit{}, p.limitErr("header-size", p.lim.MaxHeaderBytes)
		}
		bs := len(blk)
		blk = p.w.appendRange(blk, pos, next)
		line := blk[bs : len(blk)-lb]
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r' && next == p.w.size) {
			e.BodyStart = next // RFC 5322 2.1: the blank line ends the header
			break
		}
		isFirst := first
		first = false
		if isWSP(line[0]) {
			if len(raws) == 0 {
				e.defect(DefectLeadingWhitespace)
			} else {
				f := &raws[len(raws)-1]
				f.end, f.be = next, len(blk)
				f.lines++
			}
			pos = next
			continue
		}
		if name, colon, ok := fieldName(line); ok {
			if p.fields+len(raws) >= p.lim.MaxHeaderFields {
				e.BodyStart = pos
				return hit{}, p.limitErr("header-fields", int64(p.lim.MaxHeaderFields))
			}
			raws = append(raws, rawField{start: pos, end: next, bs: bs, be: len(blk), colon: bs + colon, nameEnd: bs + len(name), lines: 1})
			pos = next
			continue
		}
		if root && isFirst && bytes.HasPrefix(line, []byte("From ")) {
			// An mbox separator line before the first field.
			pos = next
			continue
		}
		// A line that is no field: the body starts here.
		e.defect(DefectNoBlankLine)
		e.BodyStart = pos
		blk = blk[:bs]
		break
	}
	p.fields += len(raws)
	if len(raws) == 0 {
		return cut, nil
	}
	s := string(blk)
	fields := make([]Field, len(raws))
	for i, rf := range raws {
		fields[i] = Field{
			Name:  s[rf.bs:rf.nameEnd],
			Value: unfold(s[rf.colon+1:rf.be], rf.lines > 1),
			Start: rf.start,
			End:   rf.end,
		}
	}
	e.Header.Fields = fields
	return cut, nil
}

// unfold removes the line breaks of a folded field value (RFC 5322 2.2.3),
// the final line break and the leading whitespace.
func unfold(v string, folded bool) string {
	if !folded {
		v = strings.TrimSuffix(v, "\n")
		v = strings.TrimSuffix(v, "\r")
		return strings.TrimLeft(v, " \t")
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' && i+1 < len(v) && v[i+1] == '\n' {
			continue
		}
		if c == '\n' {
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimLeft(b.String(), " \t")
}

var knownEncodings = map[string]bool{
	"7bit": true, "8bit": true, "binary": true, "base64": true,
	"quoted-printable": true, "x-uuencode": true, "uuencode": true,
	"x-uue": true, "uue": true,
}

// interpret fills the MIME fields of e from its header. RFC 2045 5, 6;
// RFC 2183; RFC 2046 5.1.5 (digest default).
func (p *parser) interpret(e *Entity, digest bool) {
	h := e.Header
	cts := h.Values("Content-Type")
	switch {
	case len(cts) == 0:
		e.MediaType = "text/plain"
		if digest {
			e.MediaType = "message/rfc822"
		}
	default:
		t, params, _ := parseMediaType(cts[0])
		e.Params = params
		if validMediaType(t) {
			e.MediaType = normType(t)
		} else {
			e.defect(DefectInvalidType)
			e.MediaType = "application/octet-stream"
		}
		for _, v := range cts[1:] {
			t2, _, _ := parseMediaType(v)
			if normType(t2) != normType(t) {
				e.defect(DefectConflictingType)
			}
		}
	}
	if e.Params == nil {
		e.Params = map[string]string{}
	}
	ctes := h.Values("Content-Transfer-Encoding")
	e.Encoding = "7bit"
	if len(ctes) > 0 {
		e.Encoding = normEncoding(ctes[0])
		if e.Encoding == "" {
			e.Encoding = "7bit"
		}
		for _, v := range ctes[1:] {
			if x := normEncoding(v); x != e.Encoding && x != "" {
				e.defect(DefectConflictingEncode)
			}
		}
		if !knownEncodings[e.Encoding] {
			e.defect(DefectUnknownEncoding)
		}
	}
	if cd := h.Get("Content-Disposition"); cd != "" {
		d, params, _ := parseMediaType(cd)
		e.Disposition = d
		e.DispParams = params
	}
	if e.DispParams == nil {
		e.DispParams = map[string]string{}
	}
	if n := e.DispParams["filename"]; n != "" {
		e.Filename = decodeName(n)
	}
	if e.Filename == "" {
		if n := e.Params["name"]; n != "" {
			e.Filename = decodeName(n)
		}
	}
	if e.IsMultipart() {
		e.Boundary = e.Params["boundary"]
	}
}

func normType(t string) string {
	if i := strings.IndexByte(t, '/'); i >= 0 {
		return strings.TrimSpace(t[:i]) + "/" + strings.TrimSpace(t[i+1:])
	}
	return t
}

func normEncoding(v string) string {
	v = strings.ToLower(strings.TrimSpace(stripComments(v)))
	v = strings.Trim(v, `"' `)
	if i := strings.IndexAny(v, " \t;"); i >= 0 {
		v = v[:i]
	}
	return v
}

// window gives buffered access to the message for the scanner.
type window struct {
	r    io.ReaderAt
	all  []byte // the whole input when it is in memory: no copies
	size int64
	buf  []byte
	off  int64
	n    int
	err  error
}

const windowSize = 64 << 10

// get returns the bytes from pos on that the window holds after making sure
// that at least need of them are there (fewer only at the end of input).
// The slice is valid until the next call.
func (w *window) get(pos int64, need int) []byte {
	if pos >= w.size || pos < 0 {
		return nil
	}
	if w.all != nil {
		return w.all[pos:]
	}
	if left := w.size - pos; int64(need) > left {
		need = int(left)
	}
	if pos >= w.off && pos+int64(need) <= w.off+int64(w.n) {
		return w.buf[pos-w.off : w.n]
	}
	size := windowSize
	if left := w.size - pos; left < int64(size) {
		size = int(left) // a small message gets a small buffer
	}
	if need > size {
		size = need
	}
	if cap(w.buf) < size {
		w.buf = make([]byte, size)
	}
	w.buf = w.buf[:cap(w.buf)]
	m := len(w.buf)
	if left := w.size - pos; int64(m) > left {
		m = int(left)
	}
	k, err := w.r.ReadAt(w.buf[:m], pos)
	if k < m {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if w.err == nil {
			w.err = err
		}
		// Treat the input as ending here so that scanning stops.
		w.size = pos + int64(k)
	}
	w.off, w.n = pos, k
	return w.buf[:k]
}

func (w *window) byteAt(pos int64) byte {
	b := w.get(pos, 1)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// lineEnd returns the offset after the line starting at pos (after its
// '\n', or the end of input) and the length of its line break (2 for CRLF,
// 1 for LF, 0 at the end of input). It looks at no more than max bytes: for
// a longer line it returns pos+max+1.
func (w *window) lineEnd(pos, max int64) (next int64, lb int) {
	p := pos
	for {
		if p-pos > max {
			return pos + max + 1, 0
		}
		b := w.get(p, 1)
		if len(b) == 0 {
			return w.size, 0
		}
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			nl := p + int64(i)
			lb = 1
			if i > 0 {
				if b[i-1] == '\r' {
					lb = 2
				}
			} else if nl > pos && w.byteAt(nl-1) == '\r' {
				lb = 2
			}
			return nl + 1, lb
		}
		p += int64(len(b))
	}
}

// appendRange appends the bytes [from, to) to dst.
func (w *window) appendRange(dst []byte, from, to int64) []byte {
	for from < to {
		b := w.get(from, 1)
		if len(b) == 0 {
			break
		}
		if int64(len(b)) > to-from {
			b = b[:to-from]
		}
		dst = append(dst, b...)
		from += int64(len(b))
	}
	return dst
}
