// Package officexmltest writes the Office XML and MIME shells that carry
// macros outside a .doc or .docm, for tests and the fixture generator
// (testdata/gen): an ActiveMime blob, Word 2003 XML, Excel 2003 XML, Flat
// OPC and an MHT "single file web page". Production code never imports it.
//
// Everything is written from the published descriptions of the formats
// (cited beside each writer); the compound files inside come from
// inspect/inspecttest.
package officexmltest

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// VBAProject is the compound file with a VBA project the shells carry
// (PROJECT, VBA/dir, VBA/_VBA_PROJECT, a module: what Word keeps in
// editdata.mso and OOXML in vbaProject.bin).
func VBAProject() []byte { return inspecttest.VBAProject() }

// ActiveMime wraps data (a compound file) the way Word 2003 writes
// editdata.mso. There is no official specification; the layout is the one
// oletools' olevba (mso_file_extract) and other public analyses of the
// format describe:
//
//	0x00 "ActiveMime\0\0"
//	0x0C uint16 0xF001
//	0x0E uint32 size of the next field (4)
//	0x12 uint32 0xFFFFFFFF
//	0x16 uint32 flags (0xF0000000 under the mask 0xF0F0FF0F)
//	0x1A uint32 compressed size
//	0x1E uint32 size of the field at 0x26 (4): olevba reads the data offset
//	     as this value (uint16) + 46
//	0x22 uint32 size of the field after it (4)
//	0x26 uint32 0
//	0x2A uint32 0
//	0x2E uint32 uncompressed size
//	0x32 zlib stream (RFC 1950) of data
func ActiveMime(data []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	h := make([]byte, 0x32)
	copy(h, "ActiveMime\x00\x00")
	le := binary.LittleEndian
	le.PutUint16(h[0x0C:], 0xF001)
	le.PutUint32(h[0x0E:], 4)
	le.PutUint32(h[0x12:], 0xFFFFFFFF)
	le.PutUint32(h[0x16:], 0xF0000000)
	le.PutUint32(h[0x1A:], uint32(z.Len()))
	le.PutUint32(h[0x1E:], 4)
	le.PutUint32(h[0x22:], 4)
	le.PutUint32(h[0x2E:], uint32(len(data)))
	return append(h, z.Bytes()...)
}

// Base64Lines is data in base64 with lines of 76 characters, as Word writes
// binData and MIME writers write parts.
func Base64Lines(data []byte, eol string) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString(eol)
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// WordXML returns a Word 2003 XML document (WordprocessingML 2003, root
// w:wordDocument): with macros, w:docSuppData/w:binData w:name="editdata.mso"
// holds the ActiveMime blob of a VBA project, as Word 2003 saves a document
// with macros as XML.
func WordXML(macros bool) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<?mso-application progid="Word.Document"?>` + "\n")
	b.WriteString(`<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml" xmlns:wx="http://schemas.microsoft.com/office/word/2003/auxHint" xmlns:o="urn:schemas-microsoft-com:office:office"`)
	if macros {
		b.WriteString(` w:macrosPresent="yes"`)
	}
	b.WriteString(` xml:space="preserve">` + "\n")
	b.WriteString(`<o:DocumentProperties><o:Title>officemilter test</o:Title></o:DocumentProperties>` + "\n")
	if macros {
		b.WriteString(`<w:docSuppData><w:binData w:name="editdata.mso">`)
		b.WriteString(Base64Lines(ActiveMime(VBAProject()), "\n"))
		b.WriteString("</w:binData></w:docSuppData>\n")
	}
	b.WriteString(`<w:body><w:p><w:r><w:t>officemilter test document</w:t></w:r></w:p><w:sectPr/></w:body>` + "\n")
	b.WriteString("</w:wordDocument>\n")
	return []byte(b.String())
}

// ExcelXML returns an Excel 2003 XML workbook (SpreadsheetML 2003, root
// Workbook in urn:schemas-microsoft-com:office:spreadsheet) with one sheet.
func ExcelXML() []byte {
	return []byte(`<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" xmlns:html="http://www.w3.org/TR/REC-html40">
 <Worksheet ss:Name="Sheet1">
  <Table><Row><Cell><Data ss:Type="String">officemilter</Data></Cell><Cell><Data ss:Type="Number">42</Data></Cell></Row></Table>
 </Worksheet>
</Workbook>
`)
}

// FlatOPCApp names the application of a Flat OPC package.
type FlatOPCApp int

const (
	Word FlatOPCApp = iota
	Excel
	PowerPoint
)

// flatApps are, per application, the progid, the main part and its
// macro-enabled content type ([MS-OFFMACRO2] 2.2), and the folder.
var flatApps = map[FlatOPCApp]struct{ progid, main, ct, dir string }{
	Word:       {"Word.Document", "/word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml", "word"},
	Excel:      {"Excel.Sheet", "/xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml", "xl"},
	PowerPoint: {"PowerPoint.Show", "/ppt/presentation.xml", "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml", "ppt"},
}

