package pdf

// Generators for the PDF fixtures under testdata/, written by hand from
// ISO 32000-1 (7.3 objects, 7.5 file structure, 7.11 file specifications,
// 12.6 actions). "go test -run TestFixtures -update" rewrites testdata/ and
// runs the qpdf commands listed in qpdfFixtures (also in testdata/README.md)
// to make the encrypted variants; without -update the test checks that the
// committed files still match the generators.

import (
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

var update = flag.Bool("update", false, "rewrite testdata/ fixtures (runs qpdf)")

// pdfObj is one indirect object: body is the value written between
// "N 0 obj" and "endobj"; data, when not nil, makes it a stream whose
// /Length the builder adds (length overrides it, e.g. "5" or "9 0 R").
type pdfObj struct {
	num    int
	body   string
	data   []byte
	length string
}

// buildPDF writes a complete PDF with a classic cross-reference table
// (ISO 32000-1 7.5.4) and a trailer with /Size and the given entries.
func buildPDF(objs []pdfObj, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := map[int]int{}
	maxNum := 0
	for _, o := range objs {
		offs[o.num] = b.Len()
		maxNum = max(maxNum, o.num)
		b.WriteString(objText(o))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", maxNum+1)
	for n := 1; n <= maxNum; n++ {
		if off, ok := offs[n]; ok {
			fmt.Fprintf(&b, "%010d 00000 n \n", off)
		} else {
			b.WriteString("0000000000 65535 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", maxNum+1, trailer, xref)
	return b.Bytes()
}

func objText(o pdfObj) string {
	if o.data == nil {
		return fmt.Sprintf("%d 0 obj\n%s\nendobj\n", o.num, o.body)
	}
	l := o.length
	if l == "" {
		l = fmt.Sprint(len(o.data))
	}
	body := strings.TrimSuffix(strings.TrimSpace(o.body), ">>") + fmt.Sprintf(" /Length %s >>", l)
	return fmt.Sprintf("%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n", o.num, body, o.data)
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// objStmData lays out an object stream (ISO 32000-1 7.5.7): the header of
// "num offset" pairs, then the objects; it returns the data and /First.
func objStmData(objs []pdfObj) ([]byte, int) {
	var head, body bytes.Buffer
	for _, o := range objs {
		fmt.Fprintf(&head, "%d %d ", o.num, body.Len())
		body.WriteString(o.body)
		body.WriteString("\n")
	}
	first := head.Len()
	return append(head.Bytes(), body.Bytes()...), first
}

// utf16Text is a UTF-16BE text string with its byte order mark, as a hex
// string (ISO 32000-1 7.9.2.2).
func utf16Text(s string) string {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return "<" + hex.EncodeToString(b) + ">"
}

// tinyMZ is the start of a DOS/PE executable: enough for the engine's sniff
// to call it a PE and for the tests to recognise it.
func tinyMZ() []byte {
	b := make([]byte, 256)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	return b
}

// The three objects of a one-page document: 2 pages, 3 page, 4 content.
func onePage(pageExtra string) []pdfObj {
	return []pdfObj{
		{num: 2, body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{num: 3, body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + pageExtra + ">>"},
		{num: 4, body: "<< >>", data: []byte("BT /F1 12 Tf 72 720 Td (Hello) Tj ET")},
	}
}

func withCatalog(catalog string, objs ...pdfObj) []pdfObj {
	return append([]pdfObj{{num: 1, body: catalog}}, objs...)
}

func genPlain() []byte {
	return buildPDF(withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...), "/Root 1 0 R")
}

// genTextMentions talks about JavaScript and launch actions in its text and
// metadata: a raw grep would flag it, a parser must not.
func genTextMentions() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...)
	objs[3].data = []byte("BT /F1 12 Tf 72 720 Td (Never trust /JavaScript, /JS, /Launch, /OpenAction or /EmbeddedFile) Tj ET")
	objs = append(objs, pdfObj{num: 5, body: "<< /Title (About /JavaScript and /Launch) /Subject (3 0 obj << /JS (x) >> endobj) >>"})
	return buildPDF(objs, "/Root 1 0 R /Info 5 0 R")
}

func genOpenActionJS() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", onePage("")...)
	objs = append(objs, pdfObj{num: 5, body: `<< /Type /Action /S /JavaScript /JS (app.alert\("hi"\);) >>`})
	return buildPDF(objs, "/Root 1 0 R")
}

// genOpenActionDest opens on a page (a destination array) and has a link
// with a URI action: what normal documents do. It must be clean.
func genOpenActionDest() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>", onePage("/Annots [6 0 R] ")...)
	objs = append(objs,
		pdfObj{num: 5, body: "<< /S /GoTo /D [3 0 R /Fit] >>"},
		pdfObj{num: 6, body: "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://example.org/) >> >>"},
	)
	return buildPDF(objs, "/Root 1 0 R")
}

// genOpenActionGoTo opens with a /GoTo action: not active content either.
func genOpenActionGoTo() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", onePage("")...)
	objs = append(objs, pdfObj{num: 5, body: "<< /S /GoTo /D [3 0 R /XYZ 0 792 0] >>"})
	return buildPDF(objs, "/Root 1 0 R")
}

