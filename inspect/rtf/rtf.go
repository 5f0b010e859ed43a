package rtf

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// MaxNesting caps how deep groups may nest. Real documents stay below a few
// dozen; deeper nesting only serves to exhaust parsers (CVE-2016-7290 era
// tricks), so it makes the document unscannable.
const MaxNesting = 1000

// ErrTooDeep is returned when groups nest deeper than MaxNesting.
var ErrTooDeep = fmt.Errorf("RTF nesting too deep (over %d groups)", MaxNesting)

// Inspector inspects RTF documents. It is stateless and safe for concurrent
// use.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns an RTF inspector.
func New() *Inspector { return &Inspector{} }

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeRTF)
	ps := &parser{
		ctx: ctx, part: p, s: s,
		rd:    reader{r: p.R, size: p.Size, buf: make([]byte, 0, min(p.Size, readChunk))},
		stack: []group{{uc: 1}},
		seen:  map[string]bool{},
	}
	defer ps.release()
	return ps.run()
}

// readChunk is how much of the document is read at a time.
const readChunk = 64 << 10

// reader is a forward reader over the part with a cheap byte peek.
type reader struct {
	r    io.ReaderAt
	size int64
	off  int64 // file offset of buf[0]
	buf  []byte
	i    int
	err  error
}

// fill makes buf[i] valid; false at the end of the part or on an error.
func (r *reader) fill() bool {
	if r.i < len(r.buf) {
		return true
	}
	r.off += int64(len(r.buf))
	r.buf, r.i = r.buf[:0], 0
	if r.off >= r.size || r.err != nil {
		return false
	}
	n := int(min(int64(cap(r.buf)), r.size-r.off))
	k, err := r.r.ReadAt(r.buf[:n], r.off)
	r.buf = r.buf[:k]
	if k == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
		return false
	}
	return true
}

func (r *reader) peek() (byte, bool) {
	if !r.fill() {
		return 0, false
	}
	return r.buf[r.i], true
}

func (r *reader) next() (byte, bool) {
	c, ok := r.peek()
	if ok {
		r.i++
	}
	return c, ok
}

// skip advances n bytes (or to the end).
func (r *reader) skip(n int64) {
	if rest := int64(len(r.buf) - r.i); n <= rest {
		r.i += int(n)
		return
	}
	pos := min(r.off+int64(r.i)+n, r.size)
	r.off, r.buf, r.i = pos, r.buf[:0], 0
}

// group is the state of one open "{" group. A new group starts as a copy
// of its parent; what it owns is finished when it closes.
type group struct {
	coll    *collector // where this group's text goes (nil: nowhere)
	ownColl bool       // coll was started in this group
	obj     *object    // innermost \object this group is in
	ownObj  bool       // \object appeared in this group
	uc      int        // \ucN: fallback characters after \uN
}

type parser struct {
	ctx   context.Context
	part  inspect.Part
	s     inspect.Scope
	rd    reader
	stack []group
	// ucSkip counts fallback characters still to drop after \uN.
	ucSkip int
	// objects counts \object groups and stray \objdata; objdata counts
	// decoded \objdata destinations (for child names).
	objects, objdata int
	// emitted counts distinct findings, capped at maxFindings; seen
	// holds them.
	emitted int
	seen    map[string]bool
	// stop is a Child error: the walk must stop.
	stop error
}

func (p *parser) top() *group { return &p.stack[len(p.stack)-1] }

// release closes the spools of destinations still open when the parse
// stopped early (a finished \objdata closes its own).
func (p *parser) release() {
	for i := range p.stack {
		if g := &p.stack[i]; g.ownColl && g.coll.kind == collObjData {
			g.coll.sp.Close()
		}
	}
}

