package diskimg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// NTFS has no public specification from Microsoft beyond what Windows
// exposes; the layout here is the one documented by the Linux-NTFS project
// ("NTFS Documentation", Richard Russon and Yuval Fledel) and by [MS-FSCC]
// for attribute types, cited as [NTFS] with the structure's name.
//
// The reader walks the master file table record by record, takes each
// file's name and parent from its $FILE_NAME attribute (no index B-trees),
// and hands every unnamed and named $DATA stream (alternate data streams
// too) to the engine. What it does not follow is reported: attribute lists,
// compressed streams; EFS-encrypted streams are encrypted.

const (
	ntfsMaxRecordSize = 64 << 10
	ntfsMaxPathDepth  = 64
	ntfsRootRecord    = 5
	ntfsExtendRecord  = 11 // $Extend: $Quota, $ObjId, $Reparse, $UsnJrnl
	ntfsFirstUser     = 16 // records 0-15 are the metadata files

	ntfsAttrList     = 0x20
	ntfsAttrFileName = 0x30
	ntfsAttrData     = 0x80
	ntfsAttrEnd      = 0xFFFFFFFF

	ntfsFlagCompressed = 0x00FF
	ntfsFlagEncrypted  = 0x4000
)

// ntfsVolume is an opened NTFS volume.
type ntfsVolume struct {
	r       io.ReaderAt
	size    int64
	cluster int64
	record  int64
	mft     *extentReader // the $MFT's $DATA
}

// openNTFS reads the boot sector ([NTFS] "$Boot": bytes per sector at 0x0B,
// sectors per cluster at 0x0D, $MFT cluster at 0x30, clusters per MFT
// record at 0x40, negative for 2^-n bytes) and the $MFT's own record.
func openNTFS(r io.ReaderAt, size int64, b []byte) (*ntfsVolume, error) {
	bps := int64(binary.LittleEndian.Uint16(b[0x0B:]))
	spc := int64(b[0x0D])
	if spc > 0x80 { // 2^(256-n), for clusters over 64 KiB
		if 256-spc > 12 {
			return nil, errors.New("malformed NTFS volume: cluster size")
		}
		spc = 1 << (256 - spc)
	}
	if bps < 256 || bps > 4096 || bps&(bps-1) != 0 || spc == 0 || spc&(spc-1) != 0 || bps*spc > 2<<20 {
		return nil, errors.New("malformed NTFS volume: sector or cluster size")
	}
	v := &ntfsVolume{r: r, size: size, cluster: bps * spc}
	switch c := int8(b[0x40]); {
	case c < 0 && c >= -16:
		v.record = 1 << -c
	case c > 0:
		v.record = int64(c) * v.cluster
	}
	if v.record < 512 || v.record > ntfsMaxRecordSize || v.record%512 != 0 {
		return nil, errors.New("malformed NTFS volume: MFT record size")
	}
	mftLCN := int64(binary.LittleEndian.Uint64(b[0x30:]))
	if mftLCN < 0 || mftLCN > size/v.cluster {
		return nil, errors.New("malformed NTFS volume: MFT outside the image")
	}
	// The $MFT's first record describes the $MFT: read it in place.
	v.mft = &extentReader{r: r, size: v.record, init: v.record,
		ext: []extent{{lcn: mftLCN * v.cluster, length: v.record}}}
	rec, err := v.readRecord(0)
	if err != nil {
		return nil, fmt.Errorf("malformed NTFS volume: $MFT record: %w", err)
	}
	var mft *extentReader
	err = ntfsAttrs(rec, func(a []byte) error {
		if binary.LittleEndian.Uint32(a) == ntfsAttrData && a[9] == 0 && a[8] != 0 {
			mft, err = v.nonResident(a)
		}
		return err
	})
	if err != nil || mft == nil {
		return nil, errors.New("malformed NTFS volume: $MFT has no data")
	}
	v.mft = mft
	return v, nil
}