// FlatOPC returns a Flat OPC document: Office 2007's "XML Document" save
// type (Word "Word XML Document", PowerPoint "PowerPoint XML
// Presentation"), an OPC package ([ECMA-376] Part 2) written as one XML
// file: root pkg:package in http://schemas.microsoft.com/office/2006/xmlPackage,
// one pkg:part (pkg:name, pkg:contentType) per package part holding
// pkg:xmlData or base64 pkg:binaryData. With macros it carries
// /<dir>/vbaProject.bin and its relationship.
func FlatOPC(app FlatOPCApp, macros bool) []byte {
	a := flatApps[app]
	ct := a.ct
	if !macros {
		ct = strings.Replace(strings.Replace(ct, "vnd.ms-word.document.macroEnabled", "vnd.openxmlformats-officedocument.wordprocessingml.document", 1), "vnd.ms-excel.sheet.macroEnabled", "vnd.openxmlformats-officedocument.spreadsheetml.sheet", 1)
		ct = strings.Replace(ct, "vnd.ms-powerpoint.presentation.macroEnabled", "vnd.openxmlformats-officedocument.presentationml.presentation", 1)
	}
	const rels = "http://schemas.openxmlformats.org/package/2006/relationships"
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" standalone=\"yes\"?>\n<?mso-application progid=%q?>\n", a.progid)
	b.WriteString(`<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage">` + "\n")
	fmt.Fprintf(&b, `<pkg:part pkg:name="/_rels/.rels" pkg:contentType="application/vnd.openxmlformats-package.relationships+xml" pkg:padding="512"><pkg:xmlData><Relationships xmlns=%q><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target=%q/></Relationships></pkg:xmlData></pkg:part>`+"\n", rels, a.main[1:])
	main := path(a.main)
	fmt.Fprintf(&b, `<pkg:part pkg:name="/%s/_rels/%s.rels" pkg:contentType="application/vnd.openxmlformats-package.relationships+xml" pkg:padding="256"><pkg:xmlData><Relationships xmlns=%q>`, a.dir, main, rels)
	if macros {
		b.WriteString(`<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>`)
	}
	b.WriteString("</Relationships></pkg:xmlData></pkg:part>\n")
	fmt.Fprintf(&b, `<pkg:part pkg:name=%q pkg:contentType=%q><pkg:xmlData><root xmlns="urn:officemilter:test">officemilter test</root></pkg:xmlData></pkg:part>`+"\n", a.main, ct)
	if macros {
		fmt.Fprintf(&b, `<pkg:part pkg:name="/%s/vbaProject.bin" pkg:contentType="application/vnd.ms-office.vbaProject"><pkg:binaryData>`, a.dir)
		b.WriteString(Base64Lines(VBAProject(), "\n"))
		b.WriteString("</pkg:binaryData></pkg:part>\n")
	}
	b.WriteString("</pkg:package>\n")
	return []byte(b.String())
}

func path(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// MHT returns a "single file web page" as Word saves it (RFC 2557
// multipart/related, the HTML first, its files after with
// Content-Location): with macros, the document's editdata.mso part holds
// the ActiveMime blob of a VBA project.
func MHT(macros bool) []byte {
	const bnd = "----=_NextPart_01DA0000.4F4D0000"
	var b strings.Builder
	w := func(s string) { b.WriteString(strings.ReplaceAll(s, "\n", "\r\n")) }
	w("MIME-Version: 1.0\nContent-Type: multipart/related; boundary=\"" + bnd + "\"\n\n")
	w("This document is a Single File Web Page, also known as a Web Archive file.\n\n")
	w("--" + bnd + "\nContent-Location: file:///C:/Users/test/Brief.htm\nContent-Transfer-Encoding: quoted-printable\nContent-Type: text/html; charset=\"us-ascii\"\n\n")
	w("<html xmlns:o=3D\"urn:schemas-microsoft-com:office:office\" xmlns:w=3D\"urn:schemas-microsoft-com:office:word\">\n<head>\n")
	if macros {
		w("<link rel=3DEdit-Time-Data href=3D\"Brief-Dateien/editdata.mso\">\n")
	}
	w("</head>\n<body><p>officemilter test document</p></body>\n</html>\n\n")
	if macros {
		w("--" + bnd + "\nContent-Location: file:///C:/Users/test/Brief-Dateien/editdata.mso\nContent-Transfer-Encoding: base64\nContent-Type: application/x-mso\n\n")
		w(Base64Lines(ActiveMime(VBAProject()), "\n") + "\n\n")
	}
	w("--" + bnd + "--\n")
	return []byte(b.String())
}
