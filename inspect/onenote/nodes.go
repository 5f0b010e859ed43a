package onenote

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-ONESTORE] 2.4.3 FileNode IDs the name walk reads.
const (
	fndChunkTerminator        = 0x0FF // ChunkTerminatorFND: the rest of the fragment is padding
	fndGlobalIDTableStart     = 0x021 // 2.5.9 GlobalIdTableStartFNDX
	fndGlobalIDTableStart2    = 0x022 // 2.5.10 GlobalIdTableStart2FND
	fndGlobalIDTableEntry     = 0x024 // 2.5.11 GlobalIdTableEntryFNDX
	fndFileDataStoreObjectRef = 0x094 // 2.5.22 FileDataStoreObjectReferenceFND
	fndFileData3RefCount      = 0x072 // 2.5.27 ObjectDeclarationFileData3RefCountFND
	fndFileData3LargeRefCount = 0x073 // 2.5.28 ObjectDeclarationFileData3LargeRefCountFND
	fndObjectDecl2RefCount    = 0x0A4 // 2.5.25 ObjectDeclaration2RefCountFND
	fndObjectDecl2Large       = 0x0A5 // 2.5.26 ObjectDeclaration2LargeRefCountFND
	fndReadOnlyObjectDecl2    = 0x0C4 // 2.5.29 ReadOnlyObjectDeclaration2RefCountFND
	fndReadOnlyObjectDecl2L   = 0x0C5 // 2.5.30 ReadOnlyObjectDeclaration2LargeRefCountFND
	baseTypeRefToData         = 1
	baseTypeRefToFileNodeList = 2

	// [MS-ONE] 2.2.32 jcidEmbeddedFileNode and its properties 2.2.4
	// EmbeddedFileContainer (ObjectID) and 2.3.x EmbeddedFileName (wz).
	jcidEmbeddedFileNode      = 0x00060035
	propEmbeddedFileContainer = 0x20001D9B
	propEmbeddedFileName      = 0x1C001D9C

	// maxPropSet bounds the ObjectSpaceObjectPropSet read for one
	// embedded file node (real ones are a few hundred bytes).
	maxPropSet = 1 << 20
	// maxPropDepth bounds nested property sets ([MS-ONESTORE] 2.6.7).
	maxPropDepth = 8
	// maxNamesPerFile bounds the distinct names one embedded file is
	// handed on under (revisions may rename it).
	maxNamesPerFile = 4
	maxNameRunes    = 255
)

// names is what the node lists say about the embedded files, keyed by the
// offset of their FileDataStoreObject.
type names struct {
	ext  map[int64]string   // ObjectDeclarationFileData3 Extension
	file map[int64][]string // EmbeddedFileName of the nodes that show it
}

// walker walks the file node lists ([MS-ONESTORE] 2.4) from the header's
// root, breadth first, each fragment once, within a node budget. The walk
// is best effort: what it cannot read only costs names, never content (the
// scan finds that).
type walker struct {
	p      inspect.Part
	ctx    context.Context
	seen   map[int64]bool // fragments visited (cycles, shared lists)
	budget int64          // nodes and fragments left to read

	store     map[int64]string    // FileDataStoreObject offset -> guidReference
	fileData  map[string]string   // file data object (ExtendedGUID) -> guidReference
	ext       map[string]string   // guidReference -> extension
	container map[string][]string // file data object -> EmbeddedFileName
	manyNames bool                // some file has more than maxNamesPerFile names
}

// addName adds name to a file's distinct names, up to maxNamesPerFile: a
// decoy name must not push out the one OneNote uses unnoticed.
func (w *walker) addName(names []string, name string) []string {
	switch {
	case slices.Contains(names, name):
	case len(names) >= maxNamesPerFile:
		w.manyNames = true
	default:
		names = append(names, name)
	}
	return names
}

type chunkRef struct{ stp, cb int64 }

