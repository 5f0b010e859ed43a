package pdf

import (
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// Stream filters (ISO 32000-1 7.4). Each decoder is a streaming io.Reader so
// that an embedded file of any size passes to the engine's spool without
// being held here; object and cross-reference streams are read into memory
// with a cap by the caller.

// errUnsupportedFilter is wrapped by the error for a filter this package
// cannot decode.
var errUnsupportedFilter = errors.New("unsupported filter")

// maxFilters caps a stream's filter chain.
const maxFilters = 8

// imageFilters encode a whole image file format: the encoded data of an
// embedded file with one of these as its last filter is the file itself.
var imageFilters = map[name]bool{
	"DCTDecode": true, "DCT": true, "JPXDecode": true, "JBIG2Decode": true,
	"CCITTFaxDecode": true, "CCF": true,
}

// newDecoder wraps r in the decoder for filter f with parameters p (may be
// nil).
func newDecoder(f name, p dict, r io.Reader) (io.Reader, error) {
	var out io.Reader
	switch f {
	case "FlateDecode", "Fl":
		out = newFlate(r)
	case "LZWDecode", "LZW":
		early := 1
		if e, ok := p.get("EarlyChange").(int64); ok && e == 0 {
			early = 0
		}
		out = newLZW(r, early)
	case "ASCIIHexDecode", "AHx":
		out = &hexReader{r: bufio.NewReader(r)}
	case "ASCII85Decode", "A85":
		out = &a85Reader{r: bufio.NewReader(r)}
	case "RunLengthDecode", "RL":
		out = &rlReader{r: bufio.NewReader(r)}
	default:
		return nil, fmt.Errorf("%w /%s", errUnsupportedFilter, f)
	}
	if f == "FlateDecode" || f == "Fl" || f == "LZWDecode" || f == "LZW" {
		return newPredictor(p, out)
	}
	return out, nil
}

// flateReader inflates zlib (RFC 1950) or raw deflate (RFC 1951) data and
// tolerates what readers tolerate: a missing or wrong Adler-32 checksum (it
// is never read) and a truncated stream (what was inflated is the content).
type flateReader struct {
	src io.Reader
	r   io.Reader
	err error
}

func newFlate(r io.Reader) io.Reader { return &flateReader{src: r} }

func (f *flateReader) Read(p []byte) (int, error) {
	if f.r == nil {
		if f.err != nil {
			return 0, f.err
		}
		br := bufio.NewReader(f.src)
		// RFC 1950 2.2: CMF (method 8, window <= 32K), FLG with FCHECK, and
		// a preset dictionary id when FDICT is set.
		h, err := br.Peek(2)
		if err != nil {
			f.err = io.EOF
			return 0, f.err
		}
		if h[0]&0x0F == 8 && h[0]>>4 <= 7 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			skip := 2
			if h[1]&0x20 != 0 {
				skip += 4
			}
			if _, err := br.Discard(skip); err != nil {
				f.err = io.EOF
				return 0, f.err
			}
		}
		f.r = flate.NewReader(br)
	}
	n, err := f.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

// predictor applies a PNG or TIFF predictor (ISO 32000-1 7.4.4.4, Table 8).
type predictor struct {
	r         io.Reader
	png       bool
	bpp       int
	cur, prev []byte // cur[0] is the PNG filter type byte
	pull
}

func newPredictor(p dict, r io.Reader) (io.Reader, error) {
	pred, _ := p.get("Predictor").(int64)
	if pred <= 1 {
		return r, nil
	}
	colors, bpc, columns := int64(1), int64(8), int64(1)
	if v, ok := p.get("Colors").(int64); ok {
		colors = v
	}
	if v, ok := p.get("BitsPerComponent").(int64); ok {
		bpc = v
	}
	if v, ok := p.get("Columns").(int64); ok {
		columns = v
	}
	if colors < 1 || colors > 32 || columns < 1 || columns > 1<<20 {
		return nil, fmt.Errorf("bad predictor parameters /Colors %d /Columns %d", colors, columns)
	}
	switch bpc {
	case 1, 2, 4, 8, 16:
	default:
		return nil, fmt.Errorf("bad predictor parameter /BitsPerComponent %d", bpc)
	}
	rowLen := int((colors*bpc*columns + 7) / 8)
	bpp := int((colors*bpc + 7) / 8)
	switch {
	case pred == 2:
		if bpc != 8 {
			return nil, fmt.Errorf("%w: TIFF predictor with %d bits per component", errUnsupportedFilter, bpc)
		}
		return &predictor{r: r, bpp: bpp, cur: make([]byte, rowLen+1), prev: make([]byte, rowLen+1)}, nil
	case pred >= 10 && pred <= 15:
		return &predictor{r: r, png: true, bpp: bpp, cur: make([]byte, rowLen+1), prev: make([]byte, rowLen+1)}, nil
	}
	return nil, fmt.Errorf("%w: predictor %d", errUnsupportedFilter, pred)
}

func (p *predictor) Read(b []byte) (int, error) { return p.read(b, p.row) }

// row decodes the next row into p.out.
func (p *predictor) row() {
	buf := p.cur
	if !p.png {
		buf = p.cur[1:]
	}
	n, err := io.ReadFull(p.r, buf)
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			err = io.EOF // a short last row: use what is there
		}
		p.err = err
		if n == 0 || (p.png && n == 1) {
			return
		}
		for i := n; i < len(buf); i++ {
			buf[i] = 0
		}
	}
	row, prev := p.cur[1:], p.prev[1:]
	bpp := p.bpp
	if !p.png {
		for i := bpp; i < len(row); i++ {
			row[i] += row[i-bpp]
		}
	} else {
		// PNG filter types (RFC 2083 6): None, Sub, Up, Average, Paeth.
		switch p.cur[0] {
		case 0:
		case 1:
			for i := bpp; i < len(row); i++ {
				row[i] += row[i-bpp]
			}
		case 2:
			for i := range row {
				row[i] += prev[i]
			}
		case 3:
			for i := range row {
				var left byte
				if i >= bpp {
					left = row[i-bpp]
				}
				row[i] += byte((int(left) + int(prev[i])) / 2)
			}
		case 4:
			for i := range row {
				var a, c byte
				if i >= bpp {
					a, c = row[i-bpp], prev[i-bpp]
				}
				row[i] += paeth(a, prev[i], c)
			}
		default:
			p.err = fmt.Errorf("bad PNG predictor filter type %d", p.cur[0])
			return
		}
	}
	if !p.png {
		n++ // the row had no filter byte
	}
	out := row[:n-1]
	p.out = append(p.out[:0], out...)
	p.cur, p.prev = p.prev, p.cur
}

