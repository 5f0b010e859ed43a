package zipx

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"

	"github.com/officemilter/officemilter/inspect"
)

// A zip archive can be read in two ways (APPNOTE 4.3.6): by its central
// directory, found from the end of central directory record at the end of
// the file (archive/zip, unzip, 7-Zip, Windows Explorer), or by walking its
// local file headers from the start (Java's ZipInputStream, streaming
// extractors, some scanners). An attacker who makes the two disagree shows
// one reader a harmless archive and another a dangerous one. ReadViews reads
// both and says where they differ.

// Header is one entry as a central directory header or a local file header
// records it.
type Header struct {
	Name   string
	Offset int64 // absolute offset of the local file header
	Flags  uint16
	Method uint16
	CRC    uint32
	// CSize and USize are the compressed and uncompressed sizes (Zip64
	// values applied), at most 1<<62.
	CSize, USize int64
	// Extra is the extra field (APPNOTE 4.5). Of a local header it is
	// kept only for an encrypted entry (the WinZip AES field 0x9901 says
	// how, APPNOTE 4.4.5 method 99); its Zip64 sizes are applied.
	Extra []byte
}

// Descriptor reports whether the sizes follow the data (APPNOTE 4.4.4 bit 3).
func (h *Header) Descriptor() bool { return h.Flags&flagDescriptor != 0 }

// Encrypted reports whether the entry is encrypted (APPNOTE 4.4.4 bit 0).
func (h *Header) Encrypted() bool { return h.Flags&1 != 0 }

// Local is an entry as the walk over the local headers finds it.
type Local struct {
	Header
	// Data is the offset of its compressed data, End the offset after the
	// data and its data descriptor, where the next header is looked for.
	Data, End int64
	// Sized says whether CSize, USize and CRC are known (from the header,
	// its data descriptor or decoding).
	Sized bool
	// Central is the index of the central directory entry whose local
	// header is this one, -1 when there is none.
	Central int
}

// Ambiguity is one way in which readers of the archive disagree. Where
// names the entry it is about ("" for the archive).
type Ambiguity struct{ Where, Detail string }

// Views is what the two readings of a zip archive expose.
type Views struct {
	// Central lists the central directory entries in their order, as
	// archive/zip reads them (the same end record, the same base offset).
	Central []Header
	// CentralData are the offsets of the central entries' data (after
	// their local headers), -1 where no local header is found.
	CentralData []int64
	// Local lists the entries the walk over local headers finds.
	Local []Local
	// Ambiguities lists every disagreement, in a stable order.
	Ambiguities []Ambiguity
	// Prefix is the number of bytes before the first entry that do not
	// start a local header (a self-extractor stub, another file).
	Prefix int64
	// Directory is the offset of the central directory.
	Directory int64

	r io.ReaderAt
	w *window // during ReadViews
}

// APPNOTE 4.3 signatures and fixed lengths.
const (
	sigLocal      = "PK\x03\x04"
	sigCentral    = "PK\x01\x02"
	sigEnd        = "PK\x05\x06"
	sigEnd64      = "PK\x06\x06"
	sigLocator64  = "PK\x06\x07"
	sigDescriptor = "PK\x07\x08"
	localLen      = 30 // 4.3.7
	centralLen    = 46 // 4.3.12
	endLen        = 22 // 4.3.16
	end64Len      = 56 // 4.3.14
	locator64Len  = 20 // 4.3.15

	flagDescriptor = 1 << 3
	zip64ExtraID   = 0x0001 // 4.5.3
	max32          = 0xFFFFFFFF
	max16          = 0xFFFF
	sizeCap        = 1 << 62
)

// ErrNoDirectory is returned by ReadViews when no end of central directory
// record leads to a central directory: only the local headers can be read.
var ErrNoDirectory = errors.New("zip: no central directory")