// readRecord reads MFT record n and applies its fixups ([NTFS] "FILE
// record": "FILE", update sequence offset at 4 and count at 6; the last two
// bytes of every 512-byte stride hold the sequence number, their real value
// is in the array).
func (v *ntfsVolume) readRecord(n int64) ([]byte, error) {
	rec := make([]byte, v.record)
	if _, err := v.mft.ReadAt(rec, n*v.record); err != nil {
		return nil, err
	}
	if string(rec[:4]) != "FILE" {
		return nil, errNotRecord
	}
	usa := int64(binary.LittleEndian.Uint16(rec[4:]))
	cnt := int64(binary.LittleEndian.Uint16(rec[6:]))
	if cnt == 0 || cnt-1 > v.record/512 || usa+2*cnt > v.record {
		return nil, errors.New("bad update sequence")
	}
	usn := rec[usa : usa+2]
	for i := int64(1); i < cnt; i++ {
		end := i*512 - 2
		if rec[end] != usn[0] || rec[end+1] != usn[1] {
			return nil, errors.New("torn record (update sequence mismatch)")
		}
		copy(rec[end:end+2], rec[usa+2*i:usa+2*i+2])
	}
	return rec, nil
}

var errNotRecord = errors.New("not a FILE record")

// ntfsAttrs calls f with each attribute of a record ([NTFS] "Attribute
// header": type at 0, length at 4, non-resident flag at 8, name length at
// 9, name offset at 10, flags at 12), stopping at the end marker.
func ntfsAttrs(rec []byte, f func(a []byte) error) error {
	off := int(binary.LittleEndian.Uint16(rec[20:]))
	used := min(int(binary.LittleEndian.Uint32(rec[24:])), len(rec))
	for off+8 <= used {
		typ := binary.LittleEndian.Uint32(rec[off:])
		if typ == ntfsAttrEnd {
			return nil
		}
		l := int(binary.LittleEndian.Uint32(rec[off+4:]))
		if l < 24 || off+l > used {
			return errors.New("attribute overruns its record")
		}
		if err := f(rec[off : off+l]); err != nil {
			return err
		}
		off += l
	}
	return nil
}

// resident returns a resident attribute's value (length at 16, offset at 20).
func resident(a []byte) ([]byte, error) {
	l := int(binary.LittleEndian.Uint32(a[16:]))
	o := int(binary.LittleEndian.Uint16(a[20:]))
	if o > len(a) || l > len(a)-o {
		return nil, errors.New("resident value overruns its attribute")
	}
	return a[o : o+l], nil
}

// attrName returns an attribute's name (a named $DATA is an alternate data
// stream).
func attrName(a []byte) (string, error) {
	n, o := int(a[9]), int(binary.LittleEndian.Uint16(a[10:]))
	if o+2*n > len(a) {
		return "", errors.New("attribute name overruns its attribute")
	}
	return utf16String(a[o : o+2*n]), nil
}

