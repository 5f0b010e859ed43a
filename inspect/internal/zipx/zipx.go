// Package zipx holds what the zip-based inspectors (OOXML, ODF, zip) share:
// the two readings of a zip (ReadViews, OpenPackage) and how their
// disagreements are reported (Ambiguity.Finding), the implode and
// deflate64 decoders, opening a member under the part-size and ratio
// limits, a streaming XML token reader that copes with the encodings
// packages use, and fast case-insensitive searches that decide whether a
// part needs parsing at all. It is a helper, not an inspector: it knows no
// package format.
package zipx

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/officemilter/officemilter/inspect"
)

// Member is one opened zip member: its expanded bytes, bounded by the
// member's declared size (archive/zip refuses to read past it), the part
// size limit and the compression ratio limit.
type Member struct {
	io.Reader
	rc io.ReadCloser
}

// Close releases the member's decompressor.
func (m *Member) Close() error { return m.rc.Close() }

// OpenMember opens f for reading. An encrypted member cannot be read (the
// caller reports it); a member over the part-size limit is an error before
// anything is expanded.
func OpenMember(f *zip.File, lim inspect.Limits) (*Member, error) {
	if f.Flags&0x1 != 0 {
		// APPNOTE.TXT 4.4.4 general purpose bit 0: encrypted.
		return nil, errors.New("encrypted zip entry")
	}
	if f.UncompressedSize64 > uint64(lim.MaxPartSize) {
		return nil, &inspect.LimitError{Limit: inspect.LimitPartSize, Value: lim.MaxPartSize}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	return &Member{Reader: inspect.RatioReader(rc, int64(f.CompressedSize64), lim.MaxRatio), rc: rc}, nil
}

// ReadHead reads at most n bytes of f (a mimetype, a magic number).
func ReadHead(f *zip.File, lim inspect.Limits, n int) ([]byte, error) {
	m, err := OpenMember(f, lim)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(m, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:k], err
}

// MemberError names the member in an error for a finding; limit errors
// pass unchanged so that the engine sees them.
func MemberError(name string, err error) error {
	var le *inspect.LimitError
	if errors.As(err, &le) {
		return err
	}
	if errors.Is(err, zip.ErrAlgorithm) {
		return fmt.Errorf("%s: unsupported compression method", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// ctxCheckEvery is how many XML tokens a loop reads between context checks.
const ctxCheckEvery = 1024

// XMLReader is a streaming, non-validating XML token reader over one part.
// It uses RawToken: element and attribute names keep their prefixes and
// are matched by local name, which is what Office and LibreOffice key on
// (a renamed prefix does not hide an element from them either).
type XMLReader struct {
	d   *xml.Decoder
	ctx context.Context
	n   int
	// Transcoded is set once the content is not read as UTF-8 bytes, so
	// that decoder offsets are not byte offsets of the input.
	Transcoded bool
}

// NewXMLReader returns a token reader for r. UTF-16 with a byte order mark
// ([ECMA-376] Part 2 allows UTF-8 and UTF-16) is transcoded to UTF-8; other
// encodings named in the XML declaration are decoded with their IANA
// decoder.
func NewXMLReader(ctx context.Context, r io.Reader) *XMLReader {
	x := &XMLReader{ctx: ctx}
	br := bufio.NewReaderSize(r, 4<<10)
	var src io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0xFF, 0xFE}) || bytes.Equal(head, []byte{0xFE, 0xFF}) {
		src = transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
		x.Transcoded = true
	}
	d := xml.NewDecoder(src)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		l := strings.ToLower(strings.TrimSpace(label))
		switch {
		case l == "utf-8", l == "utf8", l == "us-ascii", l == "ascii":
			return in, nil
		case strings.HasPrefix(l, "utf-16") || l == "unicode":
			if x.Transcoded {
				return in, nil
			}
			return nil, fmt.Errorf("encoding %q without byte order mark", label)
		}
		enc, err := ianaindex.IANA.Encoding(label)
		if err != nil || enc == nil {
			return nil, fmt.Errorf("unsupported encoding %q", label)
		}
		x.Transcoded = true
		return enc.NewDecoder().Reader(in), nil
	}
	x.d = d
	return x
}

// Next returns the next token; io.EOF at the end of the part.
func (x *XMLReader) Next() (xml.Token, error) {
	x.n++
	if x.n%ctxCheckEvery == 0 {
		if err := x.ctx.Err(); err != nil {
			return nil, err
		}
	}
	return x.d.RawToken()
}

// ErrDone, returned by a Tokens or StartElements callback, ends the read
// early without an error.
var ErrDone = errors.New("zipx: done")

// Tokens reads the XML in r (NewXMLReader) and calls fn with each token
// until the end (nil), fn's error (nil for ErrDone) or the reader's.
func Tokens(ctx context.Context, r io.Reader, fn func(xml.Token) error) error {
	x := NewXMLReader(ctx, r)
	for {
		tok, err := x.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = fn(tok)
		}
		if err == ErrDone {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// StartElements is Tokens for the start elements alone.
func StartElements(ctx context.Context, r io.Reader, fn func(xml.StartElement) error) error {
	return Tokens(ctx, r, func(tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok {
			return fn(se)
		}
		return nil
	})
}

// InputOffset is the decoder's offset in its (possibly transcoded) input.
func (x *XMLReader) InputOffset() int64 { return x.d.InputOffset() }

// Attr returns the value of the attribute with local name local.
func Attr(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// XMLError shortens a decoder error for a finding; part may be empty.
func XMLError(part string, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if part == "" {
			return fmt.Errorf("malformed XML at line %d: %s", se.Line, se.Msg)
		}
		return fmt.Errorf("%s: malformed XML at line %d: %s", part, se.Line, se.Msg)
	}
	var le *inspect.LimitError
	if errors.As(err, &le) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if part == "" {
		return err
	}
	return fmt.Errorf("%s: %w", part, err)
}

// scanBufs are the chunk buffers of ContainsAny.
var scanBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// ContainsAny reports whether any of needles occurs in the bytes of r
// (ignoring ASCII case when fold is set; needles are then lower case). It
// reads in chunks, keeping an overlap so that a needle across a chunk
// border is found, and stops at the first hit. Content that is not
// ASCII-compatible (UTF-16) cannot be searched: for it, true.
func ContainsAny(ctx context.Context, r io.Reader, needles [][]byte, fold bool) (bool, error) {
	longest := 0
	for _, n := range needles {
		longest = max(longest, len(n))
	}
	bp := scanBufs.Get().(*[]byte)
	defer scanBufs.Put(bp)
	buf := *bp
	if len(buf) < 2*longest {
		buf = make([]byte, 2*longest)
	}
	keep := 0
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		n, err := io.ReadAtLeast(r, buf[keep:], 1)
		if n > 0 {
			chunk := buf[:keep+n]
			if first {
				first = false
				if len(chunk) >= 2 && (chunk[0] == 0 || chunk[1] == 0 || chunk[0] >= 0xFE) {
					return true, nil
				}
			}
			if fold {
				lowerASCII(chunk[keep:])
			}
			for _, nd := range needles {
				if bytes.Contains(chunk, nd) {
					return true, nil
				}
			}
			keep = min(longest-1, len(chunk))
			copy(buf, chunk[len(chunk)-keep:])
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// SmallPart is the size under which a part is read whole into a pooled
// buffer (SmallBufs, SmallPart+1 bytes) and looked at before it is decoded.
const SmallPart = 64 << 10

// SmallBufs hold small parts.
var SmallBufs = sync.Pool{New: func() any { b := make([]byte, SmallPart+1); return &b }}

// ContainsFoldBytes reports whether b contains any of needles (given in
// lower case), ignoring ASCII case. b is not modified: it is folded into a
// pooled copy that bytes.Contains can search quickly.
func ContainsFoldBytes(b []byte, needles [][]byte) bool {
	lp := SmallBufs.Get().(*[]byte)
	defer SmallBufs.Put(lp)
	low := *lp
	if len(low) < len(b) {
		low = make([]byte, len(b))
	}
	low = low[:len(b)]
	copy(low, b)
	lowerASCII(low)
	for _, n := range needles {
		if bytes.Contains(low, n) {
			return true
		}
	}
	return false
}

// lowerASCII folds b to lower case in place.
func lowerASCII(b []byte) {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

// ReadSmall reads the whole of a small part (size < SmallPart bytes, as
// its zip entry declares) from r into a pooled buffer and calls fn with
// it, so that the bytes can be looked at before any XML is decoded. b is
// valid only during fn. A part longer or shorter than declared is an
// error.
func ReadSmall(r io.Reader, size uint64, fn func(b []byte) error) error {
	bp := SmallBufs.Get().(*[]byte)
	defer SmallBufs.Put(bp)
	n, err := io.ReadFull(r, (*bp)[:size+1])
	switch {
	case err == nil:
		return errors.New("longer than declared")
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		return err
	case uint64(n) != size:
		return io.ErrUnexpectedEOF
	}
	return fn((*bp)[:n])
}

// IndexByte returns the offset in r of the first c at or after off and
// before limit (limit when there is none).
func IndexByte(ctx context.Context, r io.ReaderAt, off, limit int64, c byte) (int64, error) {
	bp := SmallBufs.Get().(*[]byte)
	defer SmallBufs.Put(bp)
	buf := *bp
	for off < limit {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := r.ReadAt(buf[:min(int64(len(buf)), limit-off)], off)
		if i := bytes.IndexByte(buf[:n], c); i >= 0 {
			return off + int64(i), nil
		}
		off += int64(n)
		if err != nil && err != io.EOF {
			return 0, err
		}
		if n == 0 {
			break
		}
	}
	return limit, nil
}

// ScanAttr calls fn with the value of every attribute named attr in the
// XML b without decoding it (a prefix such as "manifest:" is allowed). It
// returns false when b has something it does not read (an ampersand, an
// unterminated value, white space to normalise): the caller decodes the
// XML then. An attribute written in a comment counts too.
func ScanAttr(b []byte, attr string, fn func(string)) bool {
	if bytes.IndexByte(b, '&') >= 0 {
		return false
	}
	for {
		i := bytes.Index(b, []byte(attr))
		if i < 0 {
			return true
		}
		prev := byte(' ')
		if i > 0 {
			prev = b[i-1]
		}
		b = b[i+len(attr):]
		if !IsSpace(prev) && prev != ':' && prev != '"' && prev != '\'' {
			continue // an attribute or element ending in attr
		}
		j := 0
		for j < len(b) && IsSpace(b[j]) {
			j++
		}
		if j == len(b) || b[j] != '=' {
			continue // text
		}
		j++
		for j < len(b) && IsSpace(b[j]) {
			j++
		}
		if j == len(b) || b[j] != '"' && b[j] != '\'' {
			return false
		}
		q := b[j]
		b = b[j+1:]
		k := bytes.IndexByte(b, q)
		if k < 0 || bytes.ContainsAny(b[:k], "\r\n\t<") {
			// XML normalises white space in attribute values.
			return false
		}
		fn(string(b[:k]))
		b = b[k+1:]
	}
}

// Base64 decodes the base64 text r of an XML element (xs:base64Binary:
// wrapped and indented, where encoding/base64 skips only line breaks).
func Base64(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &spaceFilter{r: r})
}

// spaceFilter drops XML white space from what it reads.

type spaceFilter struct{ r io.Reader }

func (f *spaceFilter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := f.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if !IsSpace(c) {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// IsSpace reports whether c is XML white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// BlankAt reports whether r holds only XML white space from start to end
// (it looks at the first 4 KiB only: base64 data is not padded with more).
func BlankAt(r io.ReaderAt, start, end int64) bool {
	var b [4096]byte
	n, _ := r.ReadAt(b[:min(int64(len(b)), end-start)], start)
	return len(bytes.TrimSpace(b[:n])) == 0 && end-start <= int64(len(b))
}

// SelfClosing reports whether the start tag ending just before off was
// written as "<x/>".
func SelfClosing(r io.ReaderAt, off int64) bool {
	if off < 2 {
		return false
	}
	var b [2]byte
	n, _ := r.ReadAt(b[:], off-2)
	return n == 2 && b[0] == '/' && b[1] == '>'
}
