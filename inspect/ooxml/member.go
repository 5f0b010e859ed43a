package ooxml

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

// openMember opens f for reading. Encrypted members cannot be read and are
// reported by the caller; a member over the part-size limit is an error
// before anything is expanded.
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

// ctxCheckEvery is how many XML tokens a loop reads between context checks.
const ctxCheckEvery = 1024

// xmlReader is a streaming, non-validating XML token reader over one part.
// It uses RawToken: element and attribute names keep their prefixes and
// are matched by local name, which is what Office and LibreOffice key on
// (a renamed prefix does not hide an element from them either).
type xmlReader struct {
	d   *xml.Decoder
	ctx context.Context
	n   int
}

// newXMLReader returns a token reader for r. UTF-16 parts (with a byte
// order mark, [ECMA-376] Part 2 allows UTF-8 and UTF-16) are transcoded to UTF-8;
// other encodings named in the XML declaration are decoded with their IANA
// decoder.
func newXMLReader(ctx context.Context, r io.Reader) *xmlReader {
	br := bufio.NewReaderSize(r, 4<<10)
	var src io.Reader = br
	utf16 := false
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0xFF, 0xFE}) || bytes.Equal(head, []byte{0xFE, 0xFF}) {
		src = transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
		utf16 = true
	}
	d := xml.NewDecoder(src)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		l := strings.ToLower(strings.TrimSpace(label))
		switch {
		case l == "utf-8", l == "utf8", l == "us-ascii", l == "ascii":
			return in, nil
		case strings.HasPrefix(l, "utf-16") || l == "unicode":
			if utf16 {
				return in, nil
			}
			return nil, fmt.Errorf("encoding %q without byte order mark", label)
		}
		enc, err := ianaindex.IANA.Encoding(label)
		if err != nil || enc == nil {
			return nil, fmt.Errorf("unsupported encoding %q", label)
		}
		return enc.NewDecoder().Reader(in), nil
	}
	return &xmlReader{d: d, ctx: ctx}
}

// next returns the next token; io.EOF at the end of the part.
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
		return fmt.Errorf("%s: malformed XML at line %d: %s", part, se.Line, se.Msg)
	}
	var le *inspect.LimitError
	if errors.As(err, &le) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", part, err)
}

// scanBufs are the chunk buffers of containsAny.
var scanBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// smallPart is the size under which a part is read whole into a pooled
// buffer and looked at before it is decoded.
const smallPart = 64 << 10

// smallBufs hold small parts (smallPart+1 bytes).
var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallPart+1); return &b }}

// containsFold reports whether b contains any of needles (given in lower
// case), ignoring ASCII case. b is not modified: it is folded into a pooled
// copy that bytes.Contains can search quickly.
func containsFold(b []byte, needles [][]byte) bool {
	lp := smallBufs.Get().(*[]byte)
	defer smallBufs.Put(lp)
	low := *lp
	if len(low) < len(b) {
		low = make([]byte, len(b))
	}
	low = low[:len(b)]
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	for _, n := range needles {
		if bytes.Contains(low, n) {
			return true
		}
	}
	return false
}

// containsAny reports whether any of needles occurs in the bytes of r. It
// reads in chunks, keeping an overlap so that a needle across a chunk
// border is found, and stops at the first hit. Parts in UTF-16 cannot be
// searched for ASCII needles: for them it reports true.
func containsAny(ctx context.Context, r io.Reader, needles [][]byte) (bool, error) {
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