func utf16String(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// nonResident decodes a non-resident attribute's runlist ([NTFS] "Data
// runs": a header byte whose low nibble sizes the run length and high
// nibble the signed LCN delta; no delta is a sparse run) into extents,
// each checked against the volume.
func (v *ntfsVolume) nonResident(a []byte) (*extentReader, error) {
	if len(a) < 64 {
		return nil, errors.New("non-resident attribute too short")
	}
	if binary.LittleEndian.Uint64(a[16:]) != 0 {
		return nil, errors.New("attribute continues an attribute list")
	}
	ro := int(binary.LittleEndian.Uint16(a[32:]))
	size := int64(binary.LittleEndian.Uint64(a[48:]))
	init := int64(binary.LittleEndian.Uint64(a[56:]))
	if ro > len(a) || size < 0 || init < 0 {
		return nil, errors.New("bad non-resident attribute")
	}
	e := &extentReader{r: v.r, size: size, init: min(init, size)}
	runs := a[ro:]
	var lcn, vcn int64
	for len(runs) > 0 && runs[0] != 0 {
		h := runs[0]
		ln, lo := int(h&0x0F), int(h>>4)
		if ln == 0 || ln > 8 || lo > 8 || 1+ln+lo > len(runs) {
			return nil, errors.New("bad data run")
		}
		var count int64
		for i := ln; i >= 1; i-- {
			count = count<<8 | int64(runs[i])
		}
		if count <= 0 || count > v.size/v.cluster+1 || vcn*v.cluster > size {
			return nil, errors.New("data run longer than the volume")
		}
		ext := extent{vcn: vcn * v.cluster, lcn: -1, length: count * v.cluster}
		if lo > 0 {
			var delta int64
			for i := ln + lo; i > ln; i-- {
				delta = delta<<8 | int64(runs[i])
			}
			if runs[ln+lo]&0x80 != 0 { // sign extend
				delta -= 1 << (8 * lo)
			}
			lcn += delta
			if lcn < 0 || (lcn+count)*v.cluster > v.size {
				return nil, errors.New("data run outside the image")
			}
			ext.lcn = lcn * v.cluster
		}
		e.ext = append(e.ext, ext)
		vcn += count
		runs = runs[1+ln+lo:]
	}
	if vcn*v.cluster < e.init {
		return nil, errors.New("data runs shorter than the stream")
	}
	return e, nil
}

// extent maps a stretch of a stream (vcn, in bytes) to the volume (lcn, in
// bytes; -1 for a sparse stretch, which reads as zeros).
type extent struct {
	vcn, lcn, length int64
}

// extentReader reads a non-resident stream: bytes past the initialized
// size read as zeros.
type extentReader struct {
	r    io.ReaderAt
	size int64
	init int64
	ext  []extent
}

func (e *extentReader) ReadAt(p []byte, off int64) (int, error) {
	return readMapped(e.r, p, off, e.size, func(off, room int64) (int64, int64, error) {
		if off >= e.init {
			return -1, room, nil
		}
		i := sort.Search(len(e.ext), func(i int) bool { return e.ext[i].vcn+e.ext[i].length > off })
		if i == len(e.ext) || e.ext[i].vcn > off {
			return 0, 0, io.ErrUnexpectedEOF
		}
		x := e.ext[i]
		within := off - x.vcn
		m := min(room, x.length-within, e.init-off)
		if x.lcn < 0 {
			return -1, m, nil
		}
		return x.lcn + within, m, nil
	})
}

// ntfsFile is what the walk keeps of one record.
type ntfsFile struct {
	parent int64
	name   string
}

// ntfsStream is one $DATA attribute to hand on.
type ntfsStream struct {
	record int64
	name   string // "" for the unnamed stream
	attr   []byte
}

// ntfs lists every stream of every file of the volume.
func (w *walker) ntfs(v *ntfsVolume, where string) error {
	// Only initialized records can be in use; none lies outside the volume.
	records := min(v.mft.init, v.size) / v.record
	files := map[int64]ntfsFile{}
	var streams []ntfsStream
	for n := int64(0); n < records; n++ {
		if n%1024 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := v.readRecord(n)
		if errors.Is(err, errNotRecord) {
			continue // never used
		}
		if err != nil {
			w.unscannable(where, fmt.Sprintf("NTFS record %d: %v", n, err))
			continue
		}
		flags := binary.LittleEndian.Uint16(rec[22:])
		if flags&1 == 0 || binary.LittleEndian.Uint64(rec[32:]) != 0 {
			continue // not in use, or an extension of another record
		}
		var name string
		var nameNS byte = 0xFF
		parent := int64(-1)
		err = ntfsAttrs(rec, func(a []byte) error {
			switch binary.LittleEndian.Uint32(a) {
			case ntfsAttrList:
				return errors.New("attribute list not followed")
			case ntfsAttrFileName:
				val, err := resident(a)
				if err != nil || len(val) < 66 || 66+2*int(val[64]) > len(val) {
					return errors.New("bad $FILE_NAME")
				}
				// Namespace at 65: prefer Win32 (1, 3) or POSIX (0) to DOS (2).
				if ns := val[65]; nameNS == 0xFF || nameNS == 2 {
					name, nameNS = utf16String(val[66:66+2*int(val[64])]), ns
					parent = int64(binary.LittleEndian.Uint64(val) & (1<<48 - 1))
				}
			case ntfsAttrData:
				s, err := attrName(a)
				if err != nil {
					return err
				}
				streams = append(streams, ntfsStream{record: n, name: s, attr: a})
			}
			return nil
		})
		if err != nil {
			w.unscannable(where, fmt.Sprintf("NTFS record %d: %v", n, err))
		}
		if parent >= 0 {
			files[n] = ntfsFile{parent: parent, name: cleanName(name)}
		}
		if len(streams) > w.limits.MaxParts {
			return &inspect.LimitError{Limit: inspect.LimitParts, Value: int64(w.limits.MaxParts)}
		}
	}
	for _, st := range streams {
		if st.record < ntfsFirstUser {
			continue // $MFT, $LogFile, $Boot ...
		}
		p, err := ntfsPath(files, st.record)
		if errors.Is(err, errUnderExtend) {
			continue // $Quota, $ObjId, $UsnJrnl ...
		}
		if err != nil {
			// chkdsk would show it in found.000: inspect it all the same.
			p = fmt.Sprintf("orphan%d", st.record)
			if f, ok := files[st.record]; ok {
				p += "/" + f.name
			}
		}
		if st.name != "" {
			p += ":" + cleanName(st.name) // an alternate data stream ("" + ":x" on the root)
		}
		if p == "" {
			p = "_"
		}
		if err := w.count(); err != nil {
			return err
		}
		if err := w.ntfsStream(v, joinPath(where, p), st.attr); err != nil {
			return err
		}
	}
	return nil
}

var (
	errUnderExtend = errors.New("under $Extend")
	errOrphan      = errors.New("not reachable from the root directory")
)

// ntfsPath builds a record's path from the parents in the $FILE_NAMEs. It
// fails for a record under $Extend and for one whose parents do not lead
// to the root (a loop, a missing record).
func ntfsPath(files map[int64]ntfsFile, n int64) (string, error) {
	var parts []string
	for depth := 0; n != ntfsRootRecord; depth++ {
		if n == ntfsExtendRecord {
			return "", errUnderExtend
		}
		f, ok := files[n]
		if !ok || depth > ntfsMaxPathDepth {
			return "", errOrphan
		}
		parts = append(parts, f.name)
		n = f.parent
	}
	slices.Reverse(parts)
	return strings.Join(parts, "/"), nil
}

// ntfsStream hands one $DATA attribute to the engine.
func (w *walker) ntfsStream(v *ntfsVolume, where string, a []byte) error {
	flags := binary.LittleEndian.Uint16(a[12:])
	switch {
	case flags&ntfsFlagEncrypted != 0:
		w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: where, Detail: "NTFS EFS-encrypted file"})
		return nil
	case flags&ntfsFlagCompressed != 0:
		w.unscannable(where, "NTFS compressed file: not read")
		return nil
	}
	if a[8] == 0 {
		val, err := resident(a)
		if err != nil {
			w.unscannable(where, "NTFS file: "+err.Error())
			return nil
		}
		// A copy: the record buffer is not kept.
		return w.s.ChildAt(where, inspect.BytesReaderAt(append([]byte{}, val...)), int64(len(val)))
	}
	r, err := v.nonResident(a)
	if err != nil {
		w.unscannable(where, "NTFS file: "+err.Error())
		return nil
	}
	if r.size > w.limits.MaxPartSize {
		w.s.Emit(inspect.LimitFinding(inspect.LimitPartSize, w.limits.MaxPartSize).At(where))
		return nil
	}
	return w.s.ChildAt(where, r, r.size)
}
