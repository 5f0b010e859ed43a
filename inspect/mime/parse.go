package mime

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// Limits bound the parse of one message. They are the message parser's
// part of inspect.Limits (LimitsOf); zero fields take those of
// inspect.DefaultLimits.
type Limits struct {
	// MaxHeaderBytes caps one header block (inspect.Limits.MaxHeaderBytes).
	MaxHeaderBytes int64
	// MaxParts caps the entities of one message
	// (inspect.Limits.MaxMessageParts).
	MaxParts int
	// MaxDepth caps multipart and message/rfc822 nesting
	// (inspect.Limits.MaxDepth): an entity deeper than MaxDepth is not
	// parsed. Depth counts from the root of the outermost message, see
	// RootDepth.
	MaxDepth int
	// RootDepth is the depth of the message parsed: 0 for the message the
	// milter receives, the depth of the part for a message found inside
	// something (an .eml in a zip, unwrapped S/MIME content), so that the
	// levels above it count against MaxDepth too.
	RootDepth int
	// MaxHeaderFields caps the header fields of all header blocks of one
	// message together (inspect.Limits.MaxHeaderFields).
	MaxHeaderFields int
	// MemSpool is how many decoded bytes of an opaque S/MIME body Walk holds
	// in memory before it spools them to a temporary file
	// (inspect.Limits.MemSpool).
	MemSpool int64
	// TempDir holds those spool files (default os.TempDir()).
	TempDir string
	// Keys decrypt S/MIME enveloped content addressed to them: Walk then
	// walks the decrypted message (its leaves are Leaf.Decrypted). Without
	// a matching key such content stays RoleEncrypted.
	Keys []Key
}

// LimitsOf returns the message parser's part of l (no keys).
func LimitsOf(l inspect.Limits) Limits {
	return Limits{
		MaxHeaderBytes:  l.MaxHeaderBytes,
		MaxParts:        l.MaxMessageParts,
		MaxDepth:        l.MaxDepth,
		MaxHeaderFields: l.MaxHeaderFields,
		MemSpool:        l.MemSpool,
		TempDir:         l.TempDir,
	}
}

// under returns l with its zero fields taken from the walk's limits w (an
// inspector's own limits first, then the engine's).
func (l Limits) under(w inspect.Limits) Limits {
	d := LimitsOf(w)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxHeaderFields <= 0 {
		l.MaxHeaderFields = d.MaxHeaderFields
	}
	if l.MemSpool <= 0 {
		l.MemSpool = d.MemSpool
	}
	if l.TempDir == "" {
		l.TempDir = d.TempDir
	}
	return l
}

func (l Limits) withDefaults() Limits { return l.under(inspect.DefaultLimits) }

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
	// Depth is how many multipart and message levels lie above the entity,
	// counted from Limits.RootDepth (the root's depth): the parts of a
	// multipart message are at RootDepth+1.
	Depth int
	// Defects are short texts naming what was wrong and tolerated.
	Defects []string
	// Ambiguities are short texts naming where mainstream readers read
	// this entity differently from this parser ("two boundary
	// parameters", "Content-Type field name with a comment", ...), each
	// once. Walk reports each as a RoleAmbiguous leaf and walks the
	// alternative readings too.
	Ambiguities []string
	// views is set on the root Parse returns when some entity is
	// ambiguous: what Walk needs to re-read the message.
	views *views
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
	// "not parsed: limit depth=32".
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
// wrapping inspect.ErrLimit: inspect.LimitMessageParts, "depth", "header-size",
// "header-fields") or an I/O error; even then the tree parsed so far is
// returned (every offset within [0, size]) so that a caller can walk what
// was seen.
func Parse(r io.ReaderAt, size int64, lim Limits) (*Entity, error) {
	return parse(r, size, lim, 0)
}

