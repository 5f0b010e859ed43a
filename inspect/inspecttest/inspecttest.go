// Package inspecttest builds small synthetic files for tests and fixture
// generators: compound files ([MS-CFB]), a Word 97 document, a VBA project
// (vbaProject.bin), an OOXML package turned macro-enabled, a minimal PE.
// Production code never imports it.
//
// The files are minimal but well-formed enough for Office-aware parsers:
// what they prove is that officemilter's pipeline (MIME walk, engine,
// policy, rewrite, milter) reacts to the structures that matter. Detection
// itself is judged on real documents (testdata/files, the shared corpus).
package inspecttest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

const (
	sectorSize  = 512
	miniCutoff  = 4096
	endOfChain  = 0xFFFFFFFE
	freeSect    = 0xFFFFFFFF
	fatSect     = 0xFFFFFFFD
	noStream    = 0xFFFFFFFF
	typeStorage = 1
	typeStream  = 2
	typeRoot    = 5
)

type dirEntry struct {
	name        string
	typ         byte
	data        []byte
	kids        []int
	left, right uint32
	child       uint32
	start       uint32
	size        uint32
}

// CFB returns a version 3 compound file holding the given streams, keyed by
// path ("Macros/VBA/dir"); storages are created as needed. Streams shorter
// than the mini stream cutoff are padded with zeros to 4096 bytes so that
// every stream lives in regular sectors (no mini stream is written).
func CFB(streams map[string][]byte) []byte {
	ents := []*dirEntry{{name: "Root Entry", typ: typeRoot}}
	index := map[string]int{"": 0}
	paths := make([]string, 0, len(streams))
	for p := range streams {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		parts := strings.Split(p, "/")
		parent := 0
		for i := range parts {
			key := strings.Join(parts[:i+1], "/")
			id, ok := index[key]
			if !ok {
				e := &dirEntry{name: parts[i], typ: typeStorage}
				if i == len(parts)-1 {
					e.typ = typeStream
					e.data = streams[p]
				}
				id = len(ents)
				ents = append(ents, e)
				index[key] = id
				ents[parent].kids = append(ents[parent].kids, id)
			}
			parent = id
		}
	}
	// Children as a right-leaning chain in [MS-CFB] 2.6.4 order (shorter
	// names first, then upper-case comparison): a valid binary search tree.
	for _, e := range ents {
		e.left, e.right, e.child = noStream, noStream, noStream
	}
	for _, e := range ents {
		if len(e.kids) == 0 {
			continue
		}
		sort.Slice(e.kids, func(i, j int) bool { return cfbLess(ents[e.kids[i]].name, ents[e.kids[j]].name) })
		e.child = uint32(e.kids[0])
		for i := 0; i+1 < len(e.kids); i++ {
			ents[e.kids[i]].right = uint32(e.kids[i+1])
		}
	}
	dirSectors := (len(ents)*128 + sectorSize - 1) / sectorSize
	dataSectors := 0
	for _, e := range ents {
		if e.typ == typeStream {
			n := len(e.data)
			if n < miniCutoff {
				n = miniCutoff
			}
			dataSectors += (n + sectorSize - 1) / sectorSize
		}
	}
	fatSectors := 1
	for (dirSectors+fatSectors+dataSectors+127)/128 > fatSectors {
		fatSectors++
	}
	if fatSectors > 109 {
		panic("inspecttest: file too large for a header-only DIFAT")
	}
	total := dirSectors + fatSectors + dataSectors
	fat := make([]uint32, fatSectors*128)
	for i := range fat {
		fat[i] = freeSect
	}
	chain := func(start, n int) {
		for i := 0; i < n; i++ {
			if i == n-1 {
				fat[start+i] = endOfChain
			} else {
				fat[start+i] = uint32(start + i + 1)
			}
		}
	}
	chain(0, dirSectors)
	for i := 0; i < fatSectors; i++ {
		fat[dirSectors+i] = fatSect
	}
	body := make([]byte, total*sectorSize)
	next := dirSectors + fatSectors
	for _, e := range ents {
		if e.typ != typeStream {
			continue
		}
		n := len(e.data)
		if n < miniCutoff {
			e.data = append(append([]byte(nil), e.data...), make([]byte, miniCutoff-n)...)
		}
		k := (len(e.data) + sectorSize - 1) / sectorSize
		e.start, e.size = uint32(next), uint32(len(e.data))
		copy(body[next*sectorSize:], e.data)
		chain(next, k)
		next += k
	}
	for i, e := range ents {
		d := body[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(e.name))
		for j, c := range u {
			binary.LittleEndian.PutUint16(d[j*2:], c)
		}
		binary.LittleEndian.PutUint16(d[64:], uint16((len(u)+1)*2))
		d[66], d[67] = e.typ, 1
		binary.LittleEndian.PutUint32(d[68:], e.left)
		binary.LittleEndian.PutUint32(d[72:], e.right)
		binary.LittleEndian.PutUint32(d[76:], e.child)
		if e.typ == typeStream {
			binary.LittleEndian.PutUint32(d[116:], e.start)
			binary.LittleEndian.PutUint32(d[120:], e.size)
		} else {
			binary.LittleEndian.PutUint32(d[116:], endOfChain)
		}
	}
	for i := len(ents); i < dirSectors*4; i++ { // unused entries
		d := body[i*128 : (i+1)*128]
		binary.LittleEndian.PutUint32(d[68:], noStream)
		binary.LittleEndian.PutUint32(d[72:], noStream)
		binary.LittleEndian.PutUint32(d[76:], noStream)
	}
	for i, v := range fat {
		binary.LittleEndian.PutUint32(body[dirSectors*sectorSize+i*4:], v)
	}
	h := make([]byte, sectorSize)
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	binary.LittleEndian.PutUint16(h[24:], 0x003E)
	binary.LittleEndian.PutUint16(h[26:], 3)
	binary.LittleEndian.PutUint16(h[28:], 0xFFFE)
	binary.LittleEndian.PutUint16(h[30:], 9)
	binary.LittleEndian.PutUint16(h[32:], 6)
	binary.LittleEndian.PutUint32(h[44:], uint32(fatSectors))
	binary.LittleEndian.PutUint32(h[48:], 0) // first directory sector
	binary.LittleEndian.PutUint32(h[56:], miniCutoff)
	binary.LittleEndian.PutUint32(h[60:], endOfChain)
	binary.LittleEndian.PutUint32(h[68:], endOfChain)
	for i := 0; i < 109; i++ {
		v := uint32(freeSect)
		if i < fatSectors {
			v = uint32(dirSectors + i)
		}
		binary.LittleEndian.PutUint32(h[76+i*4:], v)
	}
	return append(h, body...)
}

