package ole

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"
)

// A minimal compound file writer ([MS-CFB]) for test fixtures: version 3
// (512-byte sectors) or 4 (4096), small streams in the mini stream, big
// ones in regular sectors, balanced sibling trees. It writes only what the
// tests need. FAT sectors beyond the header's 109 slots (or beyond
// headerSlots, to exercise the DIFAT chain in small files) are listed in
// DIFAT sectors ([MS-CFB] 2.5).

// tStream is a stream in a fixture tree.
type tStream struct {
	name string
	data []byte
}

// tStorage is a storage (or the root) in a fixture tree.
type tStorage struct {
	name  string
	clsid [16]byte
	kids  []any // tStream or tStorage
}

func stream(name string, data []byte) tStream { return tStream{name, data} }

func storage(name string, kids ...any) tStorage { return tStorage{name: name, kids: kids} }

// cfbLayout says where the writer put things, for tests that corrupt them.
type cfbLayout struct {
	ss        int64
	fatSecs   []uint32
	dirStart  uint32
	entries   map[string]uint32 // path → directory entry id
	starts    map[string]uint32 // stream path → start (mini) sector
	mini      map[string]bool   // stream path → stored in the mini stream
	miniStart uint32            // first sector of the mini stream
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

// cfbCompare orders sibling names as [MS-CFB] 2.6.4 requires: shorter
// names first, then by upper-case code units.
func cfbCompare(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	if len(ua) != len(ub) {
		return len(ua) < len(ub)
	}
	return strings.ToUpper(a) < strings.ToUpper(b)
}

// buildCFB writes root as a compound file with sector shift 9 or 12.
func buildCFB(root tStorage, shift uint) ([]byte, *cfbLayout) {
	return buildCFBSlots(root, shift, 109)
}

// buildCFBSlots is buildCFB with at most headerSlots FAT sector numbers in
// the header; the others go to DIFAT sectors.
func buildCFBSlots(root tStorage, shift uint, headerSlots int) ([]byte, *cfbLayout) {
	ss := int64(1) << shift
	lay := &cfbLayout{ss: ss, entries: map[string]uint32{}, starts: map[string]uint32{}, mini: map[string]bool{}}
	var ents []*wEntry
	rootE := &wEntry{name: "Root Entry", typ: objRoot, clsid: root.clsid, left: noStream, right: noStream, child: noStream}
	ents = append(ents, rootE)
	lay.entries[""] = 0
	type job struct {
		e    *wEntry
		s    tStorage
		path string
	}
	queue := []job{{rootE, root, ""}}
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		var ids []uint32
		for _, k := range j.s.kids {
			e := &wEntry{left: noStream, right: noStream, child: noStream, start: endOfChain}
			var sub *tStorage
			switch k := k.(type) {
			case tStream:
				e.name, e.typ, e.data, e.size = k.name, objStream, k.data, int64(len(k.data))
			case tStorage:
				e.name, e.typ, e.clsid = k.name, objStorage, k.clsid
				sub = &k
			default:
				panic(fmt.Sprintf("bad fixture node %T", k))
			}
			e.path = strings.TrimPrefix(j.path+"/"+e.name, "/")
			id := uint32(len(ents))
			ents = append(ents, e)
			lay.entries[e.path] = id
			ids = append(ids, id)
			if sub != nil {
				queue = append(queue, job{e, *sub, e.path})
			}
		}
		sort.Slice(ids, func(a, b int) bool { return cfbCompare(ents[ids[a]].name, ents[ids[b]].name) })
		j.e.child = balance(ents, ids)
	}

	// Mini stream and big streams.
	var miniData []byte
	var minifat []uint32
	type big struct {
		e *wEntry
	}
	var bigs []big
	for _, e := range ents {
		if e.typ != objStream {
			continue
		}
		if e.size == 0 {
			e.start = endOfChain
			continue
		}
		if e.size < miniCutoff {
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
			lay.mini[e.path] = true
			lay.starts[e.path] = e.start
			continue
		}
		bigs = append(bigs, big{e})
	}
	secs := func(n int64) uint32 { return uint32((n + ss - 1) / ss) }
	nDir := secs(int64(len(ents)) * dirEntrySize)
	nMiniFAT := secs(int64(len(minifat)) * 4)
	nMini := secs(int64(len(miniData)))
	var nBig uint32
	for _, b := range bigs {
		nBig += secs(b.e.size)
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
			if i == n-1 {
				fat[start+i] = endOfChain
			} else {
				fat[start+i] = start + i + 1
			}
		}
		next += n
		return start
	}
	for i := uint32(0); i < nFAT; i++ {
		fat[i] = fatSect
		lay.fatSecs = append(lay.fatSecs, i)
	}
	for i := uint32(0); i < nDIFAT; i++ {
		fat[nFAT+i] = difSect
	}
	next = nFAT + nDIFAT
	dirStart := alloc(nDir)
	lay.dirStart = dirStart
	miniFATStart := uint32(endOfChain)
	if nMiniFAT > 0 {
		miniFATStart = alloc(nMiniFAT)
	}
	miniStart := uint32(endOfChain)
	if nMini > 0 {
		miniStart = alloc(nMini)
	}
	lay.miniStart = miniStart
	rootE.start = miniStart
	rootE.size = int64(len(miniData))
	for _, b := range bigs {
		b.e.start = alloc(secs(b.e.size))
		lay.starts[b.e.path] = b.e.start
	}
	if next != total {
		panic("layout mismatch")
	}

	hdr := ss // header sector size
	out := make([]byte, hdr+int64(total)*ss)
	le := binary.LittleEndian
	copy(out, cfbSignature)
	le.PutUint16(out[24:], 0x3E)
	if shift == 12 {
		le.PutUint16(out[26:], 4)
		le.PutUint32(out[40:], nDir)
	} else {
		le.PutUint16(out[26:], 3)
	}
	le.PutUint16(out[28:], 0xFFFE)
	le.PutUint16(out[30:], uint16(shift))
	le.PutUint16(out[32:], 6)
	le.PutUint32(out[44:], nFAT)
	le.PutUint32(out[48:], dirStart)
	le.PutUint32(out[56:], miniCutoff)
	le.PutUint32(out[60:], miniFATStart)
	le.PutUint32(out[64:], nMiniFAT)
	le.PutUint32(out[68:], endOfChain)
	if nDIFAT > 0 {
		le.PutUint32(out[68:], nFAT)
		le.PutUint32(out[72:], nDIFAT)
	}
	for i := 0; i < 109; i++ {
		v := uint32(freeSect)
		if i < headerSlots && uint32(i) < nFAT {
			v = uint32(i)
		}
		le.PutUint32(out[76+4*i:], v)
	}
	sec := func(n uint32) []byte { return out[hdr+int64(n)*ss : hdr+int64(n+1)*ss] }
	for d := uint32(0); d < nDIFAT; d++ {
		b := sec(nFAT + d)
		for j := uint32(0); j < perDIFAT; j++ {
			v := uint32(freeSect)
			if k := uint32(headerSlots) + d*perDIFAT + j; k < nFAT {
				v = k
			}
			le.PutUint32(b[4*j:], v)
		}
		nextDIFAT := uint32(endOfChain)
		if d+1 < nDIFAT {
			nextDIFAT = nFAT + d + 1
		}
		le.PutUint32(b[4*perDIFAT:], nextDIFAT)
	}
	for i := uint32(0); i < nFAT; i++ {
		b := sec(i)
		for j := int64(0); j < ss/4; j++ {
			le.PutUint32(b[4*j:], fat[int64(i)*ss/4+j])
		}
	}
	// Directory: every slot of its sectors, unused ones empty.
	dir := out[hdr+int64(dirStart)*ss : hdr+int64(dirStart+nDir)*ss]
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
	if nMiniFAT > 0 {
		b := out[hdr+int64(miniFATStart)*ss : hdr+int64(miniFATStart+nMiniFAT)*ss]
		for i := range b[:len(b)/4] {
			v := uint32(freeSect)
			if i < len(minifat) {
				v = minifat[i]
			}
			le.PutUint32(b[4*i:], v)
		}
	}
	if nMini > 0 {
		copy(out[hdr+int64(miniStart)*ss:], miniData)
	}
	for _, b := range bigs {
		copy(out[hdr+int64(b.e.start)*ss:], b.e.data)
	}
	return out, lay
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

// setFAT overwrites FAT entry n of a file built by buildCFB.
func (l *cfbLayout) setFAT(b []byte, n, v uint32) {
	per := uint32(l.ss / 4)
	fs := l.fatSecs[n/per]
	off := l.ss + int64(fs)*l.ss + int64(n%per)*4
	binary.LittleEndian.PutUint32(b[off:], v)
}

// dirEntry returns the 128 bytes of directory entry id (the directory is
// contiguous in files built by buildCFB).
func (l *cfbLayout) dirEntry(b []byte, id uint32) []byte {
	off := l.ss + int64(l.dirStart)*l.ss + int64(id)*dirEntrySize
	return b[off : off+dirEntrySize]
}
