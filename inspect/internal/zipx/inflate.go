package zipx

import (
	"bufio"
	"errors"
	"io"
)

// ErrCorrupt is the error of a decoder that meets a stream no encoder
// writes (a bad block type, an over-subscribed code, a distance before the
// start of the output).
var ErrCorrupt = errors.New("corrupt compressed data")

// NewDeflate64Reader returns a reader that decodes an "enhanced deflate"
// stream (zip method 9, APPNOTE 4.4.5). It is deflate (RFC 1951) with a
// 64 KiB window, length code 285 meaning a length of 3 plus 16 extra bits,
// and the distance codes 30 and 31 (32769 and 49153, 14 extra bits each).
// When r is an io.ByteReader the decoder reads no byte past the end of the
// stream, so that a caller can count how long it was.
func NewDeflate64Reader(r io.Reader) io.ReadCloser { return newInflater(r, true) }

// newInflater decodes deflate (deflate64 false) or deflate64. Plain deflate
// is here so that the decoder can be tested against compress/flate.
func newInflater(r io.Reader, deflate64 bool) *inflater {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = bufio.NewReader(r)
	}
	w := 32 << 10
	if deflate64 {
		w = 64 << 10
	}
	return &inflater{br: br, d64: deflate64, win: make([]byte, w)}
}

// huffman is a canonical Huffman code (RFC 1951 3.2.2) kept as the number
// of codes of each length and the symbols in code order; decode walks it
// one bit at a time.
type huffman struct {
	count [16]uint16
	sym   []uint16
}

// build makes the code for the given code lengths (0 = unused). An
// over-subscribed set of lengths is corrupt; an incomplete one is accepted
// (RFC 1951 allows one distance code) and fails when an unused code is met.
func (h *huffman) build(lengths []uint8) error {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return ErrCorrupt
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.sym = h.sym[:0]
	h.sym = append(h.sym, make([]uint16, len(lengths))...)
	for s, l := range lengths {
		if l != 0 {
			h.sym[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	return nil
}

type inflater struct {
	br    io.ByteReader
	d64   bool
	bits  uint64
	nbits uint
	err   error

	win  []byte // the last len(win) bytes of output, a ring
	wpos int    // next write position in win
	out  int64  // bytes written so far

	final   bool // the block being read is the last one
	block   int  // 0 none, 1 stored, 2 Huffman
	stored  int  // bytes left in a stored block
	copyLen int  // bytes of a match still to copy
	dist    int
	lit     huffman
	dst     huffman
	lens    [320]uint8
}

func (f *inflater) Close() error { return nil }

func (f *inflater) need(n uint) error {
	for f.nbits < n {
		b, err := f.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		f.bits |= uint64(b) << f.nbits
		f.nbits += 8
	}
	return nil
}

// getBits reads n bits, least significant first (RFC 1951 3.1.1).
func (f *inflater) getBits(n uint) (int, error) {
	if err := f.need(n); err != nil {
		return 0, err
	}
	v := int(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nbits -= n
	return v, nil
}

// decode reads one symbol of h: Huffman codes are packed starting with
// their most significant bit (RFC 1951 3.1.1).
func (f *inflater) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, err := f.getBits(1)
		if err != nil {
			return 0, err
		}
		code |= b
		c := int(h.count[l])
		if code-first < c {
			return int(h.sym[index+code-first]), nil
		}
		index += c
		first = (first + c) << 1
		code <<= 1
	}
	return 0, ErrCorrupt
}

// RFC 1951 3.2.5 length and distance tables.
var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	// Codes 30 and 31 exist only in deflate64.
	distBase  = [32]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577, 32769, 49153}
	distExtra = [32]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14}
	// RFC 1951 3.2.7 order of the code length code lengths.
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func (f *inflater) put(b byte) {
	f.win[f.wpos] = b
	f.wpos = (f.wpos + 1) & (len(f.win) - 1)
	f.out++
}

func (f *inflater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && f.err == nil {
		switch {
		case f.copyLen > 0:
			for f.copyLen > 0 && n < len(p) {
				b := f.win[(f.wpos-f.dist)&(len(f.win)-1)]
				f.put(b)
				p[n] = b
				n++
				f.copyLen--
			}
		case f.block == 1:
			if f.stored == 0 {
				f.block = 0
				continue
			}
			b, err := f.br.ReadByte()
			if err != nil {
				f.fail(err)
				break
			}
			f.put(b)
			p[n] = b
			n++
			f.stored--
		case f.block == 2:
			f.err = f.symbol(p, &n)
		case f.final:
			f.err = io.EOF
		default:
			f.err = f.header()
		}
	}
	if n > 0 && f.err == io.EOF {
		return n, nil
	}
	return n, f.err
}

