package mime

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"github.com/officemilter/officemilter/inspect"
)

// Decoder reads the decoded content of a body. It is tolerant like mail
// clients: what it cannot decode it skips or passes through and notes as a
// defect.
type Decoder struct {
	r  io.Reader
	df *defects
}

// Read reads decoded bytes.
func (d *Decoder) Read(p []byte) (int, error) { return d.r.Read(p) }

// Defects returns the decoding problems seen so far ("invalid base64
// character", "invalid quoted-printable escape", ...), each once.
func (d *Decoder) Defects() []string { return append([]string(nil), d.df.list...) }

type defects struct{ list []string }

func (d *defects) add(s string) {
	for _, x := range d.list {
		if x == s {
			return
		}
	}
	d.list = append(d.list, s)
}

// Body returns a decoder for e's body (the bytes [BodyStart, End) of r)
// according to e.Encoding: base64, quoted-printable, uuencode, or identity
// for 7bit, 8bit, binary and (with a defect) unknown encodings.
func (e *Entity) Body(r io.ReaderAt) *Decoder {
	n := e.End - e.BodyStart
	if n < 0 {
		n = 0
	}
	return newDecoder(e.Encoding, io.NewSectionReader(r, e.BodyStart, n), n)
}

// head returns a decoder for the start of e's body that yields at least n
// bytes when the body has them (a probe need not decode the whole body nor
// allocate buffers for it). Leading whitespace aside, every encoding needs
// at most 4 encoded bytes per decoded byte, plus line breaks.
func (e *Entity) head(r io.ReaderAt, n int) *Decoder {
	size := e.End - e.BodyStart
	if size < 0 {
		size = 0
	}
	if limit := int64(4*n + 1024); size > limit {
		size = limit
	}
	return newDecoder(e.Encoding, io.NewSectionReader(r, e.BodyStart, size), size)
}

// NewDecoder returns a decoder of the Content-Transfer-Encoding enc
// (lower-case) reading encoded bytes from r.
func NewDecoder(enc string, r io.Reader) *Decoder { return newDecoder(enc, r, -1) }

// newDecoder is NewDecoder with the encoded size when known (-1 if not), so
// that small bodies get small buffers.
func newDecoder(enc string, r io.Reader, size int64) *Decoder {
	df := &defects{}
	d := &Decoder{df: df}
	switch enc {
	case "base64":
		d.r = &b64Reader{src: r, df: df, size: bufSize(size, chunk)}
	case "quoted-printable":
		d.r = &qpReader{lr: newLineReaderSize(r, bufSize(size, lineBuf)), df: df}
	case "x-uuencode", "uuencode", "x-uue", "uue":
		d.r = &uuReader{lr: newLineReaderSize(r, bufSize(size, lineBuf)), df: df}
	case "7bit", "8bit", "binary", "":
		d.r = r
	default:
		df.add("unknown transfer encoding")
		d.r = r
	}
	return d
}

// Base64, RFC 2045 6.8. Characters outside the alphabet are skipped
// (line breaks and whitespace silently, anything else as a defect), a short
// final quantum is decoded as far as it goes, and data after padding is
// decoded too (concatenated base64 is seen in the wild).

const (
	b64Pad     = 0x40
	b64Space   = 0x41
	b64Invalid = 0xFF
)

var b64tab = func() (t [256]byte) {
	for i := range t {
		t[i] = b64Invalid
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = byte(i)
	}
	t['='] = b64Pad
	for _, c := range []byte(" \t\r\n\f\v") {
		t[c] = b64Space
	}
	return t
}()

type b64core struct {
	q      uint32
	nq     int
	padded bool
}

// decode appends the bytes decoded from src to dst.
func (c *b64core) decode(dst, src []byte, df *defects) []byte {
	dst = slices.Grow(dst, len(src)/4*3+3)
	q, nq := c.q, c.nq
	for i := 0; i < len(src); {
		// Fast path: a whole quantum of alphabet characters.
		if nq == 0 && i+4 <= len(src) {
			a, b, e, d := b64tab[src[i]], b64tab[src[i+1]], b64tab[src[i+2]], b64tab[src[i+3]]
			if a|b|e|d < 64 {
				if c.padded {
					df.add("base64 data after padding")
					c.padded = false
				}
				v := uint32(a)<<18 | uint32(b)<<12 | uint32(e)<<6 | uint32(d)
				dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
				i += 4
				continue
			}
		}
		v := b64tab[src[i]]
		i++
		if v < 64 {
			if c.padded {
				df.add("base64 data after padding")
				c.padded = false
			}
			q = q<<6 | uint32(v)
			nq++
			if nq == 4 {
				dst = append(dst, byte(q>>16), byte(q>>8), byte(q))
				q, nq = 0, 0
			}
			continue
		}
		switch v {
		case b64Space:
		case b64Pad:
			c.q, c.nq = q, nq
			dst = c.flush(dst, df)
			q, nq = 0, 0
			c.padded = true
		default:
			df.add("invalid base64 character")
		}
	}
	c.q, c.nq = q, nq
	return dst
}