// Options bound what ReadViews does.
type Options struct {
	// MaxEntries is the most entries read in each view.
	MaxEntries int
	// MaxDecode is the most bytes decoded to find the end of a local entry
	// whose sizes follow its data and that the central directory does not
	// know (streaming readers find the end that way).
	MaxDecode int64

	// files are the central directory's entries as archive/zip read them
	// (OpenPackage): equal names are shared, not allocated again.
	files []*zip.File
	// differing keeps in Views.Local only the entries that differ from
	// their central directory entry (OpenPackage needs no others).
	differing bool
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

func capSize(v uint64) int64 { return int64(min(v, sizeCap)) }

// ErrTooManyEntries is returned when a view holds more than
// Options.MaxEntries entries.
var ErrTooManyEntries = errors.New("zip: too many entries")

// ReadViews reads the central directory and walks the local headers of the
// zip archive in r (size bytes).
func ReadViews(ctx context.Context, r io.ReaderAt, size int64, o Options) (*Views, error) {
	v := &Views{r: r, w: newWindow(r, size)}
	defer v.w.release()
	if err := v.readCentral(r, size, o); err != nil {
		return nil, err
	}
	if err := v.walkLocal(ctx, r, size, o); err != nil {
		return v, err
	}
	return v, nil
}

// name returns b as a string: the name of files[i] when that is b.
func (v *Views) name(b []byte, i int, files []*zip.File) string {
	if i < len(files) && files[i].Name == string(b) {
		return files[i].Name
	}
	return string(b)
}

// extra returns a copy of b: the extra field of files[i] when that is b.
func (v *Views) extra(b []byte, i int, files []*zip.File) []byte {
	if i < len(files) && bytes.Equal(files[i].Extra, b) {
		return files[i].Extra
	}
	return append([]byte(nil), b...)
}

func (v *Views) amb(where, format string, args ...any) {
	v.Ambiguities = append(v.Ambiguities, Ambiguity{Where: where, Detail: fmt.Sprintf(format, args...)})
}

type endRecord struct {
	pos                        int64 // of the record (the Zip64 record when used)
	diskEntries, entries       uint64
	dirSize, dirOffset         uint64
	commentLen                 int
	zip64                      bool
	plainEntries, plainDisk    uint64
	plainSize, plainOff        uint64
	hasLocator, locatorUseless bool
}

// readCentral finds the end record the way archive/zip does (the last
// signature in the last 65 KiB whose comment fits, APPNOTE 4.3.16), its
// Zip64 counterpart (4.3.14, 4.3.15) and the central directory (4.3.12).
func (v *Views) readCentral(r io.ReaderAt, size int64, o Options) error {
	// Like archive/zip, look in the last 1 KiB first, then in the last
	// 65 KiB (a comment is at most 64 KiB).
	var tail []byte
	var tailLen int64
	at := -1
	tp := windowBufs.Get().(*[]byte)
	defer windowBufs.Put(tp)
	for _, n := range []int64{1024, 65 * 1024} {
		tailLen = min(size, n)
		if tailLen <= int64(cap(*tp)) {
			tail = (*tp)[:tailLen]
		} else {
			tail = make([]byte, tailLen)
		}
		if _, err := r.ReadAt(tail, size-tailLen); err != nil && err != io.EOF {
			return err
		}
		at = -1
		if len(tail) >= endLen {
			at = bytes.LastIndex(tail[:len(tail)-endLen+4], []byte(sigEnd))
		}
		if at >= 0 && at+endLen+int(le16(tail[at+20:])) <= len(tail) {
			break // its comment fits
		}
		if tailLen == size || n > 1024 {
			break
		}
	}
	if at < 0 {
		return ErrNoDirectory
	}
	e := tail[at:]
	end := endRecord{
		pos:         size - tailLen + int64(at),
		diskEntries: uint64(le16(e[8:])), entries: uint64(le16(e[10:])),
		dirSize: uint64(le32(e[12:])), dirOffset: uint64(le32(e[16:])),
		commentLen: int(le16(e[20:])),
	}
	if at+endLen+end.commentLen > len(tail) {
		return fmt.Errorf("%w: truncated archive comment", ErrNoDirectory)
	}
	end.plainEntries, end.plainDisk, end.plainSize, end.plainOff = end.entries, end.diskEntries, end.dirSize, end.dirOffset
	eocd := end.pos
	if err := v.zip64End(r, &end); err != nil {
		return err
	}
	if end.dirSize > sizeCap || end.dirOffset > sizeCap {
		return ErrNoDirectory
	}
	base := end.pos - int64(end.dirSize) - int64(end.dirOffset)
	if d := base + int64(end.dirOffset); d < 0 || d >= size {
		return fmt.Errorf("%w: directory offset %d outside the file", ErrNoDirectory, d)
	}
	if base > 0 {
		// archive/zip: a directory header at the recorded offset wins
		// over the base offset the end record implies.
		var sig [4]byte
		if _, err := r.ReadAt(sig[:], int64(end.dirOffset)); err == nil && string(sig[:]) == sigCentral {
			base = 0
		}
	}
	v.Directory = base + int64(end.dirOffset)
	if end.entries > uint64(size)/centralLen {
		return fmt.Errorf("%w: %d entries cannot fit", ErrNoDirectory, end.entries)
	}

	// APPNOTE 4.3.12: read headers until something else follows, as
	// archive/zip does; compare with what the end record says.
	// The window reads the directory a few KiB at a time; names shared
	// with archive/zip's reading and no extra field cost no allocation.
	var read int64
	v.Central = make([]Header, 0, min(end.entries, uint64(max(o.MaxEntries, 0))))
	for off := v.Directory; ; {
		hdr, ok := v.w.at(off, centralLen)
		if !ok || string(hdr[:4]) != sigCentral {
			break
		}
		if len(v.Central) >= o.MaxEntries {
			return ErrTooManyEntries
		}
		n, m, k := int(le16(hdr[28:])), int(le16(hdr[30:])), int(le16(hdr[32:]))
		rec, ok := v.w.at(off, centralLen+n+m+k) // at most 192 KiB, inside the file
		if !ok {
			break
		}
		hdr = rec[:centralLen]
		h := Header{
			Name:  v.name(rec[centralLen:centralLen+n], len(v.Central), o.files),
			Flags: le16(hdr[8:]), Method: le16(hdr[10:]), CRC: le32(hdr[16:]),
			CSize: int64(le32(hdr[20:])), USize: int64(le32(hdr[24:])),
			Offset: int64(le32(hdr[42:])),
		}
		if extra := rec[centralLen+n : centralLen+n+m]; m > 0 {
			h.Extra = v.extra(extra, len(v.Central), o.files)
		}
		v.central64(&h, hdr)
		h.Offset += base
		v.Central = append(v.Central, h)
		read += int64(centralLen + n + m + k)
		off += int64(centralLen + n + m + k)
	}
	if len(v.Central) == 0 && end.entries != 0 {
		return fmt.Errorf("%w: no directory entry at offset %d", ErrNoDirectory, v.Directory)
	}

	// APPNOTE 4.3.16: the counts and the size the end record gives.
	if uint64(len(v.Central)) != end.entries {
		v.amb("", "central directory holds %d entries, end of central directory record says %d", len(v.Central), end.entries)
	}
	if end.diskEntries != end.entries {
		v.amb("", "end of central directory record counts %d entries on this disk and %d in all", end.diskEntries, end.entries)
	}
	if uint64(read) != end.dirSize {
		v.amb("", "central directory is %d bytes, end of central directory record says %d", read, end.dirSize)
	}
	if base != 0 {
		v.amb("", "entry offsets are relative to offset %d, not to the start of the file", base)
	}
	v.otherEnds(tail, size-tailLen, at, eocd, v.Directory+read)
	return nil
}

// zip64End reads the Zip64 end record when archive/zip would (a plain
// field holds its "see Zip64" value and a locator precedes the end record)
// and reports a Zip64 record that disagrees with the plain one.
func (v *Views) zip64End(r io.ReaderAt, end *endRecord) error {
	if end.pos < locator64Len {
		return nil
	}
	var loc [locator64Len]byte
	if _, err := r.ReadAt(loc[:], end.pos-locator64Len); err != nil || string(loc[:4]) != sigLocator64 {
		return nil
	}
	if le32(loc[4:]) != 0 || le32(loc[16:]) != 1 {
		return nil // archive/zip: not a (single disk) Zip64 archive
	}
	p := le64(loc[8:])
	var rec [end64Len]byte
	if p > sizeCap {
		return ErrNoDirectory
	}
	if _, err := r.ReadAt(rec[:], int64(p)); err != nil || string(rec[:4]) != sigEnd64 {
		if end.entries == max16 || end.dirSize == max16 || end.dirOffset == max32 {
			return fmt.Errorf("%w: no Zip64 end record at offset %d", ErrNoDirectory, p)
		}
		v.amb("", "Zip64 end of central directory locator points to no record")
		return nil
	}
	disk, entries := le64(rec[24:]), le64(rec[32:])
	dirSize, dirOff := le64(rec[40:]), le64(rec[48:])
	// APPNOTE 4.4.1.4: a plain field holding its maximum defers to the
	// Zip64 record; any other value must agree with it.
	if (end.plainEntries != max16 && end.plainEntries != entries) ||
		(end.plainSize != max32 && end.plainSize != dirSize) ||
		(end.plainOff != max32 && end.plainOff != dirOff) {
		v.amb("", "Zip64 end of central directory record (%d entries, %d bytes at %d) disagrees with the plain one (%d entries, %d bytes at %d)",
			entries, dirSize, dirOff, end.plainEntries, end.plainSize, end.plainOff)
	}
	if end.entries == max16 || end.dirSize == max16 || end.dirOffset == max32 {
		end.pos = int64(p)
		end.diskEntries, end.entries, end.dirSize, end.dirOffset = disk, entries, dirSize, dirOff
		end.zip64 = true
	}
	return nil
}

// central64 applies the Zip64 extended information of a central header
// (APPNOTE 4.5.3: only the fields whose header value is 0xFFFFFFFF, in the
// order usize, csize, offset) and reports one that gives a field which the
// header holds itself, with another value.
func (v *Views) central64(h *Header, hdr []byte) {
	z := ExtraField(h.Extra, zip64ExtraID)
	if z == nil {
		return
	}
	needU, needC, needO := le32(hdr[24:]) == max32, le32(hdr[20:]) == max32, le32(hdr[42:]) == max32
	if !needU && !needC && !needO {
		// Some readers take the field's values whatever the header says.
		vals := []int64{h.USize, h.CSize, h.Offset}
		for i := 0; i < 3 && len(z) >= 8*(i+1); i++ {
			if capSize(le64(z[8*i:])) != vals[i] {
				v.amb(h.Name, "Zip64 extra field disagrees with the central directory header")
				break
			}
		}
		return
	}
	if needU && len(z) >= 8 {
		h.USize, z = capSize(le64(z)), z[8:]
	}
	if needC && len(z) >= 8 {
		h.CSize, z = capSize(le64(z)), z[8:]
	}
	if needO && len(z) >= 8 {
		h.Offset = capSize(le64(z))
	}
}

// otherEnds reports end records other than the one used (at, in tail)
// that follow the central directory: a reader that searches forward, or
// one that wants the comment to reach the end of the file exactly, takes
// another central directory than archive/zip.
func (v *Views) otherEnds(tail []byte, tailStart int64, at int, used, dirEnd int64) {
	for i := 0; i+endLen <= len(tail); i++ {
		i0 := bytes.Index(tail[i:], []byte(sigEnd))
		if i0 < 0 {
			return
		}
		i += i0
		pos := tailStart + int64(i)
		if i == at || i+endLen > len(tail) {
			continue
		}
		if i+endLen+int(le16(tail[i+20:])) > len(tail) {
			continue // its comment does not fit: no reader takes it
		}
		if pos < dirEnd {
			// Before the directory in use: count it only when it leads to
			// a directory of its own (not one inside a stored member).
			dirOff, dirSize := int64(le32(tail[i+16:])), int64(le32(tail[i+12:]))
			if dirOff+dirSize != pos || !hasSig(v.r, dirOff, sigCentral) {
				continue
			}
		}
		if pos < used {
			v.amb("", "second end of central directory record at offset %d (before the one at %d)", pos, used)
		} else {
			v.amb("", "second end of central directory record at offset %d (in the comment of the one at %d)", pos, used)
		}
	}
}

// extraField returns the data of extra field id (APPNOTE 4.5.1).
func hasSig(r io.ReaderAt, off int64, sig string) bool {
	var b [4]byte
	_, err := r.ReadAt(b[:], off)
	return err == nil && string(b[:]) == sig
}

// ExtraField returns the data of the first extra field id, nil when
// there is none.
func ExtraField(extra []byte, id uint16) []byte {
	for eid, z := range ExtraFields(extra) {
		if eid == id {
			return z
		}
	}
	return nil
}

// ExtraFields yields the id and data of each extra field in extra
// (APPNOTE 4.5.1), up to one whose data runs past the end.
func ExtraFields(extra []byte) iter.Seq2[uint16, []byte] {
	return func(yield func(uint16, []byte) bool) {
		for len(extra) >= 4 {
			id, n := le16(extra), int(le16(extra[2:]))
			extra = extra[4:]
			if n > len(extra) || !yield(id, extra[:n]) {
				return
			}
			extra = extra[n:]
		}
	}
}

// readLocal reads the local header at off (APPNOTE 4.3.7), its name and
// extra field in one read. ok is false when no local header is there.
// name is the name the central directory gives the entry at off ("" when
// none does): the local header's name, when it is the same, shares it.
func (v *Views) readLocal(off int64, name string) (l Local, ok bool) {
	hdr, ok := v.w.at(off, localLen)
	if !ok || string(hdr[:4]) != sigLocal {
		return l, false
	}
	n, m := int(le16(hdr[26:])), int(le16(hdr[28:]))
	rec, ok := v.w.at(off, localLen+n+m) // at most 128 KiB, inside the file
	if !ok {
		return l, false
	}
	hdr = rec[:localLen]
	if nb := rec[localLen : localLen+n]; name == "" || name != string(nb) {
		name = string(nb)
	}
	l = Local{Header: Header{
		Name: name, Offset: off,
		Flags: le16(hdr[6:]), Method: le16(hdr[8:]), CRC: le32(hdr[14:]),
		CSize: int64(le32(hdr[18:])), USize: int64(le32(hdr[22:])),
	}, Data: off + int64(localLen+n+m), Central: -1}
	extra := rec[localLen+n:]
	if m > 0 && (l.Encrypted() || l.Method == methodAES) {
		l.Extra = append([]byte(nil), extra...)
	}
	if z := ExtraField(extra, zip64ExtraID); z != nil {
		// APPNOTE 4.5.3: in a local header both sizes are given.
		if (l.USize == max32 || l.CSize == max32) && len(z) >= 16 {
			l.USize, l.CSize = capSize(le64(z)), capSize(le64(z[8:]))
		}
	}
	return l, true
}

// DataOffset returns the offset of the data of the entry whose local
// header is at off, as archive/zip finds it (-1 when there is no header).
func DataOffset(r io.ReaderAt, size, off int64) int64 {
	v := &Views{r: r, w: newWindow(r, size)}
	defer v.w.release()
	return v.dataOffset(off)
}

func (v *Views) dataOffset(off int64) int64 {
	l, ok := v.readLocal(off, "")
	if !ok {
		return -1
	}
	return l.Data
}

// walkLocal walks the local headers from the first entry on, matches them
// with the central directory and reports the differences.
func (v *Views) walkLocal(ctx context.Context, r io.ReaderAt, size int64, o Options) error {
	// The central entry whose local header is at an offset (the first
	// one, when several share it): archivers write the directory in file
	// order, so a binary search finds it; otherwise a map does.
	byOffset := func(int64) (int, bool) { return 0, false }
	first := v.Directory
	for i := range v.Central {
		first = min(first, v.Central[i].Offset)
	}
	if slices.IsSortedFunc(v.Central, func(a, b Header) int { return cmp.Compare(a.Offset, b.Offset) }) {
		byOffset = func(off int64) (int, bool) {
			return slices.BinarySearchFunc(v.Central, off, func(h Header, off int64) int { return cmp.Compare(h.Offset, off) })
		}
	} else {
		m := make(map[int64]int, len(v.Central))
		for i := range v.Central {
			if _, dup := m[v.Central[i].Offset]; !dup {
				m[v.Central[i].Offset] = i
			}
		}
		byOffset = func(off int64) (int, bool) { i, ok := m[off]; return i, ok }
	}
	start := int64(0)
	if sig, ok := v.w.at(0, 4); !ok || string(sig) != sigLocal {
		// Not a local header at the start: a stub or another file before
		// the archive. Streaming readers start where the entries do.
		start, v.Prefix = first, max(first, 0)
	}

	v.CentralData = make([]int64, len(v.Central))
	for i := range v.CentralData {
		v.CentralData[i] = -1
	}
	if !o.differing {
		v.Local = make([]Local, 0, len(v.Central))
	}
	entries := 0
	off := start
	for off < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		if off == v.Directory {
			break
		}
		ci, known := byOffset(off)
		hint := ""
		if known {
			hint = v.Central[ci].Name
		}
		l, ok := v.readLocal(off, hint)
		if !ok {
			// Streaming readers stop here; go on at the next entry the
			// central directory knows, so that the rest is compared.
			next := int64(-1)
			for i := range v.Central {
				if c := v.Central[i].Offset; c > off && (next < 0 || c < next) {
					next = c
				}
			}
			if next < 0 {
				if off < v.Directory && hasSig(r, off, sigCentral) {
					v.amb("", "another central directory at offset %d, before the one in use at %d", off, v.Directory)
				} else if off < v.Directory {
					v.amb("", "%d bytes of unknown data at offset %d before the central directory", v.Directory-off, off)
				}
				break
			}
			v.amb("", "%d bytes of unknown data at offset %d between entries (streaming readers stop there)", next-off, off)
			off = next
			continue
		}
		if entries >= o.MaxEntries {
			return ErrTooManyEntries
		}
		entries++
		if known {
			l.Central = ci
			v.CentralData[ci] = l.Data
		}
		if err := v.localEnd(ctx, r, size, &l, o); err != nil {
			v.Local = append(v.Local, l)
			v.amb(cleanWhere(l.Name), "cannot find the end of the local entry at offset %d: %v", off, err)
			break
		}
		v.compare(&l)
		if !o.differing || l.Central < 0 || !v.sameAsCentral(&l) {
			v.Local = append(v.Local, l)
		}
		if l.End > v.Directory && off < v.Directory {
			v.amb(cleanWhere(l.Name), "local entry at offset %d runs into the central directory", off)
			break
		}
		off = l.End
	}
	for i := range v.Central {
		if v.CentralData[i] < 0 { // no local header at its offset was walked
			if v.CentralData[i] = v.dataOffset(v.Central[i].Offset); v.CentralData[i] < 0 {
				v.amb(cleanWhere(v.Central[i].Name), "central directory entry has no local header at offset %d", v.Central[i].Offset)
			} else {
				v.amb(cleanWhere(v.Central[i].Name), "entry only in the central directory (streaming readers do not reach it)")
			}
		}
	}
	v.overlaps(size)
	return nil
}

