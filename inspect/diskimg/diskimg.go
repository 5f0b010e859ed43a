package diskimg

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// ErrNeedsParent is returned for a differencing VHD or VHDX: its content is
// only the difference to a parent disk that is not in the mail.
var ErrNeedsParent = errors.New("differencing VHD/VHDX needs its parent")

// Inspector inspects one disk image family. Make one per family with New.
type Inspector struct {
	family inspect.Family
}

var _ inspect.Inspector = (*Inspector)(nil)

// Families lists every family this package has an inspector for.
func Families() []inspect.Family {
	return []inspect.Family{inspect.FamilyIMG, inspect.FamilyVHD, inspect.FamilyVHDX}
}

// New returns the inspector for family f (one of Families).
func New(f inspect.Family) *Inspector { return &Inspector{family: f} }

// disk is a virtual disk: its bytes, its size and its logical sector size.
type disk struct {
	r      io.ReaderAt
	size   int64
	sector int64
}

// Inspect opens the image in p, finds its volumes and hands every file of a
// FAT or NTFS volume to s.ChildAt.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	p.Limits = p.Limits.WithDefaults()
	var d disk
	var err error
	switch in.family {
	case inspect.FamilyIMG:
		s.SetType(inspect.TypeIMG)
		d = disk{r: p.R, size: p.Size, sector: 512}
	case inspect.FamilyVHD:
		s.SetType(inspect.TypeVHD)
		var alt *disk
		var altErr error
		d, alt, altErr, err = openVHD(p)
		if err == nil && alt != nil {
			return in.twoReadings(ctx, p, s, d, *alt, altErr)
		}
	case inspect.FamilyVHDX:
		s.SetType(inspect.TypeVHDX)
		d, err = openVHDX(p)
	default:
		return fmt.Errorf("disk image inspector has no format for %q content", in.family)
	}
	if err != nil {
		return err
	}
	w := &walker{ctx: ctx, s: s, limits: p.Limits, backing: p.Size}
	err = w.disk(d)
	var le *inspect.LimitError
	if in.family == inspect.FamilyIMG && !errors.As(err, &le) && ctx.Err() == nil && isISO9660(p) {
		// A FAT boot sector in the system area of an ISO 9660 image: Windows
		// mounts the ISO reading, other tools the FAT one. Hand the ISO
		// reading to the engine with the boot sector masked (ECMA-119 6.2.1:
		// the first 16 sectors are not part of the file system), so that
		// it is sniffed as ISO.
		s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Detail: "disk image is also an ISO 9660 image: both readings inspected"})
		if cerr := s.ChildAt(isoReading, &maskedReader{r: p.R, mask: 512}, p.Size); cerr != nil {
			return cerr
		}
	}
	return err
}

// isoReading is the name of the ISO 9660 reading of a polyglot image.
const isoReading = "iso9660"

// isISO9660 reports an ISO 9660 volume descriptor at sector 16.
func isISO9660(p inspect.Part) bool {
	var vd [5]byte
	_, err := p.R.ReadAt(vd[:], 0x8001)
	return err == nil && string(vd[:]) == "CD001"
}

// maskedReader reads r with its first mask bytes as zeros.
type maskedReader struct {
	r    io.ReaderAt
	mask int64
}

func (m *maskedReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := m.r.ReadAt(p, off)
	if off < m.mask {
		clear(p[:min(int64(n), m.mask-off)])
	}
	return n, err
}

// twoReadings walks a VHD whose footer copy at the start disagrees with the
// footer at the end: the disk Hyper-V sees, then the one qemu sees (under
// "footer-copy/"), and reports the ambiguity.
func (in *Inspector) twoReadings(ctx context.Context, p inspect.Part, s inspect.Scope, d, alt disk, altErr error) error {
	s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Detail: "VHD footer and its copy at the start disagree: both readings inspected"})
	w := &walker{ctx: ctx, s: s, limits: p.Limits, backing: p.Size}
	if err := w.disk(d); err != nil {
		return err
	}
	if altErr != nil {
		w.unscannable(altFooter, altErr.Error())
		return nil
	}
	aw := &walker{ctx: ctx, s: prefixScope{s, altFooter}, limits: p.Limits, backing: p.Size, files: w.files}
	return aw.disk(alt)
}

// altFooter is where the second reading of a VHD is reported.
const altFooter = "footer-copy"

// prefixScope puts everything a second reading reports under a prefix.
type prefixScope struct {
	inspect.Scope
	prefix string
}

func (p prefixScope) Emit(f inspect.Finding) {
	f.Where = joinPath(p.prefix, f.Where)
	p.Scope.Emit(f)
}

func (p prefixScope) Child(name string, r io.Reader) error {
	return p.Scope.Child(joinPath(p.prefix, name), r)
}

func (p prefixScope) ChildAt(name string, r io.ReaderAt, size int64) error {
	return p.Scope.ChildAt(joinPath(p.prefix, name), r, size)
}

