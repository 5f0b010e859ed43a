package odf

// Fixture generators: every test document is written here, from the
// structures [ODF 1.2] Parts 1 and 3 describe and from what LibreOffice
// writes for Basic libraries; nothing is copied from real documents. Set
// ODF_WRITE_FIXTURES=dir to also write them to files (to open them in
// LibreOffice or look at them with unzip).

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	mtODT = "application/vnd.oasis.opendocument.text"
	mtODS = "application/vnd.oasis.opendocument.spreadsheet"
	mtODP = "application/vnd.oasis.opendocument.presentation"
	mtSXW = "application/vnd.sun.xml.writer"

	nsOffice = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ` +
		`xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
		`xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" ` +
		`xmlns:form="urn:oasis:names:tc:opendocument:xmlns:form:1.0" xmlns:ooo="http://openoffice.org/2004/office"`
	nsOOo1 = `xmlns:office="http://openoffice.org/2000/office" xmlns:script="http://openoffice.org/2000/script" xmlns:text="http://openoffice.org/2000/text"`
)

// oleMagicS starts a stand-in compound file.
const oleMagicS = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

// ofile is one member of a generated package.
type ofile struct {
	name      string
	body      string
	mediaType string // manifest media type ("text/xml" for .xml when empty)
	encrypted bool   // manifest:encryption-data (the body stays as given)
	zipCrypt  bool   // zip general purpose bit 0
	noEntry   bool   // not listed in the manifest
	method    uint16 // zip.Deflate when 0, storeMethod for zip.Store
}

// storeMethod asks buildODF for zip.Store (whose value is 0).
const storeMethod = 0x100

type odfPkg struct {
	mimetype   string // "" = no mimetype member
	rootType   string // manifest root media type ("" = the mimetype)
	noManifest bool
	ooo1       bool // OpenOffice.org 1.x manifest namespace
	files      []ofile
}

