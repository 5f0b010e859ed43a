package rtf

import (
	"github.com/officemilter/officemilter/inspect"
)

type collKind int

const (
	collText    collKind = iota // bounded text: \objclass, \fldinst
	collObjData                 // hex-decoded object data, spooled
)

type purpose int

const (
	purposeClass purpose = iota
	purposeField
)

const (
	maxClassText = 256
	// maxFieldText is how much of a field instruction is kept: enough for
	// the field type and its first argument.
	maxFieldText = 1024
	// flushAt is how many decoded bytes are buffered before they go to the
	// spool.
	flushAt = 32 << 10
)

// collector receives the text of one destination.
type collector struct {
	kind    collKind
	purpose purpose
	obj     *object
	// collText
	text []byte
	max  int
	// collObjData: decoded bytes go to buf, then to sp; nib is a pending
	// high nibble (-1: none).
	sp  *inspect.Spool
	buf []byte
	nib int
	err error
}

func newText(kind collKind, pur purpose, obj *object, max int) *collector {
	return &collector{kind: kind, purpose: pur, obj: obj, max: max}
}

// newObjData starts an \objdata destination. Decoded data cannot be larger
// than the document, so the spool is capped at the part's size.
func (p *parser) newObjData(obj *object) *collector {
	sp := inspect.NewSpool(p.part.Limits.TempDir, p.part.Limits.MemSpool, p.part.Size, nil)
	return &collector{kind: collObjData, obj: obj, sp: sp, nib: -1}
}

// hexVal maps a byte to its hex digit value, -1 for anything else.
var hexVal = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-32] = int8(c - 'a' + 10)
	}
	return t
}()

// write takes text of the destination. In \objdata every hex digit is a
// nibble and everything else (whitespace, garbage letters, punctuation) is
// skipped, as Word does.
func (c *collector) write(b []byte) {
	if c.kind == collText {
		if n := c.max - len(c.text); n > 0 {
			c.text = append(c.text, b[:min(n, len(b))]...)
		}
		return
	}
	for _, x := range b {
		v := hexVal[x]
		if v < 0 {
			continue
		}
		if c.nib < 0 {
			c.nib = int(v)
			continue
		}
		c.buf = append(c.buf, byte(c.nib<<4)|byte(v))
		c.nib = -1
		if len(c.buf) >= flushAt {
			c.flush()
		}
	}
}

// writeRaw takes the bytes of "\binN" inside \objdata. Word adds them to the
// data as if they had been written in hex, so a pending nibble stays
// pending: the raw bytes are split into nibbles.
func (c *collector) writeRaw(b []byte) {
	if c.nib < 0 {
		c.buf = append(c.buf, b...)
	} else {
		for _, x := range b {
			c.buf = append(c.buf, byte(c.nib<<4)|x>>4)
			c.nib = int(x & 0x0f)
		}
	}
	if len(c.buf) >= flushAt {
		c.flush()
	}
}

// quoteHex handles "\'hh" inside \objdata: the two characters are ignored,
// but Word (at least up to 2016) drops the last hex digit read before it
// when an odd number of digits has been read (oletools documents this).
func (c *collector) quoteHex() { c.nib = -1 }

func (c *collector) flush() {
	if len(c.buf) == 0 || c.err != nil {
		c.buf = c.buf[:0]
		return
	}
	_, c.err = c.sp.Write(c.buf)
	c.buf = c.buf[:0]
}

func (p *parser) finishCollector(c *collector) {
	if c == nil {
		return
	}
	switch {
	case c.kind == collObjData:
		// A trailing odd hex digit is ignored (Word accepts it).
		c.flush()
		p.objData(c)
		c.sp.Close()
	case c.purpose == purposeClass:
		if c.obj != nil {
			c.obj.class = string(c.text)
		}
	case c.purpose == purposeField:
		p.field(string(c.text))
	}
}
