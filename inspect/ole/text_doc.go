package ole

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// [MS-DOC] 2.5.1 Fib: the character counts of the stories (FibRgLw97,
// 2.5.5) and the piece table's place (FibRgFcLcb97.fcClx, 2.5.6).
const (
	ifcClx   = 33 // fcClx/lcbClx is the 34th pair of FibRgFcLcb97
	ilwText  = 3  // FibRgLw97.ccpText, then ccpFtn, ccpHdd, lReserved3 (ccpMcr), ccpAtn, ccpEdn, ccpTxbx, ccpHdrTxbx
	nStories = 8
	pcdSize  = 8 // [MS-DOC] 2.9.177 Pcd

	// maxClx bounds the piece table read into memory: 12 bytes a piece,
	// real documents have a few thousand at most.
	maxClx = 16 << 20

	// wordChunk is how many characters of a piece are read at once.
	wordChunk = 4096

	// maxFieldDepth bounds the nesting of fields tracked.
	maxFieldDepth = 64
)

// cp1252 maps the bytes of a compressed piece ([MS-DOC] 2.4.1: 8-bit
// characters of code page 1252).
var cp1252 = func() (t [256]rune) {
	for i := range t {
		t[i] = charmap.Windows1252.DecodeByte(byte(i))
	}
	return t
}()

