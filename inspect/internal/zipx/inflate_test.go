package zipx

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand"
	"testing"
)

// testBits writes a deflate bit stream (RFC 1951 3.1.1): values least
// significant bit first, Huffman codes most significant bit first.
type testBits struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *testBits) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *testBits) code(c uint64, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
}

func (w *testBits) bytes() []byte {
	if w.nbits > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	return w.out
}

// fixedLit writes literal/length symbol s with the fixed code (RFC 1951 3.2.6).
func (w *testBits) fixedLit(s int) {
	switch {
	case s < 144:
		w.code(uint64(0x30+s), 8)
	case s < 256:
		w.code(uint64(0x190+s-144), 9)
	case s < 280:
		w.code(uint64(s-256), 7)
	default:
		w.code(uint64(0xC0+s-280), 8)
	}
}

func inflateAll(t testing.TB, b []byte, d64 bool) ([]byte, error) {
	t.Helper()
	return io.ReadAll(io.LimitReader(newInflater(bytes.NewReader(b), d64), 1<<24))
}

// TestInflateMatchesFlate: in plain deflate mode the decoder reads what
// compress/flate writes, at every level (stored, fixed, dynamic blocks).
func TestInflateMatchesFlate(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	inputs := [][]byte{nil, []byte("a"), bytes.Repeat([]byte("abc"), 40000)}
	text := make([]byte, 200000)
	for i := range text {
		text[i] = "etaoin shrdlu\n"[rng.Intn(14)]
	}
	noise := make([]byte, 70000)
	rng.Read(noise)
	inputs = append(inputs, text, noise)
	for _, in := range inputs {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.HuffmanOnly, flate.BestCompression} {
			var buf bytes.Buffer
			w, _ := flate.NewWriter(&buf, level)
			w.Write(in)
			w.Close()
			got, err := inflateAll(t, buf.Bytes(), false)
			if err != nil || !bytes.Equal(got, in) {
				t.Fatalf("level %d, %d bytes: got %d bytes, err %v", level, len(in), len(got), err)
			}
			// Deflate64 reads the same stream the same way unless it uses
			// length code 285; flate at these sizes does, so only check
			// that it does not fail on noise (stored blocks).
		}
	}
}

// TestDeflate64Codes: length code 285 with 16 extra bits and distance
// codes 30 and 31, which only deflate64 has. The stream is written by hand
// with the fixed codes.
func TestDeflate64Codes(t *testing.T) {
	var want []byte
	w := &testBits{}
	w.bits(1, 1) // BFINAL
	w.bits(1, 2) // fixed Huffman codes
	// 50000 literals from a small alphabet.
	for i := 0; i < 50000; i++ {
		c := byte('a' + (i*7+i/13)%26)
		want = append(want, c)
		w.fixedLit(int(c))
	}
	// Length 3+1000 (code 285, 16 extra bits), distance 49153+5 (code 31).
	w.fixedLit(285)
	w.bits(1000, 16)
	w.code(31, 5)
	w.bits(5, 14)
	for i := 0; i < 1003; i++ {
		want = append(want, want[len(want)-49158])
	}
	// Length 258 would be code 284 + 31 (RFC 1951); distance 32769 (code 30).
	w.fixedLit(284)
	w.bits(30, 5) // 227 + 30 = 257
	w.code(30, 5)
	w.bits(0, 14)
	for i := 0; i < 257; i++ {
		want = append(want, want[len(want)-32769])
	}
	w.fixedLit(256)
	got, err := inflateAll(t, w.bytes(), true)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes (err %v), want %d", len(got), err, len(want))
	}
	// Plain deflate reads code 285 as length 258 without extra bits: not
	// the same output.
	if got, _ := inflateAll(t, w.bytes(), false); bytes.Equal(got, want) {
		t.Fatal("plain deflate read the deflate64 codes")
	}
	// A distance code 30 is corrupt for plain deflate.
	c := &testBits{}
	c.bits(1, 1)
	c.bits(1, 2)
	c.fixedLit('a')
	c.fixedLit(257)
	c.code(30, 5)
	c.bits(0, 14)
	if _, err := inflateAll(t, c.bytes(), false); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("plain deflate, distance code 30: err %v, want ErrCorrupt", err)
	}
}

func TestInflateCorrupt(t *testing.T) {
	cases := map[string][]byte{
		"empty":            {},
		"reserved type":    {0x07},
		"stored bad nlen":  {0x01, 0x05, 0x00, 0x00, 0x00},
		"truncated stored": {0x01, 0x05, 0x00, 0xFA, 0xFF, 'a'},
		// Fixed block: distance 1 before any output.
		"distance before start": func() []byte {
			w := &testBits{}
			w.bits(1, 1)
			w.bits(1, 2)
			w.fixedLit(257)
			w.code(0, 5)
			return w.bytes()
		}(),
	}
	for name, b := range cases {
		if _, err := inflateAll(t, b, true); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzDeflate64 must not panic or hang; in plain deflate mode it must agree
// with compress/flate on every stream flate accepts.
func FuzzDeflate64(f *testing.F) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(bytes.Repeat([]byte("hello deflate64 "), 100))
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{0x01, 0x05, 0x00, 0xFA, 0xFF, 'h', 'e', 'l', 'l', 'o'})
	tb := &testBits{}
	tb.bits(1, 1)
	tb.bits(1, 2)
	tb.fixedLit('x')
	tb.fixedLit(285)
	tb.bits(300, 16)
	tb.code(0, 5)
	tb.fixedLit(256)
	f.Add(tb.bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := io.ReadAll(io.LimitReader(newInflater(bytes.NewReader(b), true), 1<<20))
		_ = got
		_ = err
		mine, err1 := io.ReadAll(io.LimitReader(newInflater(bytes.NewReader(b), false), 1<<20))
		ref, err2 := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b)), 1<<20))
		if err2 == nil && len(ref) < 1<<20 && (err1 != nil || !bytes.Equal(mine, ref)) {
			t.Fatalf("flate read %d bytes, we read %d (err %v)", len(ref), len(mine), err1)
		}
	})
}
