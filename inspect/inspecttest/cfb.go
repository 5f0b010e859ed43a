package inspecttest

import (
	"bytes"
	"encoding/binary"
	"io"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// The one compound file ([MS-CFB]) writer of the tests: version 3
// (512-byte sectors) or 4 (4096), streams under the 4096-byte cutoff in the
// mini stream (2.5), the others in regular sectors, FAT sectors beyond the
// header's slots listed in DIFAT sectors (2.5). Its layout is fixed and
// reported (CFBLayout) so that tests can break exactly one structure:
//
//	header | FAT | DIFAT | directory | mini FAT | mini stream | big streams
//
// Directory entries are numbered depth first (root 0, then each storage
// before its children, children in the order given), siblings form a
// balanced tree. Committed fixtures pin the bytes down: the encrypted files
// of inspect/ole/offcrypto/testdata are this layout, those of
// testdata/files the GenLayout variant.

// [MS-CFB] 2.1 special sector numbers, 2.6.1 object types.
const (
	miniCutoff     = 4096
	miniSectorSize = 64
	dirEntrySize   = 128
	endOfChain     = 0xFFFFFFFE
	freeSect       = 0xFFFFFFFF
	fatSect        = 0xFFFFFFFD
	difSect        = 0xFFFFFFFC
	noStream       = 0xFFFFFFFF
	typeStorage    = 1
	typeStream     = 2
	typeRoot       = 5
)

// CFBEntry is a stream or a storage to write. The root is a storage whose
// name is ignored ("Root Entry" is written).
type CFBEntry struct {
	Name    string
	Data    []byte     // a stream's content
	Kids    []CFBEntry // a storage's children
	CLSID   [16]byte   // a storage's class ([MS-CFB] 2.6.1)
	Storage bool
}

// Stream is a stream entry.
func Stream(name string, data []byte) CFBEntry { return CFBEntry{Name: name, Data: data} }

// Storage is a storage entry holding kids.
func Storage(name string, kids ...CFBEntry) CFBEntry {
	return CFBEntry{Name: name, Kids: kids, Storage: true}
}

// WithCLSID returns e with the class id c.
func (e CFBEntry) WithCLSID(c [16]byte) CFBEntry { e.CLSID = c; return e }

// CFBOptions are the variants tests need; the zero value writes version 3.
type CFBOptions struct {
	// SectorShift is 9 (512-byte sectors, version 3; 0 means 9) or 12
	// (4096-byte sectors, version 4).
	SectorShift uint
	// HeaderFATSlots is how many FAT sector numbers the header lists
	// (1..109; 0 means 109); the others go to DIFAT sectors, so that small
	// files can exercise the DIFAT chain. Fewer than 109 is irregular (the
	// header's slots come first, [MS-CFB] 2.2): some readers reject it.
	HeaderFATSlots int
	// GenLayout writes what testdata/gen has always written for
	// testdata/files, so that those files stay reproducible byte for byte:
	// the directory before the FAT, siblings as a right-leaning chain (a
	// valid red-black tree with every node black, [MS-CFB] 2.6.4) and
	// storages starting at ENDOFCHAIN (2.6.3 asks for 0; readers accept
	// both).
	GenLayout bool
}

// CFBLayout says where WriteCFB put things, for tests that corrupt them.
type CFBLayout struct {
	SectorSize int64
	FATSectors []uint32
	DirStart   uint32
	Entries    map[string]uint32 // path ("" is the root) → directory entry id
	Starts     map[string]uint32 // stream path → first sector (mini sector when Mini)
	Mini       map[string]bool   // stream path → stored in the mini stream
	MiniStart  uint32            // first sector of the mini stream
}

// SetFAT overwrites FAT entry n of b.
func (l *CFBLayout) SetFAT(b []byte, n, v uint32) {
	per := uint32(l.SectorSize / 4)
	off := l.SectorSize + int64(l.FATSectors[n/per])*l.SectorSize + int64(n%per)*4
	binary.LittleEndian.PutUint32(b[off:], v)
}

// DirEntry returns the 128 bytes of directory entry id of b (the directory
// is contiguous).
func (l *CFBLayout) DirEntry(b []byte, id uint32) []byte {
	off := l.SectorSize + int64(l.DirStart)*l.SectorSize + int64(id)*dirEntrySize
	return b[off : off+dirEntrySize]
}

type wEntry struct {
	name               string
	typ                byte
	clsid              [16]byte
	left, right, child uint32
	start              uint32
	size               int64
	data               []byte
	path               string
}

// WriteCFB writes root as a compound file and says where things are.
func WriteCFB(root CFBEntry, o CFBOptions) ([]byte, *CFBLayout) {
	shift := o.SectorShift
	if shift == 0 {
		shift = 9
	}
	if shift != 9 && shift != 12 {
		panic("inspecttest: sector shift must be 9 or 12")
	}
	headerSlots := o.HeaderFATSlots
	if headerSlots <= 0 || headerSlots > 109 {
		headerSlots = 109
	}
	ss := int64(1) << shift
	lay := &CFBLayout{SectorSize: ss, Entries: map[string]uint32{}, Starts: map[string]uint32{}, Mini: map[string]bool{}}
	var ents []*wEntry
	var add func(n CFBEntry, path string, typ byte) uint32
	add = func(n CFBEntry, path string, typ byte) uint32 {
		id := uint32(len(ents))
		e := &wEntry{name: n.Name, typ: typ, clsid: n.CLSID, left: noStream, right: noStream, child: noStream, path: path}
		if typ != typeStorage || o.GenLayout {
			e.start = endOfChain
		}
		if typ == typeStream {
			if len(n.Kids) > 0 {
				panic("inspecttest: stream " + path + " with children")
			}
			e.data, e.size = n.Data, int64(len(n.Data))
		}
		ents = append(ents, e)
		lay.Entries[path] = id
		var ids []uint32
		for _, k := range n.Kids {
			t := byte(typeStream)
			if k.Storage {
				t = typeStorage
			}
			ids = append(ids, add(k, strings.TrimPrefix(path+"/"+k.Name, "/"), t))
		}
		sort.SliceStable(ids, func(a, b int) bool { return cfbLess(ents[ids[a]].name, ents[ids[b]].name) })
		if o.GenLayout {
			e.child = chain(ents, ids)
		} else {
			e.child = balance(ents, ids)
		}
		return id
	}
	root.Name = "Root Entry"
	add(root, "", typeRoot)
	rootE := ents[0]

	var miniData []byte
	var minifat []uint32
	var bigs []*wEntry
	for _, e := range ents {
		switch {
		case e.typ != typeStream || e.size == 0:
		case e.size < miniCutoff:
			e.start = uint32(len(miniData) / miniSectorSize)
			n := (len(e.data) + miniSectorSize - 1) / miniSectorSize
			for i := 0; i < n; i++ {
				next := uint32(len(minifat) + 1)
				if i == n-1 {
					next = endOfChain
				}
				minifat = append(minifat, next)
			}
			miniData = append(miniData, e.data...)
			miniData = append(miniData, make([]byte, n*miniSectorSize-len(e.data))...)
			lay.Mini[e.path] = true
			lay.Starts[e.path] = e.start
		default:
			bigs = append(bigs, e)
		}
	}
	secs := func(n int64) uint32 { return uint32((n + ss - 1) / ss) }
	nDir := secs(int64(len(ents)) * dirEntrySize)
	nMiniFAT := secs(int64(len(minifat)) * 4)
	nMini := secs(int64(len(miniData)))
	var nBig uint32
	for _, e := range bigs {
		nBig += secs(e.size)
	}
	perDIFAT := uint32(ss/4 - 1)
	nFAT, nDIFAT := uint32(1), uint32(0)
	for {
		if nFAT > uint32(headerSlots) {
			nDIFAT = (nFAT - uint32(headerSlots) + perDIFAT - 1) / perDIFAT
		}
		total := nFAT + nDIFAT + nDir + nMiniFAT + nMini + nBig
		need := uint32((int64(total) + ss/4 - 1) / (ss / 4))
		if need <= nFAT {
			break
		}
		nFAT = need
	}
	total := nFAT + nDIFAT + nDir + nMiniFAT + nMini + nBig
	fat := make([]uint32, int64(nFAT)*ss/4)
	for i := range fat {
		fat[i] = freeSect
	}
	next := uint32(0)
	alloc := func(n uint32) uint32 {
		start := next
		for i := uint32(0); i < n; i++ {
			fat[start+i] = start + i + 1
			if i == n-1 {
				fat[start+i] = endOfChain
			}
		}
		next += n
		return start
	}
	if o.GenLayout {
		lay.DirStart = alloc(nDir)
	}
	for i := uint32(0); i < nFAT; i++ {
		fat[next] = fatSect
		lay.FATSectors = append(lay.FATSectors, next)
		next++
	}
	difatStart := next
	for i := uint32(0); i < nDIFAT; i++ {
		fat[next] = difSect
		next++
	}
	if !o.GenLayout {
		lay.DirStart = alloc(nDir)
	}
	miniFATStart := uint32(endOfChain)
	if nMiniFAT > 0 {
		miniFATStart = alloc(nMiniFAT)
	}
	lay.MiniStart = endOfChain
	if nMini > 0 {
		lay.MiniStart = alloc(nMini)
	}
	rootE.start, rootE.size = lay.MiniStart, int64(len(miniData))
	for _, e := range bigs {
		e.start = alloc(secs(e.size))
		lay.Starts[e.path] = e.start
	}
	if next != total {
		panic("inspecttest: compound file layout mismatch")
	}

	out := make([]byte, ss+int64(total)*ss)
	sec := func(n uint32) []byte { return out[ss+int64(n)*ss : ss+int64(n+1)*ss] }
	le := binary.LittleEndian
	// Header ([MS-CFB] 2.2).
	copy(out, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(out[24:], 0x3E)
	le.PutUint16(out[26:], 3)
	if shift == 12 {
		le.PutUint16(out[26:], 4)
		le.PutUint32(out[40:], nDir)
	}
	le.PutUint16(out[28:], 0xFFFE)
	le.PutUint16(out[30:], uint16(shift))
	le.PutUint16(out[32:], 6)
	le.PutUint32(out[44:], nFAT)
	le.PutUint32(out[48:], lay.DirStart)
	le.PutUint32(out[56:], miniCutoff)
	le.PutUint32(out[60:], miniFATStart)
	le.PutUint32(out[64:], nMiniFAT)
	le.PutUint32(out[68:], endOfChain)
	if nDIFAT > 0 {
		le.PutUint32(out[68:], difatStart)
		le.PutUint32(out[72:], nDIFAT)
	}
	for i := 0; i < 109; i++ {
		v := uint32(freeSect)
		if i < headerSlots && i < len(lay.FATSectors) {
			v = lay.FATSectors[i]
		}
		le.PutUint32(out[76+4*i:], v)
	}
	for d := uint32(0); d < nDIFAT; d++ {
		b := sec(difatStart + d)
		for j := uint32(0); j < perDIFAT; j++ {
			v := uint32(freeSect)
			if k := uint32(headerSlots) + d*perDIFAT + j; k < nFAT {
				v = lay.FATSectors[k]
			}
			le.PutUint32(b[4*j:], v)
		}
		nextDIFAT := uint32(endOfChain)
		if d+1 < nDIFAT {
			nextDIFAT = difatStart + d + 1
		}
		le.PutUint32(b[4*perDIFAT:], nextDIFAT)
	}
	for i, s := range lay.FATSectors {
		b := sec(s)
		for j := int64(0); j < ss/4; j++ {
			le.PutUint32(b[4*j:], fat[int64(i)*ss/4+j])
		}
	}
	// Directory ([MS-CFB] 2.6): every slot of its sectors, unused ones empty.
	dir := out[ss+int64(lay.DirStart)*ss : ss+int64(lay.DirStart+nDir)*ss]
	for i := 0; i < len(dir)/dirEntrySize; i++ {
		b := dir[i*dirEntrySize : (i+1)*dirEntrySize]
		le.PutUint32(b[68:], noStream)
		le.PutUint32(b[72:], noStream)
		le.PutUint32(b[76:], noStream)
		if i >= len(ents) {
			continue
		}
		e := ents[i]
		u := utf16.Encode([]rune(e.name))
		for k, c := range u {
			le.PutUint16(b[2*k:], c)
		}
		le.PutUint16(b[64:], uint16(2*len(u)+2))
		b[66] = e.typ
		b[67] = 1 // black
		le.PutUint32(b[68:], e.left)
		le.PutUint32(b[72:], e.right)
		le.PutUint32(b[76:], e.child)
		copy(b[80:96], e.clsid[:])
		le.PutUint32(b[116:], e.start)
		le.PutUint64(b[120:], uint64(e.size))
	}
	// The mini FAT; the rest of its last sector stays zero, as the
	// committed fixtures have it (no chain reaches those entries).
	for i, v := range minifat {
		le.PutUint32(out[ss+int64(miniFATStart)*ss+int64(4*i):], v)
	}
	if nMini > 0 {
		copy(out[ss+int64(lay.MiniStart)*ss:], miniData)
	}
	for _, e := range bigs {
		copy(out[ss+int64(e.start)*ss:], e.data)
	}
	return out, lay
}

// cfbLess orders sibling names as [MS-CFB] 2.6.4 requires: shorter names
// first, then by upper-case code units.
func cfbLess(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	if len(ua) != len(ub) {
		return len(ua) < len(ub)
	}
	return strings.ToUpper(a) < strings.ToUpper(b)
}

// balance links ids (sorted) as a balanced binary tree and returns its root.
func balance(ents []*wEntry, ids []uint32) uint32 {
	if len(ids) == 0 {
		return noStream
	}
	m := len(ids) / 2
	e := ents[ids[m]]
	e.left = balance(ents, ids[:m])
	e.right = balance(ents, ids[m+1:])
	return ids[m]
}

// chain links ids (sorted) as a right-leaning chain and returns its head.
func chain(ents []*wEntry, ids []uint32) uint32 {
	if len(ids) == 0 {
		return noStream
	}
	for i := 0; i+1 < len(ids); i++ {
		ents[ids[i]].right = ids[i+1]
	}
	return ids[0]
}

// CFBTree turns streams keyed by path ("Macros/VBA/dir") into a root
// storage; storages are created as needed, children in path order.
func CFBTree(streams map[string][]byte) CFBEntry {
	type tnode struct {
		e    CFBEntry
		kids []*tnode
	}
	root := &tnode{e: CFBEntry{Storage: true}}
	index := map[string]*tnode{"": root}
	paths := make([]string, 0, len(streams))
	for p := range streams {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		parts := strings.Split(p, "/")
		parent := root
		for i := range parts {
			key := strings.Join(parts[:i+1], "/")
			n, ok := index[key]
			if !ok {
				n = &tnode{e: Storage(parts[i])}
				if i == len(parts)-1 {
					n.e = Stream(parts[i], streams[p])
				}
				index[key] = n
				parent.kids = append(parent.kids, n)
			}
			parent = n
		}
	}
	var conv func(n *tnode) CFBEntry
	conv = func(n *tnode) CFBEntry {
		e := n.e
		for _, k := range n.kids {
			e.Kids = append(e.Kids, conv(k))
		}
		return e
	}
	return conv(root)
}

// CFB returns a version 3 compound file holding the given streams, keyed by
// path ("Macros/VBA/dir"); storages are created as needed. Streams shorter
// than the mini stream cutoff are padded with zeros to 4096 bytes so that
// every stream lives in regular sectors (no mini stream is written). The
// layout is GenLayout: testdata/gen writes the committed fixtures of
// testdata/files with CFB.
func CFB(streams map[string][]byte) []byte {
	padded := make(map[string][]byte, len(streams))
	for p, d := range streams {
		if len(d) < miniCutoff {
			d = append(append([]byte(nil), d...), make([]byte, miniCutoff-len(d))...)
		}
		padded[p] = d
	}
	b, _ := WriteCFB(CFBTree(padded), CFBOptions{GenLayout: true})
	return b
}

// MscfbStreams reads every stream of a compound file with the independent
// reader github.com/richardlehane/mscfb, by path ("VBA/dir"): what a
// writer wrote, or what the OLE reader must agree with.
func MscfbStreams(t testing.TB, file []byte) map[string][]byte {
	t.Helper()
	doc, err := mscfb.New(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("mscfb: %v", err)
	}
	out := map[string][]byte{}
	for {
		e, err := doc.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("mscfb: %v", err)
		}
		if e.FileInfo().IsDir() {
			continue
		}
		name := e.Name
		if e.Initial != 0 && name != "" && rune(e.Initial) != []rune(name)[0] {
			name = string(rune(e.Initial)) + name // mscfb drops a leading control character
		}
		b, err := io.ReadAll(e)
		if err != nil {
			t.Fatalf("mscfb read %s: %v", e.Name, err)
		}
		out[strings.Join(append(append([]string{}, e.Path...), name), "/")] = b
	}
	return out
}