// flush decodes a partial quantum.
func (c *b64core) flush(dst []byte, df *defects) []byte {
	switch c.nq {
	case 1:
		df.add("truncated base64")
	case 2:
		dst = append(dst, byte(c.q>>4))
	case 3:
		dst = append(dst, byte(c.q>>10), byte(c.q>>2))
	}
	c.q, c.nq = 0, 0
	return dst
}

// end finishes the stream.
func (c *b64core) end(dst []byte, df *defects) []byte {
	if c.nq > 0 {
		if c.nq > 1 {
			df.add("missing base64 padding")
		}
		dst = c.flush(dst, df)
	}
	return dst
}

// bufSize is a buffer size for size bytes of input (-1: unknown), at most
// max.
func bufSize(size int64, max int) int {
	if size < 0 || size >= int64(max) {
		return max
	}
	return int(size) + 16
}

type b64Reader struct {
	src  io.Reader
	size int
	df   *defects
	core b64core
	raw  []byte
	out  []byte
	off  int
	err  error
}

const chunk = 32 << 10

func (b *b64Reader) Read(p []byte) (int, error) {
	for b.off >= len(b.out) {
		if b.err != nil {
			return 0, b.err
		}
		if b.raw == nil {
			b.raw = make([]byte, b.size)
			b.out = make([]byte, 0, b.size/4*3+8)
		}
		n, err := b.src.Read(b.raw)
		b.out = b.core.decode(b.out[:0], b.raw[:n], b.df)
		b.off = 0
		if err != nil {
			if err == io.EOF {
				b.out = b.core.end(b.out, b.df)
			}
			b.err = err
		}
	}
	n := copy(p, b.out[b.off:])
	b.off += n
	return n, nil
}

// lineReader splits a stream into lines without holding a whole long line:
// a line longer than its buffer comes in buffer-sized pieces.
type lineReader struct {
	src   io.Reader
	size  int
	buf   []byte
	r, w  int
	err   error
	empty int
}

const lineBuf = 64 << 10

func newLineReader(src io.Reader) *lineReader { return newLineReaderSize(src, lineBuf) }

func newLineReaderSize(src io.Reader, size int) *lineReader {
	return &lineReader{src: src, size: size}
}

// line returns the next line with its line break, or, for a line longer
// than the buffer, the next piece of it (partial). The slice is valid until
// the next call. At the end it returns the reader's error (io.EOF).
func (l *lineReader) line() (b []byte, partial bool, err error) {
	if l.buf == nil {
		l.buf = make([]byte, l.size)
	}
	for {
		if i := bytes.IndexByte(l.buf[l.r:l.w], '\n'); i >= 0 {
			b = l.buf[l.r : l.r+i+1]
			l.r += i + 1
			return b, false, nil
		}
		if l.err != nil {
			if l.r < l.w {
				b = l.buf[l.r:l.w]
				l.r = l.w
				return b, false, nil
			}
			return nil, false, l.err
		}
		if l.w-l.r == len(l.buf) {
			b = l.buf[l.r:l.w]
			l.r = l.w
			return b, true, nil
		}
		if l.r > 0 {
			copy(l.buf, l.buf[l.r:l.w])
			l.w -= l.r
			l.r = 0
		}
		n, err := l.src.Read(l.buf[l.w:])
		l.w += n
		if err != nil {
			l.err = err
		} else if n == 0 {
			if l.empty++; l.empty > 100 {
				l.err = io.ErrNoProgress
			}
		}
	}
}

// unread gives back the last n bytes of the slice line returned.
func (l *lineReader) unread(n int) { l.r -= n }

// splitBreak splits a line into its content and its line break.
func splitBreak(b []byte) (body, lb []byte) {
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		if n > 1 && b[n-2] == '\r' {
			return b[:n-2], b[n-2:]
		}
		return b[:n-1], b[n-1:]
	}
	return b, nil
}

// Quoted-printable, RFC 2045 6.7: "=XX" escapes (lower-case hex tolerated),
// soft line breaks "=" at the end of a line (rule 5), transport-added
// trailing whitespace removed (rule 3). A bad escape passes through as is.
type qpReader struct {
	lr  *lineReader
	df  *defects
	out []byte
	off int
	err error
}

func (q *qpReader) Read(p []byte) (int, error) {
	for q.off >= len(q.out) {
		if q.err != nil {
			return 0, q.err
		}
		q.out, q.off = q.out[:0], 0
		b, partial, err := q.lr.line()
		if err != nil {
			q.err = err
			continue
		}
		if partial {
			// Keep back an escape that may continue in the next piece.
			k := 0
			if n := len(b); n > 0 && b[n-1] == '=' {
				k = 1
			} else if n > 1 && b[n-2] == '=' {
				k = 2
			}
			q.lr.unread(k)
			q.out = q.decode(q.out, b[:len(b)-k])
			continue
		}
		body, lb := splitBreak(b)
		for len(body) > 0 && isWSP(body[len(body)-1]) {
			body = body[:len(body)-1]
		}
		if n := len(body); n > 0 && body[n-1] == '=' {
			q.out = q.decode(q.out, body[:n-1])
			continue
		}
		q.out = q.decode(q.out, body)
		q.out = append(q.out, lb...)
	}
	n := copy(p, q.out[q.off:])
	q.off += n
	return n, nil
}