// walker is the state of one image's walk.
type walker struct {
	ctx    context.Context
	s      inspect.Scope
	limits inspect.Limits
	files  int // files and directories listed, against Limits.MaxParts
	// backing is the size of the image file: a virtual disk may be far
	// larger than the bytes that hold it.
	backing int64
}

func (w *walker) unscannable(where, detail string) {
	w.s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: where, Detail: detail})
}

// count counts one listed file or directory against the parts limit.
func (w *walker) count() error {
	if w.files++; w.files > w.limits.MaxParts {
		return &inspect.LimitError{Limit: inspect.LimitParts, Value: int64(w.limits.MaxParts)}
	}
	return nil
}

// disk reads a disk: a bare volume (a "superfloppy"), or an MBR or GPT
// partition table whose partitions are read one by one.
func (w *walker) disk(d disk) error {
	if d.size < 512 {
		return errors.New("disk image too small for a boot sector")
	}
	var b [512]byte
	if _, err := d.r.ReadAt(b[:], 0); err != nil {
		return fmt.Errorf("disk image: %w", err)
	}
	if isBootSector(b[:]) {
		return w.volume(d.r, d.size, "")
	}
	if b[510] != 0x55 || b[511] != 0xAA || !mbrEntriesValid(b[:]) {
		// No partition table: maybe a bare volume without a FAT-like
		// boot sector (ext), maybe nothing readable at all.
		return w.volume(d.r, d.size, "")
	}
	parts, err := partitions(d, b[:], w.s)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		w.unscannable("", "disk without partitions or file system: nothing listed")
		return nil
	}
	for _, pt := range parts {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		where := ""
		if len(parts) > 1 {
			where = fmt.Sprintf("partition%d", pt.index)
		}
		length := pt.length
		if pt.start >= d.size {
			w.unscannable(where, "partition starts past the end of the disk")
			continue
		}
		if pt.start+length > d.size {
			w.unscannable(where, "partition extends past the end of the disk")
			length = d.size - pt.start
		}
		if err := w.volume(io.NewSectionReader(d.r, pt.start, length), length, where); err != nil {
			return err
		}
	}
	return nil
}

// isBootSector reports a volume boot sector at the start of a disk: a jump
// instruction, the 0x55AA signature and a known OEM id or a FAT BPB.
func isBootSector(b []byte) bool {
	if b[510] != 0x55 || b[511] != 0xAA || !(b[0] == 0xEB && b[2] == 0x90) && b[0] != 0xE9 {
		return false
	}
	if _, ok := foreignFS(b); ok {
		return true
	}
	_, err := parseBPB(b)
	return err == nil
}

// foreignFS names a file system that is not FAT from its boot sector's OEM
// id (NTFS, exFAT, ReFS; BitLocker's "-FVE-FS-").
func foreignFS(b []byte) (string, bool) {
	switch {
	case string(b[3:11]) == "NTFS    ":
		return "NTFS", true
	case string(b[3:11]) == "EXFAT   ":
		return "exFAT", true
	case string(b[3:11]) == "-FVE-FS-":
		return "BitLocker", true
	case bytes.Equal(b[3:11], []byte("ReFS\x00\x00\x00\x00")):
		return "ReFS", true
	}
	return "", false
}

// volume identifies the file system of one volume and lists a FAT volume's
// files. Any other file system is reported, never passed as clean.
func (w *walker) volume(r io.ReaderAt, size int64, where string) error {
	if size < 512 {
		w.unscannable(where, "volume too small for a boot sector: nothing listed")
		return nil
	}
	var b [512]byte
	if _, err := r.ReadAt(b[:], 0); err != nil {
		w.unscannable(where, "volume boot sector unreadable: "+err.Error())
		return nil
	}
	if fs, ok := foreignFS(b[:]); ok {
		switch fs {
		case "BitLocker":
			w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: where, Detail: "BitLocker volume"})
		case "NTFS":
			v, err := openNTFS(r, size, b[:])
			if err != nil {
				w.unscannable(where, err.Error())
				return nil
			}
			return w.ntfs(v, where)
		default:
			w.unscannable(where, fs+" volume: files not listed")
		}
		return nil
	}
	bpb, err := parseBPB(b[:])
	if err == nil {
		v, err := openFAT(r, size, w.backing, bpb)
		if err != nil {
			w.unscannable(where, err.Error())
			return nil
		}
		return w.fat(v, where)
	}
	// ext2/3/4: superblock at 1024, s_magic 0xEF53 at offset 56.
	var m [2]byte
	if _, err := r.ReadAt(m[:], 1024+56); err == nil && binary.LittleEndian.Uint16(m[:]) == 0xEF53 {
		w.unscannable(where, "ext2/3/4 volume: files not listed")
		return nil
	}
	w.unscannable(where, "unknown file system: files not listed")
	return nil
}