// localEnd finds where the entry's data ends as a streaming reader would:
// by its sizes, or when they follow the data (APPNOTE 4.3.9) by the size
// the central directory gives (checked against the descriptor) or, for an
// entry the directory does not know, by decoding it.
func (v *Views) localEnd(ctx context.Context, r io.ReaderAt, size int64, l *Local, o Options) error {
	if !l.Descriptor() {
		if l.CSize > size-l.Data {
			return errors.New("data past the end of the file")
		}
		l.Sized = true
		l.End = l.Data + l.CSize
		return nil
	}
	var dataEnd int64
	switch {
	case l.Central >= 0:
		c := &v.Central[l.Central]
		if c.CSize > size-l.Data {
			return errors.New("data past the end of the file")
		}
		dataEnd = l.Data + c.CSize
	case l.Method == 8 || l.Method == 9:
		cr := &ByteCounter{Br: bufio.NewReader(io.NewSectionReader(r, l.Data, size-l.Data))}
		var dec io.Reader
		if l.Method == 8 {
			dec = flate.NewReader(cr)
		} else {
			dec = NewDeflate64Reader(cr)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(inspect.ContextReader(ctx, dec), o.MaxDecode+1))
		switch {
		case err != nil:
			return err
		case n > o.MaxDecode:
			return fmt.Errorf("over %d bytes", o.MaxDecode)
		}
		dataEnd = l.Data + cr.N
		l.USize = n
	case l.Method == 0:
		end, ok := storedEnd(ctx, r, size, l.Data)
		if !ok {
			return errors.New("no data descriptor")
		}
		dataEnd = end
	default:
		return errors.New("sizes follow data that cannot be decoded")
	}
	l.End = dataEnd
	// APPNOTE 4.3.9: signature (optional), crc-32, sizes of 4 or 8 bytes.
	// Take the layout after which a header follows.
	var d [28]byte
	n := copy(d[:], v.w.upTo(dataEnd, len(d)))
	for _, lay := range []struct {
		skip, size int
	}{{4, 4}, {0, 4}, {4, 8}, {0, 8}} {
		if lay.skip == 4 && string(d[:4]) != sigDescriptor {
			continue
		}
		dl := lay.skip + 4 + 2*lay.size
		atEnd := int64(dl) == size-dataEnd
		if n < dl || (!atEnd && (n < dl+2 || d[dl] != 'P' || d[dl+1] != 'K')) {
			continue
		}
		crc := le32(d[lay.skip:])
		var cs, us int64
		if lay.size == 4 {
			cs, us = int64(le32(d[lay.skip+4:])), int64(le32(d[lay.skip+8:]))
		} else {
			cs, us = capSize(le64(d[lay.skip+4:])), capSize(le64(d[lay.skip+12:]))
		}
		l.End = dataEnd + int64(dl)
		if l.Central < 0 && l.Method == 8 && (cs != dataEnd-l.Data || us != l.USize) {
			v.amb(cleanWhere(l.Name), "data descriptor sizes (%d, %d) disagree with the data (%d, %d)", cs, us, dataEnd-l.Data, l.USize)
		}
		l.CRC, l.CSize, l.USize, l.Sized = crc, cs, us, true
		return nil
	}
	// No descriptor found: readers that need one fail; go on after the data.
	l.CSize = dataEnd - l.Data
	return nil
}

