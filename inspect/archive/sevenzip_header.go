package archive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"

	"github.com/officemilter/officemilter/inspect"
)

// This file pre-parses 7z headers (7-Zip's DOC/7zFormat.txt) to bound every
// count before github.com/bodgit/sevenzip sees them: that library accepts
// counts up to 2^32 and allocates from them (make([]FileHeader, files),
// make([]uint32, count) ...), and its LZMA/LZMA2/PPMd decoders allocate the
// dictionary or model size the coder properties claim. The grammar follows
// what the library parses, so that a header the pre-parser accepts parses
// the same way there.

// 7zFormat.txt property IDs.
const (
	szEnd                   = 0x00
	szHeader                = 0x01
	szArchiveProperties     = 0x02
	szAdditionalStreamsInfo = 0x03
	szMainStreamsInfo       = 0x04
	szFilesInfo             = 0x05
	szPackInfo              = 0x06
	szUnpackInfo            = 0x07
	szSubStreamsInfo        = 0x08
	szSize                  = 0x09
	szCRC                   = 0x0A
	szFolderID              = 0x0B
	szCodersUnpackSize      = 0x0C
	szNumUnpackStream       = 0x0D
	szEncodedHeader         = 0x17
)

const (
	szSignatureHeaderLen = 32
	szMaxCoders          = 64 // per folder, as 7-Zip (k_NumCodersMax)
	szMaxCoderStreams    = 64
	szMaxProps           = 1 << 16
	// szMaxDict bounds the dictionary (LZMA, LZMA2) or model (PPMd) memory
	// a coder may claim: the decoders allocate it in full, whatever the
	// data. 7-Zip's -mx9 uses 64 MiB and shrinks it for smaller inputs.
	szMaxDict = 64 << 20
	// szMaxEncodedHeader bounds a compressed header's expanded size.
	szMaxEncodedHeader = 16 << 20
)

var (
	szIDAES   = string([]byte{0x06, 0xF1, 0x07, 0x01})
	szIDLZMA  = string([]byte{0x03, 0x01, 0x01})
	szIDLZMA2 = string([]byte{0x21})
	szIDPPMd  = string([]byte{0x03, 0x04, 0x01})
)

type szCoder struct {
	id      string
	props   []byte
	in, out uint64
}

type szFolder struct {
	coders []szCoder
	out    uint64
}

func (f *szFolder) encrypted() bool {
	for _, c := range f.coders {
		if c.id == szIDAES {
			return true
		}
	}
	return false
}

type szStreams struct {
	folders []szFolder
}

// szStart is the signature header (7zFormat.txt SignatureHeader).
type szStart struct {
	nextOffset, nextSize uint64
	nextCRC              uint32
}

var errSzFormat = errors.New("malformed 7z: bad signature header")

func readSzStart(r io.ReaderAt, size int64) (szStart, error) {
	var h [szSignatureHeaderLen]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return szStart{}, errSzFormat
	}
	if crc32.ChecksumIEEE(h[12:32]) != binary.LittleEndian.Uint32(h[8:]) {
		return szStart{}, errors.New("malformed 7z: start header checksum mismatch")
	}
	s := szStart{
		nextOffset: binary.LittleEndian.Uint64(h[12:]),
		nextSize:   binary.LittleEndian.Uint64(h[20:]),
		nextCRC:    binary.LittleEndian.Uint32(h[28:]),
	}
	room := uint64(size - szSignatureHeaderLen)
	if s.nextOffset > room || s.nextSize > room-s.nextOffset || s.nextSize == 0 {
		return szStart{}, errors.New("malformed 7z: header outside the file")
	}
	return s, nil
}

// szParser reads one header held in memory.
type szParser struct {
	b     []byte
	i     int
	lim   inspect.Limits
	err   error
	files uint64
}

func (p *szParser) fail(format string, a ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("malformed 7z header: "+format, a...)
	}
}

func (p *szParser) left() uint64 { return uint64(len(p.b) - p.i) }

func (p *szParser) byte() byte {
	if p.err != nil {
		return 0
	}
	if p.i >= len(p.b) {
		p.fail("truncated")
		return 0
	}
	c := p.b[p.i]
	p.i++
	return c
}