// walkNames returns what the node lists name each embedded file.
func walkNames(ctx context.Context, p inspect.Part) (names, error) {
	w := &walker{p: p, ctx: ctx, seen: map[int64]bool{}, budget: min(p.Size/4+1024, 1<<22),
		store: map[int64]string{}, fileData: map[string]string{}, ext: map[string]string{}, container: map[string][]string{}}
	out := names{ext: map[int64]string{}, file: map[int64][]string{}}
	root, err := p.Bytes(oneRootListOff, 12)
	if err != nil {
		return out, err
	}
	if len(root) < 12 {
		return out, fmt.Errorf("header truncated")
	}
	err = w.lists(chunkRef{int64(le.Uint64(root)), int64(le.Uint32(root[8:]))})
	byGUID := map[string][]string{}
	for obj, names := range w.container {
		if g, ok := w.fileData[obj]; ok {
			for _, n := range names {
				byGUID[g] = w.addName(byGUID[g], n)
			}
		}
	}
	for off, g := range w.store {
		if e := w.ext[g]; e != "" {
			out.ext[off] = e
		}
		if n := byGUID[g]; len(n) > 0 {
			slices.Sort(n)
			out.file[off] = n
		}
	}
	if err == nil && w.manyNames {
		err = fmt.Errorf("an embedded file has more than %d names", maxNamesPerFile)
	}
	return out, err
}

// lists walks the file node list at ref and every list it references.
func (w *walker) lists(ref chunkRef) error {
	queue := []chunkRef{ref}
	for len(queue) > 0 {
		more, err := w.list(queue[0])
		if err != nil {
			return err
		}
		queue = append(queue[1:], more...)
	}
	return nil
}

// list reads the fragments of one file node list and returns the lists its
// nodes reference. The global identification table ([MS-ONESTORE] 2.1.3)
// is the list's own: it starts over at each GlobalIdTableStart node.
func (w *walker) list(ref chunkRef) ([]chunkRef, error) {
	var more []chunkRef
	table := map[uint32][]byte{}
	for ref.stp >= 0 && uint64(ref.stp) != fcrNil && !w.seen[ref.stp] {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
		w.seen[ref.stp] = true
		if w.budget--; w.budget < 0 {
			return nil, fmt.Errorf("too many file nodes")
		}
		if ref.cb < fragHeaderLen+fragTrailerLen || ref.stp > w.p.Size-ref.cb {
			return more, nil // [MS-ONESTORE] 2.4.1: not a fragment; OneNote would not read it either
		}
		h, err := w.p.Bytes(ref.stp, fragHeaderLen)
		if err != nil {
			return nil, err
		}
		if len(h) < fragHeaderLen || le.Uint64(h) != fragMagic {
			return more, nil
		}
		end := ref.stp + ref.cb - fragTrailerLen
		for pos := ref.stp + fragHeaderLen; end-pos >= 4; {
			hb, err := w.p.Bytes(pos, 4)
			if err != nil {
				return nil, err
			}
			fh := le.Uint32(hb)
			id, size := fh&0x3FF, int64(fh>>10&0x1FFF)
			if id == fndChunkTerminator || id == 0 || size < 4 || size > end-pos {
				break
			}
			if w.budget--; w.budget < 0 {
				return nil, fmt.Errorf("too many file nodes")
			}
			node, err := w.p.Bytes(pos, int(size))
			if err != nil {
				return nil, err
			}
			r, isList, err := w.node(fh, node, table)
			if err != nil {
				return nil, err
			}
			if isList {
				more = append(more, r)
			}
			pos += size
		}
		t, err := w.p.Bytes(end, fragTrailerLen)
		if err != nil {
			return nil, err
		}
		if len(t) < fragTrailerLen || le.Uint64(t[12:]) != fragFooter {
			return more, nil
		}
		ref = chunkRef{int64(le.Uint64(t)), int64(le.Uint32(t[8:]))}
	}
	return more, nil
}

