package mime

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// BinHex 4.0 (RFC 1741, Apple's "BinHex 4.0 Definition"): after the line
// "(This file must be converted with BinHex 4.0)" a ':' opens 6-bit
// characters from a 64-character alphabet, ended by another ':'. The 8-bit
// stream they carry is run-length encoded (0x90 n: the previous byte n
// times in all; 0x90 0x00 is a literal 0x90) and holds a header (name
// length, name, version, type, creator, flags, data fork length, resource
// fork length, CRC), the data fork with its CRC, and the resource fork with
// its CRC. Mail clients (Thunderbird's mimebinhex, Eudora) save the data
// fork: that is what the decoder returns. CRCs are not checked.

const binhexAlphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"

var binhexTab = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < len(binhexAlphabet); i++ {
		t[binhexAlphabet[i]] = byte(i)
	}
	return t
}()

// binhexBanner is the line that announces BinHex data in text.
var binhexBanner = []byte("must be converted with BinHex")

// BinHex bounds: the run-length encoding may expand 127-fold, but a data
// fork larger than binhexRatio times the encoded characters read plus
// binhexSlack is refused (errBinHexExpansion) rather than produced; the
// name is at most 63 bytes (one length byte, Mac file names).
const (
	binhexRatio = 32
	binhexSlack = 1 << 20
)

var errBinHexExpansion = errors.New("BinHex data expands far beyond its size")

// binhexReader decodes the data fork of the first BinHex block in its
// input.
type binhexReader struct {
	src *bufio.Reader
	df  *defects
	// 6-bit to 8-bit
	started, ended bool
	acc            uint32
	nacc           int
	in             int64 // encoded characters consumed
	// run-length decoding
	last byte
	rep  int
	// header and data fork
	hdrDone bool
	name    string
	left    int64 // data fork bytes still to produce
	out     int64
	err     error
}

func newBinHexReader(r io.Reader) *binhexReader {
	return &binhexReader{src: bufio.NewReaderSize(r, 4096), df: &defects{}}
}

// char returns the next 6-bit value, or ok=false at the closing ':' or
// the end of input.
func (b *binhexReader) char() (byte, bool) {
	for !b.ended {
		c, err := b.src.ReadByte()
		if err != nil {
			if b.started {
				b.df.add("missing BinHex end")
			}
			b.ended = true
			return 0, false
		}
		if !b.started {
			if c == ':' {
				b.started = true
			}
			continue
		}
		b.in++
		if c == ':' {
			b.ended = true
			return 0, false
		}
		v := binhexTab[c]
		if v == 0xFF {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				b.df.add("invalid BinHex character")
			}
			continue
		}
		return v, true
	}
	return 0, false
}

// octet returns the next byte of the run-length encoded stream.
func (b *binhexReader) octet() (byte, bool) {
	for b.nacc < 8 {
		v, ok := b.char()
		if !ok {
			return 0, false
		}
		b.acc = b.acc<<6 | uint32(v)
		b.nacc += 6
	}
	b.nacc -= 8
	return byte(b.acc >> b.nacc), true
}

// next returns the next byte after run-length decoding.
func (b *binhexReader) next() (byte, bool) {
	for {
		if b.rep > 0 {
			b.rep--
			return b.last, true
		}
		c, ok := b.octet()
		if !ok {
			return 0, false
		}
		if c != 0x90 {
			b.last = c
			return c, true
		}
		n, ok := b.octet()
		if !ok {
			return 0, false
		}
		switch n {
		case 0:
			b.last = 0x90
			return 0x90, true
		case 1:
			// One occurrence in all: the one already produced.
		default:
			b.rep = int(n) - 1
		}
	}
}

