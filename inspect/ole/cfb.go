package ole

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// This file is a small reader for compound files ([MS-CFB]) written for
// hostile input. github.com/richardlehane/mscfb was evaluated and not used:
// its File.ReadAt re-walks the FAT from the stream start (one 4-byte read
// and allocation per sector, so random access is quadratic), stream chains
// are not checked for loops (a looping chain of a stream whose version-4
// size field claims exabytes keeps a reader busy for as long as it reads),
// ReadAt is not safe for concurrent use, and it knows neither contexts nor a
// sector budget. Here every count is checked against the file size before
// anything is allocated, every chain is walked once with a visited set and
// Limits.MaxOLESectors, and streams are views (io.SectionReader) over
// their resolved sector runs.

// [MS-CFB] 2.1 special sector numbers.
const (
	maxRegSect = 0xFFFFFFFA
	difSect    = 0xFFFFFFFC
	fatSect    = 0xFFFFFFFD
	endOfChain = 0xFFFFFFFE
	freeSect   = 0xFFFFFFFF
	noStream   = 0xFFFFFFFF
)

// [MS-CFB] 2.6.1 object types.
const (
	objUnknown = 0
	objStorage = 1
	objStream  = 2
	objRoot    = 5
)

const (
	headerSize     = 512
	dirEntrySize   = 128
	miniSectorSize = 64
	miniCutoff     = 4096
	// maxDirBytes caps the directory read into memory (262144 entries);
	// real files, MSI installers with thousands of streams included, stay
	// far below it.
	maxDirBytes = 32 << 20
)

var cfbSignature = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// errCFB is wrapped by every structural error; its text leads the
// unscannable detail ("malformed compound file: ...").
var errCFB = errors.New("malformed compound file")

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errCFB, fmt.Sprintf(format, a...))
}

// cfbFile is an opened compound file.
type cfbFile struct {
	ctx     context.Context
	r       io.ReaderAt
	size    int64
	ss      int64  // sector size
	nsect   uint32 // sectors the file holds (the last one may be short)
	version uint16
	fat     []uint32
	minifat []uint32
	dir     []byte
	root    *node

	mini     *chainReader // the mini stream, resolved on first use
	miniErr  error
	fatSeen  []uint32 // generation stamps for loop detection in FAT chains
	miniSeen []uint32 // same for MiniFAT chains
	gen      uint32

	budget   int // sectors that may still be followed
	maxSects int
	steps    int // chain steps since the last context check
}

// node is a storage or stream reachable from the root.
type node struct {
	name  string
	typ   byte
	clsid [16]byte
	start uint32
	size  int64
	kids  []*node // storages: children in directory order
}

func (n *node) isStorage() bool { return n.typ == objStorage || n.typ == objRoot }

// child returns the direct child named name (case-insensitive, as
// [MS-CFB] 2.6.4 compares names), or nil.
func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if strings.EqualFold(k.name, name) {
			return k
		}
	}
	return nil
}

// stream returns the direct child stream named name, or nil.
func (n *node) stream(name string) *node {
	if k := n.child(name); k != nil && k.typ == objStream {
		return k
	}
	return nil
}

// storage returns the direct child storage named name, or nil.
func (n *node) storage(name string) *node {
	if k := n.child(name); k != nil && k.typ == objStorage {
		return k
	}
	return nil
}

// openCFB reads the header, the allocation tables and the directory tree.
// maxSectors bounds the sectors followed over the life of the file
// (0 means inspect.DefaultLimits.MaxOLESectors).
func openCFB(ctx context.Context, r io.ReaderAt, size int64, maxSectors int) (*cfbFile, error) {
	if maxSectors <= 0 {
		maxSectors = inspect.DefaultLimits.MaxOLESectors
	}
	f := &cfbFile{ctx: ctx, r: r, size: size, budget: maxSectors, maxSects: maxSectors}
	if err := f.readHeader(); err != nil {
		return nil, err
	}
	if err := f.readTree(); err != nil {
		return nil, err
	}
	return f, nil
}

type cfbHeader struct {
	numFAT, firstDir, firstMiniFAT, numMiniFAT, firstDIFAT, numDIFAT uint32
	difat                                                            [109]uint32
}

