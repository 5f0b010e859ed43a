// Package onenotetest writes small OneNote and CHM files from the documented
// structures, for tests and fixture generators. Production code never
// imports it.
//
// The OneNote files hold what the inspector reads and no more: a
// [MS-ONESTORE] 2.3.1 header, a root file node list that references a file
// data store list (FileDataStoreObjectReferenceFND nodes) and an object
// group list (ObjectDeclarationFileData3RefCountFND nodes with the
// "<ifndf>{GUID}" reference and the extension), and the FileDataStoreObject
// structures. There are no object spaces, revisions or property sets:
// OneNote itself would not open them.
package onenotetest

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

var le = binary.LittleEndian

// File is one embedded file of a OneNote file.
type File struct {
	// Name is the EmbeddedFileName OneNote shows and opens it under;
	// empty leaves the embedded file node out.
	Name string
	// Ext is the Extension of its file data object (".hta"). With neither
	// a name nor an extension, no declaration names the file.
	Ext  string
	Data []byte
}

// GUIDs in [MS-DTYP] 2.3.4.2 byte layout.
var (
	GUIDOneSection    = GUID("{7B5C52E4-D88C-4DA7-AEB1-5378D02996D3}")
	GUIDRevisionStore = GUID("{109ADD3F-911B-49F5-A5D0-1791EDC8AED8}")
	GUIDFDSOHeader    = GUID("{BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}")
	GUIDFDSOFooter    = GUID("{71FBA722-0F79-4A0B-BB13-899256426B24}")
)

// GUID encodes "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}".
func GUID(s string) []byte {
	var a uint32
	var b, c uint16
	var d [8]byte
	if _, err := fmt.Sscanf(s, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", &a, &b, &c,
		&d[0], &d[1], &d[2], &d[3], &d[4], &d[5], &d[6], &d[7]); err != nil {
		panic(err)
	}
	g := make([]byte, 16)
	le.PutUint32(g, a)
	le.PutUint16(g[4:], b)
	le.PutUint16(g[6:], c)
	copy(g[8:], d[:])
	return g
}

// fileNode builds a FileNode ([MS-ONESTORE] 2.4.3) with 8-byte stp and
// 4-byte cb references (StpFormat 0, CbFormat 0).
func fileNode(id, baseType uint32, fnd []byte) []byte {
	b := make([]byte, 4, 4+len(fnd))
	le.PutUint32(b, id|uint32(4+len(fnd))<<10|baseType<<27)
	return append(b, fnd...)
}

func ref(stp uint64, cb uint32) []byte {
	b := make([]byte, 12)
	le.PutUint64(b, stp)
	le.PutUint32(b[8:], cb)
	return b
}

func storageString(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 4+2*len(u))
	le.PutUint32(b, uint32(len(u)))
	for i, c := range u {
		le.PutUint16(b[4+2*i:], c)
	}
	return b
}

// fragment wraps nodes in a FileNodeListFragment (2.4.1) with no next
// fragment.
func fragment(listID uint32, nodes ...[]byte) []byte {
	b := make([]byte, 16)
	le.PutUint64(b, 0xA4567AB1F5F7F4C4)
	le.PutUint32(b[8:], listID)
	for _, n := range nodes {
		b = append(b, n...)
	}
	b = append(b, ref(^uint64(0), 0)...)
	return le.AppendUint64(b, 0x8BC215C38233BA4B)
}

// FileDataStoreObject returns the 2.6.13 structure holding data.
func FileDataStoreObject(data []byte) []byte {
	b := append([]byte{}, GUIDFDSOHeader...)
	b = le.AppendUint64(b, uint64(len(data)))
	b = append(b, make([]byte, 12)...) // unused, reserved
	b = append(b, data...)
	b = append(b, make([]byte, (8-len(data)%8)%8)...)
	return append(b, GUIDFDSOFooter...)
}