// header reads the BinHex header. Without one (no BinHex data, a
// truncated header) there is no data fork: a client decodes nothing
// either. The error is sticky.
func (b *binhexReader) header() error {
	if b.hdrDone {
		return b.err
	}
	b.hdrDone = true
	n, ok := b.next()
	if !ok || n > 63 {
		b.df.add("BinHex header truncated")
		return nil
	}
	var buf [63 + 21]byte
	h := buf[:int(n)+21]
	for i := range h {
		c, ok := b.next()
		if !ok {
			b.df.add("BinHex header truncated")
			return nil
		}
		h[i] = c
	}
	b.name = decodeName(string(h[:n]))
	// name, version (1), type (4), creator (4), flags (2), data length.
	b.left = int64(binary.BigEndian.Uint32(h[n+11 : n+15]))
	return nil
}

// Name returns the file name of the header ("" when unreadable).
func (b *binhexReader) Name() string {
	if b.header() != nil {
		return ""
	}
	return b.name
}

func (b *binhexReader) Read(p []byte) (int, error) {
	if err := b.header(); err != nil {
		return 0, err
	}
	if b.left == 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && b.left > 0 {
		c, ok := b.next()
		if !ok {
			b.df.add("BinHex data fork truncated")
			b.left = 0
			break
		}
		p[k] = c
		k++
		b.left--
		b.out++
	}
	if b.out > binhexRatio*b.in+binhexSlack {
		b.err = errBinHexExpansion
		return 0, b.err
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// yEnc (yEnc 1.3, www.yenc.org): "=ybegin line=128 size=N name=NAME",
// optionally "=ypart begin=B end=E", lines of bytes offset by 42 with
// critical ones escaped as '=' and the byte plus 64, "=yend size=N". Each
// byte decodes to at most one byte: the output never exceeds the input.
type yencReader struct {
	lr     *lineReader
	df     *defects
	state  int  // 0 before =ybegin, 1 data, 2 after =yend
	mid    bool // the next piece continues a long line
	skipKw bool // ... of a keyword line
	out    []byte
	off    int
	err    error
}

func newYEncReader(r io.Reader) *yencReader {
	return &yencReader{lr: newLineReader(r), df: &defects{}}
}

func (y *yencReader) Read(p []byte) (int, error) {
	for y.off >= len(y.out) {
		if y.err != nil {
			return 0, y.err
		}
		y.out, y.off = y.out[:0], 0
		if y.state == 2 {
			y.err = io.EOF
			continue
		}
		b, partial, err := y.lr.line()
		if err != nil {
			if y.state == 1 && errors.Is(err, io.EOF) {
				y.df.add("missing yEnc end")
			}
			y.err = err
			continue
		}
		mid := y.mid
		y.mid = partial
		line, _ := splitBreak(b)
		if mid && y.skipKw {
			y.skipKw = partial
			continue
		}
		if !mid && bytes.HasPrefix(line, []byte("=y")) {
			switch {
			case bytes.HasPrefix(line, []byte("=ybegin")):
				y.state = 1
			case bytes.HasPrefix(line, []byte("=yend")) && y.state == 1:
				y.state = 2
			}
			y.skipKw = partial
			continue
		}
		if y.state != 1 {
			continue
		}
		line = bytes.TrimRight(line, "\r")
		if partial && len(line) > 0 && line[len(line)-1] == '=' {
			// An escape split by the buffer: take it with the next piece.
			y.lr.unread(1)
			line = line[:len(line)-1]
		}
		y.out = yencDecode(y.out, line)
	}
	n := copy(p, y.out[y.off:])
	y.off += n
	return n, nil
}

func yencDecode(dst, line []byte) []byte {
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '=' {
			if i+1 >= len(line) {
				break
			}
			i++
			c = line[i] - 64
		}
		dst = append(dst, c-42)
	}
	return dst
}

// yencName returns the name of a "=ybegin" line: the rest of the line
// after "name=" (yEnc 1.3: name is the last keyword).
func yencName(line []byte) string {
	i := bytes.Index(line, []byte(" name="))
	if i < 0 {
		return ""
	}
	n := bytes.TrimSpace(line[i+6:])
	if len(n) > maxUUName {
		n = n[:maxUUName]
	}
	return decodeName(string(n))
}