// readHeader parses the header ([MS-CFB] 2.2) and loads the FAT (via the
// DIFAT, 2.5), the MiniFAT (2.4) and the directory sectors (2.6).
func (f *cfbFile) readHeader() error {
	var b [headerSize]byte
	if f.size < headerSize {
		return malformed("truncated header (%d bytes)", f.size)
	}
	if _, err := f.r.ReadAt(b[:], 0); err != nil {
		return fmt.Errorf("%w: reading header: %v", errCFB, err)
	}
	if string(b[:8]) != string(cfbSignature) {
		return malformed("bad signature")
	}
	le := binary.LittleEndian
	f.version = le.Uint16(b[26:])
	// [MS-CFB] 2.2: sector shift 9 (version 3) or 12 (version 4); a file
	// that mixes them is still read with the shift it states.
	switch shift := le.Uint16(b[30:]); shift {
	case 9, 12:
		f.ss = 1 << shift
	default:
		return malformed("unsupported sector shift %d", shift)
	}
	if ms := le.Uint16(b[32:]); ms != 6 {
		return malformed("unsupported mini sector shift %d", ms)
	}
	if c := le.Uint32(b[56:]); c != miniCutoff {
		return malformed("unsupported mini stream cutoff %d", c)
	}
	h := cfbHeader{
		numFAT:       le.Uint32(b[44:]),
		firstDir:     le.Uint32(b[48:]),
		firstMiniFAT: le.Uint32(b[60:]),
		numMiniFAT:   le.Uint32(b[64:]),
		firstDIFAT:   le.Uint32(b[68:]),
		numDIFAT:     le.Uint32(b[72:]),
	}
	for i := range h.difat {
		h.difat[i] = le.Uint32(b[76+4*i:])
	}
	// The header occupies sector -1; sector n starts at (n+1)*ss. A short
	// last sector is tolerated (writers trim the padding).
	if f.size <= f.ss {
		return malformed("no sectors after the header")
	}
	ns := (f.size - f.ss + f.ss - 1) / f.ss
	if ns > maxRegSect {
		ns = maxRegSect
	}
	f.nsect = uint32(ns)
	f.fatSeen = make([]uint32, f.nsect)
	if err := f.readFAT(&h); err != nil {
		return err
	}
	if err := f.readMiniFAT(&h); err != nil {
		return err
	}
	return f.readDir(&h)
}

// sectorOff returns the file offset of regular sector n.
func (f *cfbFile) sectorOff(n uint32) int64 { return (int64(n) + 1) * f.ss }

// readSector reads regular sector n into b (len(b) == ss); a short last
// sector is zero-padded.
func (f *cfbFile) readSector(n uint32, b []byte) error { return f.readSectors(n, b) }

// readSectors reads len(b)/ss consecutive sectors starting at n; a short
// last sector is zero-padded.
func (f *cfbFile) readSectors(n uint32, b []byte) error {
	if int64(n)+int64(len(b))/f.ss > int64(f.nsect) {
		return malformed("sector %d beyond the end of the file (%d sectors)", int64(n)+int64(len(b))/f.ss-1, f.nsect)
	}
	k, err := f.r.ReadAt(b, f.sectorOff(n))
	if k < len(b) {
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: reading sector %d: %v", errCFB, n, err)
		}
		clear(b[k:])
	}
	return nil
}

// spend takes n sectors from the budget and checks the context now and then.
func (f *cfbFile) spend(n int) error {
	f.budget -= n
	if f.budget < 0 {
		return &inspect.LimitError{Limit: inspect.LimitOLESectors, Value: int64(f.maxSects)}
	}
	f.steps += n
	return f.tick()
}

