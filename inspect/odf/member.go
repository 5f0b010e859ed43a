package odf

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
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

// member is one opened zip member: its expanded bytes, bounded by the
// member's declared size (archive/zip refuses to read past it), the part
// size limit and the compression ratio limit.
type member struct {
	io.Reader
	rc io.ReadCloser
}

func (m *member) Close() error { return m.rc.Close() }

// openMember opens f for reading; a member over the part-size limit is an
// error before anything is expanded.
func openMember(f *zip.File, lim inspect.Limits) (*member, error) {
	if f.Flags&0x1 != 0 {
		// APPNOTE.TXT 4.4.4 general purpose bit 0: encrypted.
		return nil, errors.New("encrypted zip entry")
	}
	if f.UncompressedSize64 > uint64(lim.MaxPartSize) {
		return nil, &inspect.LimitError{Limit: "part-size", Value: lim.MaxPartSize}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	return &member{Reader: inspect.RatioReader(rc, int64(f.CompressedSize64), lim.MaxRatio), rc: rc}, nil
}

// readHead reads at most n bytes of f (a mimetype, a magic number).
func readHead(f *zip.File, lim inspect.Limits, n int) ([]byte, error) {
	m, err := openMember(f, lim)
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

func memberError(name string, err error) error {
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

// xmlReader is a streaming, non-validating XML token reader. It uses
// RawToken: names keep their prefixes and are matched by local name (the
// OASIS and the OpenOffice.org 1.x vocabularies share their local names).
type xmlReader struct {
	d   *xml.Decoder
	ctx context.Context
	n   int
	// transcoded is set once the content is not read as UTF-8 bytes, so
	// that decoder offsets are not byte offsets of the input.
	transcoded bool
}

// newXMLReader returns a token reader for r. UTF-16 with a byte order mark
// is transcoded; other encodings named in the XML declaration are decoded
// with their IANA decoder.
func newXMLReader(ctx context.Context, r io.Reader) *xmlReader {
	br := bufio.NewReaderSize(r, 4<<10)
	x := &xmlReader{ctx: ctx}
	var src io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0xFF, 0xFE}) || bytes.Equal(head, []byte{0xFE, 0xFF}) {
		src = transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
		x.transcoded = true
	}
	d := xml.NewDecoder(src)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		l := strings.ToLower(strings.TrimSpace(label))
		switch {
		case l == "utf-8", l == "utf8", l == "us-ascii", l == "ascii":
			return in, nil
		case strings.HasPrefix(l, "utf-16") || l == "unicode":
			if x.transcoded {
				return in, nil
			}
			return nil, fmt.Errorf("encoding %q without byte order mark", label)
		}
		enc, err := ianaindex.IANA.Encoding(label)
		if err != nil || enc == nil {
			return nil, fmt.Errorf("unsupported encoding %q", label)
		}
		x.transcoded = true
		return enc.NewDecoder().Reader(in), nil
	}
	x.d = d
	return x
}

// next returns the next token; io.EOF at the end.
func (x *xmlReader) next() (xml.Token, error) {
	x.n++
	if x.n%ctxCheckEvery == 0 {
		if err := x.ctx.Err(); err != nil {
			return nil, err
		}
	}
	return x.d.RawToken()
}

// attr returns the value of the attribute with local name local.
func attr(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// xmlError shortens a decoder error for a finding.
func xmlError(part string, err error) error {
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

// scanBufs are the chunk buffers of containsFold.
var scanBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// containsFold reports whether any of needles (lower case) occurs in the
// bytes of r, ignoring ASCII case. It stops at the first hit. Content that
// is not ASCII-compatible (UTF-16) cannot be searched: for it, true.
func containsFold(ctx context.Context, r io.Reader, needles [][]byte) (bool, error) {
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
			lowerASCII(chunk[keep:])
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

// smallPart is the size under which a member is read whole into a pooled
// buffer and looked at before it is decoded.
const smallPart = 64 << 10

// smallBufs hold small members (smallPart+1 bytes).
var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallPart+1); return &b }}

// containsFoldBytes reports whether b contains any of needles (lower case),
// ignoring ASCII case, without modifying b.
func containsFoldBytes(b []byte, needles [][]byte) bool {
	for _, n := range needles {
		for i := 0; i+len(n) <= len(b); i++ {
			if lower(b[i]) == n[0] && equalFold(b[i:i+len(n)], n) {
				return true
			}
		}
	}
	return false
}

func equalFold(a, lowerNeedle []byte) bool {
	for i, c := range a {
		if lower(c) != lowerNeedle[i] {
			return false
		}
	}
	return true
}

// lowerASCII folds b to lower case in place.
func lowerASCII(b []byte) {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}
