package cmsdecrypt

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
)

// CMS structures arrive in DER or, from streaming writers (`openssl cms
// -stream`, most MUAs), in BER with indefinite lengths and constructed
// OCTET STRINGs; encoding/asn1 reads neither. So the structure is walked
// here as BER (ITU-T X.690 8.1) over the io.ReaderAt: parse builds a tree of
// element headers (offsets only, no contents), and the few small values the
// decryption needs are read on demand, each under a size bound.

// ASN.1 classes and universal tags (X.690 8.1.2.2, X.680 8.4).
const (
	classUniversal   = 0
	classContext     = 2
	tagInteger       = 2
	tagBitString     = 3
	tagOctetString   = 4
	tagNull          = 5
	tagOID           = 6
	tagSequence      = 16
	tagSet           = 17
	maxDepth         = 48      // nesting of constructed elements
	maxSmallValue    = 1 << 16 // bound for any value read into memory but the content
	defaultMaxChunks = 1 << 16 // elements in one structure (chunked content pieces dominate)
)

// elem is one BER element: its identifier, where it sits, and (when
// constructed) its children.
type elem struct {
	class       byte
	constructed bool
	tag         int
	start       int64 // identifier octet
	body        int64 // first contents octet
	end         int64 // after the element (after end-of-contents when indefinite)
	indefinite  bool
	kids        []elem
}

// contentEnd is the offset after the last contents octet.
func (e *elem) contentEnd() int64 {
	if e.indefinite {
		return e.end - 2
	}
	return e.end
}

func (e *elem) is(class byte, tag int, constructed bool) bool {
	return e.class == class && e.tag == tag && e.constructed == constructed
}

func (e *elem) isSeq() bool { return e.is(classUniversal, tagSequence, true) }

// ctx reports whether e is a context-specific [n] element.
func (e *elem) ctx(n int) bool { return e.class == classContext && e.tag == n }

func (e *elem) String() string {
	return fmt.Sprintf("class %d tag %d at %d", e.class, e.tag, e.start)
}

// reader reads BER from an io.ReaderAt of known size.
type reader struct {
	r      io.ReaderAt
	size   int64
	elems  int // elements parsed so far
	maxEls int
}

// malformed returns an ErrMalformed error naming what is wrong.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// readFull reads exactly len(p) bytes at off. A short read is a truncated
// structure (ErrMalformed); any other I/O error is passed through.
func (b *reader) readFull(p []byte, off int64) error {
	if off < 0 || off > b.size || int64(len(p)) > b.size-off {
		return malformed("value at %d runs past the end", off)
	}
	n, err := b.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("truncated at %d", off+int64(n))
	}
	return fmt.Errorf("cmsdecrypt: read at %d: %w", off+int64(n), err)
}

// header reads the identifier and length octets at off; the element must
// end by limit. X.690 8.1.2 (identifier), 8.1.3 (length).
func (b *reader) header(off, limit int64) (elem, error) {
	var hdr [16]byte
	avail := min(int64(len(hdr)), limit-off)
	if avail < 2 {
		return elem{}, malformed("element at %d runs past its parent", off)
	}
	h := hdr[:avail]
	if err := b.readFull(h, off); err != nil {
		return elem{}, err
	}
	hd, err := ParseHeader(h, off)
	if err != nil {
		return elem{}, err
	}
	if hd.Length > uint64(limit) {
		return elem{}, malformed("length at %d runs past its parent", off)
	}
	e := elem{class: hd.Class, constructed: hd.Constructed, tag: hd.Tag, start: off, indefinite: hd.Indefinite}
	e.body = off + int64(hd.Size)
	if !e.indefinite {
		n := int64(hd.Length)
		if n > limit-e.body {
			return elem{}, malformed("length at %d runs past its parent", off)
		}
		e.end = e.body + n
	}
	return e, nil
}

// Header is what the identifier and length octets of a BER element say
// ([X.690] 8.1.2, 8.1.3).
type Header struct {
	Class       byte
	Constructed bool
	Tag         int
	Indefinite  bool   // 8.1.3.6: the contents end with end-of-contents
	Length      uint64 // the definite length
	Size        int    // how many octets identifier and length take
}