// tick counts one step of work and checks the context every 4096 steps.
func (f *cfbFile) tick() error {
	f.steps++
	if f.steps >= 4096 {
		f.steps = 0
		if err := f.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// readFAT collects the FAT sector numbers from the header and the DIFAT
// chain ([MS-CFB] 2.5) and reads the FAT sectors ([MS-CFB] 2.3).
func (f *cfbFile) readFAT(h *cfbHeader) error {
	// Each FAT sector and each DIFAT sector occupies a sector of the file.
	if h.numFAT > f.nsect {
		return malformed("header claims %d FAT sectors, the file holds %d sectors", h.numFAT, f.nsect)
	}
	if h.numDIFAT > f.nsect {
		return malformed("header claims %d DIFAT sectors, the file holds %d sectors", h.numDIFAT, f.nsect)
	}
	ids := make([]uint32, 0, min(h.numFAT, 109))
	for _, s := range h.difat {
		if uint32(len(ids)) >= h.numFAT || s > maxRegSect {
			break
		}
		ids = append(ids, s)
	}
	per := int(f.ss/4) - 1 // entries per DIFAT sector, the last is the next pointer
	buf := make([]byte, f.ss)
	gen := f.nextGen()
	next := h.firstDIFAT
	for i := uint32(0); i < h.numDIFAT && uint32(len(ids)) < h.numFAT; i++ {
		if next > maxRegSect {
			break // ENDOFCHAIN / FREESECT: the DIFAT ends early
		}
		if next >= f.nsect {
			return malformed("DIFAT sector %d beyond the end of the file", next)
		}
		if f.fatSeen[next] == gen {
			return malformed("DIFAT chain loops at sector %d", next)
		}
		f.fatSeen[next] = gen
		if err := f.spend(1); err != nil {
			return err
		}
		if err := f.readSector(next, buf); err != nil {
			return err
		}
		for j := 0; j < per && uint32(len(ids)) < h.numFAT; j++ {
			s := binary.LittleEndian.Uint32(buf[4*j:])
			if s > maxRegSect {
				continue
			}
			ids = append(ids, s)
		}
		next = binary.LittleEndian.Uint32(buf[4*per:])
	}
	if len(ids) == 0 {
		return malformed("no FAT sectors")
	}
	// Entries past the sectors the file holds can never be followed: keep
	// only those that describe real sectors.
	n := min(int64(len(ids))*f.ss/4, int64(f.nsect))
	f.fat = make([]uint32, n)
	perFAT := f.ss / 4
	ids = ids[:(n+perFAT-1)/perFAT]
	// FAT sectors are usually contiguous: read runs of them at once.
	const maxRun = 256
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && j-i < maxRun && ids[j] == ids[j-1]+1 {
			j++
		}
		if err := f.spend(j - i); err != nil {
			return err
		}
		if cap(buf) < (j-i)*int(f.ss) {
			buf = make([]byte, (j-i)*int(f.ss))
		}
		run := buf[:(j-i)*int(f.ss)]
		if err := f.readSectors(ids[i], run); err != nil {
			return err
		}
		dst := f.fat[int64(i)*perFAT:]
		for k := 0; k < len(dst) && k < len(run)/4; k++ {
			dst[k] = binary.LittleEndian.Uint32(run[4*k:])
		}
		i = j
	}
	return nil
}

func (f *cfbFile) nextGen() uint32 {
	f.gen++
	if f.gen == 0 { // wrapped: reset the stamps
		clear(f.fatSeen)
		clear(f.miniSeen)
		f.gen = 1
	}
	return f.gen
}

// chain returns the sectors of the FAT chain starting at start, at most
// want of them (want < 0: until ENDOFCHAIN). It fails on a loop, on a sector
// outside the file and on a chain shorter than want.
func (f *cfbFile) chain(start uint32, want int64, what string) ([]uint32, error) {
	gen := f.nextGen()
	var out []uint32
	if want >= 0 {
		if want > int64(f.nsect) {
			return nil, malformed("%s needs %d sectors, the file holds %d", what, want, f.nsect)
		}
		out = make([]uint32, 0, want)
	}
	s := start
	for want < 0 || int64(len(out)) < want {
		if s == endOfChain && want < 0 {
			return out, nil
		}
		if s >= f.nsect || s >= uint32(len(f.fat)) {
			if s == endOfChain {
				return nil, malformed("%s: sector chain ends after %d of %d sectors", what, len(out), want)
			}
			return nil, malformed("%s: sector %#x outside the file", what, s)
		}
		if f.fatSeen[s] == gen {
			return nil, malformed("%s: sector chain loops at sector %d", what, s)
		}
		f.fatSeen[s] = gen
		if err := f.spend(1); err != nil {
			return nil, err
		}
		out = append(out, s)
		s = f.fat[s]
	}
	return out, nil
}

// readMiniFAT loads the MiniFAT ([MS-CFB] 2.4).
func (f *cfbFile) readMiniFAT(h *cfbHeader) error {
	if h.numMiniFAT == 0 || h.firstMiniFAT == endOfChain {
		return nil
	}
	secs, err := f.chain(h.firstMiniFAT, -1, "MiniFAT")
	if err != nil {
		return err
	}
	f.minifat = make([]uint32, len(secs)*int(f.ss/4))
	buf := make([]byte, f.ss)
	for i, s := range secs {
		if err := f.readSector(s, buf); err != nil {
			return err
		}
		dst := f.minifat[i*int(f.ss/4):]
		for j := 0; j < int(f.ss/4); j++ {
			dst[j] = binary.LittleEndian.Uint32(buf[4*j:])
		}
	}
	f.miniSeen = make([]uint32, len(f.minifat))
	return nil
}

// readDir reads the directory sectors ([MS-CFB] 2.6).
func (f *cfbFile) readDir(h *cfbHeader) error {
	secs, err := f.chain(h.firstDir, -1, "directory")
	if err != nil {
		return err
	}
	if len(secs) == 0 {
		return malformed("empty directory")
	}
	if int64(len(secs))*f.ss > maxDirBytes {
		return malformed("directory of %d sectors is larger than %d bytes", len(secs), maxDirBytes)
	}
	f.dir = make([]byte, int64(len(secs))*f.ss)
	for i, s := range secs {
		if err := f.readSector(s, f.dir[int64(i)*f.ss:int64(i+1)*f.ss]); err != nil {
			return err
		}
	}
	return nil
}

// entry is one raw directory entry ([MS-CFB] 2.6.1).
type entry struct {
	name               string
	typ                byte
	left, right, child uint32
	clsid              [16]byte
	start              uint32
	size               int64
}

func (f *cfbFile) entry(id uint32) entry {
	b := f.dir[int64(id)*dirEntrySize:][:dirEntrySize]
	le := binary.LittleEndian
	e := entry{
		typ:   b[66],
		left:  le.Uint32(b[68:]),
		right: le.Uint32(b[72:]),
		child: le.Uint32(b[76:]),
		start: le.Uint32(b[116:]),
	}
	copy(e.clsid[:], b[80:96])
	if f.version >= 4 {
		e.size = int64(le.Uint64(b[120:]) & (1<<63 - 1))
	} else {
		// [MS-CFB] 2.6.3: version 3 writers may leave junk in the high part.
		e.size = int64(le.Uint32(b[120:]))
	}
	// Name length counts bytes including the terminating NUL, at most 64.
	nl := int(le.Uint16(b[64:]))
	if nl > 64 || nl%2 != 0 {
		nl = 64
	}
	u := make([]uint16, 0, nl/2)
	for i := 0; i+1 < nl; i += 2 {
		c := le.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	e.name = string(utf16.Decode(u))
	return e
}

// readTree walks the red-black trees of the directory from the root entry,
// visiting every entry at most once ([MS-CFB] 2.6.4).
func (f *cfbFile) readTree() error {
	count := uint32(len(f.dir) / dirEntrySize)
	root := f.entry(0)
	if root.typ != objRoot {
		return malformed("first directory entry is not the root (type %d)", root.typ)
	}
	seen := make([]bool, count)
	seen[0] = true
	f.root = &node{name: root.name, typ: objRoot, clsid: root.clsid, start: root.start, size: root.size}
	type job struct {
		n     *node
		child uint32
	}
	queue := []job{{f.root, root.child}}
	var stack []uint32
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		if j.child == noStream {
			continue
		}
		// In-order walk of the sibling tree with an explicit stack.
		stack = stack[:0]
		cur := j.child
		for cur != noStream || len(stack) > 0 {
			for cur != noStream {
				if cur >= count {
					return malformed("directory refers to entry %d of %d", cur, count)
				}
				if seen[cur] {
					return malformed("directory tree loops at entry %d", cur)
				}
				seen[cur] = true
				if err := f.tick(); err != nil {
					return err
				}
				stack = append(stack, cur)
				cur = binary.LittleEndian.Uint32(f.dir[int64(cur)*dirEntrySize+68:])
			}
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			e := f.entry(id)
			cur = e.right
			switch e.typ {
			case objStorage, objStream:
			default:
				continue // unallocated or unknown: not part of the tree
			}
			n := &node{name: e.name, typ: e.typ, clsid: e.clsid, start: e.start, size: e.size}
			j.n.kids = append(j.n.kids, n)
			if e.typ == objStorage {
				queue = append(queue, job{n, e.child})
			}
		}
	}
	return nil
}

// open returns a random-access view of stream n.
func (f *cfbFile) open(n *node, what string) (*io.SectionReader, error) {
	if n.typ != objStream && n.typ != objRoot {
		return nil, malformed("%s is not a stream", what)
	}
	if n.size == 0 {
		return io.NewSectionReader(f.r, 0, 0), nil
	}
	if n.typ == objStream && n.size < miniCutoff {
		return f.openMini(n, what)
	}
	if n.size > int64(f.nsect)*f.ss {
		return nil, malformed("%s: size %d exceeds the file", what, n.size)
	}
	secs, err := f.chain(n.start, (n.size+f.ss-1)/f.ss, what)
	if err != nil {
		return nil, err
	}
	cr := &chainReader{r: f.r, size: n.size}
	for i, s := range secs {
		cr.add(int64(i)*f.ss, f.sectorOff(s), f.ss)
	}
	return io.NewSectionReader(cr, 0, n.size), nil
}

// openMini returns a view of a stream stored in the mini stream ([MS-CFB]
// 2.4): 64-byte mini sectors chained by the MiniFAT, addressed inside the
// root entry's stream.
func (f *cfbFile) openMini(n *node, what string) (*io.SectionReader, error) {
	if f.mini == nil && f.miniErr == nil {
		f.mini, f.miniErr = f.loadMiniStream()
	}
	if f.miniErr != nil {
		return nil, f.miniErr
	}
	want := (n.size + miniSectorSize - 1) / miniSectorSize
	if want > int64(len(f.minifat)) {
		return nil, malformed("%s needs %d mini sectors, the MiniFAT has %d", what, want, len(f.minifat))
	}
	gen := f.nextGen()
	cr := &chainReader{r: f.r, size: n.size}
	s := n.start
	for i := int64(0); i < want; i++ {
		if s >= uint32(len(f.minifat)) {
			if s == endOfChain {
				return nil, malformed("%s: mini sector chain ends after %d of %d sectors", what, i, want)
			}
			return nil, malformed("%s: mini sector %#x outside the MiniFAT", what, s)
		}
		if f.miniSeen[s] == gen {
			return nil, malformed("%s: mini sector chain loops at %d", what, s)
		}
		f.miniSeen[s] = gen
		if err := f.spend(1); err != nil {
			return nil, err
		}
		off, ok := f.mini.fileOff(int64(s) * miniSectorSize)
		if !ok {
			return nil, malformed("%s: mini sector %d outside the mini stream", what, s)
		}
		// A mini sector never spans two regular sectors (64 divides ss).
		cr.add(i*miniSectorSize, off, miniSectorSize)
		s = f.minifat[s]
	}
	return io.NewSectionReader(cr, 0, n.size), nil
}

func (f *cfbFile) loadMiniStream() (*chainReader, error) {
	root := f.root
	if root.size == 0 || root.start == endOfChain {
		return nil, malformed("mini stream missing")
	}
	if root.size > int64(f.nsect)*f.ss {
		return nil, malformed("mini stream size %d exceeds the file", root.size)
	}
	secs, err := f.chain(root.start, (root.size+f.ss-1)/f.ss, "mini stream")
	if err != nil {
		return nil, err
	}
	cr := &chainReader{r: f.r, size: root.size}
	for i, s := range secs {
		cr.add(int64(i)*f.ss, f.sectorOff(s), f.ss)
	}
	return cr, nil
}

// chainReader reads a stream whose bytes are scattered over runs of the
// file. It is immutable once built, so safe for concurrent ReadAt.
type chainReader struct {
	r    io.ReaderAt
	size int64
	runs []run
}

// run maps stream bytes [off, off+n) to file bytes [file, file+n).
type run struct{ off, file, n int64 }

func (c *chainReader) add(off, file, n int64) {
	if k := len(c.runs); k > 0 {
		last := &c.runs[k-1]
		if last.off+last.n == off && last.file+last.n == file {
			last.n += n
			return
		}
	}
	c.runs = append(c.runs, run{off, file, n})
}

// find returns the index of the run holding stream offset off.
func (c *chainReader) find(off int64) int {
	return sort.Search(len(c.runs), func(i int) bool { return c.runs[i].off+c.runs[i].n > off })
}

// fileOff maps a stream offset to a file offset.
func (c *chainReader) fileOff(off int64) (int64, bool) {
	i := c.find(off)
	if i >= len(c.runs) || off >= c.size {
		return 0, false
	}
	return c.runs[i].file + off - c.runs[i].off, true
}

func (c *chainReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= c.size {
		return 0, io.EOF
	}
	want := len(p)
	if int64(want) > c.size-off {
		p = p[:c.size-off]
	}
	n := 0
	for i := c.find(off); n < len(p) && i < len(c.runs); i++ {
		ru := c.runs[i]
		skip := off + int64(n) - ru.off
		chunk := p[n:min(int64(len(p)), int64(n)+ru.n-skip)]
		k, err := c.r.ReadAt(chunk, ru.file+skip)
		n += k
		if k < len(chunk) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the file ends inside the stream
			}
			return n, err
		}
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}