// num reads a 7z UINT64: the first byte's leading one bits say how many
// little-endian bytes follow; its remaining bits are the high part.
func (p *szParser) num() uint64 {
	first := p.byte()
	n := bits.LeadingZeros8(^first)
	var v uint64
	if n < 7 {
		v = uint64(first&(0xFF>>(n+1))) << (8 * n)
	}
	for k := 0; k < n; k++ {
		v |= uint64(p.byte()) << (8 * k)
	}
	return v
}

// count reads a number of items each needing at least per bytes in the
// rest of the header (per 0: no such bound) and at most max of them.
func (p *szParser) count(what string, max uint64, per uint64) uint64 {
	v := p.num()
	switch {
	case p.err != nil:
		return 0
	case v > max:
		p.fail("%d %s (at most %d)", v, what, max)
		return 0
	case per > 0 && v > p.left()/per+1:
		p.fail("%d %s cannot fit in %d bytes", v, what, p.left())
		return 0
	}
	return v
}

func (p *szParser) skip(n uint64) {
	if p.err == nil && n > p.left() {
		p.fail("truncated")
		return
	}
	if p.err == nil {
		p.i += int(n)
	}
}

func (p *szParser) expect(id byte) {
	if c := p.byte(); p.err == nil && c != id {
		p.fail("property 0x%02x where 0x%02x belongs", c, id)
	}
}

// bitsDefined reads an optional bit vector of n items (7zFormat.txt
// "AllAreDefined") and returns how many are set.
func (p *szParser) bitsDefined(n uint64) uint64 {
	if p.byte() != 0 {
		return n
	}
	return p.bitVector(n)
}

func (p *szParser) bitVector(n uint64) uint64 {
	if (n+7)/8 > p.left() {
		p.fail("truncated bit vector")
		return 0
	}
	var set uint64
	for k := uint64(0); k < n; k++ {
		if p.b[p.i+int(k/8)]&(0x80>>(k%8)) != 0 {
			set++
		}
	}
	p.i += int((n + 7) / 8)
	return set
}

func (p *szParser) digests(n uint64) {
	p.skip(4 * p.bitsDefined(n))
}

// nums skips n numbers.
func (p *szParser) nums(n uint64) {
	for k := uint64(0); k < n && p.err == nil; k++ {
		p.num()
	}
}

// end reads, from the property id, the optional digests of n items and
// the end of the block what, and returns the id after it.
func (p *szParser) end(id byte, n uint64, what string) byte {
	if id == szCRC {
		p.digests(n)
		id = p.byte()
	}
	if id != szEnd {
		p.fail("%s", what)
	}
	return p.byte()
}

func (p *szParser) streamsInfo() *szStreams {
	s := &szStreams{}
	id := p.byte()
	if id == szPackInfo {
		p.num() // pack position
		n := p.count("pack streams", uint64(4*p.lim.MaxParts), 1)
		id = p.byte()
		if id == szSize {
			p.nums(n)
			id = p.byte()
		}
		id = p.end(id, n, "pack info")
	}
	if id == szUnpackInfo {
		p.expect(szFolderID)
		n := p.count("folders", uint64(p.lim.MaxParts), 2)
		if p.byte() != 0 {
			p.fail("external folders")
		}
		s.folders = make([]szFolder, 0, n) // n is bounded by MaxParts
		var outs uint64
		for k := uint64(0); k < n && p.err == nil; k++ {
			f := p.folder()
			outs += f.out
			s.folders = append(s.folders, f)
		}
		p.expect(szCodersUnpackSize)
		if p.err == nil && outs > p.left() {
			p.fail("%d unpack sizes cannot fit in %d bytes", outs, p.left())
		}
		p.nums(outs)
		id = p.end(p.byte(), n, "unpack info")
	}
	if id == szSubStreamsInfo {
		var total uint64
		id = p.byte()
		streams := make([]uint64, len(s.folders))
		for k := range streams {
			streams[k] = 1
		}
		if id == szNumUnpackStream {
			for k := range streams {
				streams[k] = p.count("streams in a folder", uint64(p.lim.MaxParts), 0)
			}
			id = p.byte()
		}
		for _, v := range streams {
			total += v
		}
		if total > uint64(p.lim.MaxParts) {
			p.fail("%d streams (at most %d)", total, p.lim.MaxParts)
		}
		if id == szSize {
			for _, v := range streams {
				if v > 1 {
					p.nums(v - 1)
				}
			}
			id = p.byte()
		}
		id = p.end(id, total, "substreams info") // digests of total, as the library reads them
	}
	if id != szEnd && p.err == nil {
		p.fail("streams info")
	}
	return s
}

