package zipx

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// An Office or ODF package is a zip, and so can be read in the two ways
// ReadViews describes. Office and LibreOffice read the central directory;
// Java's ZipInputStream, streaming extractors and some scanners read the
// local headers. OpenPackage gives the package inspectors both: the
// central directory as archive/zip reads it, and, as further members, what
// only the local header view shows.

// Package is a zip-based package read both ways.
type Package struct {
	// Reader is the central directory view, as archive/zip (Office,
	// LibreOffice, unzip) reads it.
	Reader *zip.Reader
	// Local are the members of the local header view that the central
	// view does not show as they are: entries only there, entries whose
	// local header gives another name, and entries whose local header
	// gives other bytes (offset, sizes, method, encryption). Each opens
	// like a central directory member (Open, OpenRaw; DataOffset is that
	// of a copy, not of the package). Directories are left out.
	Local []*zip.File
	// Ambiguities lists how the readings disagree (empty for a consistent
	// package).
	Ambiguities []Ambiguity
}

// Finding is the ambiguity as a finding of kind ambiguous (ARCHITECTURE
// "The attacker writes the bytes"): every zip-based inspector reports it
// so.
func (a Ambiguity) Finding() inspect.Finding {
	return inspect.Finding{Kind: inspect.KindAmbiguous, Where: cleanWhere(a.Where), Detail: a.Detail}
}

// OpenPackage reads the package in p both ways. It uses the central
// directory Sniff read (p.Zip) when there is one. An error means the
// central directory cannot be read (archive/zip's error), the package has
// more members than lim.MaxParts (an *inspect.LimitError), or the time is
// up.
func OpenPackage(ctx context.Context, p inspect.Part, lim inspect.Limits) (*Package, error) {
	zr := p.Zip
	if zr == nil { // not through the engine's sniffing
		var err error
		zr, err = zip.NewReader(p.R, p.Size)
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			return nil, err
		}
	}
	parts := func() error { return &inspect.LimitError{Limit: inspect.LimitParts, Value: int64(lim.MaxParts)} }
	if len(zr.File) > lim.MaxParts {
		return nil, parts()
	}
	pk := &Package{Reader: zr}
	o := Options{MaxEntries: lim.MaxParts, MaxDecode: lim.MaxPartSize, files: zr.File, differing: true}
	v, err := ReadViews(ctx, p.R, p.Size, o)
	if err == nil && !sameDirectory(zr, v) {
		// Rare: every local entry is needed (see below).
		o.differing = false
		v, err = ReadViews(ctx, p.R, p.Size, o)
	}
	switch {
	case errors.Is(err, ErrTooManyEntries):
		return nil, parts()
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case v == nil:
		// archive/zip found a central directory where ReadViews, which
		// looks for it the same way, did not: the readers disagree.
		pk.Ambiguities = []Ambiguity{{Detail: fmt.Sprintf("central directory read by archive/zip only, local headers not compared: %v", err)}}
		return pk, nil
	case err != nil:
		return nil, err
	}
	pk.Ambiguities = v.Ambiguities
	same := sameDirectory(zr, v)
	if !same {
		v.amb("", "central directory read differently by archive/zip (%d entries) and by the view reader (%d entries)", len(zr.File), len(v.Central))
		pk.Ambiguities = v.Ambiguities
	}
	for i := range v.Local {
		l := &v.Local[i]
		if same && l.Central >= 0 && v.sameAsCentral(l) {
			continue
		}
		if strings.HasSuffix(l.Name, "/") && l.CSize == 0 {
			continue
		}
		f, err := v.localFile(l, p.Size)
		if err != nil {
			// Its bytes cannot be given to a reader: say so where the
			// member is named.
			pk.Ambiguities = append(pk.Ambiguities, Ambiguity{Where: cleanWhere(l.Name), Detail: "local header view: " + err.Error()})
			continue
		}
		pk.Local = append(pk.Local, f)
	}
	return pk, nil
}

// sameDirectory reports whether ReadViews read the central directory
// archive/zip read: the same entries in the same order.
func sameDirectory(zr *zip.Reader, v *Views) bool {
	if len(zr.File) != len(v.Central) {
		return false
	}
	for i, f := range zr.File {
		if f.Name != v.Central[i].Name {
			return false
		}
	}
	return true
}

// sameAsCentral reports whether the local entry l exposes what its central
// directory entry does: the same name over the same bytes, read the same
// way. Sizes that only the central directory knows (APPNOTE 4.4.4 bit 3,
// or a 0xFFFFFFFF that defers to it) count as the same.
func (v *Views) sameAsCentral(l *Local) bool {
	c := &v.Central[l.Central]
	same := func(local, central int64) bool { return local == central || (local == max32 && central >= max32) }
	return l.Name == c.Name && l.Data == v.CentralData[l.Central] && l.Method == c.Method &&
		l.Encrypted() == c.Encrypted() && same(l.CSize, c.CSize) &&
		(l.Method != methodImplode || same(l.USize, c.USize))
}