// node records what one FileNode ([MS-ONESTORE] 2.4.3) says about file
// data and returns the file node list it references, if any.
func (w *walker) node(fh uint32, b []byte, table map[uint32][]byte) (chunkRef, bool, error) {
	id := fh & 0x3FF
	stpFormat, cbFormat, baseType := fh>>23&3, fh>>25&3, fh>>27&0xF
	fnd := b[4:]
	var ref chunkRef
	if baseType == baseTypeRefToData || baseType == baseTypeRefToFileNodeList {
		r, n, ok := chunkReference(fnd, stpFormat, cbFormat)
		if !ok {
			return chunkRef{}, false, nil
		}
		ref, fnd = r, fnd[n:]
	}
	switch id {
	case fndGlobalIDTableStart, fndGlobalIDTableStart2:
		clear(table)
	case fndGlobalIDTableEntry:
		// 2.5.11: index (u32), guid.
		if len(fnd) >= 20 && len(table) < maxGlobalIDs {
			table[le.Uint32(fnd)] = fnd[4:20]
		}
	case fndFileDataStoreObjectRef:
		// 2.5.22: ref, then guidReference.
		if len(fnd) >= 16 && baseType == baseTypeRefToData {
			w.store[ref.stp] = guidString(fnd[:16])
		}
	case fndFileData3RefCount, fndFileData3LargeRefCount:
		// 2.5.27/2.5.28: oid (CompactID), jcid (4), cRef (1 or 4),
		// FileDataReference and Extension (StringInStorageBuffer, 2.2.3).
		at := 9
		if id == fndFileData3LargeRefCount {
			at = 12
		}
		if len(fnd) < at {
			break
		}
		dataRef, rest, ok := storageString(fnd[at:])
		if !ok {
			break
		}
		g, found := strings.CutPrefix(dataRef, ifndfPrefix)
		if !found {
			break // "<file>" (onefiles folder) or "<invfdo>": not in this file
		}
		g = strings.ToUpper(g)
		if oid, ok := resolve(table, le.Uint32(fnd)); ok {
			w.fileData[oid] = g
		}
		if ext, _, ok := storageString(rest); ok {
			w.ext[g] = cleanExt(ext)
		}
	case fndObjectDecl2RefCount, fndObjectDecl2Large, fndReadOnlyObjectDecl2, fndReadOnlyObjectDecl2L:
		// 2.5.25/26/29/30: BlobRef, then ObjectDeclaration2Body (2.6.16):
		// oid (CompactID), jcid, flags.
		if baseType != baseTypeRefToData || len(fnd) < 9 || le.Uint32(fnd[4:]) != jcidEmbeddedFileNode {
			break
		}
		if ref.cb > maxPropSet || ref.stp > w.p.Size-ref.cb {
			break
		}
		blob, err := w.p.Bytes(ref.stp, int(ref.cb))
		if err != nil {
			return chunkRef{}, false, err
		}
		pr := propReader{b: blob}
		if !pr.objectPropSet() || pr.name == "" || !pr.hasContainer {
			break
		}
		// OneNote writes the file under this name in a temporary folder:
		// only its last element counts.
		name := path.Base(strings.ReplaceAll(pr.name, "\\", "/"))
		if name == "." || name == ".." || name == "/" {
			break
		}
		if oid, ok := resolve(table, pr.container); ok {
			w.container[oid] = w.addName(w.container[oid], name)
		}
	}
	return ref, baseType == baseTypeRefToFileNodeList, nil
}

// maxGlobalIDs bounds one global identification table.
const maxGlobalIDs = 1 << 16

// resolve maps a CompactID ([MS-ONESTORE] 2.2.2: n in the low 8 bits,
// guidIndex above) through the global identification table to its
// ExtendedGUID, as a map key.
func resolve(table map[uint32][]byte, c uint32) (string, bool) {
	g, ok := table[c>>8]
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s/%d", guidString(g), c&0xFF), true
}

// propReader decodes an ObjectSpaceObjectPropSet ([MS-ONESTORE] 2.6.1) far
// enough to find the EmbeddedFileContainer reference (a CompactID in the
// OIDs stream, taken in the order ObjectID properties appear) and the
// EmbeddedFileName string of a jcidEmbeddedFileNode.
type propReader struct {
	b            []byte
	pos          int
	oids         []uint32
	oid          int // next entry of oids
	container    uint32
	hasContainer bool
	name         string
}

func (r *propReader) u32() (uint32, bool) {
	if len(r.b)-r.pos < 4 {
		return 0, false
	}
	v := le.Uint32(r.b[r.pos:])
	r.pos += 4
	return v, true
}