// One returns a .one section file embedding files.
func One(files ...File) []byte {
	const headerLen = 1024
	// Sizes first: header, root fragment (two reference nodes), object
	// group fragment, data store fragment, property sets, then the objects.
	rootLen := len(fragment(1, fileNode(0x090, 2, ref(0, 0)), fileNode(0x0B0, 2, append(ref(0, 0), make([]byte, 20)...))))
	ogLen := len(objectGroup(files, nil))
	fdsLen := 16 + 20 + 32*len(files)
	rootOff := headerLen
	ogOff := rootOff + rootLen
	fdsOff := ogOff + ogLen
	off := fdsOff + fdsLen
	var props []byte
	propRefs := make([][]byte, len(files))
	for i, f := range files {
		if f.Name == "" {
			continue
		}
		ps := propSet(i, f.Name)
		propRefs[i] = ref(uint64(off+len(props)), uint32(len(ps)))
		props = append(props, ps...)
	}
	off += len(props)
	var objs, refs []byte
	for i, f := range files {
		o := FileDataStoreObject(f.Data)
		refs = append(refs, fileNode(0x094, 1, append(ref(uint64(off), uint32(len(o))), GUID(fileGUID(i))...))...)
		objs = append(objs, o...)
		off += len(o)
	}
	og := objectGroup(files, propRefs)
	fds := fragment(3, refs)
	root := fragment(1,
		fileNode(0x090, 2, ref(uint64(fdsOff), uint32(len(fds)))),
		fileNode(0x0B0, 2, append(ref(uint64(ogOff), uint32(len(og))), make([]byte, 20)...)))
	h := make([]byte, headerLen)
	copy(h, GUIDOneSection)
	copy(h[48:], GUIDRevisionStore)
	copy(h[172:], ref(uint64(rootOff), uint32(len(root))))
	out := append(h, root...)
	out = append(out, og...)
	out = append(out, fds...)
	out = append(out, props...)
	return append(out, objs...)
}

func fileGUID(i int) string { return fmt.Sprintf("{00000000-0000-0000-0000-%012X}", i+1) }

// objectGroupGUID is the one entry of the object group's global
// identification table (index 0).
const objectGroupGUID = "{0B1EC7ED-0000-4000-8000-0000000000AA}"

// compactID returns the CompactID ([MS-ONESTORE] 2.2.2) of object n in
// the object group's table entry 0.
func compactID(n int) uint32 { return uint32(n & 0xFF) }

// objectGroup lists, after a global identification table, one
// ObjectDeclarationFileData3RefCountFND per file that has an extension and
// one ObjectDeclaration2RefCountFND (jcidEmbeddedFileNode) per file that
// has a name, its property set at propRefs[i].
func objectGroup(files []File, propRefs [][]byte) []byte {
	nodes := [][]byte{
		fileNode(0x022, 0, nil),
		fileNode(0x024, 0, append(le.AppendUint32(nil, 0), GUID(objectGroupGUID)...)),
	}
	for i, f := range files {
		if f.Ext != "" || f.Name != "" {
			fnd := le.AppendUint32(nil, compactID(2*i+1)) // oid
			fnd = le.AppendUint32(fnd, 0x00080036)        // jcidEmbeddedFileContainer
			fnd = append(fnd, 1)                          // cRef
			fnd = append(fnd, storageString("<ifndf>"+fileGUID(i))...)
			fnd = append(fnd, storageString(f.Ext)...)
			nodes = append(nodes, fileNode(0x072, 0, fnd))
		}
		if f.Name != "" {
			r := ref(0, 0)
			if propRefs != nil {
				r = propRefs[i]
			}
			fnd := le.AppendUint32(r, compactID(2*i+2)) // oid
			fnd = le.AppendUint32(fnd, 0x00060035)      // jcidEmbeddedFileNode
			fnd = append(fnd, 1, 1)                     // fHasOidReferences, cRef
			nodes = append(nodes, fileNode(0x0A4, 1, fnd))
		}
	}
	return fragment(2, nodes...)
}