func cfbLess(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	if len(ua) != len(ub) {
		return len(ua) < len(ub)
	}
	return strings.ToUpper(a) < strings.ToUpper(b)
}

// fib returns a Word 97 FibBase ([MS-DOC] 2.5.2) padded to a plausible size.
func fib(flags uint16) []byte {
	b := make([]byte, 1472)
	binary.LittleEndian.PutUint16(b[0:], 0xA5EC) // wIdent
	binary.LittleEndian.PutUint16(b[2:], 0x00C1) // nFib
	binary.LittleEndian.PutUint16(b[10:], flags|0x0200)
	return b
}

// vbaStreams returns the streams of a VBA project storage under prefix
// ([MS-OVBA] 2.2): PROJECT, VBA/dir, VBA/_VBA_PROJECT and one module.
func vbaStreams(prefix string, m map[string][]byte) {
	m[prefix+"PROJECT"] = []byte("ID=\"{00000000-0000-0000-0000-000000000000}\"\r\nDocument=ThisDocument/&H00000000\r\nName=\"Project\"\r\n")
	m[prefix+"PROJECTwm"] = []byte("ThisDocument\x00T\x00h\x00i\x00s\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t\x00\x00\x00\x00\x00")
	m[prefix+"VBA/dir"] = []byte{0x01, 0x40, 0x00} // compressed container header; content is not parsed for the verdict
	m[prefix+"VBA/_VBA_PROJECT"] = []byte{0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00}
	m[prefix+"VBA/ThisDocument"] = []byte("Attribute VB_Name = \"ThisDocument\"\r\nSub AutoOpen()\r\n  MsgBox \"officemilter test macro\"\r\nEnd Sub\r\n")
}

