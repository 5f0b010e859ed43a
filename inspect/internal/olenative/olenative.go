package olenative

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// Native is the payload of an OLE "Package" object: the \x01Ole10Native
// stream of an embedded object, and the native data of an OLE1 Package
// object in RTF (same layout).
type Native struct {
	// Label is the name shown under the icon (usually the file name).
	Label string
	// Path is the source path of the packaged file when it was embedded
	// (or the command line of a "command" package).
	Path string
	// TempPath is where the Packager extracts the file when it is opened.
	TempPath string
	// Data is the embedded file itself: a view into the reader given to
	// Parse, never a copy.
	Data *io.SectionReader
}

// mode says which of the observed layouts a payload had (for tests).
type mode int

const (
	// parsed: flags, label, paths and a length-prefixed file (Packager).
	parsed mode = iota
	// compact: flags then raw data (equations and other OLE1 servers).
	compact
	// unparsed: raw native data right after the size.
	unparsed
)

// ErrMalformed is wrapped by every error Parse returns for bad input.
var ErrMalformed = errors.New("malformed Ole10Native data")

// MaxString bounds each NUL-terminated or length-prefixed string of the
// header. Windows paths are at most 32767 UTF-16 units; a longer "string" is
// not a Packager header.
const MaxString = 32 << 10

// packagerFlags is the first field of a Packager payload ("02 00").
const packagerFlags = 2

// Package types after the two ANSI strings (observed values).
const (
	typeLink     = 1 // a linked file: a path, no data
	typeEmbedded = 3 // an embedded file: temp path, size, data
)

// Parse reads an Ole10Native/Package payload from r (size bytes). If
// sizePrefix is true the data starts with the 4-byte total size (the
// \x01Ole10Native stream); OLE1 native data in RTF does not have it.
//
// Layout of a Packager payload (all integers little-endian):
//
//	[u32 total size]          only with sizePrefix; bytes that follow it
//	u16 flags1                2 for a Packager payload
//	label\0                   ANSI, shown under the icon
//	source path\0             ANSI
//	u16 flags2                0
//	u16 type                  3 embedded file, 1 linked file
//	u32 n, temp path (n bytes, NUL-terminated)   type 3 (and 1)
//	u32 data size, data       type 3
//	u32 n, n UTF-16 units     optional Unicode copies of temp path,
//	                          label and source path, in that order
//
// Two other shapes occur: flags1 other than 2 ("unparsed": the native data
// of another OLE1 server follows the size directly) and flags1 2 followed by
// a control byte and no Packager header ("compact": raw data after the
// flags, as equations write it). Both are returned with empty strings and
// Data covering the raw bytes.
//
// Every length is checked against the payload bounds: a string without its
// NUL, a size past the end or a total size larger than r is an error
// wrapping ErrMalformed.
func Parse(r io.ReaderAt, size int64, sizePrefix bool) (*Native, error) {
	n, _, err := parse(r, size, sizePrefix)
	return n, err
}

func parse(r io.ReaderAt, size int64, sizePrefix bool) (*Native, mode, error) {
	if size < 0 {
		return nil, 0, fmt.Errorf("%w: negative size", ErrMalformed)
	}
	p := &cursor{r: r, end: size}
	if sizePrefix {
		total, err := p.u32()
		if err != nil {
			return nil, 0, fmt.Errorf("%w: no size field", ErrMalformed)
		}
		if int64(total) > size-4 {
			return nil, 0, fmt.Errorf("%w: total size %d exceeds the %d bytes present", ErrMalformed, total, size-4)
		}
		p.end = 4 + int64(total)
	}
	start := p.off
	flags1, err := p.u16()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: no flags field", ErrMalformed)
	}
	if flags1 != packagerFlags {
		// Another OLE1 server's native data, opaque to us.
		return &Native{Data: io.NewSectionReader(r, start, p.end-start)}, unparsed, nil
	}
	first, err := p.peek()
	if err != nil {
		return &Native{Data: io.NewSectionReader(r, p.off, 0)}, compact, nil
	}
	rest := p.off
	n, err := parsePackager(p)
	if err != nil {
		if first < 0x20 {
			// Not a Packager header: raw data of another server
			// (equations encode their formula right after the flags).
			return &Native{Data: io.NewSectionReader(r, rest, p.end-rest)}, compact, nil
		}
		return nil, 0, err
	}
	return n, parsed, nil
}