// genOpenActionURI opens a web page when opened: /OpenAction but not JS.
func genOpenActionURI() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 5 0 R >> >>", onePage("")...)
	objs = append(objs, pdfObj{num: 5, body: "<< /S /URI /URI (https://example.org/track) >>"})
	return buildPDF(objs, "/Root 1 0 R")
}

// genEscapedNames spells its keys with #xx escapes (ISO 32000-1 7.3.5).
func genEscapedNames() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /Open#41ction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >> >>", onePage("")...)
	return buildPDF(objs, "/Root 1 0 R")
}

func genLaunch() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("/AA << /O 5 0 R >> ")...)
	objs = append(objs, pdfObj{num: 5, body: "<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>"})
	return buildPDF(objs, "/Root 1 0 R")
}

// genJSObjStm hides the JavaScript action in a compressed object stream.
func genJSObjStm() []byte {
	data, first := objStmData([]pdfObj{
		{num: 5, body: "<< /Type /Action /S /JavaScript /JS (this.print\\(\\);) >>"},
		{num: 6, body: "<< /Producer (gen) >>"},
	})
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", onePage("")...)
	objs = append(objs, pdfObj{num: 7, body: fmt.Sprintf("<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode >>", first), data: deflate(data)})
	return buildPDF(objs, "/Root 1 0 R /Info 6 0 R")
}

// genObjStmFilters puts one kind of active content in each of four object
// streams, each with another filter chain: each is found only if its
// filters decode.
func genObjStmFilters() []byte {
	mk := func(num int, body string) ([]byte, int) {
		return objStmData([]pdfObj{{num: num, body: body}})
	}
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /Names 10 0 R /AcroForm 11 0 R >>", onePage("/Annots [12 0 R] /AA << /C 13 0 R >> ")...)

	d, f := mk(10, "<< /JavaScript << /Names [(a) << /S /JavaScript /JS (1) >>] >> >>")
	var a85 bytes.Buffer
	w := ascii85.NewEncoder(&a85)
	w.Write(deflate(d))
	w.Close()
	a85.WriteString("~>")
	objs = append(objs, pdfObj{num: 20, body: fmt.Sprintf("<< /Type /ObjStm /N 1 /First %d /Filter [/ASCII85Decode /FlateDecode] >>", f), data: a85.Bytes()})

	d, f = mk(11, "<< /Fields [] /XFA 14 0 R >>")
	objs = append(objs, pdfObj{num: 21, body: fmt.Sprintf("<< /Type /ObjStm /N 1 /First %d /Filter /LZWDecode >>", f), data: lzwEncode(d, 1)})

	d, f = mk(12, "<< /Type /Annot /Subtype /RichMedia /Rect [0 0 1 1] >>")
	objs = append(objs, pdfObj{num: 22, body: fmt.Sprintf("<< /Type /ObjStm /N 1 /First %d /Filter /ASCIIHexDecode >>", f), data: []byte(hex.EncodeToString(d) + ">")})

	d, f = mk(13, "<< /S /Launch /F (x.exe) >>")
	objs = append(objs, pdfObj{num: 23, body: fmt.Sprintf("<< /Type /ObjStm /N 1 /First %d /Filter /RunLengthDecode /DecodeParms null >>", f), data: rlEncode(d)})

	d, f = mk(14, "[(template) (<xdp/>)]")
	objs = append(objs, pdfObj{num: 24, body: fmt.Sprintf("<< /Type /ObjStm /N 1 /First %d /Filter /LZWDecode /DecodeParms << /EarlyChange 0 >> >>", f), data: lzwEncode(d, 0)})
	return buildPDF(objs, "/Root 1 0 R")
}

