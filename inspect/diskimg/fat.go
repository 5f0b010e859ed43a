package diskimg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"

	"github.com/officemilter/officemilter/inspect"
)

// References: Microsoft Extensible Firmware Initiative FAT32 File System
// Specification, version 1.03 (2000), cited as [FAT] with its section
// names; the VFAT long name layout is in its "FAT Long Directory Entries".

const (
	maxClusterSize = 256 << 10 // 4096-byte sectors × 64 sectors per cluster
	dirEntrySize   = 32
	maxDirEntries  = 65536 // [FAT] "FAT Directory Structure": a directory holds at most 65,536 entries
	maxDirDepth    = 32
	maxLFNEntries  = 20 // 20 × 13 characters cover the 255-character limit

	attrReadOnly  = 0x01
	attrHidden    = 0x02
	attrSystem    = 0x04
	attrVolumeID  = 0x08
	attrDirectory = 0x10
	attrLongName  = attrReadOnly | attrHidden | attrSystem | attrVolumeID
)

// bpb holds the boot sector fields the reader needs ([FAT] "Boot Sector
// and BPB").
type bpb struct {
	bytesPerSector    int64
	sectorsPerCluster int64
	reserved          int64
	fats              int64
	rootEntries       int64
	totalSectors      int64
	fatSectors        int64
	fat32             bool
	extFlags          uint16
	rootCluster       uint32
}

// parseBPB reads a FAT boot sector and checks every field against the
// ranges the specification allows.
func parseBPB(b []byte) (bpb, error) {
	var p bpb
	p.bytesPerSector = int64(binary.LittleEndian.Uint16(b[11:]))
	p.sectorsPerCluster = int64(b[13])
	p.reserved = int64(binary.LittleEndian.Uint16(b[14:]))
	p.fats = int64(b[16])
	p.rootEntries = int64(binary.LittleEndian.Uint16(b[17:]))
	p.totalSectors = int64(binary.LittleEndian.Uint16(b[19:]))
	if p.totalSectors == 0 {
		p.totalSectors = int64(binary.LittleEndian.Uint32(b[32:]))
	}
	media := b[21]
	p.fatSectors = int64(binary.LittleEndian.Uint16(b[22:]))
	if p.fatSectors == 0 {
		// FAT32 BPB: BPB_FATSz32 at 36, BPB_ExtFlags at 40, BPB_RootClus
		// at 44. Linux and Windows' fastfat tell FAT32 by BPB_FATSz16 == 0,
		// not by the cluster count the specification names: follow them.
		p.fat32 = true
		p.fatSectors = int64(binary.LittleEndian.Uint32(b[36:]))
		p.extFlags = binary.LittleEndian.Uint16(b[40:])
		p.rootCluster = binary.LittleEndian.Uint32(b[44:])
	}
	switch {
	case p.bytesPerSector != 512 && p.bytesPerSector != 1024 && p.bytesPerSector != 2048 && p.bytesPerSector != 4096:
		return p, fmt.Errorf("FAT boot sector: %d bytes per sector", p.bytesPerSector)
	case p.sectorsPerCluster == 0 || p.sectorsPerCluster&(p.sectorsPerCluster-1) != 0 ||
		p.sectorsPerCluster*p.bytesPerSector > maxClusterSize:
		return p, fmt.Errorf("FAT boot sector: %d sectors per cluster", p.sectorsPerCluster)
	case p.reserved == 0:
		return p, errors.New("FAT boot sector: no reserved sectors")
	case p.fats == 0 || p.fats > 4:
		return p, fmt.Errorf("FAT boot sector: %d FATs", p.fats)
	case media != 0xF0 && media < 0xF8:
		return p, fmt.Errorf("FAT boot sector: media byte %#x", media)
	case p.totalSectors == 0 || p.fatSectors == 0:
		return p, errors.New("FAT boot sector: no sectors")
	case p.fat32 && p.rootEntries != 0:
		return p, errors.New("FAT boot sector: FAT32 with a fixed root directory")
	case !p.fat32 && p.rootEntries == 0:
		return p, errors.New("FAT boot sector: FAT12/16 without a root directory")
	}
	return p, nil
}