// stream skips an ObjectSpaceObjectStream* (2.6.2-2.6.4): a header (2.6.5:
// Count in 24 bits, ExtendedStreamsPresent bit 30, OsidStreamNotPresent
// bit 31) and Count CompactIDs.
func (r *propReader) stream() (ids []uint32, header uint32, ok bool) {
	h, ok := r.u32()
	if !ok {
		return nil, 0, false
	}
	n := int(h & 0xFFFFFF)
	if n > (len(r.b)-r.pos)/4 {
		return nil, 0, false
	}
	ids = make([]uint32, n)
	for i := range ids {
		ids[i] = le.Uint32(r.b[r.pos+4*i:])
	}
	r.pos += 4 * n
	return ids, h, true
}

func (r *propReader) objectPropSet() bool {
	oids, h, ok := r.stream()
	if !ok {
		return false
	}
	r.oids = oids
	if h>>31 == 0 { // OSIDs present
		_, h2, ok := r.stream()
		if !ok {
			return false
		}
		if h2>>30&1 == 1 { // ContextIDs present
			if _, _, ok := r.stream(); !ok {
				return false
			}
		}
	}
	return r.propertySet(0)
}

// propertySet decodes a PropertySet (2.6.7): cProperties (u16), rgPrids,
// then rgData in the same order.
func (r *propReader) propertySet(depth int) bool {
	if depth > maxPropDepth || len(r.b)-r.pos < 2 {
		return false
	}
	n := int(le.Uint16(r.b[r.pos:]))
	r.pos += 2
	if n > (len(r.b)-r.pos)/4 {
		return false
	}
	prids := r.b[r.pos : r.pos+4*n]
	r.pos += 4 * n
	for i := range n {
		prid := le.Uint32(prids[4*i:])
		if !r.property(prid, depth) {
			return false
		}
	}
	return true
}

// property consumes one property's rgData ([MS-ONESTORE] 2.6.6
// PropertyID.type) and its entries of the OIDs stream.
func (r *propReader) property(prid uint32, depth int) bool {
	skip := func(n int) bool {
		if n < 0 || n > len(r.b)-r.pos {
			return false
		}
		r.pos += n
		return true
	}
	switch typ := prid >> 26 & 0x1F; typ {
	case 0x1, 0x2, 0xA, 0xC: // NoData, Bool, ObjectSpaceID, ContextID
		return true
	case 0x3:
		return skip(1)
	case 0x4:
		return skip(2)
	case 0x5:
		return skip(4)
	case 0x6:
		return skip(8)
	case 0x7: // FourBytesOfLengthFollowedByData (2.6.8)
		cb, ok := r.u32()
		if !ok || int64(cb) > int64(len(r.b)-r.pos) {
			return false
		}
		if depth == 0 && prid == propEmbeddedFileName {
			r.name = wzString(r.b[r.pos : r.pos+int(cb)])
		}
		return skip(int(cb))
	case 0x8: // ObjectID
		if r.oid >= len(r.oids) {
			return false
		}
		if depth == 0 && prid == propEmbeddedFileContainer {
			r.container, r.hasContainer = r.oids[r.oid], true
		}
		r.oid++
		return true
	case 0x9: // ArrayOfObjectIDs
		c, ok := r.u32()
		if !ok || int64(c) > int64(len(r.oids)-r.oid) {
			return false
		}
		r.oid += int(c)
		return true
	case 0xB, 0xD: // ArrayOfObjectSpaceIDs, ArrayOfContextIDs
		_, ok := r.u32()
		return ok
	case 0x10: // ArrayOfPropertyValues (2.6.9)
		c, ok := r.u32()
		if !ok {
			return false
		}
		if c == 0 {
			return true
		}
		if _, ok := r.u32(); !ok || int64(c) > int64(len(r.b)-r.pos)/2 {
			return false
		}
		for range c {
			if !r.propertySet(depth + 1) {
				return false
			}
		}
		return true
	case 0x11: // PropertySet
		return r.propertySet(depth + 1)
	}
	return false
}

// wzString decodes a UTF-16LE string up to its first NUL, cleaned for use
// as a file name.
func wzString(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := le.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return strings.TrimSpace(inspect.Clean(string(utf16.Decode(u)), maxNameRunes))
}