// genEmbeddedMZ embeds an executable through the /EmbeddedFiles name tree.
func genEmbeddedMZ() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 5 0 R >> >>", onePage("")...)
	objs = append(objs,
		pdfObj{num: 5, body: "<< /Names [(tool.exe) 6 0 R] >>"},
		pdfObj{num: 6, body: "<< /Type /Filespec /F (tool.exe) /UF " + utf16Text("tool.exe") + " /EF << /F 7 0 R >> >>"},
		pdfObj{num: 7, body: "<< /Type /EmbeddedFile /Subtype /application#2Fx-msdownload /Filter /FlateDecode >>", data: deflate(tinyMZ())},
	)
	return buildPDF(objs, "/Root 1 0 R")
}

// genEncSource is the document qpdf encrypts: JavaScript on open and an
// embedded executable whose name is a (then encrypted) string.
func genEncSource() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /Names << /EmbeddedFiles 6 0 R >> >>", onePage("")...)
	objs = append(objs,
		pdfObj{num: 5, body: `<< /Type /Action /S /JavaScript /JS (app.alert\("encrypted"\);) >>`},
		pdfObj{num: 6, body: "<< /Names [(tool.exe) 7 0 R] >>"},
		pdfObj{num: 7, body: "<< /Type /Filespec /F (tool.exe) /UF " + utf16Text("tool.exe") + " /EF << /F 8 0 R >> >>"},
		pdfObj{num: 8, body: "<< /Type /EmbeddedFile /Filter /FlateDecode >>", data: deflate(tinyMZ())},
	)
	return buildPDF(objs, "/Root 1 0 R")
}

// genFileAttachment attaches a file to a page annotation; the stream has no
// /Type and no filter.
func genFileAttachment() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("/Annots [5 0 R] ")...)
	objs = append(objs,
		pdfObj{num: 5, body: "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS << /Type /Filespec /F (dir\\\\notes.txt) /EF << /F 6 0 R >> >> >>"},
		pdfObj{num: 6, body: "<< >>", data: []byte("hello from an attachment\n")},
	)
	return buildPDF(objs, "/Root 1 0 R")
}

// genBrokenXref has a cross-reference table whose offsets are all wrong and
// a startxref that points nowhere: readers rebuild it, so must we.
func genBrokenXref() []byte {
	b := genOpenActionJS()
	i := bytes.Index(b, []byte("xref\n"))
	out := append([]byte(nil), b[:i]...)
	out = append(out, "xref\n0 6\n0000000000 65535 f \n0000000001 00000 n \n0000099999 00000 n \n0000000003 00000 n \ngarbage\ntrailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n123456789\n%%EOF\n"...)
	return out
}

// genTruncated is genOpenActionJS cut in the middle of its last object.
func genTruncated() []byte {
	b := genOpenActionJS()
	i := bytes.Index(b, []byte("5 0 obj"))
	return b[:i+40]
}