// fatVolume is an opened FAT volume.
type fatVolume struct {
	r       io.ReaderAt
	size    int64 // bytes of the volume (as far as the image holds it)
	bits    int   // 12, 16 or 32
	cluster int64 // bytes per cluster
	fatOff  int64 // the active FAT
	fatLen  int64
	rootOff int64 // FAT12/16 root directory region
	rootLen int64
	root    uint32 // FAT32 root directory cluster
	dataOff int64
	count   uint32 // data clusters: numbers 2 .. count+1
	total   int64  // bytes the boot sector says the volume has

	steps int64 // chain steps left: cross-linked chains cannot make the walk quadratic

	blk    [4096]byte // the FAT block last read
	blkOff int64      // its offset, -1 for none
}

// openFAT computes the volume's regions ([FAT] "FAT Data Structure", "FAT
// Type Determination") and checks them against the volume size: the
// metadata regions must be inside the image; clusters outside it are found
// when a chain reaches them.
//
// backing is the size of the image file, which bounds the chain steps.
func openFAT(r io.ReaderAt, size, backing int64, p bpb) (*fatVolume, error) {
	bps := p.bytesPerSector
	v := &fatVolume{r: r, size: size, cluster: bps * p.sectorsPerCluster, blkOff: -1, total: p.totalSectors * bps}
	rootSectors := (p.rootEntries*dirEntrySize + bps - 1) / bps
	firstData := p.reserved + p.fats*p.fatSectors + rootSectors // ≤ 65535 + 4×2³² + 2048: no overflow
	if firstData >= p.totalSectors {
		return nil, errors.New("malformed FAT volume: no data region")
	}
	clusters := (p.totalSectors - firstData) / p.sectorsPerCluster
	switch {
	case p.fat32:
		v.bits = 32
		if clusters > 0x0FFFFFF5 {
			return nil, errors.New("malformed FAT volume: too many clusters for FAT32")
		}
	case clusters < 4085:
		v.bits = 12
	case clusters < 65525:
		v.bits = 16
	default:
		return nil, errors.New("malformed FAT volume: too many clusters for FAT16")
	}
	active := int64(0)
	if p.fat32 && p.extFlags&0x80 != 0 {
		// [FAT] BPB_ExtFlags: mirroring disabled, only this FAT is in use.
		active = int64(p.extFlags & 0x0F)
		if active >= p.fats {
			return nil, fmt.Errorf("malformed FAT volume: active FAT %d of %d", active, p.fats)
		}
	}
	v.fatLen = p.fatSectors * bps
	v.fatOff = (p.reserved + active*p.fatSectors) * bps
	v.rootOff = (p.reserved + p.fats*p.fatSectors) * bps
	v.rootLen = rootSectors * bps
	v.dataOff = firstData * bps
	// A FAT too short for every cluster limits the clusters (as Linux
	// does): an entry past its end cannot be read.
	if maxEntries := v.fatLen * 8 / int64(v.bits); clusters+2 > maxEntries {
		clusters = maxEntries - 2
	}
	if clusters < 1 {
		return nil, errors.New("malformed FAT volume: no clusters")
	}
	v.count = uint32(clusters)
	if v.fatOff+v.fatLen > size || v.dataOff > size {
		return nil, errors.New("malformed FAT volume: file allocation table outside the image")
	}
	// A volume whose chains share no cluster is walked in one step per
	// cluster; allow twice that, and never more than the clusters whose
	// FAT entries the image file itself can hold (a sparse virtual disk
	// reads zeros, which end a chain).
	inImage := max(0, (size-v.dataOff)/v.cluster)
	backed := backing * 8 / int64(v.bits)
	v.steps = 2*min(int64(v.count), inImage, backed) + 65536
	if v.bits == 32 {
		v.root = p.rootCluster
		if !v.valid(v.root) {
			return nil, errors.New("malformed FAT volume: root directory cluster outside the volume")
		}
	}
	return v, nil
}

