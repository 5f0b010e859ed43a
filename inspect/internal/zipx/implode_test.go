package zipx

import (
	"bytes"
	"io"
	"math/rand"
	"sort"
	"testing"
)

// The implode encoder below is written for the tests from APPNOTE 5.3
// (no tool in Debian writes method 6): it keeps the decoder honest by
// round trips, while the hand-checked vectors keep both honest.

type sfCode struct {
	code uint64
	len  uint
}

// sfCodes assigns codes as APPNOTE 5.3.2 describes: sort by bit length
// (stable), walk from the last entry, code += increment, where the
// increment is 1<<(16-length) of the last length seen; the code is the
// top length bits of the 16-bit value, sent most significant bit first.
func sfCodes(lengths []uint8) []sfCode {
	type ent struct {
		v int
		l uint8
	}
	es := make([]ent, len(lengths))
	for i, l := range lengths {
		es[i] = ent{i, l}
	}
	sort.SliceStable(es, func(a, b int) bool { return es[a].l < es[b].l })
	out := make([]sfCode, len(lengths))
	code, inc, last := 0, 0, uint8(0)
	for i := len(es) - 1; i >= 0; i-- {
		code += inc
		if es[i].l != last {
			last = es[i].l
			inc = 1 << (16 - last)
		}
		out[es[i].v] = sfCode{uint64(code >> (16 - es[i].l)), uint(es[i].l)}
	}
	return out
}

// sfTreeBytes encodes lengths as APPNOTE 5.3.2 stores them.
func sfTreeBytes(lengths []uint8) []byte {
	var body []byte
	for i := 0; i < len(lengths); {
		j := i
		for j < len(lengths) && lengths[j] == lengths[i] && j-i < 16 {
			j++
		}
		body = append(body, byte(j-i-1)<<4|(lengths[i]-1))
		i = j
	}
	return append([]byte{byte(len(body) - 1)}, body...)
}

type implodeOpts struct {
	dict8K, literalTree bool
}

// implode compresses in (greedy matching; the bytes before the start count
// as zeros, APPNOTE 5.3.4) and returns the data and the flag bits.
func implode(in []byte, o implodeOpts) ([]byte, uint16) {
	var flags uint16
	lowBits, window, minMatch := uint(6), 4096, 2
	if o.dict8K {
		flags |= implode8K
		lowBits, window = 7, 8192
	}
	if o.literalTree {
		flags |= implode3Trees
		minMatch = 3
	}
	// Trees must be complete (Kraft sum 1) for the APPNOTE construction
	// to give a prefix code. Literals: the 32 most frequent bytes get 6
	// bits, the next 32 8 bits, the rest 9 bits; lengths 6 bits each;
	// distances 0 and 1 2 bits, 2 and 3 6 bits, the rest 7 bits.
	freq := make([]int, 256)
	for _, c := range in {
		freq[c]++
	}
	byFreq := make([]int, 256)
	for i := range byFreq {
		byFreq[i] = i
	}
	sort.SliceStable(byFreq, func(a, b int) bool { return freq[byFreq[a]] > freq[byFreq[b]] })
	litLen := make([]uint8, 256)
	for i, v := range byFreq {
		switch {
		case i < 32:
			litLen[v] = 6
		case i < 64:
			litLen[v] = 8
		default:
			litLen[v] = 9
		}
	}
	lenLen := bytes.Repeat([]byte{6}, 64)
	distLen := bytes.Repeat([]byte{7}, 64)
	distLen[0], distLen[1], distLen[2], distLen[3] = 2, 2, 6, 6
	var out []byte
	if o.literalTree {
		out = append(out, sfTreeBytes(litLen)...)
	}
	out = append(out, sfTreeBytes(lenLen)...)
	out = append(out, sfTreeBytes(distLen)...)
	litC, lenC, distC := sfCodes(litLen), sfCodes(lenLen), sfCodes(distLen)

	w := &testBits{}
	at := func(i int) byte {
		if i < 0 {
			return 0
		}
		return in[i]
	}
	maxLen := minMatch + 63 + 255
	// Candidates: the last 32 positions of the same byte in the window,
	// and for a zero byte the zeros before the start.
	var recent [256][]int
	for p := 0; p < len(in); {
		best, bestD := 0, 0
		var cands []int
		for _, q := range recent[in[p]] {
			if p-q <= window {
				cands = append(cands, p-q)
			}
		}
		if in[p] == 0 && p+1 <= window {
			cands = append(cands, p+1)
		}
		for _, d := range cands {
			n := 0
			for n < maxLen && p+n < len(in) && at(p+n-d) == in[p+n] {
				n++
			}
			if n > best {
				best, bestD = n, d
			}
		}
		if best >= minMatch {
			w.bits(0, 1)
			dist := bestD - 1
			w.bits(uint64(dist&(1<<lowBits-1)), lowBits)
			c := distC[dist>>lowBits]
			w.code(c.code, c.len)
			l := best - minMatch
			if l >= 63 {
				c = lenC[63]
				w.code(c.code, c.len)
				w.bits(uint64(l-63), 8)
			} else {
				c = lenC[l]
				w.code(c.code, c.len)
			}
			for ; best > 0; best-- {
				remember(&recent, in, p)
				p++
			}
			continue
		}
		w.bits(1, 1)
		if o.literalTree {
			c := litC[in[p]]
			w.code(c.code, c.len)
		} else {
			w.bits(uint64(in[p]), 8)
		}
		remember(&recent, in, p)
		p++
	}
	return append(out, w.bytes()...), flags
}

