package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/officemilter/officemilter/inspect/html/htmltest"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/onenote/onenotetest"
)

// carrier is one file of a format that carries macros or a program past
// filters that look for .doc, .docm and .exe.
type carrier struct {
	name, subject string // message name part and subject
	file, ctype   string // attachment name and Content-Type
	data          []byte
}

// hta is an HTML application: a script Windows runs with mshta.exe.
var hta = []byte("<html><head><HTA:APPLICATION id=x/><script language=\"VBScript\">CreateObject(\"WScript.Shell\").Run \"cmd /c calc\"</script></head></html>\n")

// carriers returns one carrier per format, in message order. Files of
// testdata/files and the disk images of inspect/diskimg/testdata are read;
// the rest is built here from the builders the inspector tests use.
func carriers() []carrier {
	f := func(name string) []byte { return read(filepath.Join("testdata/files", name)) }
	pe := inspecttest.PE()
	// letter.pdf with the macro MHT appended: a PDF reader shows the
	// letter, Word opens the same file as a web archive ("MalDoc in PDF",
	// JPCERT/CC 2023, sent named .doc); written named .pdf and .doc.
	malDocInPDF := append(append([]byte{}, f("letter.pdf")...), f("mht-macro.doc")...)
	docxExe := inspecttest.Must(inspecttest.EditZip(f("letter.docx"), nil, map[string][]byte{"setup.exe": pe}))
	return []carrier{
		{"word2003-xml-macro-named-doc", "Bericht (Word 2003 XML)", "Bericht.doc", "application/msword", f("word2003-macro.doc")},
		{"word2003-xml-macro", "Bericht (XML)", "Bericht.xml", "text/xml", f("word2003-macro.xml")},
		{"excel2003-xml", "Tabelle (XML)", "Tabelle.xml", "text/xml", f("excel2003.xml")},
		{"flatopc-word-macro", "Bericht (Flat OPC)", "Bericht.xml", "text/xml", f("flatopc-word-macro.xml")},
		{"mht-activemime-named-doc", "Bericht (Webarchiv)", "Bericht.doc", "application/msword", f("mht-macro.doc")},
		{"activemime-editdata-mso", "Bearbeitungsdaten", "editdata.mso", "application/x-mso", f("editdata.mso")},
		{"pdf-with-mht-appended", "Antrag (PDF)", "Antrag.pdf", "application/pdf", malDocInPDF},
		{"pdf-with-mht-named-doc", "Antrag (PDF als doc)", "Antrag.doc", "application/msword", malDocInPDF},
		{"onenote-embedded-exe", "Notizen", "Notizen.one", "application/onenote", onenotetest.One(onenotetest.File{Name: "Rechnung.exe", Ext: ".exe", Data: pe})},
		{"onenote-embedded-hta", "Notizen", "Notizen.one", "application/onenote", onenotetest.One(onenotetest.File{Name: "Open.hta", Ext: ".hta", Data: hta})},
		{"chm-with-exe", "Hilfe", "Hilfe.chm", "application/vnd.ms-htmlhelp", onenotetest.CHM(
			onenotetest.CHMFile{Name: "/", Section: 0},
			onenotetest.CHMFile{Name: "/index.html", Section: 1, Data: []byte("<html>")},
			onenotetest.CHMFile{Name: "/tools/setup.exe", Section: 0, Data: pe},
		)},
		{"fat-image", "Abbild", "Unterlagen.img", "application/octet-stream", gunzip("inspect/diskimg/testdata/fat12.img.gz")},
		{"vhd-dynamic", "Abbild (VHD)", "Unterlagen.vhd", "application/octet-stream", gunzip("inspect/diskimg/testdata/dynamic.vhd.gz")},
		// No VHDX: its regions and blocks sit on 1 MiB boundaries, so
		// even a small one is over 4 MiB (disk.vhdx is 9 MiB, a 12.9 MB
		// message) and over the shipped spool.memory: the scan would then
		// need the configured spool directory, which a test machine lacks.
		// inspect/diskimg's tests and inspect/all cover it.
		{"html-smuggling", "Rechnung (HTML)", "Rechnung.html", "text/html", htmltest.BlobDownload(pe, "Rechnung.exe")},
		{"svg-smuggling", "Foto", "Foto.svg", "image/svg+xml", htmltest.SVGSmuggling(pe, "Foto.zip")},
		{"appinstaller", "Programm installieren", "Contoso.appinstaller", "application/appinstaller", htmltest.AppInstaller()},
		{"docx-with-exe-member", "Antrag (docx)", "Antrag.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docxExe},
		// A [Content_Types].xml makes a zip look like an OPC package to
		// filters that stop there; it has no main part, so it is a zip.
		{"zip-content-types-exe", "Archiv", "Unterlagen.zip", "application/zip", zipOf(
			zfile{"[Content_Types].xml", contentTypes(map[string]string{"exe": "application/x-msdownload"})},
			zfile{"setup.exe", pe},
		)},
		// A Windows app package: the footprint files (Microsoft, "App
		// package format") beside [Content_Types].xml and the program.
		// Unsigned: AppxSignature.p7x is left out.
		{"msix-package", "App", "Contoso.msix", "application/msix", zipOf(
			zfile{"AppxManifest.xml", []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10"><Identity Name="Contoso.Viewer" Publisher="CN=Contoso" Version="2.23.0.0"/><Applications><Application Id="App" Executable="App/app.exe" EntryPoint="Windows.FullTrustApplication"/></Applications></Package>` + "\n")},
			zfile{"AppxBlockMap.xml", []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" HashMethod="http://www.w3.org/2001/04/xmlenc#sha256"/>` + "\n")},
			zfile{"App/app.exe", pe},
			zfile{"[Content_Types].xml", contentTypes(map[string]string{"exe": "application/x-msdownload"})},
		)},
	}
}

// gunzip reads a gzipped fixture.
func gunzip(path string) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(read(path)))
	if err != nil {
		fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		fatal(err)
	}
	return b
}

type zfile struct {
	name string
	data []byte
}

// zipOf writes a zip with the files deflated, in order, with no
// timestamps (so the output is the same on every run).
func zipOf(files ...zfile) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate})
		if err != nil {
			fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		fatal(err)
	}
	return b.Bytes()
}