// valid reports a cluster number of the data region.
func (v *fatVolume) valid(c uint32) bool { return c >= 2 && uint64(c) < uint64(v.count)+2 }

// clusterOff is where cluster c starts in the volume.
func (v *fatVolume) clusterOff(c uint32) int64 { return v.dataOff + int64(c-2)*v.cluster }

// inImage reports whether cluster c lies completely inside the image.
func (v *fatVolume) inImage(c uint32) bool { return v.clusterOff(c)+v.cluster <= v.size }

// endOfChain is what next returns at the end of a chain.
const endOfChain = ^uint32(0)

// errChain* are the ways a cluster chain breaks.
var (
	errChainFree    = errors.New("cluster chain runs into a free cluster")
	errChainBad     = errors.New("cluster chain runs into a bad cluster")
	errChainOutside = errors.New("cluster chain points outside the volume")
	errChainLoop    = errors.New("cluster chain loops")
	errStepBudget   = errors.New("cross-linked cluster chains: listing stopped")
)

// next returns the FAT entry of cluster c: the next cluster of its chain or
// endOfChain ([FAT] "FAT Entry Values").
func (v *fatVolume) next(c uint32) (uint32, error) {
	var off int64
	var n int
	switch v.bits {
	case 12:
		off, n = int64(c)+int64(c)/2, 2
	case 16:
		off, n = int64(c)*2, 2
	default:
		off, n = int64(c)*4, 4
	}
	b, err := v.fatBytes(off, n)
	if err != nil {
		return 0, err
	}
	var e, eoc, bad uint32
	switch v.bits {
	case 12:
		e = uint32(binary.LittleEndian.Uint16(b))
		if c&1 == 1 {
			e >>= 4
		}
		e &= 0xFFF
		eoc, bad = 0xFF8, 0xFF7
	case 16:
		e = uint32(binary.LittleEndian.Uint16(b))
		eoc, bad = 0xFFF8, 0xFFF7
	default:
		e = binary.LittleEndian.Uint32(b) & 0x0FFFFFFF // the top four bits are reserved
		eoc, bad = 0x0FFFFFF8, 0x0FFFFFF7
	}
	switch {
	case e >= eoc:
		return endOfChain, nil
	case e == bad:
		return 0, errChainBad
	case e == 0:
		return 0, errChainFree
	case !v.valid(e):
		return 0, errChainOutside
	}
	return e, nil
}

// fatBytes returns n bytes at off in the active FAT, reading it a block at
// a time.
func (v *fatVolume) fatBytes(off int64, n int) ([]byte, error) {
	if off+int64(n) > v.fatLen {
		return nil, errChainOutside
	}
	blk := int64(len(v.blk))
	start := off / blk * blk
	if (off+int64(n)-1)/blk*blk != start {
		// An entry across two blocks (FAT12): read it alone.
		b := make([]byte, n)
		if _, err := v.r.ReadAt(b, v.fatOff+off); err != nil {
			return nil, fmt.Errorf("file allocation table unreadable: %w", err)
		}
		return b, nil
	}
	if v.blkOff != start {
		want := min(blk, v.fatLen-start)
		if _, err := v.r.ReadAt(v.blk[:want], v.fatOff+start); err != nil {
			v.blkOff = -1
			return nil, fmt.Errorf("file allocation table unreadable: %w", err)
		}
		v.blkOff = start
	}
	return v.blk[off-start : off-start+int64(n)], nil
}

// run is a stretch of consecutive clusters of a chain.
type run struct {
	first uint32
	n     int64
	off   int64 // offset of the run in the file
}

