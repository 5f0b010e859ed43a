package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/officemilter/officemilter/inspect"
)

// How a document is read, in the order readers repair a damaged file:
//
//  1. Scan the whole file for "N G obj", "trailer" and "xref" (ISO 32000-1
//     7.3.10, 7.5.4, 7.5.5) instead of trusting the cross-reference table,
//     which attackers break and readers rebuild.
//  2. Parse every object found, in file order. A stream's data is skipped
//     by its /Length when "endstream" follows it, else up to the next
//     "endstream". An "obj" inside stream data or inside a well-formed
//     object (one that ends with "endobj") is not an object, unless a
//     cross-reference table or stream points at it (a reader following the
//     table would parse it).
//  3. Read every trailer and cross-reference stream dictionary for
//     /Encrypt and /ID and open the standard security handler with the
//     empty user password.
//  4. Decode every object stream (7.5.7) and parse its members.
//  5. Resolve what needs references: actions behind /OpenAction and /AA,
//     embedded file streams behind /EF.

// maxObjectBytes caps one object's text (its dictionary, not its stream
// data). Larger objects do not occur in real documents.
const maxObjectBytes = 4 << 20

// objStmMax caps the decoded size of one object or cross-reference stream.
const objStmMax = 32 << 20

// A cand is a place where "num gen obj" was found.
type cand struct {
	off      int64
	num, gen int32
}

// objInfo says which indirect object a value belongs to: strings are
// encrypted with that object's key unless it lives in an object stream.
type objInfo struct {
	num, gen int32
	inStm    bool
}

type entry struct {
	pos   int64 // file offset of the definition (of its object stream)
	v     object
	owner objInfo
}

type trailer struct {
	pos int64
	d   dict
	// inStream: found inside stream data, where an embedded document's
	// own trailer lies (see openSecurity).
	inStream bool
}

type objStm struct {
	pos int64
	st  *stream
}

// pendingAction is an action reference to resolve once every object is
// known.
type pendingAction struct {
	label string
	r     ref
	aa    bool // r is an additional-actions dictionary, not an action
}

// pendingEF is a file specification's /EF (ISO 32000-1 7.11.4).
type pendingEF struct {
	ef    object
	fname []byte
	owner objInfo
}

type embeddedFile struct {
	st   *stream
	name string
}

type doc struct {
	ctx context.Context
	src *source
	lim inspect.Limits

	nobj    int
	decoded int64 // bytes decoded from object and xref streams

	hdr         int64 // offset of "%PDF-"
	cands       []cand
	lastOff     map[int32]int64
	trailerOffs []int64
	xrefOffs    []int64
	covered     int64
	extents     [][2]int64 // confirmed stream data ranges, in file order
	deferred    []cand

	table     map[int32]*entry
	trailers  []trailer
	xrefStms  []*stream
	objStms   []objStm
	efTyped   []*stream
	actions   []pendingAction
	efs       []pendingEF
	embedded  []embeddedFile
	resolving bool

	found []string
	seen  map[string]bool
	// sigHint: some dictionary has a /ByteRange, as signature
	// dictionaries do (signature.go).
	sigHint bool

	sec       *security
	encDetail string
	permOnly  bool

	// err is the first problem that leaves the document not completely
	// inspected but does not stop the walk.
	err error

	memoFrom, memoAt int64
	memoValid        bool
}

func newDoc(ctx context.Context, src *source, lim inspect.Limits) *doc {
	return &doc{
		ctx: ctx, src: src, lim: lim,
		lastOff: map[int32]int64{},
		table:   map[int32]*entry{},
		seen:    map[string]bool{},
	}
}

func (d *doc) deferErr(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *doc) flag(detail string) {
	if !d.seen[detail] {
		d.seen[detail] = true
		d.found = append(d.found, detail)
	}
}

func (d *doc) countObject() error {
	d.nobj++
	if d.nobj > d.lim.MaxPDFObjects {
		return &inspect.LimitError{Limit: inspect.LimitPDFObjects, Value: int64(d.lim.MaxPDFObjects)}
	}
	return nil
}