func (p *szParser) folder() szFolder {
	var f szFolder
	var in uint64
	nc := p.count("coders", szMaxCoders, 1)
	for k := uint64(0); k < nc && p.err == nil; k++ {
		flags := p.byte()
		if flags&0x80 != 0 {
			p.fail("alternative coder methods")
			break
		}
		idLen := uint64(flags & 0x0F)
		if idLen > p.left() {
			p.fail("truncated coder")
			break
		}
		c := szCoder{id: string(p.b[p.i : p.i+int(idLen)]), in: 1, out: 1}
		p.i += int(idLen)
		if flags&0x10 != 0 {
			c.in = p.count("coder streams", szMaxCoderStreams, 0)
			c.out = p.count("coder streams", szMaxCoderStreams, 0)
		}
		if flags&0x20 != 0 {
			n := p.count("property bytes", szMaxProps, 1)
			if p.err == nil && n <= p.left() {
				c.props = p.b[p.i : p.i+int(n)]
			}
			p.skip(n)
		}
		if err := szCheckCoder(c); err != nil && p.err == nil {
			p.err = err
		}
		in += c.in
		f.out += c.out
		f.coders = append(f.coders, c)
	}
	if p.err != nil {
		return f
	}
	if f.out == 0 || in < f.out {
		p.fail("bad coder streams")
		return f
	}
	bind := f.out - 1
	p.nums(2 * bind)
	if packed := in - bind; packed > 1 {
		p.nums(packed)
	}
	return f
}

// szCheckCoder refuses coders whose properties claim more memory than
// szMaxDict: the decoders would allocate it before reading any data.
func szCheckCoder(c szCoder) error {
	var dict uint64
	switch c.id {
	case szIDLZMA:
		// LZMA properties: lc/lp/pb byte, dictionary size u32.
		if len(c.props) >= 5 {
			dict = uint64(binary.LittleEndian.Uint32(c.props[1:]))
		}
	case szIDLZMA2:
		// LZMA2 property byte: dictionary (2|b&1) << (b/2+11), b <= 40.
		if len(c.props) >= 1 {
			b := uint64(c.props[0])
			if b > 40 {
				return errors.New("malformed 7z: bad LZMA2 dictionary size")
			}
			dict = (2 | b&1) << (b/2 + 11)
		}
	case szIDPPMd:
		// PPMd properties: order byte, model size u32.
		if len(c.props) >= 5 {
			dict = uint64(binary.LittleEndian.Uint32(c.props[1:]))
		}
	}
	if dict > szMaxDict {
		return fmt.Errorf("7z coder needs %d MiB of memory (at most %d MiB)", dict>>20, szMaxDict>>20)
	}
	return nil
}

func (p *szParser) filesInfo() {
	p.files = p.count("files", uint64(p.lim.MaxParts), 0)
	for p.err == nil {
		if p.byte() == szEnd {
			return
		}
		p.skip(p.num())
	}
}

// header parses a plain header (after its kHeader byte). Archive
// properties and additional streams are refused, as by the library.
func (p *szParser) header() *szStreams {
	main := &szStreams{}
	id := p.byte()
	if id == szArchiveProperties || id == szAdditionalStreamsInfo {
		p.fail("unsupported property 0x%02x", id)
	}
	if id == szMainStreamsInfo {
		main = p.streamsInfo()
		id = p.byte()
	}
	if id == szFilesInfo {
		p.filesInfo()
		id = p.byte()
	}
	if id != szEnd && p.err == nil {
		p.fail("header")
	}
	return main
}