// chain follows the cluster chain from first for at most max clusters
// (max < 0: to its end) and returns it as runs. Clusters already used by
// another chain of the volume are reported as shared (cross-linked); a
// cluster met twice in the same chain is a loop.
func (v *fatVolume) chain(first uint32, max int64, used clusterSet) (runs []run, n int64, shared bool, err error) {
	if !v.valid(first) {
		return nil, 0, false, errChainOutside
	}
	mine := clusterSet{}
	c := first
	for max < 0 || n < max {
		if v.steps--; v.steps < 0 {
			return runs, n, shared, errStepBudget
		}
		if mine.has(c) {
			return runs, n, shared, errChainLoop
		}
		mine.add(c)
		if !v.inImage(c) {
			return runs, n, shared, errors.New("cluster outside the image (truncated?)")
		}
		if used.has(c) {
			shared = true
		}
		used.add(c)
		if k := len(runs); k > 0 && runs[k-1].first+uint32(runs[k-1].n) == c {
			runs[k-1].n++
		} else {
			runs = append(runs, run{first: c, n: 1, off: n * v.cluster})
		}
		n++
		nx, err := v.next(c)
		if err != nil {
			return runs, n, shared, err
		}
		if nx == endOfChain {
			break
		}
		c = nx
	}
	return runs, n, shared, nil
}

// chainReader reads a file through its cluster runs.
type chainReader struct {
	v    *fatVolume
	runs []run
	size int64
}

func (c *chainReader) ReadAt(p []byte, off int64) (int, error) {
	return readMapped(c.v.r, p, off, c.size, func(off, room int64) (int64, int64, error) {
		i := sort.Search(len(c.runs), func(i int) bool { return c.runs[i].off+c.runs[i].n*c.v.cluster > off })
		if i == len(c.runs) {
			return 0, 0, io.ErrUnexpectedEOF
		}
		r := c.runs[i]
		within := off - r.off
		return c.v.clusterOff(r.first) + within, min(room, r.n*c.v.cluster-within), nil
	})
}

// clusterSet is a set of cluster numbers kept as 4096-bit pages, so that its
// memory grows with the clusters visited, not with the volume's size.
type clusterSet map[uint32]*[64]uint64

func (s clusterSet) has(c uint32) bool {
	pg := s[c>>12]
	return pg != nil && pg[(c>>6)&63]&(1<<(c&63)) != 0
}

func (s clusterSet) add(c uint32) {
	pg := s[c>>12]
	if pg == nil {
		pg = new([64]uint64)
		s[c>>12] = pg
	}
	pg[(c>>6)&63] |= 1 << (c & 63)
}

// dirLoc is a directory to list: the FAT12/16 root region (cluster 0) or a
// cluster chain.
type dirLoc struct {
	path    string
	cluster uint32
	depth   int
}