// budget bounds the bytes lexed in all: objects that overlap (an unclosed
// string swallowing the next thousand objects, each of them re-read) must
// not make the parse quadratic.
func (d *doc) budget() error {
	if d.src.lexed > 4*(d.src.size+d.decoded)+4<<20 {
		return errors.New("malformed PDF: objects overlap beyond reason")
	}
	return nil
}

func (d *doc) run() error {
	if err := d.scanRaw(); err != nil {
		return err
	}
	if len(d.cands) == 0 {
		return errors.New("malformed PDF: no objects found")
	}
	d.table = make(map[int32]*entry, len(d.cands))
	for i, c := range d.cands {
		if i%256 == 0 {
			if err := d.ctx.Err(); err != nil {
				return err
			}
		}
		if c.off < d.covered {
			d.deferred = append(d.deferred, c)
			continue
		}
		if err := d.parseCand(c); err != nil {
			return err
		}
	}
	if err := d.parseTrailers(); err != nil {
		return err
	}
	if len(d.deferred) > 0 {
		if err := d.parseListed(); err != nil {
			return err
		}
	}
	if len(d.table) == 0 {
		return errors.New("malformed PDF: no object could be parsed")
	}
	d.openSecurity()
	if err := d.parseObjStms(); err != nil {
		return err
	}
	d.resolveActions()
	d.collectEmbedded()
	return nil
}

// scanRaw finds every "num gen obj", "trailer" and "xref" in the file.
func (d *doc) scanRaw() error {
	if b, _ := d.src.window(0, 1024); b != nil {
		if i := bytes.Index(b, []byte("%PDF-")); i > 0 {
			d.hdr = int64(i)
		}
	}
	chunk := scanChunk
	const back = 64
	size := d.src.size
	var buf []byte
	for base := int64(0); base < size; base += chunk {
		if err := d.ctx.Err(); err != nil {
			return err
		}
		lo := max(0, base-back)
		b, _ := d.src.scanWindow(&buf, lo, int(base+chunk+16-lo))
		from, to := int(base-lo), int(min(base+chunk, size)-lo)
		atEOF := lo+int64(len(b)) >= size
		for i := from; i < to; {
			j := bytes.Index(b[i:], []byte("obj"))
			if j < 0 || i+j >= to {
				break
			}
			p := i + j
			i = p + 3
			if c, ok := objHeader(b, p, lo == 0, atEOF); ok {
				c.off += lo
				d.cands = append(d.cands, c)
				if c.num >= 0 {
					d.lastOff[c.num] = c.off
				}
				if len(d.cands) > d.lim.MaxPDFObjects {
					return &inspect.LimitError{Limit: inspect.LimitPDFObjects, Value: int64(d.lim.MaxPDFObjects)}
				}
			}
		}
		d.trailerOffs = keywordOffsets(b, from, to, "trailer", lo, d.trailerOffs)
		d.xrefOffs = keywordOffsets(b, from, to, "xref", lo, d.xrefOffs)
		if len(d.trailerOffs)+len(d.xrefOffs) > d.lim.MaxPDFObjects {
			return &inspect.LimitError{Limit: inspect.LimitPDFObjects, Value: int64(d.lim.MaxPDFObjects)}
		}
	}
	return nil
}