// ParseHeader parses the identifier and length octets at the start of h
// (at least 2 bytes) of the element at offset off (for the errors, which
// wrap ErrMalformed). The length is not checked against anything.
func ParseHeader(h []byte, off int64) (Header, error) {
	e := Header{Class: h[0] >> 6, Constructed: h[0]&0x20 != 0, Tag: int(h[0] & 0x1f)}
	i := 1
	if e.Tag == 0x1f { // X.690 8.1.2.4: high tag number form
		e.Tag = 0
		for {
			if i >= len(h) || i > 4 {
				return Header{}, malformed("tag at %d too long", off)
			}
			c := h[i]
			i++
			e.Tag = e.Tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(h) {
		return Header{}, malformed("no length at %d", off)
	}
	l := h[i]
	i++
	switch {
	case l < 0x80: // X.690 8.1.3.4: short form
		e.Length = uint64(l)
	case l == 0x80: // X.690 8.1.3.6: indefinite form, constructed only
		if !e.Constructed {
			return Header{}, malformed("indefinite primitive at %d", off)
		}
		e.Indefinite = true
	case l == 0xff: // X.690 8.1.3.5 c): reserved
		return Header{}, malformed("reserved length octet at %d", off)
	default: // X.690 8.1.3.5: long form
		k := int(l & 0x7f)
		if k > 8 || i+k > len(h) {
			return Header{}, malformed("length at %d too long", off)
		}
		for _, c := range h[i : i+k] {
			e.Length = e.Length<<8 | uint64(c)
		}
		i += k
	}
	e.Size = i
	return e, nil
}

// parse reads the element at off and, recursively, every constructed
// element inside it. Primitive contents are not read.
func (b *reader) parse(off, limit int64, depth int) (elem, error) {
	if depth > maxDepth {
		return elem{}, malformed("nested deeper than %d at %d", maxDepth, off)
	}
	b.elems++
	if b.elems > b.maxEls {
		return elem{}, fmt.Errorf("%w: more than %d elements (Limits.MaxElements)", ErrLimit, b.maxEls)
	}
	e, err := b.header(off, limit)
	if err != nil || !e.constructed {
		return e, err
	}
	end := limit
	if !e.indefinite {
		end = e.end
	}
	pos := e.body
	for {
		if !e.indefinite && pos == end {
			return e, nil
		}
		if pos >= end {
			return elem{}, malformed("no end-of-contents for element at %d", off)
		}
		c, err := b.parse(pos, end, depth+1)
		if err != nil {
			return elem{}, err
		}
		if c.class == 0 && c.tag == 0 { // end-of-contents, X.690 8.1.5
			if !e.indefinite || c.constructed || c.end != c.body {
				return elem{}, malformed("stray end-of-contents at %d", pos)
			}
			e.end = c.end
			return e, nil
		}
		e.kids = append(e.kids, c)
		pos = c.end
	}
}

// prim reads the contents of a primitive element of at most max bytes.
func (b *reader) prim(e *elem, max int) ([]byte, error) {
	if e.constructed {
		return nil, malformed("constructed %s where a primitive value belongs", e)
	}
	return b.span(e.body, e.end, max, "value", e)
}

// raw reads the whole encoding of a definite-length element (used where the
// DER bytes themselves enter a computation).
func (b *reader) raw(e *elem, max int) ([]byte, error) {
	if e.indefinite {
		return nil, malformed("indefinite length in %s where DER is required", e)
	}
	return b.span(e.start, e.end, max, "element", e)
}

// span reads the bytes [from, to) of e, at most max of them; what names
// them in the error.
func (b *reader) span(from, to int64, max int, what string, e *elem) ([]byte, error) {
	n := to - from
	if n > int64(max) {
		return nil, malformed("%s %s too long (%d bytes)", what, e, n)
	}
	p := make([]byte, n)
	return p, b.readFull(p, from)
}

// segment is one piece of an OCTET STRING's contents.
type segment struct{ off, n int64 }

// octetSegments returns the pieces of an OCTET STRING (or an IMPLICIT one
// with another tag): one for the primitive form, the primitive pieces in
// order for the constructed form (X.690 8.7.3).
func octetSegments(e *elem, segs []segment) ([]segment, error) {
	if !e.constructed {
		if e.end > e.body {
			segs = append(segs, segment{e.body, e.end - e.body})
		}
		return segs, nil
	}
	for i := range e.kids {
		k := &e.kids[i]
		if !k.is(classUniversal, tagOctetString, k.constructed) {
			return nil, malformed("%s inside a constructed OCTET STRING", k)
		}
		var err error
		if segs, err = octetSegments(k, segs); err != nil {
			return nil, err
		}
	}
	return segs, nil
}

// octets reads a small OCTET STRING in either form.
func (b *reader) octets(e *elem, max int) ([]byte, error) {
	segs, err := octetSegments(e, nil)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, s := range segs {
		total += s.n
	}
	if total > int64(max) {
		return nil, malformed("OCTET STRING %s too long (%d bytes)", e, total)
	}
	p := make([]byte, total)
	var at int64
	for _, s := range segs {
		if err := b.readFull(p[at:at+s.n], s.off); err != nil {
			return nil, err
		}
		at += s.n
	}
	return p, nil
}

// oid reads an OBJECT IDENTIFIER.
func (b *reader) oid(e *elem) (asn1.ObjectIdentifier, error) {
	if !e.is(classUniversal, tagOID, false) {
		return nil, malformed("%s where an OBJECT IDENTIFIER belongs", e)
	}
	der, err := b.raw(e, 2+64)
	if err != nil {
		return nil, err
	}
	var id asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(der, &id); err != nil || len(rest) != 0 {
		return nil, malformed("bad OBJECT IDENTIFIER at %d", e.start)
	}
	return id, nil
}

// algorithm is an AlgorithmIdentifier (RFC 5280 4.1.1.2).
type algorithm struct {
	oid    asn1.ObjectIdentifier
	params *elem // nil when absent
}

func (b *reader) algorithm(e *elem) (algorithm, error) {
	if !e.isSeq() || len(e.kids) < 1 || len(e.kids) > 2 {
		return algorithm{}, malformed("bad AlgorithmIdentifier at %d", e.start)
	}
	id, err := b.oid(&e.kids[0])
	if err != nil {
		return algorithm{}, err
	}
	a := algorithm{oid: id}
	if len(e.kids) == 2 {
		a.params = &e.kids[1]
	}
	return a, nil
}

// paramsAbsentOrNull reports whether an algorithm's parameters are absent
// or NULL, as many RFCs allow for either.
func (a algorithm) paramsAbsentOrNull() bool {
	return a.params == nil || (a.params.is(classUniversal, tagNull, false) && a.params.end == a.params.body)
}
