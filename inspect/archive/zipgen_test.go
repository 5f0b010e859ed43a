package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// zipMember describes one member for makeZip.
type zipMember struct {
	name   string
	data   []byte
	method uint16 // zip.Store or zip.Deflate for real content
	// raw members are written as given (encrypted, unsupported methods).
	raw   bool
	flags uint16
	extra []byte
	usize uint64
	crc   uint32
}

// makeZip writes a zip archive with archive/zip.
func makeZip(t testing.TB, members ...zipMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, m := range members {
		if m.raw {
			usize := m.usize
			if usize == 0 {
				usize = uint64(len(m.data))
			}
			fw, err := w.CreateRaw(&zip.FileHeader{Name: m.name, Method: m.method, Flags: m.flags, Extra: m.extra,
				CRC32: m.crc, CompressedSize64: uint64(len(m.data)), UncompressedSize64: usize})
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(m.data)
			continue
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: m.name, Method: m.method})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(m.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deflate(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// bitWriter writes a deflate bit stream (RFC 1951 3.1.1: LSB first).
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// huff writes a Huffman code of n bits, most significant bit first
// (RFC 1951 3.1.1).
func (w *bitWriter) huff(code uint64, n uint) {
	var rev uint64
	for i := uint(0); i < n; i++ {
		rev |= (code >> i & 1) << (n - 1 - i)
	}
	w.bits(rev, n)
}

func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	w.acc, w.nbits = 0, 0
	return w.out
}

// zeroBombDeflate returns a deflate stream that expands to 1+1032*n zero
// bytes. It is one dynamic-Huffman block (RFC 1951 3.2.7) whose only
// literal/length codes are 285 (length 258, code "0"), literal 0 ("10") and
// end-of-block ("11"), with the single distance code 0 (distance 1, "0"):
// after one literal zero, every match costs two zero bits, so the body is n
// zero bytes. The stream is 1032 times smaller than its output.
func zeroBombDeflate(n int) []byte {
	w := &bitWriter{}
	w.bits(1, 1)  // BFINAL
	w.bits(2, 2)  // BTYPE dynamic
	w.bits(29, 5) // HLIT: 286 codes
	w.bits(0, 5)  // HDIST: 1 code
	w.bits(15, 4) // HCLEN: all 19 code length codes (keeps the header length even)
	// Code length code lengths in RFC order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1,15:
	// 18 -> 1 bit ("0"), 1 -> 2 bits ("10"), 2 -> 2 bits ("11").
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	cl := map[int]uint64{18: 1, 1: 2, 2: 2}
	for _, sym := range order {
		w.bits(cl[sym], 3)
	}
	sym18 := func(zeros int) { w.huff(0, 1); w.bits(uint64(zeros-11), 7) }
	len1 := func() { w.huff(2, 2) }
	len2 := func() { w.huff(3, 2) }
	len2()             // literal 0: 2 bits
	sym18(138)         // 1..138
	sym18(117)         // 139..255
	len2()             // 256 end of block: 2 bits
	sym18(28)          // 257..284
	len1()             // 285: 1 bit
	len1()             // distance 0: 1 bit
	w.huff(2, 2)       // literal 0 ("10")
	for w.nbits != 0 { // align with matches; at most 3
		w.huff(0, 1)
		w.huff(0, 1)
	}
	out := w.out
	out = append(out, make([]byte, n)...)
	w.out = out
	w.huff(3, 2) // end of block
	return w.flush()
}

// zipBomb returns a zip holding one member that expands to about size zero
// bytes, with its true size declared (or decl when not zero).
func zipBomb(t testing.TB, name string, size, decl uint64) []byte {
	d := zeroBombDeflate(int(size / 1032))
	if decl == 0 {
		decl = size
	}
	return makeZip(t, zipMember{name: name, raw: true, method: zip.Deflate, data: d, usize: decl})
}

// overlapZip returns a zip whose central directory lists the same local
// member n times (a non-recursive zip bomb).
func overlapZip(t testing.TB, n int) []byte {
	data := deflate(t, make([]byte, 1<<20))
	crc := crc32.ChecksumIEEE(make([]byte, 1<<20))
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	name := "kernel"
	// APPNOTE 4.3.7 local file header.
	le(uint32(0x04034b50))
	le([]uint16{20, 0, 8, 0, 0})
	le([]uint32{crc, uint32(len(data)), 1 << 20})
	le([]uint16{uint16(len(name)), 0})
	b.WriteString(name)
	b.Write(data)
	cd := b.Len()
	for i := 0; i < n; i++ {
		// APPNOTE 4.3.12 central directory header.
		nm := name + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		le(uint32(0x02014b50))
		le([]uint16{20, 20, 0, 8, 0, 0})
		le([]uint32{crc, uint32(len(data)), 1 << 20})
		le([]uint16{uint16(len(nm)), 0, 0, 0, 0})
		le([]uint32{0, 0})
		b.WriteString(nm)
	}
	cdLen := b.Len() - cd
	le(uint32(0x06054b50))
	le([]uint16{0, 0, uint16(n), uint16(n)})
	le([]uint32{uint32(cdLen), uint32(cd)})
	le(uint16(0))
	return b.Bytes()
}