func paeth(a, b, c byte) byte {
	pa := abs(int(b) - int(c))
	pb := abs(int(a) - int(c))
	pc := abs(int(a) + int(b) - 2*int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// hexReader decodes ASCIIHexDecode (ISO 32000-1 7.4.2): white space is
// ignored, '>' ends the data, an odd final digit is followed by 0.
type hexReader struct {
	r    *bufio.Reader
	hi   byte
	half bool
	done bool
}

func (h *hexReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !h.done {
		c, err := h.r.ReadByte()
		if err != nil || c == '>' {
			h.done = true
			if h.half {
				p[n] = h.hi << 4
				n++
				h.half = false
			}
			break
		}
		if isSpace(c) {
			continue
		}
		v, ok := inspect.HexDigit(c)
		if !ok {
			return n, fmt.Errorf("ASCIIHexDecode: bad character %#x", c)
		}
		if h.half {
			p[n] = h.hi<<4 | v
			n++
		} else {
			h.hi = v
		}
		h.half = !h.half
	}
	if n == 0 && h.done && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// a85Reader decodes ASCII85Decode (ISO 32000-1 7.4.3).
type a85Reader struct {
	r    *bufio.Reader
	out  [4]byte
	nout int
	ooff int
	done bool
}

func (a *a85Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if a.ooff < a.nout {
			c := copy(p[n:], a.out[a.ooff:a.nout])
			a.ooff += c
			n += c
			continue
		}
		if a.done {
			break
		}
		if err := a.group(); err != nil {
			return n, err
		}
	}
	if n == 0 && a.done && a.ooff >= a.nout {
		return 0, io.EOF
	}
	return n, nil
}

// group decodes the next group of up to five characters into a.out.
func (a *a85Reader) group() error {
	var v uint64
	k := 0
	a.nout, a.ooff = 0, 0
	for k < 5 {
		c, err := a.r.ReadByte()
		if err != nil || c == '~' {
			a.done = true
			break
		}
		switch {
		case isSpace(c):
			continue
		case c == 'z' && k == 0:
			a.nout = 4
			a.out = [4]byte{}
			return nil
		case c < '!' || c > 'u':
			return fmt.Errorf("ASCII85Decode: bad character %#x", c)
		}
		v = v*85 + uint64(c-'!')
		k++
	}
	if k == 0 {
		return nil
	}
	if k == 1 {
		return errors.New("ASCII85Decode: stray final character")
	}
	for i := k; i < 5; i++ {
		v = v*85 + 84 // pad with 'u'
	}
	if v > 0xFFFFFFFF {
		return errors.New("ASCII85Decode: group out of range")
	}
	a.out = [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	a.nout = k - 1
	return nil
}

// rlReader decodes RunLengthDecode (ISO 32000-1 7.4.5).
type rlReader struct {
	r    *bufio.Reader
	lit  int  // literal bytes left to copy
	rep  int  // repeats left of b
	b    byte // the repeated byte
	done bool
}

func (r *rlReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case r.lit > 0:
			c, err := r.r.ReadByte()
			if err != nil {
				r.done, r.lit = true, 0
				continue
			}
			p[n] = c
			n++
			r.lit--
		case r.rep > 0:
			p[n] = r.b
			n++
			r.rep--
		case r.done:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		default:
			l, err := r.r.ReadByte()
			if err != nil || l == 128 {
				r.done = true
				continue
			}
			if l < 128 {
				r.lit = int(l) + 1
				continue
			}
			c, err := r.r.ReadByte()
			if err != nil {
				r.done = true
				continue
			}
			r.b, r.rep = c, 257-int(l)
		}
	}
	return n, nil
}

// lzwReader decodes LZWDecode (ISO 32000-1 7.4.4): 9 to 12 bit codes, 256
// clears the table, 257 ends the data; with EarlyChange 1 the code width
// grows one code early.
type lzwReader struct {
	r      *bufio.Reader
	early  int
	bits   uint32
	nbits  uint
	width  uint
	next   int
	prev   int
	prefix [4096]uint16
	suffix [4096]byte
	first  [4096]byte
	length [4096]uint16
	buf    [4096]byte
	done   bool
	pull
}

func newLZW(r io.Reader, early int) *lzwReader {
	l := &lzwReader{r: bufio.NewReader(r), early: early}
	for i := 0; i < 256; i++ {
		l.suffix[i], l.first[i], l.length[i] = byte(i), byte(i), 1
	}
	l.reset()
	return l
}

func (l *lzwReader) reset() {
	l.next, l.width, l.prev = 258, 9, -1
}

func (l *lzwReader) code() (int, bool) {
	for l.nbits < l.width {
		c, err := l.r.ReadByte()
		if err != nil {
			return 0, false
		}
		l.bits = l.bits<<8 | uint32(c)
		l.nbits += 8
	}
	l.nbits -= l.width
	return int(l.bits>>l.nbits) & (1<<l.width - 1), true
}

func (l *lzwReader) Read(p []byte) (int, error) {
	return l.read(p, func() {
		if l.done {
			l.err = io.EOF
			return
		}
		l.step()
	})
}

// step decodes one code into l.out.
func (l *lzwReader) step() {
	c, ok := l.code()
	if !ok || c == 257 {
		l.done = true
		return
	}
	if c == 256 {
		l.reset()
		return
	}
	if l.prev < 0 {
		if c > 255 {
			l.err = errors.New("LZWDecode: bad first code")
			return
		}
		l.buf[0] = byte(c)
		l.out = l.buf[:1]
		l.prev = c
		return
	}
	var firstByte byte
	switch {
	case c < l.next:
		l.out = l.expand(c)
		firstByte = l.first[c]
	case c == l.next && l.next < 4096:
		s := l.expand(l.prev)
		firstByte = l.first[l.prev]
		l.buf[len(s)] = firstByte
		l.out = l.buf[:len(s)+1]
	default:
		l.err = errors.New("LZWDecode: bad code")
		return
	}
	if l.next < 4096 {
		l.prefix[l.next] = uint16(l.prev)
		l.suffix[l.next] = firstByte
		l.first[l.next] = l.first[l.prev]
		l.length[l.next] = l.length[l.prev] + 1
		l.next++
		if l.next+l.early >= 1<<l.width && l.width < 12 {
			l.width++
		}
	}
	l.prev = c
}

// expand writes the string of code c into l.buf and returns it.
func (l *lzwReader) expand(c int) []byte {
	n := int(l.length[c])
	s := l.buf[:n]
	for i := n - 1; i >= 0; i-- {
		s[i] = l.suffix[c]
		c = int(l.prefix[c])
	}
	return s
}