// propSet returns the ObjectSpaceObjectPropSet ([MS-ONESTORE] 2.6.1) of a
// jcidEmbeddedFileNode: LanguageID, EmbeddedFileContainer (an ObjectID, so
// one CompactID in the OIDs stream) and EmbeddedFileName.
func propSet(i int, name string) []byte {
	b := le.AppendUint32(nil, 1|1<<31) // OIDs: 1 entry, no OSIDs stream
	b = le.AppendUint32(b, compactID(2*i+1))
	b = le.AppendUint16(b, 3)
	b = le.AppendUint32(b, 0x14001C3B) // LanguageID, FourBytesOfData
	b = le.AppendUint32(b, 0x20001D9B) // EmbeddedFileContainer, ObjectID
	b = le.AppendUint32(b, 0x1C001D9C) // EmbeddedFileName, FourBytesOfLengthFollowedByData
	b = le.AppendUint32(b, 0x0409)
	u := utf16.Encode([]rune(name + "\x00"))
	b = le.AppendUint32(b, uint32(2*len(u)))
	for _, c := range u {
		b = le.AppendUint16(b, c)
	}
	return b
}

// CHMFile is one file in a CHM directory.
type CHMFile struct {
	Name    string // "/a.exe"
	Section int    // 0 uncompressed, 1 MSCompressed
	Data    []byte // stored in section 0 content when Section is 0
}

func encint(v uint64) []byte {
	b := []byte{byte(v & 0x7F)}
	for v >>= 7; v > 0; v >>= 7 {
		b = append([]byte{byte(v&0x7F) | 0x80}, b...)
	}
	return b
}

// CHM returns a version 3 ITSF file with one PMGL listing chunk.
func CHM(files ...CHMFile) []byte {
	const (
		hdrLen   = 0x60
		sec0Len  = 0x18
		itspLen  = 0x54
		chunkLen = 0x1000
	)
	var entries, content []byte
	for _, f := range files {
		off := uint64(0)
		if f.Section == 0 {
			off = uint64(len(content))
			content = append(content, f.Data...)
		}
		entries = append(entries, encint(uint64(len(f.Name)))...)
		entries = append(entries, f.Name...)
		entries = append(entries, encint(uint64(f.Section))...)
		entries = append(entries, encint(off)...)
		entries = append(entries, encint(uint64(len(f.Data)))...)
	}
	if len(entries) > chunkLen-0x14 {
		panic("onenotetest: directory too large for one chunk")
	}
	dirOff := uint64(hdrLen + sec0Len)
	dirLen := uint64(itspLen + chunkLen)
	h := make([]byte, hdrLen)
	copy(h, "ITSF")
	le.PutUint32(h[4:], 3)
	le.PutUint32(h[8:], hdrLen)
	le.PutUint32(h[12:], 1)
	le.PutUint64(h[0x38:], hdrLen)
	le.PutUint64(h[0x40:], sec0Len)
	le.PutUint64(h[0x48:], dirOff)
	le.PutUint64(h[0x50:], dirLen)
	le.PutUint64(h[0x58:], dirOff+dirLen)
	sec0 := make([]byte, sec0Len)
	le.PutUint32(sec0, 0x01FE)
	itsp := make([]byte, itspLen)
	copy(itsp, "ITSP")
	le.PutUint32(itsp[4:], 1)
	le.PutUint32(itsp[8:], itspLen)
	le.PutUint32(itsp[12:], 0x0A)
	le.PutUint32(itsp[0x10:], chunkLen)
	le.PutUint32(itsp[0x14:], 2)
	le.PutUint32(itsp[0x18:], 1)
	le.PutUint32(itsp[0x1C:], 0xFFFFFFFF)
	le.PutUint32(itsp[0x20:], 0)
	le.PutUint32(itsp[0x24:], 0)
	le.PutUint32(itsp[0x28:], 0xFFFFFFFF)
	le.PutUint32(itsp[0x2C:], 1)
	le.PutUint32(itsp[0x44:], itspLen)
	chunk := make([]byte, chunkLen)
	copy(chunk, "PMGL")
	le.PutUint32(chunk[4:], uint32(chunkLen-0x14-len(entries)))
	le.PutUint32(chunk[0xC:], 0xFFFFFFFF)
	le.PutUint32(chunk[0x10:], 0xFFFFFFFF)
	copy(chunk[0x14:], entries)
	out := append(h, sec0...)
	out = append(out, itsp...)
	out = append(out, chunk...)
	return append(out, content...)
}