// genWrongLength has streams whose /Length is wrong: too short, too long,
// and indirect to a wrong value. The embedded executable must still be
// decoded whole, and the object after the bad stream still be found.
func genWrongLength() []byte {
	mz := deflate(tinyMZ())
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >> >>", onePage("")...)
	objs[3].length = "5"
	objs = append(objs,
		pdfObj{num: 5, body: "<< /S /JavaScript /JS (1) >>"},
		pdfObj{num: 6, body: "<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>"},
		pdfObj{num: 7, body: "<< /Type /EmbeddedFile /Filter /FlateDecode >>", data: mz, length: "9 0 R"},
		pdfObj{num: 8, body: "<< /Type /Filespec /F (b.exe) /EF << /F 10 0 R >> >>"},
		pdfObj{num: 9, body: "3"},
		pdfObj{num: 10, body: "<< /Type /EmbeddedFile /Filter /FlateDecode >>", data: mz, length: "99999"},
		pdfObj{num: 11, body: "<< /Type /Filespec /F (c.exe) /EF << /F 12 0 R >> >>"},
		pdfObj{num: 12, body: "<< /Type /EmbeddedFile /Filter /FlateDecode >>", data: mz, length: "13 0 R"},
		pdfObj{num: 13, body: fmt.Sprint(len(mz))},
	)
	return buildPDF(objs, "/Root 1 0 R")
}

func genDeepNesting() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...)
	objs = append(objs, pdfObj{num: 5, body: strings.Repeat("[", 5000) + strings.Repeat("]", 5000)})
	return buildPDF(objs, "/Root 1 0 R")
}

// genObjNumOverflow has object numbers and generations no reader can
// address, and references to them.
func genObjNumOverflow() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /OpenAction 4294967301 0 R /Outlines 99999999999999999999 0 R >>", onePage("")...)
	var b bytes.Buffer
	b.Write(buildPDF(objs, "/Root 1 0 R"))
	b.WriteString("4294967301 0 obj\n<< /S /JavaScript /JS (x) >>\nendobj\n")
	b.WriteString("7 99999 obj\n<< /Foo 1 >>\nendobj\n")
	b.WriteString("99999999999999999999 0 obj\n<< /S /Launch >>\nendobj\n")
	return b.Bytes()
}

// genHiddenInStream carries the text of an object with JavaScript inside a
// stream's data (as an uncompressed embedded PDF would). That is data, not
// an object of this file: it must not be reported. listed=true makes the
// cross-reference table point at it, as an attacker would to have readers
// that follow the table parse it: then it must be found.
func genHiddenInStream(listed bool) []byte {
	inner := "9 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n"
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...)
	objs = append(objs, pdfObj{num: 5, body: "<< >>", data: []byte("% data\n" + inner)})
	b := buildPDF(objs, "/Root 1 0 R")
	if !listed {
		return b
	}
	at := bytes.Index(b, []byte("9 0 obj"))
	i := bytes.Index(b, []byte("xref\n"))
	out := append([]byte(nil), b[:i]...)
	out = append(out, fmt.Sprintf("xref\n9 1\n%010d 00000 n \ntrailer\n<< /Size 10 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", at, i)...)
	return out
}

// genXrefStream lists the object hidden in stream data in a
// cross-reference stream (ISO 32000-1 7.5.8) with a PNG predictor.
func genXrefStream() []byte {
	inner := "9 0 obj\n<< /S /JavaScript /JS (1) >>\nendobj\n"
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := map[int]int{}
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...)
	objs = append(objs, pdfObj{num: 5, body: "<< >>", data: []byte(inner)})
	for _, o := range objs {
		offs[o.num] = b.Len()
		b.WriteString(objText(o))
	}
	offs[9] = bytes.Index(b.Bytes(), []byte("9 0 obj"))
	// Rows of type(1) offset(4) gen(2), PNG Up predictor (filter 2).
	var rows, prev []byte
	prev = make([]byte, 7)
	for n := 0; n <= 9; n++ {
		row := make([]byte, 7)
		if off, ok := offs[n]; ok {
			row[0] = 1
			binary.BigEndian.PutUint32(row[1:], uint32(off))
		}
		rows = append(rows, 2)
		for i := range row {
			rows = append(rows, row[i]-prev[i])
		}
		prev = row
	}
	data := deflate(rows)
	xref := b.Len()
	fmt.Fprintf(&b, "10 0 obj\n<< /Type /XRef /Size 10 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length %d >>\nstream\n", len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

// genEmbeddedPDF embeds, uncompressed, a small PDF whose own trailer names
// an /Encrypt dictionary: the embedded document's structure is data of the
// outer one and must not make it look encrypted.
func genEmbeddedPDF() []byte {
	inner := "%PDF-1.4\n1 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <" + strings.Repeat("ab", 32) + "> /U <" + strings.Repeat("cd", 32) +
		"> /P -4 >>\nendobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 /Encrypt 1 0 R /Root 1 0 R >>\nstartxref\n100\n%%EOF\n"
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(inner.pdf) 6 0 R] >> >> >>", onePage("")...)
	objs = append(objs,
		pdfObj{num: 6, body: "<< /Type /Filespec /F (inner.pdf) /EF << /F 7 0 R >> >>"},
		pdfObj{num: 7, body: "<< /Type /EmbeddedFile >>", data: []byte(inner)},
	)
	return buildPDF(objs, "/Root 1 0 R")
}