// compare reports how a local header differs from its central directory
// entry (APPNOTE 4.3.7 and 4.3.12 record the same fields).
func (v *Views) compare(l *Local) {
	if l.Central < 0 {
		v.amb(cleanWhere(l.Name), "entry only in the local headers at offset %d (local header view)", l.Offset)
		return
	}
	c := &v.Central[l.Central]
	if l.Name != c.Name || l.Method != c.Method || l.Encrypted() != c.Encrypted() ||
		l.Sized && (l.CRC != c.CRC || l.CSize != c.CSize || l.USize != c.USize) {
		v.differ(l, c)
	}
}

// differ reports how l differs from its central directory entry c.
func (v *Views) differ(l *Local, c *Header) {
	where := cleanWhere(c.Name)
	if l.Name != c.Name {
		v.amb(where, "name differs between central directory and local header: %q vs %q", clip(c.Name), clip(l.Name))
	}
	if l.Method != c.Method {
		v.amb(where, "compression method differs between central directory and local header: %d vs %d", c.Method, l.Method)
	}
	if l.Encrypted() != c.Encrypted() {
		v.amb(where, "encryption flag differs between central directory and local header: %t vs %t", c.Encrypted(), l.Encrypted())
	}
	if !l.Sized {
		return
	}
	if l.CRC != c.CRC {
		v.amb(where, "CRC-32 differs between central directory and local header: %08x vs %08x", c.CRC, l.CRC)
	}
	// A 0xFFFFFFFF size without its Zip64 field (archive/zip writes such
	// local headers for large raw entries) means "see the directory".
	same := func(local, central int64) bool { return local == central || (local == max32 && central >= max32) }
	if !same(l.CSize, c.CSize) || !same(l.USize, c.USize) {
		v.amb(where, "sizes differ between central directory and local header: %d/%d vs %d/%d bytes (compressed/uncompressed)", c.CSize, c.USize, l.CSize, l.USize)
	}
}

