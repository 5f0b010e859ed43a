package zipx

import (
	"bufio"
	"io"
	"sort"
)

// APPNOTE 4.4.4 general purpose bits 1 and 2 for method 6.
const (
	implode8K     = 1 << 1 // 8K sliding dictionary (else 4K)
	implode3Trees = 1 << 2 // a literal tree is stored (else literals are raw bytes)
)

// NewImplodeReader returns a reader that expands a member compressed with
// PKWARE implode (zip method 6, APPNOTE 5.3 "Imploding"). flags is the
// member's general purpose bit flag; size its uncompressed size: the stream
// has no end marker, so the decoder stops after size bytes.
func NewImplodeReader(r io.Reader, flags uint16, size int64) io.ReadCloser {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = bufio.NewReader(r)
	}
	x := &exploder{br: br, left: size, win: make([]byte, 8<<10)}
	x.lowBits = 6
	if flags&implode8K != 0 {
		x.lowBits = 7
	}
	x.literals = flags&implode3Trees != 0
	x.minMatch = 2
	if x.literals {
		x.minMatch = 3
	}
	return x
}

// sfTree is a Shannon-Fano code as APPNOTE 5.3.2 builds it: for each bit
// length, the first code (the codes of one length are consecutive) and the
// values in code order.
type sfTree struct {
	first [17]int
	count [17]int
	vals  [17][]uint8
}

type exploder struct {
	br    io.ByteReader
	bits  uint64
	nbits uint
	err   error
	left  int64 // bytes still to produce

	lowBits           uint // 6 (4K dictionary) or 7 (8K)
	literals          bool
	minMatch          int
	started           bool
	lit, length, dist sfTree

	win     []byte // 8K ring of output; zeros before the start (APPNOTE 5.3.4)
	wpos    int
	copyLen int
	dist1   int // distance + 1
}

func (x *exploder) Close() error { return nil }

func (x *exploder) getBits(n uint) (int, error) {
	for x.nbits < n {
		b, err := x.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		x.bits |= uint64(b) << x.nbits
		x.nbits += 8
	}
	v := int(x.bits & (1<<n - 1))
	x.bits >>= n
	x.nbits -= n
	return v, nil
}

// readTree reads a stored Shannon-Fano tree of n values (APPNOTE 5.3.2):
// a byte holding the number of bytes that follow minus one, then bytes
// whose high nibble is a count minus one and low nibble a bit length minus
// one, for consecutive values.
func (x *exploder) readTree(t *sfTree, n int) error {
	nb, err := x.br.ReadByte()
	if err != nil {
		return io.ErrUnexpectedEOF
	}
	lengths := make([]uint8, 0, n)
	for range int(nb) + 1 {
		b, err := x.br.ReadByte()
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		cnt, l := int(b>>4)+1, b&15+1
		if len(lengths)+cnt > n {
			return ErrCorrupt
		}
		for range cnt {
			lengths = append(lengths, l)
		}
	}
	if len(lengths) != n {
		return ErrCorrupt
	}
	return t.build(lengths)
}

// build assigns the codes (APPNOTE 5.3.2): sort the values by bit length,
// keeping their order within a length; walk that list from its end,
// adding 1<<(16-length) to a 16-bit code before each value but the first.
// Reading a code's bits from the stream one by one yields this code from
// its most significant bit down (the APPNOTE's bit reversal, undone by
// the least-significant-first bit order).
func (t *sfTree) build(lengths []uint8) error {
	order := make([]int, len(lengths))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lengths[order[a]] < lengths[order[b]] })
	*t = sfTree{}
	for l := range t.first {
		t.first[l] = -1
	}
	code, inc, last := 0, 0, uint8(0)
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		code += inc
		if code > 0xFFFF {
			return ErrCorrupt // over-subscribed
		}
		l := lengths[v]
		if l != last {
			last = l
			inc = 1 << (16 - l)
		}
		c := code >> (16 - l)
		if t.first[l] < 0 {
			t.first[l] = c
		} else if c != t.first[l]+t.count[l] {
			return ErrCorrupt
		}
		t.count[l]++
		t.vals[l] = append(t.vals[l], uint8(v))
	}
	return nil
}

// decode reads one value of t.
func (x *exploder) decode(t *sfTree) (int, error) {
	code := 0
	for l := 1; l <= 16; l++ {
		b, err := x.getBits(1)
		if err != nil {
			return 0, err
		}
		code = code<<1 | b
		if t.count[l] > 0 && code >= t.first[l] && code < t.first[l]+t.count[l] {
			return int(t.vals[l][code-t.first[l]]), nil
		}
	}
	return 0, ErrCorrupt
}

func (x *exploder) put(b byte) {
	x.win[x.wpos] = b
	x.wpos = (x.wpos + 1) & (len(x.win) - 1)
	x.left--
}

func (x *exploder) Read(p []byte) (int, error) {
	if x.err != nil {
		return 0, x.err
	}
	if !x.started {
		x.started = true
		// APPNOTE 5.3.3: literal tree (when present), length tree, distance tree.
		if x.literals {
			if x.err = x.readTree(&x.lit, 256); x.err != nil {
				return 0, x.err
			}
		}
		if x.err = x.readTree(&x.length, 64); x.err != nil {
			return 0, x.err
		}
		if x.err = x.readTree(&x.dist, 64); x.err != nil {
			return 0, x.err
		}
	}
	n := 0
	for n < len(p) && x.left > 0 {
		if x.copyLen > 0 {
			b := x.win[(x.wpos-x.dist1)&(len(x.win)-1)]
			x.put(b)
			p[n] = b
			n++
			x.copyLen--
			continue
		}
		if err := x.token(p, &n); err != nil {
			x.err = err
			return n, err
		}
	}
	if x.left <= 0 {
		x.err = io.EOF
		if n == 0 {
			return 0, io.EOF
		}
	}
	return n, nil
}

// token decodes one literal or one (distance, length) pair (APPNOTE 5.3.4).
func (x *exploder) token(p []byte, n *int) error {
	flag, err := x.getBits(1)
	if err != nil {
		return err
	}
	if flag == 1 {
		var v int
		if x.literals {
			v, err = x.decode(&x.lit)
		} else {
			v, err = x.getBits(8)
		}
		if err != nil {
			return err
		}
		x.put(byte(v))
		p[*n] = byte(v)
		*n++
		return nil
	}
	low, err := x.getBits(x.lowBits)
	if err != nil {
		return err
	}
	high, err := x.decode(&x.dist)
	if err != nil {
		return err
	}
	length, err := x.decode(&x.length)
	if err != nil {
		return err
	}
	if length == 63 {
		e, err := x.getBits(8)
		if err != nil {
			return err
		}
		length += e
	}
	x.copyLen = length + x.minMatch
	x.dist1 = (high<<x.lowBits | low) + 1 // at most 8192: the window holds it
	return nil
}