// genTrailerInStream hides the trailer that names /Encrypt inside the data
// of a stream whose /Length covers it, where readers that follow startxref
// still find it: the document must still count as encrypted.
func genTrailerInStream() []byte {
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...)
	objs = append(objs,
		pdfObj{num: 8, body: "<< >>", data: []byte("xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 10 /Root 1 0 R /Encrypt 9 0 R /ID [<00112233445566778899aabbccddeeff>] >>\n")},
		pdfObj{num: 9, body: "<< /Filter /Standard /V 1 /R 2 /O <" + strings.Repeat("ab", 32) + "> /U <" + strings.Repeat("cd", 32) + "> /P -4 >>"},
	)
	return buildPDF(objs, "/Root 1 0 R")
}

// lzwEncode is a PDF LZW encoder (ISO 32000-1 7.4.4.2) for the tests.
func lzwEncode(data []byte, early int) []byte {
	var out []byte
	var acc uint32
	var nacc uint
	width := uint(9)
	put := func(c int) {
		acc = acc<<width | uint32(c)
		nacc += width
		for nacc >= 8 {
			out = append(out, byte(acc>>(nacc-8)))
			nacc -= 8
		}
	}
	table := map[string]int{}
	next := 258
	put(256)
	w := ""
	for _, c := range data {
		wc := w + string([]byte{c})
		if _, ok := table[wc]; ok || len(wc) == 1 {
			w = wc
			continue
		}
		put(code(table, w))
		table[wc] = next
		next++
		if next+early > 1<<width && width < 12 {
			width++
		}
		if next >= 4094 {
			put(256)
			table, next, width = map[string]int{}, 258, 9
		}
		w = string([]byte{c})
	}
	if w != "" {
		put(code(table, w))
		// The decoder adds an entry for this code too.
		if next+1+early > 1<<width && width < 12 {
			width++
		}
	}
	put(257)
	if nacc > 0 {
		out = append(out, byte(acc<<(8-nacc)))
	}
	return out
}

func code(table map[string]int, w string) int {
	if len(w) == 1 {
		return int(w[0])
	}
	return table[w]
}

// rlEncode is a RunLengthDecode encoder: literal runs, with one repeat run
// for any run of 3 or more equal bytes.
func rlEncode(data []byte) []byte {
	var out []byte
	for i := 0; i < len(data); {
		j := i
		for j < len(data) && j-i < 128 && data[j] == data[i] {
			j++
		}
		if j-i >= 3 {
			out = append(out, byte(257-(j-i)), data[i])
			i = j
			continue
		}
		j = i + 1
		for j < len(data) && j-i < 128 && !(j+2 < len(data) && data[j] == data[j+1] && data[j] == data[j+2]) {
			j++
		}
		out = append(out, byte(j-i-1))
		out = append(out, data[i:j]...)
		i = j
	}
	return append(out, 128)
}