// parse parses under the reading rd (0: the primary reading).
func parse(r io.ReaderAt, size int64, lim Limits, rd reading) (*Entity, error) {
	if size < 0 {
		size = 0
	}
	p := &parser{lim: lim.withDefaults(), rd: rd, w: window{r: r, size: size, all: inspect.InMemory(r, size), cr: rd&rdCRLines != 0}}
	root, _, err := p.entity(0, nil, p.lim.RootDepth, false)
	if err == nil && p.w.err != nil {
		err = p.w.err
	}
	if rd == 0 && p.found != 0 {
		root.views = &views{size: p.w.size, alts: p.found}
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
	nl    int8  // length of the delimiter line's own line break (0 at the end)
}

// frame is an open multipart.
type frame struct {
	bd    []byte  // its boundary
	owner *Entity // the multipart
	peek  int     // how many bytes a delimiter check of the stack may need
	nl    int8    // line break length of its first delimiter line (0: none yet)
}

type parser struct {
	w      window
	lim    Limits
	parts  int
	fields int
	// stack holds the open multiparts, outermost first.
	stack []frame
	hdr   []byte
	// rd is the reading; found collects the readings worth trying.
	rd    reading
	found reading
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

func (p *parser) limitErr(l inspect.Limit, v int64) error {
	return &inspect.LimitError{Limit: l, Value: v}
}

// entity parses the entity starting at start. It returns the delimiter
// that ended it (found=false at the end of input).
func (p *parser) entity(start int64, parent *Entity, depth int, digest bool) (*Entity, hit, error) {
	e := &Entity{Start: start, BodyStart: start, End: p.w.size, DelimStart: -1, CloseDelim: -1, Parent: parent, Depth: depth}
	p.parts++
	if p.parts > p.lim.MaxParts {
		return e, hit{}, p.cut(e, p.limitErr(inspect.LimitMessageParts, int64(p.lim.MaxParts)))
	}
	if depth > p.lim.MaxDepth {
		return e, hit{}, p.cut(e, p.limitErr(inspect.LimitMessageNesting, int64(p.lim.MaxDepth)))
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
		if m.HasDefect(DefectNoBlankLine) && len(m.Header.Fields) > 0 && m.BodyStart < m.End {
			// The encapsulated header ran into a line that is no field:
			// readers disagree where its body starts.
			p.ambiguous(e, AmbiguityMessageNoBlank, 0)
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
	bd := []byte(e.Boundary)
	p.push(bd, e)
	own := len(p.stack) - 1
	var fr *frame // p.stack[own]; a child's push may move it
	digest := e.MediaType == "multipart/digest"
	h := p.findDelim(e.BodyStart)
	if h.found && h.idx == own && h.line > e.BodyStart {
		switch {
		case p.rd&rdOuterParts != 0:
			// The preamble read as a part.
			child, ch, err := p.entity(e.BodyStart, e, depth+1, digest)
			child.DelimStart = e.BodyStart
			e.Children = append(e.Children, child)
			if err != nil {
				p.pop()
				return ch, err
			}
			h = ch
		case p.rd == 0:
			if _, fields := p.partLike(e.BodyStart, h.lb, nil); fields {
				p.ambiguous(e, AmbiguityPartInPreamble, rdOuterParts)
			}
		}
	}
	kinds := 0 // bit 1: LF, bit 2: CRLF at a delimiter line
	for {
		if !h.found || h.idx < own {
			// The end of input or an enclosing boundary.
			if len(e.Children) == 0 {
				e.defect(DefectBoundaryNotFound)
			} else {
				e.defect(DefectMissingClose)
				p.ambiguous(e, AmbiguityMissingClose, 0)
			}
			p.pop()
			return h, nil
		}
		delim := h.lb
		if delim < e.BodyStart {
			delim = h.line // the first line of the body
		}
		// Line ends of the delimiter lines: the break before (none for
		// the first line of the body) and the line's own.
		kinds |= 1<<(h.line-h.lb) | 1<<h.nl
		fr = &p.stack[own]
		if fr.nl == 0 {
			fr.nl = h.nl
		}
		if p.rd == 0 && kinds&6 == 6 {
			rd := reading(0)
			if fr.nl == 2 {
				rd = rdCRLFDelims
			}
			p.ambiguous(e, AmbiguityMixedDelimEnds, rd)
		}
		if h.close {
			if e.CloseDelim < 0 {
				e.CloseDelim = delim
			}
			if p.rd&rdOuterParts == 0 {
				break
			}
			// Read on: what follows a close delimiter is one more part,
			// and the multipart has no close delimiter at its end.
			e.CloseDelim = -1
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
	// even a delimiter of this boundary, is invisible to mail clients
	// that stop at the close delimiter; others read on.
	end := p.findDelim(h.next)
	if p.rd == 0 && h.next < p.w.size {
		to := p.w.size
		if end.found {
			to = end.lb
		}
		delims, fields := p.partLike(h.next, to, bd)
		if delims {
			p.ambiguous(e, AmbiguityDelimAfterClose, rdOuterParts)
		}
		if fields {
			p.ambiguous(e, AmbiguityPartAfterClose, rdOuterParts)
		}
	}
	return end, nil
}

// partLike looks at the lines starting in [from, to) for a delimiter line
// of bd (when bd is not nil) and for a Content-* field line.
func (p *parser) partLike(from, to int64, bd []byte) (delims, fields bool) {
	need := 2 + len(bd)
	if need < 32 {
		need = 32
	}
	for pos := from; pos < to && !(delims && fields); {
		b := p.w.get(pos, need)
		if bd != nil && len(b) >= 2+len(bd) && b[0] == '-' && b[1] == '-' && bytes.HasPrefix(b[2:], bd) {
			delims = true
		}
		if len(b) > 0 && (b[0]|0x20) == 'c' {
			head := b[:min(len(b), 32)]
			if c := bytes.IndexByte(head, ':'); c > 0 && contentField(bytes.TrimRight(head[:c], " \t")) != "" {
				fields = true
			}
		}
		next, _ := p.w.lineEnd(pos, to-pos)
		if next <= pos {
			break
		}
		pos = next
	}
	return delims, fields
}

func (p *parser) push(b []byte, owner *Entity) {
	n := 2 + len(b) + 2 + maxPadding + 2
	if len(p.stack) > 0 && p.stack[len(p.stack)-1].peek > n {
		n = p.stack[len(p.stack)-1].peek
	}
	p.stack = append(p.stack, frame{bd: b, owner: owner, peek: n})
}

func (p *parser) pop() {
	p.stack = p.stack[:len(p.stack)-1]
}

// maxPadding is how much transport padding (RFC 2046 5.1.1: whitespace
// after the boundary) a delimiter line may carry.
const maxPadding = 256

// delimAt checks whether the line starting at l is a delimiter line of a
// boundary on the stack, innermost first. RFC 2046 5.1.1: "--", the
// boundary, "--" for the close delimiter, transport padding, the line
// break. A line that starts like a delimiter but is none is an ambiguity
// (other readers compare the line's start only).
func (p *parser) delimAt(l int64) (hit, bool) {
	if len(p.stack) == 0 {
		return hit{}, false
	}
	b := p.w.get(l, p.stack[len(p.stack)-1].peek)
	if len(b) < 2 || b[0] != '-' || b[1] != '-' {
		return hit{}, false
	}
	junk, junkWhat, junkRd := -1, "", reading(0)
	for i := len(p.stack) - 1; i >= 0; i-- {
		bd := p.stack[i].bd
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
			h.next, h.nl = l+consumed+1, 1
		case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
			h.next, h.nl = l+consumed+2, 2
		case len(rest) == 1 && rest[0] == '\r' && l+consumed+1 == p.w.size:
			h.next = p.w.size
		case p.w.cr && len(rest) >= 1 && rest[0] == '\r':
			h.next, h.nl = l+consumed+1, 1
		case p.rd&rdPrefixDelims != 0:
			// The rest of the line is ignored.
			next, _ := p.w.lineEnd(l, maxDelimLine)
			h.next = min(next, p.w.size)
		default:
			if junk < 0 {
				junk = i
				switch {
				case len(rest) > 0 && rest[0] == '\r':
					junkWhat, junkRd = AmbiguityDelimBareCR, rdCRLines|rdPrefixDelims
				case j == 0 && !h.close:
					junkWhat, junkRd = AmbiguityPrefixMatch, rdPrefixDelims
				default:
					junkWhat, junkRd = AmbiguityTrailingJunk, rdPrefixDelims
				}
			}
			continue
		}
		if p.rd&rdCRLFDelims != 0 && p.stack[i].nl == 2 && (h.nl == 1 || l-p.lineBreakBefore(l) == 1) {
			// Go's mime/multipart, once in CRLF mode, needs CRLF on both
			// sides of a delimiter line.
			continue
		}
		h.lb = p.lineBreakBefore(l)
		return h, true
	}
	if junk >= 0 {
		p.ambiguous(p.stack[junk].owner, junkWhat, junkRd)
	}
	return hit{}, false
}

// maxDelimLine bounds the rest of a delimiter line that the lenient
// reading skips.
const maxDelimLine = 64 << 10

// lineBreakBefore returns the start of the line break ending at l (l
// itself when none precedes it).
func (p *parser) lineBreakBefore(l int64) int64 {
	if l == 0 {
		return l
	}
	switch p.w.byteAt(l - 1) {
	case '\n':
		if l >= 2 && p.w.byteAt(l-2) == '\r' {
			return l - 2
		}
		return l - 1
	case '\r':
		if p.w.cr {
			return l - 1
		}
	}
	return l
}

var dashDash = []byte("--")

// lineDash returns the index of the first CR or LF followed by "--" in b,
// -1 if none: the line breaks of the cr-line-ends reading. One pass: each
// "--" is looked at once. (A "--" at b[0] was looked at with the bytes
// before it: findDelim's windows overlap by two bytes.)
func lineDash(b []byte) int {
	for k := 0; k < len(b); {
		j := bytes.Index(b[k:], dashDash)
		if j < 0 {
			return -1
		}
		j += k
		if j > 0 && (b[j-1] == '\n' || b[j-1] == '\r') {
			return j - 1
		}
		k = j + 1
	}
	return -1
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
		var i int
		if p.w.cr {
			i = lineDash(b)
		} else {
			i = bytes.Index(b, nlDash)
		}
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
	// renamed holds the names a lenient reading sees, by field index.
	var renamed map[int]string
	blk := p.hdr[:0]
	pos := e.Start
	first := true
	var cut hit
	ends := 0 // bit 1: LF, bit 2: CRLF line breaks seen
	bareCR, nul := false, false
	defer func() { p.hdr = blk[:0] }()
	inPart := e.Parent != nil && e.Parent.IsMultipart()
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
			return hit{}, p.limitErr(inspect.LimitHeaderSize, p.lim.MaxHeaderBytes)
		}
		bs := len(blk)
		blk = p.w.appendRange(blk, pos, next)
		line := blk[bs : len(blk)-lb]
		isFirst := first
		first = false
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r' && next == p.w.size) {
			if isFirst && inPart && e.Parent.MediaType != "multipart/digest" {
				if p.rd&rdSkipBlank != 0 {
					// Blank lines before the header are skipped.
					first = true
					blk = blk[:bs]
					pos = next
					continue
				}
				if p.rd == 0 && p.fieldFollows(next) {
					p.ambiguous(e, AmbiguityBlankHeaderStart, rdSkipBlank)
				}
			}
			e.BodyStart = next // RFC 5322 2.1: the blank line ends the header
			break
		}
		if lb > 0 {
			ends |= 1 << lb
		}
		if !p.w.cr && bytes.IndexByte(line, '\r') >= 0 {
			bareCR = true
		}
		if bytes.IndexByte(line, 0) >= 0 {
			nul = true
		}
		if isWSP(line[0]) {
			if len(raws) == 0 {
				e.defect(DefectLeadingWhitespace)
				if isFirst && inPart && len(bytes.Trim(line, " \t\r")) == 0 {
					p.ambiguous(e, AmbiguityWSPHeaderStart, 0)
				}
				if p.rd&rdSkipBlank != 0 && len(bytes.Trim(line, " \t\r")) == 0 {
					first = isFirst
					blk = blk[:bs]
				}
			} else {
				f := &raws[len(raws)-1]
				f.end, f.be = next, len(blk)
				f.lines++
			}
			pos = next
			continue
		}
		name, colon, ok := fieldName(line)
		lenient := ""
		if ok {
			if colon > len(name) && contentField(name) != "" {
				// RFC 5322 4.5.8 obsolete syntax: whitespace before the
				// colon. Strict readers take the line for body text.
				switch {
				case p.rd&rdStrictNames != 0:
					ok = false
				case p.rd&rdIgnoreNames != 0:
					// A field of another name: left out of the header.
					pos = next
					continue
				default:
					p.ambiguous(e, contentField(name)+" field name followed by whitespace", rdStrictNames|rdIgnoreNames)
				}
			}
			if ok && needsLenientCheck(name) {
				if clean, how := lenientName(name); how != "" {
					if p.rd&rdLenientNames != 0 {
						lenient = string(clean)
					} else if c := contentField(clean); c != "" {
						p.ambiguous(e, fieldAmbiguity(c, how), rdLenientNames)
					}
				}
			}
		} else if !(root && isFirst && bytes.HasPrefix(line, []byte("From "))) {
			// fieldName refuses control characters in a name; lenient
			// readers drop them and read on.
			if clean, how, c, lok := lenientFieldLine(line); lok && how != "" {
				switch cf := contentField(clean); {
				case p.rd&rdLenientNames != 0:
					name, colon, ok, lenient = line[:len(bytes.TrimRight(line[:c], " \t"))], c, true, string(clean)
				case cf != "":
					p.ambiguous(e, fieldAmbiguity(cf, how), rdLenientNames)
				case how != "whitespace" && p.contentFieldAt(next):
					// Any field a lenient reader reads on past, when a
					// Content-* field follows that this reading ignores.
					p.ambiguous(e, fieldAmbiguity("", how), rdLenientNames)
				}
			}
		}
		if ok {
			if p.fields+len(raws) >= p.lim.MaxHeaderFields {
				e.BodyStart = pos
				return hit{}, p.limitErr(inspect.LimitHeaderFields, int64(p.lim.MaxHeaderFields))
			}
			if lenient != "" {
				if renamed == nil {
					renamed = map[int]string{}
				}
				renamed[len(raws)] = lenient
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
	if p.rd == 0 {
		if bareCR {
			p.ambiguous(e, AmbiguityHeaderBareCR, rdCRLines)
		}
		if ends == 6 {
			p.ambiguous(e, AmbiguityMixedHeaderEnds, 0)
		}
		if nul {
			p.ambiguous(e, AmbiguityHeaderNUL, 0)
		}
	}
	p.fields += len(raws)
	if len(raws) == 0 {
		return cut, nil
	}
	s := string(blk)
	fields := make([]Field, len(raws))
	for i, rf := range raws {
		name, ok := renamed[i]
		if !ok {
			name = s[rf.bs:rf.nameEnd]
		}
		fields[i] = Field{
			Name:  name,
			Value: unfold(s[rf.colon+1:rf.be], rf.lines > 1),
			Start: rf.start,
			End:   rf.end,
		}
	}
	e.Header.Fields = fields
	return cut, nil
}

// fieldFollows reports whether a Content-* field line follows the blank
// lines starting at pos (a part header that starts with a blank line and
// then reads like a header).
func (p *parser) fieldFollows(pos int64) bool {
	for i := 0; i < 8 && pos < p.w.size; i++ {
		b := p.w.get(pos, 64)
		b = b[:min(len(b), 64)]
		if t := bytes.TrimLeft(b, " \t\r"); len(t) > 0 && t[0] != '\n' {
			return p.contentFieldAt(pos)
		}
		next, _ := p.w.lineEnd(pos, 1<<16)
		if next <= pos {
			return false
		}
		pos = next
	}
	return false
}

// contentFieldAt reports whether the line at pos is a Content-* field.
func (p *parser) contentFieldAt(pos int64) bool {
	b := p.w.get(pos, 64)
	b = b[:min(len(b), 64)]
	c := bytes.IndexByte(b, ':')
	return c > 0 && contentField(bytes.TrimRight(b[:c], " \t")) != ""
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
// RFC 2183; RFC 2046 5.1.5 (digest default). Under the primary reading
// it records where readers may read the fields differently.
func (p *parser) interpret(e *Entity, digest bool) {
	h := e.Header
	primary := p.rd == 0
	cts := h.Values("Content-Type")
	switch {
	case len(cts) == 0:
		e.MediaType = "text/plain"
		if digest {
			e.MediaType = "message/rfc822"
		}
	default:
		ct := cts[0]
		if p.rd&rdLastField != 0 {
			ct = cts[len(cts)-1]
		}
		t, params, dups := parseMediaTypeR(ct, p.rd)
		e.Params = params
		if primary && dups != nil {
			p.paramAmbiguities(e, dups)
		}
		switch {
		case validMediaType(t):
			e.MediaType = normType(t)
		case p.rd&rdLenientType != 0 && lenientType(t) != "":
			e.MediaType = lenientType(t)
		default:
			e.defect(DefectInvalidType)
			e.MediaType = "application/octet-stream"
			if primary {
				switch lt := lenientType(t); {
				case strings.ContainsAny(t, `"'`) && lt != "":
					p.ambiguous(e, AmbiguityQuotedType, rdLenientType)
				case lt != "":
					p.ambiguous(e, AmbiguityNoSubtype, rdLenientType)
				}
			}
		}
		if primary && (has8bit(t) || has8bit(params["boundary"])) {
			p.ambiguous(e, "8-bit byte in Content-Type field", 0)
		}
		for _, v := range cts[1:] {
			t2, params2, _ := parseMediaType(v)
			if normType(t2) != normType(t) {
				e.defect(DefectConflictingType)
			}
			if primary && (normType(t2) != normType(t) || params2["boundary"] != params["boundary"] || params2["name"] != params["name"]) {
				p.ambiguous(e, AmbiguityTwoTypes, rdLastField)
			}
		}
	}
	if e.Params == nil {
		e.Params = map[string]string{}
	}
	ctes := h.Values("Content-Transfer-Encoding")
	e.Encoding = "7bit"
	if len(ctes) > 0 {
		cte := ctes[0]
		if p.rd&rdLastField != 0 {
			cte = ctes[len(ctes)-1]
		}
		e.Encoding = normEncoding(cte)
		if e.Encoding == "" {
			e.Encoding = "7bit"
		}
		for _, v := range ctes[1:] {
			if x := normEncoding(v); x != e.Encoding && x != "" {
				e.defect(DefectConflictingEncode)
				if primary {
					p.ambiguous(e, AmbiguityTwoEncodings, rdLastField)
				}
			}
		}
		if !knownEncodings[e.Encoding] {
			e.defect(DefectUnknownEncoding)
			le := lenientEncoding(e.Encoding)
			switch {
			case p.rd&rdLenientEnc != 0 && le != "":
				e.Encoding = le
			case primary && le != "":
				p.ambiguous(e, AmbiguityUnknownEncoding, rdLenientEnc)
			case primary:
				p.ambiguous(e, AmbiguityUnknownEncoding, 0)
			}
		}
		switch e.Encoding {
		case "uuencode", "x-uue", "uue":
			// Not an RFC 2045 encoding, and one Perl MIME-tools does not
			// know (it decodes x-uuencode and x-uu only): it hands the body
			// out undecoded. That matters when the body is no uuencoded
			// file (what then decodes to nothing here could be a program
			// there).
			if !p.uuBody(e.BodyStart) {
				if p.rd&rdRawEnc != 0 {
					e.Encoding = "7bit"
				} else if primary {
					p.ambiguous(e, "transfer encoding "+e.Encoding+" on a body that is no uuencoded file", rdRawEnc)
				}
			}
		}
		if primary && has8bit(cte) {
			p.ambiguous(e, "8-bit byte in Content-Transfer-Encoding field", 0)
		}
	}
	if cds := h.Values("Content-Disposition"); len(cds) > 0 {
		cd := cds[0]
		if p.rd&rdLastField != 0 {
			cd = cds[len(cds)-1]
		}
		d, params, dups := parseMediaTypeR(cd, p.rd)
		if cd != "" {
			e.Disposition = d
			e.DispParams = params
		}
		if primary {
			if dups != nil {
				p.paramAmbiguities(e, dups)
			}
			if has8bit(d) {
				p.ambiguous(e, "8-bit byte in Content-Disposition field", 0)
			}
			for _, v := range cds[1:] {
				d2, params2, _ := parseMediaType(v)
				if d2 != d || params2["filename"] != params["filename"] {
					p.ambiguous(e, AmbiguityTwoDispositions, rdLastField)
				}
			}
		}
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
	// cr makes a bare CR a line break (the cr-line-ends reading).
	cr bool
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
	if w.cr {
		return w.lineEndCR(pos, max)
	}
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

// lineEndCR is lineEnd when a bare CR ends a line too.
func (w *window) lineEndCR(pos, max int64) (next int64, lb int) {
	p := pos
	for {
		if p-pos > max {
			return pos + max + 1, 0
		}
		b := w.get(p, 2)
		if len(b) == 0 {
			return w.size, 0
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			p += int64(len(b))
			continue
		}
		at := p + int64(i)
		if b[i] == '\n' {
			return at + 1, 1
		}
		if w.byteAt(at+1) == '\n' {
			return at + 2, 2
		}
		return at + 1, 1
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

// uuBody reports whether the body starting at pos begins, after blank
// lines, with a uuencode "begin" line.
func (p *parser) uuBody(pos int64) bool {
	b := p.w.get(pos, 512)
	if len(b) > 512 {
		b = b[:512]
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	return bytes.HasPrefix(b, []byte("begin ")) || bytes.HasPrefix(b, []byte("begin-base64 "))
}