// parsePackager reads the Packager fields after flags1.
func parsePackager(p *cursor) (*Native, error) {
	var err error
	n := &Native{}
	if n.Label, err = p.cstring(); err != nil {
		return nil, fmt.Errorf("%w: label: %v", ErrMalformed, err)
	}
	if n.Path, err = p.cstring(); err != nil {
		return nil, fmt.Errorf("%w: source path: %v", ErrMalformed, err)
	}
	if _, err = p.u16(); err != nil { // flags2
		return nil, fmt.Errorf("%w: header ends after the source path", ErrMalformed)
	}
	typ, err := p.u16()
	if err != nil {
		return nil, fmt.Errorf("%w: header ends after the source path", ErrMalformed)
	}
	if n.TempPath, err = p.lstring(); err != nil {
		if typ == typeLink {
			// A link may end here: nothing is embedded.
			n.Data = io.NewSectionReader(p.r, p.end, 0)
			return n, nil
		}
		return nil, fmt.Errorf("%w: temp path: %v", ErrMalformed, err)
	}
	dataSize, err := p.u32()
	if err != nil {
		if typ == typeLink {
			n.Data = io.NewSectionReader(p.r, p.end, 0)
			return n, nil
		}
		return nil, fmt.Errorf("%w: no data size", ErrMalformed)
	}
	if int64(dataSize) > p.end-p.off {
		return nil, fmt.Errorf("%w: data size %d exceeds the %d bytes left", ErrMalformed, dataSize, p.end-p.off)
	}
	// Types other than typeEmbedded with a consistent embedded layout
	// are kept: the data is what matters.
	n.Data = io.NewSectionReader(p.r, p.off, int64(dataSize))
	p.off += int64(dataSize)
	// Optional Unicode copies; prefer them when they are well-formed.
	if tmp, err := p.wstring(); err == nil {
		if label, err := p.wstring(); err == nil {
			if path, err := p.wstring(); err == nil {
				n.TempPath = pick(tmp, n.TempPath)
				n.Label = pick(label, n.Label)
				n.Path = pick(path, n.Path)
			}
		}
	}
	return n, nil
}

// pick prefers the Unicode copy of a string when it has one.
func pick(unicode, ansi string) string {
	if unicode != "" {
		return unicode
	}
	return ansi
}

// FileName is the name the packaged file had: the base name of Label, else
// of Path, else of TempPath (Windows separators understood). It is "" when
// none is known.
func (n *Native) FileName() string {
	for _, s := range []string{n.Label, n.Path, n.TempPath} {
		s = strings.ReplaceAll(s, "\\", "/")
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			s = s[i+1:]
		}
		s = strings.TrimSpace(s)
		if s != "" && s != "." && s != ".." {
			return s
		}
	}
	return ""
}

// cursor reads little-endian fields from r between off and end.
type cursor struct {
	r   io.ReaderAt
	off int64
	end int64
}

var errShort = errors.New("runs past the end")

func (c *cursor) read(n int64) ([]byte, error) {
	if n < 0 || n > c.end-c.off {
		return nil, errShort
	}
	b := make([]byte, n)
	if k, err := c.r.ReadAt(b, c.off); k < len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = errShort
		}
		return nil, err
	}
	c.off += n
	return b, nil
}

func (c *cursor) peek() (byte, error) {
	var b [1]byte
	if c.off >= c.end {
		return 0, errShort
	}
	if _, err := c.r.ReadAt(b[:], c.off); err != nil {
		return 0, errShort
	}
	return b[0], nil
}

func (c *cursor) u16() (uint16, error) {
	b, err := c.read(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (c *cursor) u32() (uint32, error) {
	b, err := c.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// cstring reads a NUL-terminated ANSI string of at most MaxString bytes.
func (c *cursor) cstring() (string, error) {
	limit := min(c.end-c.off, MaxString+1)
	buf := make([]byte, 0, min(limit, 256))
	var chunk [256]byte
	for off := c.off; off < c.off+limit; {
		n := min(int64(len(chunk)), c.off+limit-off)
		k, err := c.r.ReadAt(chunk[:n], off)
		if k == 0 && err != nil {
			return "", errShort
		}
		for i := 0; i < k; i++ {
			if chunk[i] == 0 {
				buf = append(buf, chunk[:i]...)
				c.off = off + int64(i) + 1
				return ansi(buf), nil
			}
		}
		buf = append(buf, chunk[:k]...)
		off += int64(k)
	}
	if limit > MaxString {
		return "", fmt.Errorf("longer than %d bytes", MaxString)
	}
	return "", errors.New("not NUL-terminated")
}

// counted reads a u32 count of at most MaxString units of unit bytes
// each and returns the count and the units' bytes; after an error the
// cursor is where it was.
func (c *cursor) counted(unit int64) (uint32, []byte, error) {
	save := c.off
	n, err := c.u32()
	if err != nil {
		return 0, nil, err
	}
	if n > MaxString {
		c.off = save
		return 0, nil, fmt.Errorf("length %d over %d", n, MaxString)
	}
	b, err := c.read(unit * int64(n))
	if err != nil {
		c.off = save
		return 0, nil, err
	}
	return n, b, nil
}

// lstring reads a u32 length and that many ANSI bytes (NUL-terminated).
func (c *cursor) lstring() (string, error) {
	_, b, err := c.counted(1)
	if err != nil {
		return "", err
	}
	if i := indexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return ansi(b), nil
}

// wstring reads a u32 count of UTF-16 units and the units.
func (c *cursor) wstring() (string, error) {
	n, b, err := c.counted(2)
	if err != nil {
		return "", err
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u)), nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// ansi decodes the Packager's 8-bit strings, written in the system code
// page; Windows-1252 is the common one and maps every byte.
func ansi(b []byte) string {
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}
