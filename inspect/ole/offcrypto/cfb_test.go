package offcrypto

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// This file holds test-only compound file ([MS-CFB]) helpers: a reader of
// named streams (on top of mscfb) and a small writer, so that the tests can
// build the containers msoffcrypto-tool and the OLE inspector read.

// cfbStreams returns every stream of a compound file by its path ("VBA/dir").
func cfbStreams(t testing.TB, file []byte) map[string][]byte {
	t.Helper()
	r, err := mscfb.New(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("mscfb: %v", err)
	}
	out := map[string][]byte{}
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("mscfb: %v", err)
		}
		if f.Size <= 0 && len(f.Path) == 0 && f.Name == "" {
			continue
		}
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatalf("mscfb read %s: %v", f.Name, err)
		}
		name := strings.Join(append(append([]string{}, f.Path...), f.Name), "/")
		out[name] = b
	}
	return out
}

// cfbStream returns one stream or fails the test.
func cfbStream(t testing.TB, file []byte, name string) []byte {
	t.Helper()
	s, ok := cfbStreams(t, file)[name]
	if !ok {
		t.Fatalf("no stream %q in the compound file", name)
	}
	return s
}

// [MS-CFB] 2.1 special sector numbers.
const (
	cfbFree       = 0xFFFFFFFF
	cfbEndOfChain = 0xFFFFFFFE
	cfbFATSect    = 0xFFFFFFFD
	cfbNoStream   = 0xFFFFFFFF
)

// cfbNode is a storage or stream to write.
type cfbNode struct {
	name     string
	data     []byte // streams
	children []*cfbNode
	storage  bool
	// assigned while writing
	id                 uint32
	left, right, child uint32
	start              uint32
	mini               bool
}