func (f *inflater) fail(err error) {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	f.err = err
}

// symbol decodes one literal/length symbol (RFC 1951 3.2.5).
func (f *inflater) symbol(p []byte, n *int) error {
	s, err := f.decode(&f.lit)
	if err != nil {
		return err
	}
	switch {
	case s < 256:
		f.put(byte(s))
		p[*n] = byte(s)
		*n++
		return nil
	case s == 256:
		f.block = 0
		return nil
	case s > 285:
		return ErrCorrupt
	}
	s -= 257
	length := int(lenBase[s])
	extra := uint(lenExtra[s])
	if s == 28 && f.d64 {
		// Deflate64: code 285 is length 3 + 16 extra bits.
		length, extra = 3, 16
	}
	e, err := f.getBits(extra)
	if err != nil {
		return err
	}
	length += e
	d, err := f.decode(&f.dst)
	if err != nil {
		return err
	}
	if d >= 32 || (d >= 30 && !f.d64) {
		return ErrCorrupt
	}
	e, err = f.getBits(uint(distExtra[d]))
	if err != nil {
		return err
	}
	dist := int(distBase[d]) + e
	if int64(dist) > f.out || dist > len(f.win) {
		return ErrCorrupt
	}
	f.copyLen, f.dist = length, dist
	return nil
}

// header reads a block header (RFC 1951 3.2.3) and the block's codes.
func (f *inflater) header() error {
	h, err := f.getBits(3)
	if err != nil {
		return err
	}
	f.final = h&1 != 0
	switch h >> 1 {
	case 0: // 3.2.4 stored: align to a byte, LEN, NLEN
		f.bits, f.nbits = 0, 0
		var b [4]byte
		for i := range b {
			if b[i], err = f.br.ReadByte(); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		l := int(b[0]) | int(b[1])<<8
		if l != ^(int(b[2])|int(b[3])<<8)&0xFFFF {
			return ErrCorrupt
		}
		f.block, f.stored = 1, l
		return nil
	case 1: // 3.2.6 fixed codes
		l := f.lens[:288+32]
		for i := range 288 {
			switch {
			case i < 144:
				l[i] = 8
			case i < 256:
				l[i] = 9
			case i < 280:
				l[i] = 7
			default:
				l[i] = 8
			}
		}
		for i := 288; i < 320; i++ {
			l[i] = 5
		}
		return f.codes(288, 32)
	case 2: // 3.2.7 dynamic codes
		return f.dynamic()
	}
	return ErrCorrupt
}

func (f *inflater) codes(nlit, ndist int) error {
	if err := f.lit.build(f.lens[:nlit]); err != nil {
		return err
	}
	if err := f.dst.build(f.lens[nlit : nlit+ndist]); err != nil {
		return err
	}
	f.block = 2
	return nil
}

func (f *inflater) dynamic() error {
	v, err := f.getBits(14)
	if err != nil {
		return err
	}
	nlit, ndist, nclen := v&31+257, (v>>5)&31+1, v>>10+4
	var cl [19]uint8
	for i := range nclen {
		b, err := f.getBits(3)
		if err != nil {
			return err
		}
		cl[clOrder[i]] = uint8(b)
	}
	var clh huffman
	if err := clh.build(cl[:]); err != nil {
		return err
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		s, err := f.decode(&clh)
		if err != nil {
			return err
		}
		if s < 16 {
			lens[i] = uint8(s)
			i++
			continue
		}
		var rep int
		var val uint8
		switch s {
		case 16:
			if i == 0 {
				return ErrCorrupt
			}
			val = lens[i-1]
			rep, err = f.getBits(2)
			rep += 3
		case 17:
			rep, err = f.getBits(3)
			rep += 3
		default:
			rep, err = f.getBits(7)
			rep += 11
		}
		if err != nil {
			return err
		}
		if i+rep > len(lens) {
			return ErrCorrupt
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 { // no end-of-block code
		return ErrCorrupt
	}
	return f.codes(nlit, ndist)
}