// run tokenizes the document: groups, control words and symbols, text.
func (p *parser) run() error {
	rd := &p.rd
	for p.stop == nil {
		if !rd.fill() {
			break
		}
		if rd.i == 0 { // once per chunk read
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		switch c := rd.buf[rd.i]; c {
		case '{':
			rd.i++
			if len(p.stack) > MaxNesting {
				p.closeAll()
				if p.stop != nil {
					return p.stop
				}
				return ErrTooDeep
			}
			g := *p.top()
			g.ownColl, g.ownObj = false, false
			p.stack = append(p.stack, g)
		case '}':
			rd.i++
			// A stray "}" at the top is tolerated, as Word does.
			if len(p.stack) > 1 {
				p.closeGroup()
			}
		case '\\':
			rd.i++
			p.control()
		default:
			j := rd.i
			for j < len(rd.buf) && rd.buf[j] != '{' && rd.buf[j] != '}' && rd.buf[j] != '\\' {
				j++
			}
			p.text(rd.buf[rd.i:j])
			rd.i = j
		}
	}
	if p.stop != nil {
		return p.stop
	}
	if rd.err != nil {
		return fmt.Errorf("read: %w", rd.err)
	}
	// Unbalanced braces at the end are normal: Word closes what is open.
	p.closeAll()
	return p.stop
}

// closeAll finishes every open group (end of input, or giving up).
func (p *parser) closeAll() {
	for len(p.stack) > 1 {
		p.closeGroup()
	}
	p.finish(p.top())
}

func (p *parser) closeGroup() {
	p.finish(p.top())
	p.stack = p.stack[:len(p.stack)-1]
	p.ucSkip = 0
}

// finish ends what group g started: its collector, then its object.
func (p *parser) finish(g *group) {
	if g.ownColl {
		p.finishCollector(g.coll)
		g.coll, g.ownColl = nil, false
	}
	if g.ownObj {
		p.emitObject(g.obj)
		g.ownObj = false
	}
}

// setColl switches the current group to a new destination.
func (p *parser) setColl(c *collector) {
	g := p.top()
	if g.ownColl {
		p.finishCollector(g.coll)
	}
	g.coll, g.ownColl = c, c != nil
}

// text handles a run of plain text.
func (p *parser) text(b []byte) {
	c := p.top().coll
	if c == nil {
		return
	}
	if c.kind == collText && p.ucSkip > 0 {
		n := min(p.ucSkip, len(b))
		p.ucSkip -= n
		b = b[n:]
	}
	c.write(b)
}

// maxName is the longest control word name compared; Word reads longer
// ones (up to ~250 letters) as one word, and so do we, but none that long
// means anything.
const maxName = 32

// control reads what follows a backslash: a control word ("\" letters,
// optional signed number, optional space delimiter) or a control symbol.
func (p *parser) control() {
	rd := &p.rd
	c, ok := rd.peek()
	if !ok {
		return
	}
	if !isLetter(c) {
		rd.i++
		p.symbol(c)
		return
	}
	var nameBuf [maxName]byte
	n := 0
	for {
		c, ok = rd.peek()
		if !ok || !isLetter(c) {
			break
		}
		if n < maxName {
			nameBuf[n] = c
		}
		n++
		rd.i++
	}
	var name []byte // nil for names too long to mean anything
	if n <= maxName {
		name = nameBuf[:n]
	}
	// Parameter: "-"? digits. A "-" not followed by a digit is text.
	param, hasParam, neg := int64(0), false, false
	if c == '-' && ok {
		if d, ok2 := p.peek2(); ok2 && isDigit(d) {
			neg = true
			rd.i++
		}
	}
	for {
		c, ok = rd.peek()
		if !ok || !isDigit(c) {
			break
		}
		hasParam = true
		if param < 1<<40 { // saturate: Word accepts long runs of digits
			param = param*10 + int64(c-'0')
		}
		rd.i++
	}
	if neg {
		param = -param
	}
	if ok && c == ' ' {
		rd.i++
	}
	p.word(name, param, hasParam)
}

// peek2 returns the byte after the next one.
func (p *parser) peek2() (byte, bool) {
	rd := &p.rd
	if rd.i+1 < len(rd.buf) {
		return rd.buf[rd.i+1], true
	}
	var b [1]byte
	pos := rd.off + int64(rd.i) + 1
	if pos >= rd.size {
		return 0, false
	}
	if k, _ := rd.r.ReadAt(b[:], pos); k == 1 {
		return b[0], true
	}
	return 0, false
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// symbol handles a control symbol (the character after "\").
func (p *parser) symbol(c byte) {
	g := p.top()
	switch c {
	case '\'':
		// \'hh: one byte in hex. The two characters are taken whatever
		// they are.
		h, ok1 := p.rd.next()
		l, ok2 := p.rd.next()
		if g.coll == nil || !ok1 || !ok2 {
			return
		}
		if g.coll.kind == collObjData {
			g.coll.quoteHex()
			return
		}
		if p.ucSkip > 0 {
			p.ucSkip--
			return
		}
		if hv, lv := hexVal[h], hexVal[l]; hv >= 0 && lv >= 0 {
			g.coll.write([]byte{byte(hv<<4 | lv)})
		}
	case '\\', '{', '}':
		if g.coll != nil && g.coll.kind == collText {
			g.coll.write([]byte{c})
		}
	}
}

// word handles a control word.
func (p *parser) word(name []byte, param int64, hasParam bool) {
	g := p.top()
	switch string(name) { // no allocation: the compiler compares in place
	case "bin":
		p.bin(param)
	case "uc":
		g.uc = int(max(0, min(param, 16)))
	case "u":
		if g.coll != nil && g.coll.kind == collText {
			r := rune(param)
			if r < 0 {
				r += 0x10000
			}
			g.coll.write([]byte(string(r)))
			p.ucSkip = g.uc
		}
	case "object":
		p.objects++
		g.obj, g.ownObj = newObject(p.objects), true
		p.setColl(nil)
	case "objdata":
		p.setColl(p.newObjData(g.obj))
	case "objclass":
		p.setColl(newText(collText, purposeClass, g.obj, maxClassText))
	case "fldinst":
		p.setColl(newText(collText, purposeField, nil, maxFieldText))
	case "objemb", "objlink", "objautlink", "objupdate", "objocx", "objhtml", "objicemb", "objsub", "objpub":
		if g.obj != nil {
			g.obj.flags[string(name)] = true
		}
	default:
		if destinations[string(name)] {
			p.setColl(nil)
		}
	}
}

// bin handles "\binN": N raw bytes follow. In \objdata they are object
// data (as if written in hex); elsewhere they are skipped. A missing or
// negative N is 0, as Word treats it.
func (p *parser) bin(n int64) {
	if n <= 0 {
		return
	}
	rd := &p.rd
	n = min(n, rd.size-(rd.off+int64(rd.i)))
	c := p.top().coll
	if c == nil || c.kind != collObjData {
		rd.skip(n)
		return
	}
	for n > 0 && rd.fill() {
		k := int(min(n, int64(len(rd.buf)-rd.i)))
		c.writeRaw(rd.buf[rd.i : rd.i+k])
		rd.i += k
		n -= int64(k)
	}
}
