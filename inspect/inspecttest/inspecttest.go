// Package inspecttest builds small synthetic files for tests and fixture
// generators: compound files ([MS-CFB]), a Word 97 document, a VBA project
// (vbaProject.bin), an OOXML package turned macro-enabled, a minimal PE.
// Tests of inspectors find one helper per need here: the compound file
// writer (WriteCFB) and its cross-check reader (MscfbStreams), a recording
// Scope (Recorder), a hang detector (NoHang), the invariants every
// inspector's fuzz target checks (Recorder.CheckInvariants, CheckResult),
// the benchmark loop (Bench), an engine of one package's inspectors
// (Engine) and the shared corpus (CorpusDir, CorpusPath). Production code
// never imports it.
//
// The files are minimal but well-formed enough for Office-aware parsers:
// what they prove is that officemilter's pipeline (MIME walk, engine,
// policy, rewrite, milter) reacts to the structures that matter. Detection
// itself is judged on real documents (testdata/files, the shared corpus).
package inspecttest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

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

// CorpusDir finds the shared third-party corpus (CorpusPath), read in
// place and never copied. The test skips when it is absent, except under
// CI where that is a failure.
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir := CorpusPath(t)
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared corpus missing under CI: %v", err)
		}
		t.Skipf("shared corpus not available: %v", err)
	}
	return dir
}

// CorpusPath is where the shared third-party corpus is expected:
// $OFFICEMILTER_CORPUS, or shared/corpus beside the checkout. It does not
// check that the corpus is there.
func CorpusPath(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("OFFICEMILTER_CORPUS"); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "corpus")
		}
		if filepath.Dir(d) == d {
			t.Fatal("go.mod not found above " + wd)
		}
	}
}

// ReadFile returns the content of the file at path or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ReadGzip returns the expanded content of the gzipped file at path (a
// fixture kept compressed in testdata).
func ReadGzip(t testing.TB, path string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(ReadFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