// wordText writes the text of a Word 97-2003 document: the main text,
// then footnotes, headers and footers, comments, endnotes and text boxes,
// each story after a blank line, read through the piece table ([MS-DOC]
// 2.4.1 Retrieving Text).
func (w *walker) wordText(n *node, t *textSink) error {
	wd, err := w.f.open(n.stream("WordDocument"), "WordDocument")
	if err != nil {
		return err
	}
	var base [fibBaseSize]byte
	if k, _ := wd.ReadAt(base[:], 0); k < len(base) {
		return fmt.Errorf("%w: WordDocument stream of %d bytes has no FIB", ErrNoText, wd.Size())
	}
	switch binary.LittleEndian.Uint16(base[0:]) {
	case wIdentWord97:
	case wIdentWord6:
		return fmt.Errorf("%w: a Word 6/95 document", ErrNoText)
	default:
		return fmt.Errorf("%w: not a Word document (wIdent)", ErrNoText)
	}
	flags := binary.LittleEndian.Uint16(base[fibFlagsOffset:])
	tbl := "0Table"
	if flags&fWhichTblStm != 0 {
		tbl = "1Table"
	}
	ts := n.stream(tbl)
	if flags&fEncrypted != 0 {
		kind := "RC4/CryptoAPI"
		if flags&fObfuscated != 0 {
			kind = "XOR obfuscation"
		} else if ts != nil {
			if tr, err := w.f.open(ts, tbl); err == nil {
				var v [4]byte
				if k, _ := tr.ReadAt(v[:], 0); k == 4 {
					kind = rc4Kind(binary.LittleEndian.Uint16(v[0:]), binary.LittleEndian.Uint16(v[2:]))
				}
			}
		}
		return fmt.Errorf("%w (Word, %s)", ErrTextEncrypted, kind)
	}
	if ts == nil {
		return fmt.Errorf("%w: the table stream %s is missing", ErrNoText, tbl)
	}
	tr, err := w.f.open(ts, tbl)
	if err != nil {
		return err
	}

	u16 := func(off int64) (int64, error) {
		var b [2]byte
		if err := readFull(wd, b[:], off); err != nil {
			return 0, fmt.Errorf("%w: FIB ends early", ErrNoText)
		}
		return int64(binary.LittleEndian.Uint16(b[:])), nil
	}
	off := int64(fibBaseSize)
	csw, err := u16(off)
	if err != nil {
		return err
	}
	off += 2 + 2*csw
	cslw, err := u16(off)
	if err != nil {
		return err
	}
	lw := off + 2
	if cslw < ilwText+nStories {
		return fmt.Errorf("%w: FibRgLw97 of %d entries", ErrNoText, cslw)
	}
	var ccp [nStories]int64
	raw := make([]byte, 4*nStories)
	if err := readFull(wd, raw, lw+4*ilwText); err != nil {
		return err
	}
	for i := range ccp {
		ccp[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		if ccp[i] < 0 || ccp[i] > 1<<30 {
			return fmt.Errorf("%w: story %d has %d characters", ErrNoText, i, ccp[i])
		}
	}
	ccp[3] = 0 // lReserved3 (ccpMcr) counts nothing
	off = lw + 4*cslw
	cb, err := u16(off)
	if err != nil {
		return err
	}
	if cb <= ifcClx {
		return fmt.Errorf("%w: FibRgFcLcb of %d pairs has no fcClx", ErrNoText, cb)
	}
	var fl [8]byte
	if err := readFull(wd, fl[:], off+2+8*ifcClx); err != nil {
		return err
	}
	fcClx := int64(binary.LittleEndian.Uint32(fl[0:]))
	lcbClx := int64(binary.LittleEndian.Uint32(fl[4:]))
	if lcbClx == 0 || lcbClx > maxClx || fcClx > tr.Size() || lcbClx > tr.Size()-fcClx {
		return fmt.Errorf("%w: Clx of %d bytes at %d in a table stream of %d bytes", ErrNoText, lcbClx, fcClx, tr.Size())
	}
	clx := make([]byte, lcbClx)
	if err := readFull(tr, clx, fcClx); err != nil {
		return err
	}
	cps, pcds, err := plcPcd(clx)
	if err != nil {
		return err
	}
	// Story ends in CPs: main text, then the others in FIB order.
	var ends []int64
	end := int64(0)
	for _, c := range ccp {
		if c > 0 {
			end += c
			ends = append(ends, end)
		}
	}
	d := &wordDecoder{t: t}
	story := 0
	budget := rereadBudget(wd.Size()) // pieces of a real document do not overlap
	buf := make([]byte, 2*wordChunk)
	for i := range pcds {
		from, to := cps[i], min(cps[i+1], end)
		pcd := pcds[i]
		fc := int64(binary.LittleEndian.Uint32(pcd[2:]))
		compressed := fc&0x40000000 != 0
		fc &= 0x3FFFFFFF
		width := int64(2)
		if compressed {
			fc /= 2
			width = 1
		}
		for cp := from; cp < to; {
			if err := w.f.tick(); err != nil {
				return err
			}
			k := min(to-cp, wordChunk)
			// Stop the chunk at the next story boundary.
			for story < len(ends) && ends[story] <= cp {
				story++
				if err := d.storyEnd(); err != nil {
					return err
				}
			}
			if story < len(ends) {
				k = min(k, ends[story]-cp)
			}
			b := buf[:k*width]
			at := fc + (cp-from)*width
			if at < 0 || at > wd.Size() || int64(len(b)) > wd.Size()-at {
				return fmt.Errorf("%w: piece %d at %d runs past the WordDocument stream", ErrNoText, i, at)
			}
			if budget -= int64(len(b)); budget < 0 {
				return fmt.Errorf("%w: the piece table reads the WordDocument stream more than twice", ErrNoText)
			}
			if err := readFull(wd, b, at); err != nil {
				return err
			}
			if err := d.chars(b, compressed); err != nil {
				return err
			}
			cp += k
		}
	}
	return d.flush()
}

// plcPcd finds the Pcdt in a Clx ([MS-DOC] 2.9.38: Prc entries, then the
// Pcdt) and splits its PlcPcd (2.9.178) into the n+1 CPs and n Pcds. The
// CPs must rise.
func plcPcd(clx []byte) ([]int64, [][]byte, error) {
	for len(clx) > 0 {
		switch clx[0] {
		case 0x01: // Prc: clxt, cbGrpprl, GrpPrl
			if len(clx) < 3 {
				return nil, nil, fmt.Errorf("%w: Clx ends in a Prc", ErrNoText)
			}
			n := int(int16(binary.LittleEndian.Uint16(clx[1:])))
			if n < 0 || 3+n > len(clx) {
				return nil, nil, fmt.Errorf("%w: Prc of %d bytes", ErrNoText, n)
			}
			clx = clx[3+n:]
		case 0x02: // Pcdt: clxt, lcb, PlcPcd
			if len(clx) < 5 {
				return nil, nil, fmt.Errorf("%w: Clx ends in the Pcdt", ErrNoText)
			}
			lcb := int64(binary.LittleEndian.Uint32(clx[1:]))
			plc := clx[5:]
			if lcb > int64(len(plc)) || lcb < 4+4+pcdSize || (lcb-4)%(4+pcdSize) != 0 {
				return nil, nil, fmt.Errorf("%w: PlcPcd of %d bytes", ErrNoText, lcb)
			}
			n := int((lcb - 4) / (4 + pcdSize))
			cps := make([]int64, n+1)
			for i := range cps {
				cps[i] = int64(binary.LittleEndian.Uint32(plc[4*i:]))
				if i > 0 && cps[i] < cps[i-1] {
					return nil, nil, fmt.Errorf("%w: piece table CPs fall at %d", ErrNoText, i)
				}
			}
			pcds := make([][]byte, n)
			for i := range pcds {
				o := 4*(n+1) + pcdSize*i
				pcds[i] = plc[o : o+pcdSize]
			}
			return cps, pcds, nil
		default:
			return nil, nil, fmt.Errorf("%w: Clx entry type %#02x", ErrNoText, clx[0])
		}
	}
	return nil, nil, fmt.Errorf("%w: Clx without a Pcdt", ErrNoText)
}

// wordDecoder turns Word characters into text: special characters
// ([MS-DOC] 2.8.25 and 2.16.20) become newlines, tabs or nothing; fields
// (2.8.25 field begin 0x13, separator 0x14, end 0x15) are shown as text,
// "[INSTRUCTION] result", and are never kept as fields.
type wordDecoder struct {
	t      *textSink
	high   uint16 // a pending UTF-16 high surrogate
	fields []bool // open fields: whether the separator was seen
	depth  int    // open fields beyond maxFieldDepth
}

func (d *wordDecoder) chars(b []byte, compressed bool) error {
	if compressed {
		for _, c := range b {
			if err := d.char(cp1252[c]); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i+1 < len(b); i += 2 {
		u := binary.LittleEndian.Uint16(b[i:])
		if d.high != 0 {
			h := d.high
			d.high = 0
			if utf16.IsSurrogate(rune(u)) && u >= 0xDC00 {
				if err := d.char(utf16.DecodeRune(rune(h), rune(u))); err != nil {
					return err
				}
				continue
			}
			if err := d.char(0xFFFD); err != nil {
				return err
			}
		}
		if u >= 0xD800 && u < 0xDC00 {
			d.high = u
			continue
		}
		if err := d.char(rune(u)); err != nil {
			return err
		}
	}
	return nil
}

func (d *wordDecoder) char(r rune) error {
	switch r {
	case 0x0D, 0x0B, 0x0C, 0x0E: // paragraph, line, page or section, column break
		return d.t.rune('\n')
	case 0x07: // cell or row mark
		return d.t.rune('\t')
	case 0x1E: // non-breaking hyphen
		return d.t.rune('-')
	case 0x1F: // optional hyphen
		return nil
	case 0xA0:
		return d.t.rune(' ')
	case 0x13: // field begin
		if len(d.fields) < maxFieldDepth {
			d.fields = append(d.fields, false)
		} else {
			d.depth++
		}
		return d.t.rune('[')
	case 0x14: // field separator
		if d.depth == 0 && len(d.fields) > 0 {
			d.fields[len(d.fields)-1] = true
		}
		return d.t.str("] ")
	case 0x15: // field end
		sep := false
		switch {
		case d.depth > 0:
			d.depth--
		case len(d.fields) > 0:
			sep = d.fields[len(d.fields)-1]
			d.fields = d.fields[:len(d.fields)-1]
		}
		if !sep {
			return d.t.rune(']')
		}
		return nil
	}
	return d.t.rune(r)
}

// storyEnd separates two stories by a blank line.
func (d *wordDecoder) storyEnd() error {
	if err := d.flush(); err != nil {
		return err
	}
	d.fields, d.depth = d.fields[:0], 0
	return d.t.para()
}

func (d *wordDecoder) flush() error {
	if d.high != 0 {
		d.high = 0
		return d.t.rune(0xFFFD)
	}
	return nil
}