// keywordOffsets appends the offsets just after each keyword kw starting in
// b[from:to] that stands alone (not "startxref").
func keywordOffsets(b []byte, from, to int, kw string, lo int64, out []int64) []int64 {
	for i := from; i < to; {
		j := bytes.Index(b[i:], []byte(kw))
		if j < 0 || i+j >= to {
			break
		}
		p := i + j
		i = p + len(kw)
		if p > 0 && isRegular(b[p-1]) {
			continue
		}
		if e := p + len(kw); e < len(b) && isRegular(b[e]) {
			continue
		}
		out = append(out, lo+int64(p+len(kw)))
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// runBefore returns where the run of bytes of class that ends at b[j]
// (exclusive) starts.
func runBefore(b []byte, j int, class func(byte) bool) int {
	for j > 0 && class(b[j-1]) {
		j--
	}
	return j
}

// objHeader checks that the "obj" at b[p] ends "num gen obj" and returns
// the candidate with its offset relative to b.
func objHeader(b []byte, p int, fileStart, atEOF bool) (cand, bool) {
	if e := p + 3; e < len(b) {
		if isRegular(b[e]) {
			return cand{}, false
		}
	} else if !atEOF {
		return cand{}, false
	}
	ge := runBefore(b, p, isSpace)
	gs := runBefore(b, ge, isDigit)
	if ge == gs || ge-gs > 5 {
		return cand{}, false
	}
	ne := runBefore(b, gs, isSpace)
	if ne == gs {
		return cand{}, false
	}
	ns := runBefore(b, ne, isDigit)
	if ne == ns || ne-ns > 18 {
		return cand{}, false
	}
	if ns > 0 {
		if isRegular(b[ns-1]) {
			return cand{}, false
		}
	} else if !fileStart {
		return cand{}, false
	}
	var num, gen int64
	for _, c := range b[ns:ne] {
		num = num*10 + int64(c-'0')
	}
	for _, c := range b[gs:ge] {
		gen = gen*10 + int64(c-'0')
	}
	if num > math.MaxInt32 || gen > 65535 {
		// Object number overflow (ISO 32000-1 Annex C: at most 8,388,607
		// objects): no reference reaches it, but it is still parsed for
		// its keys.
		num, gen = -1, 0
	}
	return cand{off: int64(ns), num: int32(num), gen: int32(gen)}, true
}

var errTooBig = errors.New("object too large")

// parseAt parses the indirect object at off, growing its window as needed.
func (d *doc) parseAt(off int64) (indirect, int, error) {
	ob, _, values, err := d.lexAt(off, false)
	return ob, values, err
}

// lexAt parses at off an indirect object, or with value a value, again in
// a window 16 times larger while the parse needs more (errMore) and the
// input has more, up to maxObjectBytes (then errTooBig). values is the
// lexer's count of values parsed.
func (d *doc) lexAt(off int64, value bool) (ob indirect, v object, values int, err error) {
	n := 4096
	for {
		b, eof := d.src.window(off, n)
		l := lexer{b: b, eof: eof}
		if value {
			v, err = l.parseValue()
		} else {
			ob, err = l.parseIndirect()
		}
		d.src.lexed += int64(l.pos)
		if err != errMore || eof {
			return ob, v, l.values, err
		}
		if n >= maxObjectBytes {
			return ob, v, 0, errTooBig
		}
		n = min(n*16, maxObjectBytes)
	}
}

// parseCand parses the object at c and records it.
func (d *doc) parseCand(c cand) error {
	if err := d.countObject(); err != nil {
		return err
	}
	ob, values, err := d.parseAt(c.off)
	if berr := d.budget(); berr != nil {
		return berr
	}
	switch {
	case err == errDeep:
		d.deferErr(fmt.Errorf("malformed PDF: object %d %d nests deeper than %d levels", c.num, c.gen, maxDepth))
		return nil
	case err == errTooBig:
		return fmt.Errorf("malformed PDF: object %d %d is larger than %d MiB", c.num, c.gen, maxObjectBytes>>20)
	case err != nil:
		return nil // not an object after all
	}
	owner := objInfo{num: ob.num, gen: ob.gen}
	if end := c.off + int64(ob.end); ob.end > 0 && end > d.covered {
		// What lies inside a well-formed object (a string that quotes
		// "1 0 obj") is not an object.
		d.covered = end
	}
	if st, ok := ob.v.(*stream); ok {
		st.off = c.off + int64(ob.dataOff)
		var covers bool
		st.n, covers = d.streamExtent(st)
		if end := st.off + st.n; covers && end > d.covered {
			d.covered = end
			d.extents = append(d.extents, [2]int64{st.off, end})
		}
		switch st.d.get("Type") {
		case name("XRef"):
			// ISO 32000-1 7.5.8.2: a cross-reference stream's dictionary
			// is also the trailer.
			d.trailers = append(d.trailers, trailer{pos: c.off, d: pruneDict(st.d)})
			d.xrefStms = append(d.xrefStms, st)
		case name("ObjStm"):
			d.objStms = append(d.objStms, objStm{pos: c.off, st: st})
		}
	}
	d.add(ob.num, c.off, ob.v, values, owner)
	d.scan(ob.v, owner, st0(ob.v))
	return nil
}

func st0(v object) *stream {
	st, _ := v.(*stream)
	return st
}

// add records a definition; the one latest in the file wins, as in an
// incremental update (ISO 32000-1 7.5.6).
func (d *doc) add(num int32, pos int64, v object, values int, owner objInfo) {
	if num < 0 {
		return
	}
	if e := d.table[num]; e != nil && e.pos > pos {
		return
	}
	d.table[num] = &entry{pos: pos, v: retain(v, values), owner: owner}
}

// streamExtent returns the length of a stream's data and whether that
// length is confirmed by an "endstream" (ISO 32000-1 7.3.8.1).
func (d *doc) streamExtent(st *stream) (int64, bool) {
	size := d.src.size
	l := int64(-1)
	switch v := st.d.get("Length").(type) {
	case int64:
		l = v
	case ref:
		l = d.lengthRef(v)
	}
	if l >= 0 && l <= size-st.off && d.endstreamAt(st.off+l) {
		return l, true
	}
	if e := d.findEndstream(st.off); e >= 0 {
		n := e - st.off
		// The end-of-line marker before "endstream" is not data.
		if b, _ := d.src.window(max(st.off, e-2), int(min(n, 2))); len(b) > 0 {
			if b[len(b)-1] == '\n' {
				n--
				if len(b) == 2 && b[0] == '\r' {
					n--
				}
			} else if b[len(b)-1] == '\r' {
				n--
			}
		}
		return n, true
	}
	if l >= 0 && l <= size-st.off {
		return l, false
	}
	return size - st.off, false
}

// lengthRef resolves an indirect /Length, which usually follows its stream.
func (d *doc) lengthRef(r ref) int64 {
	if e := d.table[r.num]; e != nil {
		if n, ok := e.v.(int64); ok {
			return n
		}
	}
	off, ok := d.lastOff[r.num]
	if !ok {
		return -1
	}
	ob, _, err := d.parseAt(off)
	if err != nil || ob.num != r.num {
		return -1
	}
	if n, ok := ob.v.(int64); ok {
		return n
	}
	return -1
}

func (d *doc) endstreamAt(off int64) bool {
	b, _ := d.src.window(off, 64)
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return bytes.HasPrefix(b[i:], []byte("endstream"))
}

// findEndstream returns the offset of the first "endstream" at or after
// off, or -1. Streams are met in file order, so one remembered search keeps
// a file of broken lengths linear.
func (d *doc) findEndstream(off int64) int64 {
	if d.memoValid && off >= d.memoFrom && (d.memoAt < 0 || off <= d.memoAt) {
		return d.memoAt
	}
	e := d.src.index(off, d.src.size, []byte("endstream"))
	d.memoFrom, d.memoAt, d.memoValid = off, e, true
	return e
}

// inStream reports whether off lies inside confirmed stream data (where an
// embedded document's own "trailer" and "xref" are data, not structure).
func (d *doc) inStream(off int64) bool {
	i := sort.Search(len(d.extents), func(i int) bool { return d.extents[i][0] > off }) - 1
	return i >= 0 && off < d.extents[i][1]
}

// parseTrailers reads every trailer dictionary (ISO 32000-1 7.5.5).
func (d *doc) parseTrailers() error {
	for _, off := range d.trailerOffs {
		if err := d.countObject(); err != nil {
			return err
		}
		_, v, _, err := d.lexAt(off, true)
		if t, ok := v.(dict); ok && err == nil {
			d.trailers = append(d.trailers, trailer{pos: off, d: pruneDict(t), inStream: d.inStream(off)})
		}
		if err := d.budget(); err != nil {
			return err
		}
	}
	sort.SliceStable(d.trailers, func(i, j int) bool { return d.trailers[i].pos < d.trailers[j].pos })
	return nil
}

// parseListed parses the objects found inside stream data that a
// cross-reference table or stream points at.
func (d *doc) parseListed() error {
	listed := map[int64]bool{}
	add := func(off int64) bool {
		listed[off] = true
		listed[off+d.hdr] = true
		return len(listed) <= 2*d.lim.MaxPDFObjects
	}
	for _, off := range d.xrefOffs {
		if d.inStream(off) {
			continue
		}
		if err := d.xrefTable(off, add); err != nil {
			return err
		}
	}
	for _, st := range d.xrefStms {
		if err := d.xrefStream(st, add); err != nil {
			return err
		}
	}
	for i, c := range d.deferred {
		if i%256 == 0 {
			if err := d.ctx.Err(); err != nil {
				return err
			}
		}
		if listed[c.off] || listed[c.off-1] || listed[c.off-2] {
			if err := d.parseCand(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// xrefTable reads the in-use entries ("offset gen n") of a cross-reference
// table (ISO 32000-1 7.5.4) up to its trailer.
func (d *doc) xrefTable(off int64, add func(int64) bool) error {
	end := d.src.size
	for _, t := range d.trailerOffs {
		if t > off {
			end = t
			break
		}
	}
	n := int(min(end-off, int64(d.lim.MaxPDFObjects)*21+64))
	b, _ := d.src.window(off, n)
	l := lexer{b: b, eof: true}
	var a, g int64
	ints := 0
	for i := 0; ; i++ {
		if i%4096 == 0 {
			if err := d.ctx.Err(); err != nil {
				return err
			}
		}
		t, err := l.next()
		if err != nil || t.kind == tEOF {
			break
		}
		switch {
		case t.kind == tInt:
			a, g = g, t.i
			ints++
		case t.kind == tKeyword && string(t.s) == "n" && ints >= 2:
			if !add(a) {
				return &inspect.LimitError{Limit: inspect.LimitPDFObjects, Value: int64(d.lim.MaxPDFObjects)}
			}
			ints = 0
		case t.kind == tKeyword && string(t.s) == "trailer":
			d.src.lexed += int64(l.pos)
			return d.budget()
		default:
			ints = 0
		}
	}
	d.src.lexed += int64(l.pos)
	return d.budget()
}

// xrefStream reads the type 1 entries of a cross-reference stream (ISO
// 32000-1 7.5.8.3).
func (d *doc) xrefStream(st *stream, add func(int64) bool) error {
	data, err := d.decodeAll(st)
	if err != nil && data == nil {
		return nil // the table is a help, not a need
	}
	w, _ := d.resolve(st.d.get("W")).(array)
	if len(w) < 3 {
		return nil
	}
	var ws [3]int
	total := 0
	for i := range 3 {
		v, _ := d.resolve(w[i]).(int64)
		if v < 0 || v > 8 {
			return nil
		}
		ws[i] = int(v)
		total += int(v)
	}
	if total == 0 {
		return nil
	}
	field := func(b []byte) int64 {
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	for p := 0; p+total <= len(data); p += total {
		typ := int64(1)
		if ws[0] > 0 {
			typ = field(data[p : p+ws[0]])
		}
		if typ == 1 {
			if !add(field(data[p+ws[0] : p+ws[0]+ws[1]])) {
				return &inspect.LimitError{Limit: inspect.LimitPDFObjects, Value: int64(d.lim.MaxPDFObjects)}
			}
		}
	}
	return nil
}

// resolve follows references (a few hops at most) to the object.
func (d *doc) resolve(v object) object {
	v, _ = d.resolveOwner(v)
	return v
}

func (d *doc) resolveOwner(v object) (object, objInfo) {
	var owner objInfo
	for range 16 {
		r, ok := v.(ref)
		if !ok {
			return v, owner
		}
		e := d.table[r.num]
		if e == nil {
			return nil, owner
		}
		v, owner = e.v, e.owner
	}
	return nil, owner
}

// openSecurity reads /Encrypt from the newest trailer that has one and
// tries the empty user password (ISO 32000-1 7.6.3.4).
//
// A trailer inside stream data is usually an embedded document's: it counts
// only when no other trailer has /Encrypt and its /Encrypt names an
// encryption dictionary of this file, because a document whose startxref
// points into what a stream's /Length covers is still read that way.
func (d *doc) openSecurity() {
	var encd dict
	var id object
	for _, inStream := range []bool{false, true} {
		for i := len(d.trailers) - 1; i >= 0 && encd == nil; i-- {
			t := d.trailers[i]
			e := t.d.get("Encrypt")
			if e == nil || t.inStream != inStream {
				continue
			}
			ed, ok := d.resolve(e).(dict)
			if inStream && (!ok || ed.get("Filter") == nil) {
				continue
			}
			if !ok {
				return // readers ignore an /Encrypt that is not a dictionary
			}
			encd, id = ed, t.d.get("ID")
		}
	}
	if encd == nil {
		return
	}
	if id == nil {
		for i := len(d.trailers) - 1; i >= 0 && id == nil; i-- {
			id = d.trailers[i].d.get("ID")
		}
	}
	var id0 []byte
	if a, ok := d.resolve(id).(array); ok && len(a) > 0 {
		s, _ := d.resolve(a[0]).(str)
		id0 = s
	}
	sec := newSecurity(encd, id0)
	d.sec = sec
	switch {
	case sec.filter == "Adobe.PubSec":
		d.encDetail = "PDF public-key encryption (/Adobe.PubSec)"
	case sec.filter != "Standard":
		d.encDetail = fmt.Sprintf("PDF encryption handler /%s", sec.filter)
	case sec.problem != "":
		d.encDetail = "PDF encryption (" + sec.problem + ")"
	case sec.openWithEmptyPassword():
		d.permOnly = true
	default:
		d.encDetail = "PDF user password (" + sec.label() + ")"
	}
}

// locked reports whether the document is encrypted with a key we do not
// have: its streams cannot be read.
func (d *doc) locked() bool { return d.sec != nil && !d.sec.opened }

// filters returns a stream's filter chain and parameters (ISO 32000-1 7.3.8.2).
func (d *doc) filters(sd dict) ([]name, []dict, error) {
	var fs []name
	switch f := d.resolve(sd.get("Filter")).(type) {
	case name:
		fs = []name{f}
	case array:
		for _, e := range f {
			n, ok := d.resolve(e).(name)
			if !ok {
				return nil, nil, errors.New("bad /Filter")
			}
			fs = append(fs, n)
		}
	}
	if len(fs) > maxFilters {
		return nil, nil, fmt.Errorf("%d filters in a chain", len(fs))
	}
	ps := make([]dict, len(fs))
	switch p := d.resolve(sd.get("DecodeParms")).(type) {
	case dict:
		if len(ps) > 0 {
			ps[0] = p
		}
	case array:
		for i, e := range p {
			if i < len(ps) {
				ps[i], _ = d.resolve(e).(dict)
			}
		}
	}
	return fs, ps, nil
}

// open returns a reader of a stream's decrypted, decoded data. For an
// embedded file a final image filter is left alone: its encoded data is the
// image file.
func (d *doc) open(st *stream, embedded bool) (io.Reader, error) {
	fs, ps, err := d.filters(st.d)
	if err != nil {
		return nil, err
	}
	var r io.Reader = io.NewSectionReader(d.src.r, st.off, st.n)
	if d.sec != nil && d.sec.opened && st.d.get("Type") != name("XRef") {
		// ISO 32000-1 7.6.5: a /Crypt filter first in the chain overrides
		// the default crypt filter.
		m := d.sec.stm
		if embedded {
			m = d.sec.eff
		}
		if len(fs) > 0 && fs[0] == "Crypt" {
			cf, _ := ps[0].get("Name").(name)
			m = d.sec.cryptFilter(cf)
			fs, ps = fs[1:], ps[1:]
		}
		if r, err = d.sec.decryptReader(r, st.num, st.gen, m); err != nil {
			return nil, err
		}
	}
	for i, f := range fs {
		if embedded && i == len(fs)-1 && imageFilters[f] {
			break
		}
		if f == "Crypt" {
			continue
		}
		if r, err = newDecoder(f, ps[i], r); err != nil {
			return nil, err
		}
	}
	return inspect.RatioReader(r, st.n, d.lim.MaxRatio), nil
}

// decodedMax bounds the bytes decoded from all object and cross-reference
// streams of one document: real documents compress those a few times, a
// bomb of many streams must not cost the walk's whole time.
func (d *doc) decodedMax() int64 { return 32*d.src.size + 64<<20 }

// decodeAll reads a stream's decoded data into memory, at most objStmMax
// bytes. Data decoded before an error is returned with the error.
func (d *doc) decodeAll(st *stream) ([]byte, error) {
	left := d.decodedMax() - d.decoded
	if left <= 0 {
		return nil, fmt.Errorf("object streams decode to more than %d MiB in all", d.decodedMax()>>20)
	}
	r, err := d.open(st, false)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(io.LimitReader(inspect.ContextReader(d.ctx, r), min(objStmMax, left)+1))
	if buf.Len() > objStmMax {
		return nil, fmt.Errorf("decodes to more than %d MiB", objStmMax>>20)
	}
	if int64(buf.Len()) > left {
		return nil, fmt.Errorf("object streams decode to more than %d MiB in all", d.decodedMax()>>20)
	}
	d.decoded += int64(buf.Len())
	if err != nil {
		if buf.Len() == 0 {
			return nil, err
		}
		return buf.Bytes(), err
	}
	return buf.Bytes(), nil
}

// parseObjStms decodes every object stream (ISO 32000-1 7.5.7) and parses
// its members. Those of a document we cannot decrypt stay unseen: the
// encrypted finding says so.
func (d *doc) parseObjStms() error {
	if d.locked() {
		return nil
	}
	for _, os := range d.objStms {
		if err := d.parseObjStm(os); err != nil {
			return err
		}
	}
	return nil
}

func (d *doc) parseObjStm(os objStm) error {
	st := os.st
	data, err := d.decodeAll(st)
	if cerr := d.ctx.Err(); cerr != nil {
		return cerr
	}
	var le *inspect.LimitError
	if errors.As(err, &le) {
		return err
	}
	if err != nil {
		d.deferErr(fmt.Errorf("PDF object stream %d %d: %v", st.num, st.gen, err))
		if data == nil {
			return nil
		}
	}
	n, _ := d.resolve(st.d.get("N")).(int64)
	first, _ := d.resolve(st.d.get("First")).(int64)
	if n < 0 || first < 0 || first > int64(len(data)) || n > int64(len(data))/2+1 {
		d.deferErr(fmt.Errorf("PDF object stream %d %d: bad /N or /First", st.num, st.gen))
		return nil
	}
	hl := lexer{b: data[:first], eof: true}
	for i := int64(0); i < n; i++ {
		if i%256 == 0 {
			if err := d.ctx.Err(); err != nil {
				return err
			}
		}
		t1, _ := hl.next()
		t2, _ := hl.next()
		if t1.kind != tInt || t2.kind != tInt {
			break
		}
		if err := d.countObject(); err != nil {
			return err
		}
		if t1.i < 0 || t1.i > math.MaxInt32 || t2.i < 0 || t2.i >= int64(len(data))-first {
			continue
		}
		l := lexer{b: data[first+t2.i:], eof: true}
		v, err := l.parseValue()
		d.src.lexed += int64(l.pos)
		if berr := d.budget(); berr != nil {
			return berr
		}
		if err == errDeep {
			d.deferErr(fmt.Errorf("malformed PDF: object %d nests deeper than %d levels", t1.i, maxDepth))
			continue
		}
		if _, ok := v.(kw); ok || err != nil {
			continue
		}
		owner := objInfo{num: int32(t1.i), inStm: true}
		d.add(owner.num, os.pos, v, l.values, owner)
		d.scan(v, owner, nil)
	}
	d.src.lexed += int64(hl.pos)
	return nil
}