func (o odfPkg) build(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	add := func(name, body string, method uint16, crypt bool) {
		switch method {
		case 0:
			method = zip.Deflate
		case storeMethod:
			method = zip.Store
		}
		h := &zip.FileHeader{Name: name, Method: method}
		if crypt {
			h.Flags |= 0x1
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if o.mimetype != "" {
		add("mimetype", o.mimetype, storeMethod, false)
	}
	for _, f := range o.files {
		add(f.name, f.body, f.method, f.zipCrypt)
	}
	if !o.noManifest {
		add("META-INF/manifest.xml", o.manifest(), 0, false)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (o odfPkg) manifest() string {
	var b strings.Builder
	ns := `xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"`
	if o.ooo1 {
		ns = `xmlns:manifest="http://openoffice.org/2001/manifest"`
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<manifest:manifest " + ns + ">\n")
	root := o.rootType
	if root == "" {
		root = o.mimetype
	}
	if root != "" {
		fmt.Fprintf(&b, ` <manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/>`+"\n", root)
	}
	for _, f := range o.files {
		if f.noEntry {
			continue
		}
		mt := f.mediaType
		if mt == "" && strings.HasSuffix(f.name, ".xml") {
			mt = "text/xml"
		}
		if !f.encrypted {
			fmt.Fprintf(&b, ` <manifest:file-entry manifest:full-path="%s" manifest:media-type="%s"/>`+"\n", f.name, mt)
			continue
		}
		fmt.Fprintf(&b, ` <manifest:file-entry manifest:full-path="%s" manifest:media-type="%s" manifest:size="%d">`+
			`<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAA">`+
			`<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/>`+
			`<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="AAAA"/>`+
			`</manifest:encryption-data></manifest:file-entry>`+"\n", f.name, mt, len(f.body)*2)
	}
	b.WriteString("</manifest:manifest>\n")
	return b.String()
}

// content wraps body in office:document-content/office:body.
func content(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document-content ` + nsOffice + ` office:version="1.2"><office:body><office:text>` +
		body + `</office:text></office:body></office:document-content>`
}

// styles wraps master-page content in office:document-styles.
func styles(masterContent string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document-styles ` + nsOffice + `><office:master-styles><style:master-page xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" style:name="Standard">` +
		masterContent + `</style:master-page></office:master-styles></office:document-styles>`
}

// module is a Basic module part as LibreOffice writes it.
func module(name, src string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">` + "\n" +
		`<script:module xmlns:script="http://openoffice.org/2000/script" script:name="` + name + `" script:language="StarBasic">` +
		xmlEscape(src) + `</script:module>`
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// libraryFiles are the container and library descriptors of a Basic
// library "Standard" with the given modules (name → source).
func libraryFiles(modules map[string]string) []ofile {
	fs := []ofile{
		{name: "Basic/script-lc.xml", body: `<?xml version="1.0" encoding="UTF-8"?><library:libraries xmlns:library="http://openoffice.org/2000/library" xmlns:xlink="http://www.w3.org/1999/xlink"><library:library library:name="Standard" library:link="false"/></library:libraries>`},
	}
	var lb strings.Builder
	lb.WriteString(`<?xml version="1.0" encoding="UTF-8"?><library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" library:passwordprotected="false">`)
	var names []string
	for n := range modules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lb.WriteString(`<library:element library:name="` + n + `"/>`)
	}
	lb.WriteString(`</library:library>`)
	fs = append(fs, ofile{name: "Basic/Standard/script-lb.xml", body: lb.String()})
	for _, n := range names {
		fs = append(fs, ofile{name: "Basic/Standard/" + n + ".xml", body: module(n, modules[n])})
	}
	return fs
}

// plainFiles are the members of an ordinary text document.
func plainFiles(body string) []ofile {
	return []ofile{
		{name: "content.xml", body: content(body)},
		{name: "styles.xml", body: styles("")},
		{name: "meta.xml", body: `<office:document-meta ` + nsOffice + `/>`},
		{name: "settings.xml", body: `<office:document-settings ` + nsOffice + `/>`},
		{name: "Thumbnails/thumbnail.png", body: "\x89PNG\r\n\x1a\nnot really", mediaType: "image/png"},
		{name: "Pictures/1.png", body: "\x89PNG\r\n\x1a\nnot really either", mediaType: "image/png"},
	}
}

func join(parts ...[]ofile) []ofile {
	var out []ofile
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// flatDoc writes a flat ODF document with the given office:mimetype and
// inner content (office:scripts, office:body ...).
func flatDoc(mimetype, inner string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document ` + nsOffice + ` office:version="1.2" office:mimetype="` + mimetype + `">` + "\n" + inner + "\n</office:document>\n"
}

// flatScripts is an office:scripts element with one embedded Basic module.
func flatScripts(lib, mod, src string) string {
	return `<office:scripts><office:script script:language="ooo:Basic"><ooo:libraries xmlns:ooo="http://openoffice.org/2004/office">` +
		`<ooo:library-embedded ooo:name="` + lib + `"><ooo:module ooo:name="` + mod + `"><ooo:source-code>` + xmlEscape(src) +
		`</ooo:source-code></ooo:module></ooo:library-embedded></ooo:libraries></office:script></office:scripts>`
}

// flatOLE is a draw frame with an embedded OLE object's data in base64
// with line breaks, as LibreOffice writes it.
func flatOLE(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return `<text:p><draw:frame draw:name="Object1"><draw:object-ole draw:class-id="00020906-0000-0000-C000-000000000046"><office:binary-data>` +
		b.String() + `</office:binary-data></draw:object-ole></draw:frame></text:p>`
}

// flatImage is a frame with an embedded picture in base64.
func flatImage(n int) string {
	return `<text:p><draw:frame><draw:image><office:binary-data>` + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\n", n) +
		`</office:binary-data></draw:image></draw:frame></text:p>`
}

const basicMacro = "REM  *****  BASIC  *****\n\nSub Main\n    MsgBox \"hello\"\nEnd Sub\n"

// seedPackages and seedFlat are representative documents for fuzzing and
// benchmarks.
func seedPackages(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"plain.odt": odfPkg{mimetype: mtODT, files: plainFiles(`<text:p>Hello</text:p>`)}.build(t),
		"basic.odt": odfPkg{mimetype: mtODT, files: join(plainFiles(`<text:p>Hello</text:p>`), libraryFiles(map[string]string{"Module1": basicMacro}))}.build(t),
		"event.odt": odfPkg{mimetype: mtODT, files: plainFiles(`<office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/></office:event-listeners>`)}.build(t),
		"encrypted.odt": odfPkg{mimetype: mtODT, files: []ofile{
			{name: "content.xml", body: "\x8a\x13 encrypted bytes", encrypted: true},
			{name: "styles.xml", body: "\x8a\x13 more", encrypted: true},
		}}.build(t),
		"ole.odt": odfPkg{mimetype: mtODT, files: join(plainFiles(`<text:p/>`), []ofile{
			{name: "Object 1", body: oleMagicS + "ole stream", mediaType: "application/vnd.sun.star.oleobject"},
			{name: "ObjectReplacements/Object 1", body: "\x01\x00\x00\x00 a metafile"},
		})}.build(t),
	}
}

func seedFlat() map[string][]byte {
	return map[string][]byte{
		"plain.fodt": []byte(flatDoc(mtODT, `<office:body><office:text><text:p>Hello</text:p></office:text></office:body>`)),
		"macro.fodt": []byte(flatDoc(mtODT, flatScripts("Standard", "Module1", basicMacro)+`<office:body><office:text/></office:body>`)),
		"ole.fodt":   []byte(flatDoc(mtODT, `<office:body><office:text>`+flatImage(20)+flatOLE([]byte(oleMagicS+"an OLE object"))+`</office:text></office:body>`)),
	}
}

// TestWriteFixtures writes the seed documents to $ODF_WRITE_FIXTURES; it
// does nothing otherwise.
func TestWriteFixtures(t *testing.T) {
	dir := os.Getenv("ODF_WRITE_FIXTURES")
	if dir == "" {
		t.Skip("ODF_WRITE_FIXTURES not set")
	}
	all := seedPackages(t)
	for k, v := range seedFlat() {
		all[k] = v
	}
	for name, b := range all {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