func remember(recent *[256][]int, in []byte, p int) {
	r := append(recent[in[p]], p)
	if len(r) > 32 {
		r = r[1:]
	}
	recent[in[p]] = r
}

func explode(t testing.TB, b []byte, flags uint16, size int64) ([]byte, error) {
	t.Helper()
	return io.ReadAll(NewImplodeReader(bytes.NewReader(b), flags, size))
}

// TestImplodeSpecExample: the Shannon-Fano example of APPNOTE 5.3.2 —
// tree bytes 0x02 0x42 0x01 0x13 give lengths 3,3,3,3,3,2,4,4 and the
// constructed codes 101 100 011 010 001 11 0001 0000 for values 0 to 7.
func TestImplodeSpecExample(t *testing.T) {
	x := &exploder{br: bytes.NewReader([]byte{0x02, 0x42, 0x01, 0x13})}
	var tr sfTree
	if err := x.readTree(&tr, 8); err != nil {
		t.Fatal(err)
	}
	codes := []string{"101", "100", "011", "010", "001", "11", "0001", "0000"}
	w := &testBits{}
	for _, c := range codes {
		for _, b := range c {
			w.bits(uint64(b-'0'), 1)
		}
	}
	x = &exploder{br: bytes.NewReader(w.bytes())}
	for want := range codes {
		got, err := x.decode(&tr)
		if err != nil || got != want {
			t.Fatalf("value %d: got %d, %v", want, got, err)
		}
	}
}

// TestImplodeHandVector: "aaaaa" with two trees and a 4K dictionary, worked
// out by hand: both trees are 64 codes of 6 bits (03 F5 F5 F5 F5), so value
// v has code 63-v. Bits: literal flag 1, 0x61 raw; match flag 0, low six
// distance bits 000000, distance value 0 (111111), length value 4-2 = 2
// (111101). Packed least significant bit first: C3 00 FF 0B.
func TestImplodeHandVector(t *testing.T) {
	b := []byte{0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0xC3, 0x00, 0xFF, 0x0B}
	got, err := explode(t, b, 0, 5)
	if err != nil || string(got) != "aaaaa" {
		t.Fatalf("got %q, %v", got, err)
	}
	// Our encoder writes the same bytes.
	if enc, _ := implodeFixedTrees([]byte("aaaaa")); !bytes.Equal(enc, b) {
		t.Fatalf("encoder wrote % x", enc)
	}
}

// implodeFixedTrees is implode with two trees of 64 six-bit codes.
func implodeFixedTrees(in []byte) ([]byte, uint16) {
	lens := bytes.Repeat([]byte{6}, 64)
	c := sfCodes(lens)
	out := append(sfTreeBytes(lens), sfTreeBytes(lens)...)
	w := &testBits{}
	w.bits(1, 1)
	w.bits(uint64(in[0]), 8)
	// The rest of "aaaaa" is one match: distance 1, length len(in)-1.
	w.bits(0, 1)
	w.bits(0, 6)
	w.code(c[0].code, c[0].len)
	w.code(c[len(in)-1-2].code, c[len(in)-1-2].len)
	return append(out, w.bytes()...), 0
}

func TestImplodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	text := make([]byte, 6000)
	for i := range text {
		text[i] = "the quick brown fox\n"[rng.Intn(20)]
	}
	noise := make([]byte, 3000)
	rng.Read(noise)
	inputs := map[string][]byte{
		"empty":       {},
		"one":         []byte("x"),
		"zeros first": append(make([]byte, 40), []byte("then text, then text, then text")...),
		"long match":  bytes.Repeat([]byte("ab"), 3000),
		"text":        text,
		"noise":       noise,
		"far":         append(append(append([]byte{}, noise[:2000]...), text[:5000]...), noise[:2000]...),
	}
	for name, in := range inputs {
		for _, o := range []implodeOpts{{}, {dict8K: true}, {literalTree: true}, {dict8K: true, literalTree: true}} {
			enc, flags := implode(in, o)
			got, err := explode(t, enc, flags, int64(len(in)))
			if err != nil || !bytes.Equal(got, in) {
				t.Fatalf("%s %+v: %d of %d bytes, err %v", name, o, len(got), len(in), err)
			}
		}
	}
}

func TestImplodeCorrupt(t *testing.T) {
	cases := map[string][]byte{
		"empty":          {},
		"short tree":     {0x00, 0x05},                         // 1 value, 64 needed
		"long tree":      {0x04, 0xF5, 0xF5, 0xF5, 0xF5, 0xF5}, // 80 values
		"oversubscribed": {0x03, 0xF0, 0xF0, 0xF0, 0xF0},       // 64 codes of 1 bit
		"truncated data": {0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0xC3},
	}
	for name, b := range cases {
		if _, err := explode(t, b, 0, 100); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzImplode must not panic or hang; output never exceeds the size.
func FuzzImplode(f *testing.F) {
	enc, _ := implode([]byte("seed seed seed seed data for the fuzzer"), implodeOpts{literalTree: true, dict8K: true})
	f.Add(enc, uint16(implode8K|implode3Trees), uint16(39))
	enc, _ = implode(bytes.Repeat([]byte("xy"), 200), implodeOpts{})
	f.Add(enc, uint16(0), uint16(400))
	f.Add([]byte{0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0xC3, 0x00, 0xFF, 0x0B}, uint16(0), uint16(5))
	f.Fuzz(func(t *testing.T, b []byte, flags, size uint16) {
		got, _ := io.ReadAll(NewImplodeReader(bytes.NewReader(b), flags, int64(size)))
		if len(got) > int(size) {
			t.Fatalf("%d bytes out, size %d", len(got), size)
		}
	})
}