// fat lists the volume's directory tree breadth first and hands every file
// to the engine.
func (w *walker) fat(v *fatVolume, where string) error {
	if v.total > v.size {
		// What is missing cannot be inspected: say so, then list what
		// the image holds.
		w.unscannable(where, "FAT volume extends past the end of the image (truncated?)")
	}
	used := clusterSet{}
	queue := []dirLoc{{cluster: v.root}}
	for len(queue) > 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		d := queue[0]
		queue = queue[1:]
		var ents []dirEntry
		var err error
		if d.cluster == 0 {
			ents, err = v.readRegion(v.rootOff, v.rootLen)
		} else {
			ents, err = v.readChainDir(d.cluster, used)
		}
		dirWhere := joinPath(where, d.path)
		if errors.Is(err, errStepBudget) {
			w.unscannable(dirWhere, "FAT directory: "+err.Error())
			return nil
		}
		if err != nil {
			w.unscannable(dirWhere, "FAT directory: "+err.Error())
			if len(ents) == 0 {
				continue
			}
		}
		for _, e := range ents {
			if err := w.count(); err != nil {
				return err
			}
			full := joinPath(d.path, e.name)
			if e.attr&attrDirectory != 0 {
				switch {
				case d.depth+1 > maxDirDepth:
					w.unscannable(joinPath(where, full), fmt.Sprintf("FAT directories nested over %d deep", maxDirDepth))
				case !v.valid(e.cluster):
					w.unscannable(joinPath(where, full), "FAT directory: "+errChainOutside.Error())
				case used.has(e.cluster):
					w.unscannable(joinPath(where, full), "FAT directory loop or cross-linked directory")
				default:
					queue = append(queue, dirLoc{path: full, cluster: e.cluster, depth: d.depth + 1})
				}
				continue
			}
			if err := w.fatFile(v, used, joinPath(where, full), e); errors.Is(err, errStepBudget) {
				return nil // reported on the file
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// fatFile hands one file to the engine.
func (w *walker) fatFile(v *fatVolume, used clusterSet, where string, e dirEntry) error {
	size := int64(e.size)
	if size > w.limits.MaxPartSize {
		w.s.Emit(inspect.LimitFinding(inspect.LimitPartSize, w.limits.MaxPartSize).At(where))
		return nil
	}
	if size == 0 {
		return w.s.ChildAt(where, &chainReader{v: v}, 0)
	}
	if e.cluster == 0 {
		w.unscannable(where, "FAT file with content but no clusters")
		return nil
	}
	need := (size + v.cluster - 1) / v.cluster
	runs, n, shared, err := v.chain(e.cluster, need, used)
	if err == nil && n < need {
		err = errors.New("cluster chain shorter than the file")
	}
	if shared {
		w.unscannable(where, "FAT file shares clusters with another file (cross-linked)")
	}
	if errors.Is(err, errStepBudget) {
		w.unscannable(where, "FAT file: "+err.Error())
		return err
	}
	if err != nil {
		w.unscannable(where, "FAT file: "+err.Error())
		if errors.Is(err, errChainLoop) {
			return nil
		}
		// Inspect what the chain holds: findings only add strictness.
		size = min(size, n*v.cluster)
		if size == 0 {
			return nil
		}
	}
	return w.s.ChildAt(where, &chainReader{v: v, runs: runs, size: size}, size)
}

// readRegion reads the FAT12/16 root directory region.
func (v *fatVolume) readRegion(off, length int64) ([]dirEntry, error) {
	p := dirParser{fat32: v.bits == 32}
	buf := make([]byte, 4096)
	for pos := int64(0); pos < length && !p.done; pos += int64(len(buf)) {
		m := min(int64(len(buf)), length-pos)
		if _, err := v.r.ReadAt(buf[:m], off+pos); err != nil {
			return p.ents, fmt.Errorf("root directory unreadable: %w", err)
		}
		p.parse(buf[:m])
	}
	return p.ents, nil
}

// readChainDir reads a directory stored in a cluster chain.
func (v *fatVolume) readChainDir(first uint32, used clusterSet) ([]dirEntry, error) {
	maxClusters := (maxDirEntries*dirEntrySize + v.cluster - 1) / v.cluster
	runs, n, shared, err := v.chain(first, maxClusters+1, used)
	switch {
	case err == nil && n > maxClusters:
		err = fmt.Errorf("directory over %d entries", maxDirEntries)
		n = maxClusters
	case err == nil && shared:
		err = errors.New("directory shares clusters with another file or directory")
	}
	p := dirParser{fat32: v.bits == 32}
	buf := make([]byte, v.cluster)
	cr := &chainReader{v: v, runs: runs, size: n * v.cluster}
	for off := int64(0); off < cr.size && !p.done; off += v.cluster {
		if _, rerr := cr.ReadAt(buf, off); rerr != nil {
			return p.ents, fmt.Errorf("directory unreadable: %w", rerr)
		}
		p.parse(buf)
	}
	return p.ents, err
}

// dirEntry is a listed file or subdirectory.
type dirEntry struct {
	name    string
	attr    byte
	cluster uint32
	size    uint32
}

// dirParser turns 32-byte directory entries into dirEntries, joining VFAT
// long name entries to the short entry they precede.
type dirParser struct {
	ents []dirEntry
	done bool // an entry starting with 0x00 ends the directory

	lfn     [maxLFNEntries][13]uint16
	lfnNext int  // sequence number expected next; 0 when a long name is complete
	lfnLen  int  // entries in the long name
	lfnSum  byte // checksum of the short name it belongs to
	lfnOK   bool
	fat32   bool
}

func (p *dirParser) parse(b []byte) {
	for i := 0; i+dirEntrySize <= len(b) && !p.done; i += dirEntrySize {
		p.entry(b[i : i+dirEntrySize])
	}
}

func (p *dirParser) entry(e []byte) {
	switch e[0] {
	case 0x00:
		p.done = true
		return
	case 0xE5: // deleted
		p.lfnOK = false
		return
	}
	attr := e[11]
	if attr&0x3F == attrLongName {
		p.longEntry(e)
		return
	}
	long := p.lfnOK && p.lfnNext == 0 && p.lfnSum == shortSum(e[:11])
	p.lfnOK = false
	if attr&attrVolumeID != 0 {
		return
	}
	short := shortName(e)
	if short == "." || short == ".." {
		return
	}
	name := short
	if long {
		var u []uint16
		for k := 0; k < p.lfnLen; k++ { // entry 1 holds the first characters
			for _, ch := range p.lfn[k] {
				if ch == 0 {
					break
				}
				u = append(u, ch)
			}
		}
		if len(u) > 0 {
			name = string(utf16.Decode(u))
		}
	}
	var hi uint32
	if p.fat32 { // DIR_FstClusHI is zero on FAT12/16; Linux ignores it there
		hi = uint32(binary.LittleEndian.Uint16(e[20:]))
	}
	lo := uint32(binary.LittleEndian.Uint16(e[26:]))
	p.ents = append(p.ents, dirEntry{name: cleanName(name), attr: attr,
		cluster: hi<<16 | lo, size: binary.LittleEndian.Uint32(e[28:])})
}

// longEntry records one VFAT long name entry: LDIR_Ord at 0 (0x40 marks the
// last, first stored), name characters at 1 (5), 14 (6) and 28 (2),
// LDIR_Chksum at 13.
func (p *dirParser) longEntry(e []byte) {
	seq := int(e[0] & 0x3F)
	switch {
	case e[0]&0x40 != 0:
		if seq == 0 || seq > maxLFNEntries {
			p.lfnOK = false
			return
		}
		p.lfnOK, p.lfnLen, p.lfnSum = true, seq, e[13]
		p.lfn = [maxLFNEntries][13]uint16{}
	case !p.lfnOK || seq != p.lfnNext || seq == 0 || e[13] != p.lfnSum:
		p.lfnOK = false
		return
	}
	k := 0
	for _, r := range [][2]int{{1, 5}, {14, 6}, {28, 2}} {
		for j := 0; j < r[1]; j++ {
			p.lfn[seq-1][k] = binary.LittleEndian.Uint16(e[r[0]+2*j:])
			k++
		}
	}
	p.lfnNext = seq - 1
}

// shortSum is the checksum of an 8.3 name that long name entries carry
// ([FAT] "ChkSum").
func shortSum(name []byte) byte {
	var s byte
	for _, c := range name {
		s = (s&1)<<7 + s>>1 + c
	}
	return s
}

// oem decodes 8.3 names: code page 850, the OEM code page of Western
// European Windows.
var oem = charmap.CodePage850.NewDecoder()

// shortName renders an 8.3 name: base and extension without their padding,
// lower case where Windows NT's DIR_NTRes flags say so (0x08 base, 0x10
// extension), 0x05 as the 0xE5 it stands for.
func shortName(e []byte) string {
	base := append([]byte{}, e[0:8]...)
	if base[0] == 0x05 {
		base[0] = 0xE5
	}
	dec := func(b []byte, lower bool) string {
		s := strings.TrimRight(string(b), " ")
		if d, err := oem.String(s); err == nil {
			s = d
		}
		if lower {
			s = strings.ToLower(s)
		}
		return s
	}
	name := dec(base, e[12]&0x08 != 0)
	if ext := dec(e[8:11], e[12]&0x10 != 0); ext != "" {
		name += "." + ext
	}
	return name
}

// cleanName makes an image-supplied name usable as one path element.
func cleanName(name string) string {
	name = strings.ReplaceAll(name, "\x00", "")
	name = strings.NewReplacer("/", "_", "\\", "_").Replace(name)
	if name == "" || name == "." || name == ".." {
		return "_"
	}
	return name
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	if name == "" {
		return dir
	}
	return path.Join(dir, name)
}