// contentTypes is an OPC [Content_Types].xml ([ECMA-376] Part 2, 10.1.2)
// with the rels and xml defaults and the extra ones given.
func contentTypes(extra map[string]string) []byte {
	d := map[string]string{"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"}
	for k, v := range extra {
		d[k] = v
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sortStrings(keys)
	s := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`
	for _, k := range keys {
		s += `<Default Extension="` + k + `" ContentType="` + d[k] + `"/>`
	}
	return []byte(s + `</Types>`)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// attachments is a message of the protected and signed series: one or
// more attachments, written to rule 1 and to the strict mailbox.
type attachments struct {
	name, subject string
	parts         []part
}

// protectedAndSigned returns the documents the strict mailbox refuses as
// protected (a password guards editing, not reading) and signed documents
// as an authority sends them (CMS .p7m with the document inside, a
// detached .p7s beside it), in message order. The protected ones are
// letter.docx, table.xlsx and letter.odt with one element added; the
// hashes are made up (the inspectors look for a hash, not at it). The Word
// 97 form is letter.doc with FibBase.fWriteReservation set; the Excel 97
// records (FILESHARING …) are written by inspect/ole's tests only.
func protectedAndSigned() []attachments {
	f := func(name string) []byte { return read(filepath.Join("testdata/files", name)) }
	cms := func(name string) []byte { return read(filepath.Join("inspect/mime/testdata/cms", name)) }
	const (
		ctDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		ctXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		ctOdt  = "application/vnd.oasis.opendocument.text"
		ctP7m  = "application/pkcs7-mime"
	)
	// patch returns src with the first old in member replaced by new.
	patch := func(src []byte, member, old, new string) []byte {
		return inspecttest.Must(inspecttest.EditZip(src, func(name string, data []byte) []byte {
			if name != member {
				return data
			}
			if !bytes.Contains(data, []byte(old)) {
				fatal(fmt.Errorf("%s: %q not found", member, old))
			}
			return bytes.Replace(data, []byte(old), []byte(new), 1)
		}, nil))
	}
	// A password hash in the ISO form ([ECMA-376] Part 1, 17.15.1.93).
	const wordHash = ` w:algorithmName="SHA-512" w:hashValue="bW9kaWZ5LXBhc3N3b3JkLWhhc2gtb2YtdGhlLXRlc3QtZG9jdW1lbnQ=" w:saltValue="c2FsdC1vZi10aGUtdGVzdA==" w:spinCount="100000"`
	// w:writeProtection is the first child of w:settings; the
	// documentProtection goes before w:defaultTabStop (17.15.1.78 order).
	writeProt := patch(f("letter.docx"), "word/settings.xml", `<w:zoom `, `<w:writeProtection`+wordHash+`/><w:zoom `)
	docProt := patch(f("letter.docx"), "word/settings.xml", `<w:defaultTabStop `, `<w:documentProtection w:edit="readOnly" w:enforcement="1"`+wordHash+`/><w:defaultTabStop `)
	// sheetProtection follows sheetData (18.3.1.99); CC1A is a legacy
	// 16-bit password hash.
	sheetProt := patch(f("table.xlsx"), "xl/worksheets/sheet1.xml", `</sheetData>`, `</sheetData><sheetProtection sheet="1" password="CC1A"/>`)
	// The body text in a section protected with a key ([ODF 1.2] Part 1,
	// 5.4.1, 19.867); EditZip keeps mimetype first and stored.
	odt := patch(f("letter.odt"), "content.xml", `</text:sequence-decls>`, `</text:sequence-decls><text:section text:name="S" text:protected="true" text:protection-key="aGFzaA==">`)
	odt = patch(odt, "content.xml", `</office:text>`, `</text:section></office:text>`)
	return []attachments{
		{"docx-write-protection", "Antrag (schreibgeschützt)", []part{attach("Antrag.docx", ctDocx, writeProt)}},
		{"docx-document-protection", "Antrag (Bearbeitung eingeschränkt)", []part{attach("Antrag.docx", ctDocx, docProt)}},
		{"xlsx-protected-sheet", "Tabelle (Blattschutz)", []part{attach("Umsatz.xlsx", ctXlsx, sheetProt)}},
		{"odt-protected-section", "Antrag (geschützter Bereich)", []part{attach("Antrag.odt", ctOdt, odt)}},
		{"signed-pdf-p7m", "Bescheid (signiert)", []part{attach("Antrag.pdf.p7m", ctP7m, cms("letter.pdf.p7m"))}},
		{"signed-exe-p7m", "Programm (signiert)", []part{attach("setup.exe.p7m", "application/octet-stream", cms("setup.exe.p7m"))}},
		{"signed-docm-p7m", "Rechnung (signiert)", []part{attach("Rechnung.docm.p7m", ctP7m, cms("invoice.docm.p7m"))}},
		{"pdf-with-detached-p7s", "Bescheid (mit Signatur)", []part{
			attach("Antrag.pdf", "application/pdf", f("letter.pdf")),
			attach("Antrag.pdf.p7s", "application/pkcs7-signature", cms("letter.pdf.p7s")),
		}},
		{"doc-write-reservation", "Antrag (Schreibschutz)", []part{attach("Antrag.doc", "application/msword", writeReserved(f("letter.doc")))}},
	}
}

// writeReserved returns a copy of the Word 97 compound file doc with
// fWriteReservation (0x0800) set in the FibBase flags at offset 0x0A of the
// WordDocument stream ([MS-DOC] 2.5.2): Word asks for the password to
// modify. The stream's first byte is found through the directory
// ([MS-CFB] 2.2, 2.6), in a regular sector or in the mini stream.
func writeReserved(doc []byte) []byte {
	out := append([]byte(nil), doc...)
	le16 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 }
	le32 := func(b []byte) int { return le16(b) | le16(b[2:])<<16 }
	sector := 1 << le16(out[0x1E:])
	mini := 1 << le16(out[0x20:])
	fat := func(n int) int {
		// The first 109 FAT sectors are listed in the header's DIFAT.
		per := sector / 4
		fs := le32(out[0x4C+4*(n/per):])
		return le32(out[(fs+1)*sector+4*(n%per):])
	}
	// offsetIn returns the file offset of byte pos of the chain at start.
	offsetIn := func(start, pos int) int {
		for ; pos >= sector; pos -= sector {
			start = fat(start)
		}
		return (start+1)*sector + pos
	}
	var rootStart, wordStart, wordSize int
	found := false
	for dir := le32(out[0x30:]); dir >= 0 && dir < 0xFFFFFFFA; dir = fat(dir) {
		base := (dir + 1) * sector
		for e := base; e < base+sector; e += 128 {
			name := string(bytes.ReplaceAll(out[e:e+64], []byte{0}, nil))
			switch {
			case out[e+0x42] == 5: // the root entry: its stream is the mini stream
				rootStart = le32(out[e+0x74:])
			case name == "WordDocument":
				wordStart, wordSize, found = le32(out[e+0x74:]), le32(out[e+0x78:]), true
			}
		}
	}
	if !found {
		fatal(fmt.Errorf("letter.doc: no WordDocument stream"))
	}
	var off int
	if wordSize < le32(out[0x38:]) { // under the mini stream cutoff
		off = offsetIn(rootStart, wordStart*mini+0x0A)
	} else {
		off = offsetIn(wordStart, 0x0A)
	}
	out[off+1] |= 0x08 // 0x0800 is in the high byte of the flags
	return out
}