// overlaps reports central directory entries that share bytes: two
// entries with one local header, or data that runs into the next header.
func (v *Views) overlaps(size int64) {
	type span struct {
		start, end int64
		i          int
	}
	spans := make([]span, 0, len(v.Central))
	for i := range v.Central {
		d := v.CentralData[i]
		if d < 0 {
			continue
		}
		spans = append(spans, span{v.Central[i].Offset, d + min(v.Central[i].CSize, size), i})
	}
	byStart := func(a, b span) int { return cmp.Compare(a.start, b.start) }
	if !slices.IsSortedFunc(spans, byStart) { // archivers write the directory in file order
		slices.SortStableFunc(spans, byStart)
	}
	for k := 1; k < len(spans); k++ {
		p, q := spans[k-1], spans[k]
		if q.start < p.end {
			v.amb(cleanWhere(v.Central[q.i].Name), "entry overlaps %q (offsets %d-%d and %d-%d)", clip(cleanWhere(v.Central[p.i].Name)), p.start, p.end, q.start, q.end)
			if v.Central[p.i].Offset == v.Central[q.i].Offset || len(v.Ambiguities) > 64 {
				return // a zip bomb: one report is enough
			}
		}
	}
}

// Overlapping reports whether two central directory entries share bytes.
func (v *Views) Overlapping(size int64) bool {
	type span struct{ start, end int64 }
	spans := make([]span, 0, len(v.Central))
	for i := range v.Central {
		if d := v.CentralData[i]; d >= 0 {
			spans = append(spans, span{v.Central[i].Offset, d + min(v.Central[i].CSize, size)})
		}
	}
	byStart := func(a, b span) int { return cmp.Compare(a.start, b.start) }
	if !slices.IsSortedFunc(spans, byStart) {
		slices.SortStableFunc(spans, byStart)
	}
	for k := 1; k < len(spans); k++ {
		if spans[k].start < spans[k-1].end {
			return true
		}
	}
	return false
}