// buildCFB writes a version 3 compound file (512-byte sectors, [MS-CFB] 2.2)
// holding the given streams; a path "VBA/dir" creates the storage VBA.
// Streams under 4096 bytes go to the mini stream (2.5). The red-black tree of
// each storage is written as a balanced tree with every node black, which
// [MS-CFB] 2.6.4 allows.
func buildCFB(streams map[string][]byte) []byte {
	root := &cfbNode{name: "Root Entry", storage: true}
	paths := make([]string, 0, len(streams))
	for p := range streams {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		parts := strings.Split(p, "/")
		dir := root
		for _, s := range parts[:len(parts)-1] {
			var next *cfbNode
			for _, c := range dir.children {
				if c.name == s && c.storage {
					next = c
				}
			}
			if next == nil {
				next = &cfbNode{name: s, storage: true}
				dir.children = append(dir.children, next)
			}
			dir = next
		}
		dir.children = append(dir.children, &cfbNode{name: parts[len(parts)-1], data: streams[p]})
	}

	// Number the directory entries (root first, depth first).
	var entries []*cfbNode
	var number func(n *cfbNode)
	number = func(n *cfbNode) {
		n.id = uint32(len(entries))
		entries = append(entries, n)
		for _, c := range n.children {
			number(c)
		}
	}
	number(root)
	for _, n := range entries {
		n.left, n.right, n.child = cfbNoStream, cfbNoStream, cfbNoStream
	}
	for _, n := range entries {
		if !n.storage {
			continue
		}
		kids := append([]*cfbNode{}, n.children...)
		sort.Slice(kids, func(i, j int) bool { return cfbLess(kids[i].name, kids[j].name) })
		n.child = cfbTree(kids)
	}

	// Mini stream: streams under the cutoff, 64-byte mini sectors.
	var ministream []byte
	var minifat []uint32
	for _, n := range entries {
		if n.storage || len(n.data) >= 4096 {
			continue
		}
		n.mini = true
		if len(n.data) == 0 {
			n.start = cfbEndOfChain
			continue
		}
		n.start = uint32(len(minifat))
		cnt := (len(n.data) + 63) / 64
		for i := 0; i < cnt; i++ {
			if i == cnt-1 {
				minifat = append(minifat, cfbEndOfChain)
			} else {
				minifat = append(minifat, uint32(len(minifat)+1))
			}
		}
		ministream = append(ministream, n.data...)
		ministream = append(ministream, make([]byte, cnt*64-len(n.data))...)
	}

	// Regular sectors: directory, mini FAT, mini stream, big streams; the
	// FAT sectors come first.
	type chain struct {
		data  []byte
		start *uint32
	}
	dirBytes := make([]byte, ((len(entries)+3)/4)*512)
	var dirStart, miniFATStart, miniStreamStart uint32
	miniFATBytes := make([]byte, 0, len(minifat)*4)
	for _, v := range minifat {
		miniFATBytes = binary.LittleEndian.AppendUint32(miniFATBytes, v)
	}
	chains := []chain{{dirBytes, &dirStart}, {miniFATBytes, &miniFATStart}, {ministream, &miniStreamStart}}
	for _, n := range entries {
		if !n.storage && !n.mini {
			chains = append(chains, chain{n.data, &n.start})
		}
	}
	dataSectors := 0
	for _, c := range chains {
		dataSectors += (len(c.data) + 511) / 512
	}
	fatSectors := 1
	for (fatSectors+dataSectors+127)/128 > fatSectors {
		fatSectors++
	}
	if fatSectors > 109 {
		panic("buildCFB: file too large for a header-only DIFAT")
	}
	fat := make([]uint32, fatSectors*128)
	for i := range fat {
		fat[i] = cfbFree
	}
	for i := 0; i < fatSectors; i++ {
		fat[i] = cfbFATSect
	}
	next := uint32(fatSectors)
	body := make([]byte, 0, (fatSectors+dataSectors)*512)
	body = append(body, make([]byte, fatSectors*512)...)
	for _, c := range chains {
		cnt := (len(c.data) + 511) / 512
		if cnt == 0 {
			*c.start = cfbEndOfChain
			continue
		}
		*c.start = next
		for i := 0; i < cnt; i++ {
			if i == cnt-1 {
				fat[next] = cfbEndOfChain
			} else {
				fat[next] = next + 1
			}
			next++
		}
		body = append(body, c.data...)
		body = append(body, make([]byte, cnt*512-len(c.data))...)
	}
	root.start = miniStreamStart
	if len(ministream) == 0 {
		root.start = cfbEndOfChain
	}
	for i, v := range fat {
		binary.LittleEndian.PutUint32(body[i*4:], v)
	}

	// Directory entries ([MS-CFB] 2.6.1).
	dirOff := int(dirStart) * 512
	for _, n := range entries {
		e := body[dirOff+int(n.id)*128 : dirOff+int(n.id+1)*128]
		u := utf16.Encode([]rune(n.name))
		for i, c := range u {
			binary.LittleEndian.PutUint16(e[2*i:], c)
		}
		binary.LittleEndian.PutUint16(e[64:], uint16(2*(len(u)+1)))
		switch {
		case n == root:
			e[66] = 5
		case n.storage:
			e[66] = 1
		default:
			e[66] = 2
		}
		e[67] = 1 // black
		binary.LittleEndian.PutUint32(e[68:], n.left)
		binary.LittleEndian.PutUint32(e[72:], n.right)
		binary.LittleEndian.PutUint32(e[76:], n.child)
		size := uint64(len(n.data))
		start := n.start
		if n == root {
			size = uint64(len(ministream))
		} else if n.storage {
			start = 0
		}
		binary.LittleEndian.PutUint32(e[116:], start)
		binary.LittleEndian.PutUint64(e[120:], size)
	}
	// Unused entries of the last directory sector.
	for i := len(entries); i < len(dirBytes)/128; i++ {
		e := body[dirOff+i*128 : dirOff+(i+1)*128]
		binary.LittleEndian.PutUint32(e[68:], cfbNoStream)
		binary.LittleEndian.PutUint32(e[72:], cfbNoStream)
		binary.LittleEndian.PutUint32(e[76:], cfbNoStream)
	}

	// Header ([MS-CFB] 2.2).
	h := make([]byte, 512)
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le := binary.LittleEndian
	le.PutUint16(h[24:], 0x003E)
	le.PutUint16(h[26:], 3)
	le.PutUint16(h[28:], 0xFFFE)
	le.PutUint16(h[30:], 9)
	le.PutUint16(h[32:], 6)
	le.PutUint32(h[44:], uint32(fatSectors))
	le.PutUint32(h[48:], dirStart)
	le.PutUint32(h[56:], 4096)
	if len(minifat) > 0 {
		le.PutUint32(h[60:], miniFATStart)
		le.PutUint32(h[64:], uint32((len(miniFATBytes)+511)/512))
	} else {
		le.PutUint32(h[60:], cfbEndOfChain)
	}
	le.PutUint32(h[68:], cfbEndOfChain)
	for i := 0; i < 109; i++ {
		v := uint32(cfbFree)
		if i < fatSectors {
			v = uint32(i)
		}
		le.PutUint32(h[76+4*i:], v)
	}
	return append(h, body...)
}

// cfbLess orders sibling names as [MS-CFB] 2.6.4 requires: shorter first,
// then by upper-cased UTF-16 code units.
func cfbLess(a, b string) bool {
	ua, ub := utf16.Encode([]rune(strings.ToUpper(a))), utf16.Encode([]rune(strings.ToUpper(b)))
	if len(ua) != len(ub) {
		return len(ua) < len(ub)
	}
	for i := range ua {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return false
}

// cfbTree links sorted siblings as a balanced binary tree and returns the
// root's id.
func cfbTree(kids []*cfbNode) uint32 {
	if len(kids) == 0 {
		return cfbNoStream
	}
	m := len(kids) / 2
	kids[m].left = cfbTree(kids[:m])
	kids[m].right = cfbTree(kids[m+1:])
	return kids[m].id
}

func TestBuildCFBRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 700) // 11200 bytes: FAT
	streams := map[string][]byte{
		"EncryptionInfo":   []byte("small stream in the mini stream"),
		"EncryptedPackage": big,
		"VBA/dir":          []byte("dir"),
		"VBA/Module1":      bytes.Repeat([]byte{1}, 5000),
		"Empty":            {},
	}
	got := cfbStreams(t, buildCFB(streams))
	for name, want := range streams {
		if !bytes.Equal(got[name], want) {
			t.Errorf("stream %s: got %d bytes, want %d", name, len(got[name]), len(want))
		}
	}
	if len(got) < len(streams) {
		t.Errorf("got streams %v", fmt.Sprint(len(got)))
	}
}