func (q *qpReader) decode(dst, s []byte) []byte {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '=')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		if len(s) >= 3 {
			if h, ok := inspect.HexDigit(s[1]); ok {
				if l, ok := inspect.HexDigit(s[2]); ok {
					dst = append(dst, h<<4|l)
					s = s[3:]
					continue
				}
			}
		}
		q.df.add("invalid quoted-printable escape")
		dst = append(dst, '=')
		s = s[1:]
	}
	return dst
}

// uuencode (POSIX uuencode/uudecode; no RFC): "begin MODE NAME", lines of a
// length character and 4-character groups of 6 bits offset by 32, "end".
// "begin-base64 MODE NAME" ... "====" (uuencode -m) is base64. A body
// without a begin line is decoded from its first line; missing characters
// of a line (trailing spaces stripped in transit) count as zero.
type uuReader struct {
	lr    *lineReader
	df    *defects
	in    int64 // encoded bytes seen
	outN  int64 // decoded bytes produced
	state int
	core  b64core
	skip  bool // the rest of an over-long line
	out   []byte
	off   int
	err   error
}

// uuSlack is how much more than twice its input a uuencoded body may
// decode to (real uuencode decodes to three quarters of it).
const uuSlack = 64 << 10

var errUUExpansion = errors.New("uuencoded data expands far beyond its size")

const (
	uuStart = iota
	uuData
	uuBase64
	uuDone
)

func (u *uuReader) Read(p []byte) (int, error) {
	for u.off >= len(u.out) {
		if u.err != nil {
			return 0, u.err
		}
		u.out, u.off = u.out[:0], 0
		if u.state == uuDone {
			u.err = io.EOF
			continue
		}
		b, partial, err := u.lr.line()
		if err != nil {
			if errors.Is(err, io.EOF) {
				switch u.state {
				case uuData:
					u.df.add("missing uuencode end")
				case uuBase64:
					u.out = u.core.end(u.out, u.df)
					u.df.add("missing uuencode end")
				}
			}
			u.err = err
			continue
		}
		u.in += int64(len(b))
		skip := u.skip
		u.skip = partial
		if skip {
			continue
		}
		line, _ := splitBreak(b)
		u.out = u.decodeLine(u.out, line)
		u.outN += int64(len(u.out))
		if u.outN > 2*u.in+uuSlack {
			// Short lines count as zeros (trailing spaces stripped in
			// transit), but a file of length characters alone would
			// expand 30-fold: refuse rather than truncate silently.
			u.out = u.out[:0]
			u.err = errUUExpansion
		}
	}
	n := copy(p, u.out[u.off:])
	u.off += n
	return n, nil
}

func (u *uuReader) decodeLine(dst, line []byte) []byte {
	trimmed := bytes.TrimRight(line, " \t\r")
	switch u.state {
	case uuStart:
		if len(trimmed) == 0 {
			return dst
		}
		if bytes.HasPrefix(trimmed, []byte("begin-base64 ")) || bytes.Equal(trimmed, []byte("begin-base64")) {
			u.state = uuBase64
			return dst
		}
		if bytes.HasPrefix(trimmed, []byte("begin ")) || bytes.Equal(trimmed, []byte("begin")) {
			u.state = uuData
			return dst
		}
		u.df.add("uuencode without begin line")
		u.state = uuData
		return u.decodeLine(dst, line)
	case uuBase64:
		if bytes.Equal(trimmed, []byte("====")) {
			u.state = uuDone
			return u.core.end(dst, u.df)
		}
		return u.core.decode(dst, trimmed, u.df)
	case uuData:
		if bytes.Equal(trimmed, []byte("end")) {
			u.state = uuDone
			return dst
		}
		return uuDecodeLine(dst, bytes.TrimRight(line, "\r"), u.df)
	}
	return dst
}

// uuDecodeLine decodes one uuencoded line.
func uuDecodeLine(dst, line []byte, df *defects) []byte {
	if len(line) == 0 {
		return dst
	}
	n := int((line[0] - 32) & 63)
	data := line[1:]
	for n > 0 {
		var g [4]byte
		for i := range g {
			if i < len(data) {
				c := data[i]
				if c < 32 || c > 96 {
					df.add("invalid uuencode character")
				}
				g[i] = (c - 32) & 63
			}
		}
		if len(data) >= 4 {
			data = data[4:]
		} else {
			data = nil
		}
		out := [3]byte{g[0]<<2 | g[1]>>4, g[1]<<4 | g[2]>>2, g[2]<<6 | g[3]}
		k := min(n, 3)
		dst = append(dst, out[:k]...)
		n -= k
	}
	return dst
}