// generated lists the fixtures the Go generators write.
var generated = map[string]func() []byte{
	"plain.pdf":                genPlain,
	"text_mentions.pdf":        genTextMentions,
	"openaction_js.pdf":        genOpenActionJS,
	"openaction_dest.pdf":      genOpenActionDest,
	"openaction_goto.pdf":      genOpenActionGoTo,
	"openaction_uri.pdf":       genOpenActionURI,
	"escaped_names.pdf":        genEscapedNames,
	"launch.pdf":               genLaunch,
	"js_objstm.pdf":            genJSObjStm,
	"objstm_filters.pdf":       genObjStmFilters,
	"embedded_mz.pdf":          genEmbeddedMZ,
	"enc_source.pdf":           genEncSource,
	"file_attachment.pdf":      genFileAttachment,
	"broken_xref.pdf":          genBrokenXref,
	"truncated.pdf":            genTruncated,
	"wrong_length.pdf":         genWrongLength,
	"deep_nesting.pdf":         genDeepNesting,
	"objnum_overflow.pdf":      genObjNumOverflow,
	"hidden_in_stream.pdf":     func() []byte { return genHiddenInStream(false) },
	"listed_in_stream.pdf":     func() []byte { return genHiddenInStream(true) },
	"listed_in_xrefstream.pdf": genXrefStream,
	"embedded_pdf.pdf":         genEmbeddedPDF,
	"trailer_in_stream.pdf":    genTrailerInStream,
}

// qpdfFixtures are made from generated fixtures by qpdf 11 (Debian package
// qpdf); testdata/README.md lists the same commands.
var qpdfFixtures = []struct {
	out, in string
	args    []string
}{
	{"owner_rc4_128.pdf", "enc_source.pdf", []string{"--allow-weak-crypto", "--encrypt", "", "owner", "128", "--use-aes=n", "--"}},
	{"owner_aes128.pdf", "enc_source.pdf", []string{"--encrypt", "", "owner", "128", "--use-aes=y", "--"}},
	{"owner_r5.pdf", "enc_source.pdf", []string{"--encrypt", "", "owner", "256", "--force-R5", "--"}},
	{"owner_r6_objstm.pdf", "enc_source.pdf", []string{"--object-streams=generate", "--encrypt", "", "owner", "256", "--"}},
	{"user_r2.pdf", "enc_source.pdf", []string{"--allow-weak-crypto", "--encrypt", "userpw", "owner", "40", "--"}},
	{"user_r3.pdf", "enc_source.pdf", []string{"--allow-weak-crypto", "--encrypt", "userpw", "owner", "128", "--use-aes=n", "--"}},
	{"user_r4.pdf", "enc_source.pdf", []string{"--encrypt", "userpw", "owner", "128", "--use-aes=y", "--"}},
	{"user_r6_objstm.pdf", "enc_source.pdf", []string{"--object-streams=generate", "--encrypt", "userpw", "owner", "256", "--"}},
	{"qpdf_objstm.pdf", "openaction_js.pdf", []string{"--object-streams=generate"}},
	// Owner passwords with restricted permissions (ISO 32000-1 Table 22).
	{"owner_perm_r6_modify_copy.pdf", "plain.pdf", []string{"--encrypt", "", "owner", "256", "--modify=none", "--extract=n", "--"}},
	{"owner_perm_r4_print.pdf", "plain.pdf", []string{"--encrypt", "", "owner", "128", "--use-aes=y", "--print=none", "--"}},
	{"owner_perm_r3_rc4.pdf", "plain.pdf", []string{"--allow-weak-crypto", "--encrypt", "", "owner", "128", "--use-aes=n", "--print=low", "--accessibility=n", "--assemble=n", "--form=n", "--"}},
	{"owner_perm_r2_40.pdf", "plain.pdf", []string{"--allow-weak-crypto", "--encrypt", "", "owner", "40", "--print=n", "--modify=n", "--extract=n", "--annotate=n", "--"}},
}

// TestFixtures checks the committed fixtures against the generators, or
// rewrites them with -update.
func TestFixtures(t *testing.T) {
	names := make([]string, 0, len(generated))
	for n := range generated {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		want := generated[n]()
		path := filepath.Join("testdata", n)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestFixtures -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator (run go test -run TestFixtures -update)", n)
		}
	}
	for _, q := range qpdfFixtures {
		path := filepath.Join("testdata", q.out)
		if *update {
			args := append(append([]string{}, q.args...), filepath.Join("testdata", q.in), path)
			if out, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
				t.Fatalf("qpdf %q: %v\n%s", args, err, out)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%v (made by qpdf, see testdata/README.md)", err)
		}
	}
}