// Doc returns a Word 97-2003 document; with macros it carries a VBA
// project in its Macros storage as Word writes it.
func Doc(macros bool) []byte {
	m := map[string][]byte{"WordDocument": fib(0), "1Table": make([]byte, 512)}
	if macros {
		vbaStreams("Macros/", m)
	}
	return CFB(m)
}

// EncryptedDoc returns a Word document whose FIB says fEncrypted (RC4).
func EncryptedDoc() []byte {
	tbl := make([]byte, 512)
	binary.LittleEndian.PutUint16(tbl[0:], 1) // EncryptionHeader RC4 1.1
	binary.LittleEndian.PutUint16(tbl[2:], 1)
	return CFB(map[string][]byte{"WordDocument": fib(0x0100), "1Table": tbl})
}

// VBAProject returns a vbaProject.bin as OOXML packages carry it.
func VBAProject() []byte {
	m := map[string][]byte{}
	vbaStreams("", m)
	return CFB(m)
}

// Docm turns a .docx package into a macro-enabled .docm with a VBA project:
// the main part's content type becomes macroEnabled, word/vbaProject.bin
// and its relationship are added. Every other member is copied as is.
func Docm(docx []byte) ([]byte, error) {
	return EditZip(docx, func(name string, data []byte) []byte {
		switch name {
		case "[Content_Types].xml":
			s := strings.Replace(string(data),
				"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
				"application/vnd.ms-word.document.macroEnabled.main+xml", 1)
			return []byte(strings.Replace(s, "</Types>", `<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>`, 1))
		case "word/_rels/document.xml.rels":
			return []byte(strings.Replace(string(data), "</Relationships>",
				`<Relationship Id="rIdVba1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>`, 1))
		}
		return data
	}, map[string][]byte{"word/vbaProject.bin": VBAProject()})
}

// PE returns a minimal 32-bit Windows executable header (MZ, PE
// signature, COFF header for i386, optional header magic 0x10B).
func PE() []byte {
	b := make([]byte, 1024)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3C:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x014C) // Machine i386
	binary.LittleEndian.PutUint16(b[0x86:], 1)      // sections
	binary.LittleEndian.PutUint16(b[0x94:], 0xE0)   // SizeOfOptionalHeader
	binary.LittleEndian.PutUint16(b[0x96:], 0x0102) // executable, 32-bit
	binary.LittleEndian.PutUint16(b[0x98:], 0x010B) // PE32
	binary.LittleEndian.PutUint16(b[0x98+68:], 2)   // subsystem GUI
	return b
}

// Must panics on err; for generators.
func Must(b []byte, err error) []byte {
	if err != nil {
		panic(fmt.Sprintf("inspecttest: %v", err))
	}
	return b
}

// EditZip copies a zip package, passing each member through edit (which
// may return the data unchanged) and appending the members of add. Members
// are stored deflated, in the original order.
func EditZip(src []byte, edit func(name string, data []byte) []byte, add map[string][]byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	write := func(name string, data []byte, method uint16) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if edit != nil {
			data = edit(f.Name, data)
		}
		if err := write(f.Name, data, f.Method); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(add))
	for n := range add {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := write(n, add[n], zip.Deflate); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// CorpusDir finds the shared third-party corpus ($OFFICEMILTER_CORPUS, or
// shared/corpus beside the checkout), read in place and never copied. The
// test skips when it is absent, except under CI where that is a failure.
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("OFFICEMILTER_CORPUS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared", "corpus")
				break
			}
			if filepath.Dir(d) == d {
				t.Fatal("go.mod not found above " + wd)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared corpus missing under CI: %v", err)
		}
		t.Skipf("shared corpus not available: %v", err)
	}
	return dir
}