// APPNOTE 4.4.5 compression methods that a local entry is decoded with
// beyond archive/zip's store and deflate.
const (
	methodImplode   = 6
	methodDeflate64 = 9
	methodAES       = 99 // WinZip AE-x (APPNOTE 4.4.5)
)

// localFile returns l as a *zip.File that archive/zip opens: a reader over
// the entry's local header and data, followed by a central directory of
// that one entry (APPNOTE 4.3.12, 4.3.16) that records what the local
// header view found (its name, flags, method, sizes, CRC-32). The data
// descriptor flag is cleared: the sizes are known, and the CRC-32 is
// checked when the descriptor or the header gave it (0: not checked, as
// archive/zip does).
func (v *Views) localFile(l *Local, size int64) (*zip.File, error) {
	if l.CSize < 0 || l.CSize > size-l.Data || l.Data < l.Offset {
		return nil, errors.New("data past the end of the archive")
	}
	head := l.Data - l.Offset // local header, name and extra field
	name := []byte(l.Name)
	var extra []byte
	csize, usize := uint32(l.CSize), uint32(l.USize)
	if l.CSize >= max32 || l.USize >= max32 {
		// APPNOTE 4.5.3 Zip64 extended information: usize, csize.
		extra = make([]byte, 20)
		binary.LittleEndian.PutUint16(extra, zip64ExtraID)
		binary.LittleEndian.PutUint16(extra[2:], 16)
		binary.LittleEndian.PutUint64(extra[4:], uint64(l.USize))
		binary.LittleEndian.PutUint64(extra[12:], uint64(l.CSize))
		csize, usize = max32, max32
	}
	crc := l.CRC
	if !l.Sized {
		crc = 0
	}
	dir := make([]byte, 0, centralLen+len(name)+len(extra)+endLen)
	dir = append(dir, sigCentral...)
	dir = binary.LittleEndian.AppendUint16(dir, 20)                      // version made by
	dir = binary.LittleEndian.AppendUint16(dir, 20)                      // version needed
	dir = binary.LittleEndian.AppendUint16(dir, l.Flags&^flagDescriptor) // flags
	dir = binary.LittleEndian.AppendUint16(dir, l.Method)
	dir = binary.LittleEndian.AppendUint32(dir, 0) // time, date
	dir = binary.LittleEndian.AppendUint32(dir, crc)
	dir = binary.LittleEndian.AppendUint32(dir, csize)
	dir = binary.LittleEndian.AppendUint32(dir, usize)
	dir = binary.LittleEndian.AppendUint16(dir, uint16(len(name)))
	dir = binary.LittleEndian.AppendUint16(dir, uint16(len(extra)))
	dir = append(dir, make([]byte, 2+2+2+4)...)    // comment length, disk, attributes
	dir = binary.LittleEndian.AppendUint32(dir, 0) // local header offset
	dir = append(dir, name...)
	dir = append(dir, extra...)
	dirLen := len(dir)
	dir = append(dir, sigEnd...)
	dir = append(dir, 0, 0, 0, 0) // disk numbers
	dir = binary.LittleEndian.AppendUint16(dir, 1)
	dir = binary.LittleEndian.AppendUint16(dir, 1)
	dir = binary.LittleEndian.AppendUint32(dir, uint32(dirLen))
	body := head + l.CSize
	if body >= max32 {
		return nil, errors.New("entry too large to read")
	}
	dir = binary.LittleEndian.AppendUint32(dir, uint32(body))
	dir = append(dir, 0, 0) // comment length

	cr := &concatReaderAt{a: io.NewSectionReader(v.r, l.Offset, body), alen: body, b: dir}
	zr, err := zip.NewReader(cr, body+int64(len(dir)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, err
	}
	if len(zr.File) != 1 {
		return nil, errors.New("unreadable entry")
	}
	switch l.Method {
	case methodDeflate64:
		zr.RegisterDecompressor(methodDeflate64, NewDeflate64Reader)
	case methodImplode:
		flags, n := l.Flags, l.USize
		zr.RegisterDecompressor(methodImplode, func(r io.Reader) io.ReadCloser { return NewImplodeReader(r, flags, n) })
	}
	return zr.File[0], nil
}

// concatReaderAt reads a (alen bytes) followed by b.
type concatReaderAt struct {
	a    io.ReaderAt
	alen int64
	b    []byte
}

func (c *concatReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	if off < c.alen {
		k, err := c.a.ReadAt(p[:min(int64(len(p)), c.alen-off)], off)
		n += k
		if err != nil && err != io.EOF {
			return n, err
		}
		if k < int(min(int64(len(p)), c.alen-off)) {
			return n, io.ErrUnexpectedEOF
		}
		off += int64(k)
	}
	if n == len(p) {
		return n, nil
	}
	boff := off - c.alen
	if boff >= int64(len(c.b)) {
		return n, io.EOF
	}
	k := copy(p[n:], c.b[boff:])
	n += k
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