// storedEnd finds the end of stored data that starts at start and is
// followed by a data descriptor with signature (APPNOTE 4.3.9.3) whose
// compressed size (4 or 8 bytes) equals the data's length.
func storedEnd(ctx context.Context, r io.ReaderAt, size, start int64) (int64, bool) {
	const chunk = 64 << 10
	buf := make([]byte, chunk+24)
	for off := start; off < size; off += chunk {
		if ctx.Err() != nil {
			return 0, false
		}
		n, _ := r.ReadAt(buf, off)
		b := buf[:n]
		for i := 0; i+16 <= len(b); i++ {
			if b[i] != 'P' || b[i+1] != 'K' || b[i+2] != 7 || b[i+3] != 8 {
				continue
			}
			sz := uint64(off + int64(i) - start)
			if uint64(le32(b[i+8:])) == sz || (i+24 <= len(b) && le64(b[i+8:]) == sz) {
				return off + int64(i), true
			}
		}
	}
	return 0, false
}

// ByteCounter counts the bytes a decoder consumed (N); as an
// io.ByteReader it keeps flate from reading ahead. Br is the source.
type ByteCounter struct {
	Br *bufio.Reader
	N  int64
}

func (c *ByteCounter) Read(p []byte) (int, error) {
	n, err := c.Br.Read(p)
	c.N += int64(n)
	return n, err
}

func (c *ByteCounter) ReadByte() (byte, error) {
	b, err := c.Br.ReadByte()
	if err == nil {
		c.N++
	}
	return b, err
}

// cleanWhere makes an entry name usable as a finding's Where: forward
// slashes, no leading slash, no NUL bytes (as the archive inspector names
// members).
func cleanWhere(name string) string {
	b := []byte(name)
	out := b[:0]
	for _, c := range b {
		switch c {
		case 0:
			continue
		case '\\':
			c = '/'
		}
		out = append(out, c)
	}
	return string(bytes.TrimLeft(out, "/"))
}

// clip shortens a name quoted in a detail.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
