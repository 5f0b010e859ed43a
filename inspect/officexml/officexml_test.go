package officexml

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	ox "github.com/officemilter/officemilter/inspect/officexml/officexmltest"
)

func inspectXML(t *testing.T, name string, b []byte) (*inspecttest.Recorder, error) {
	t.Helper()
	rec := &inspecttest.Recorder{}
	err := New().Inspect(context.Background(), inspect.Part{Name: name, Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyOfficeXML}, rec)
	rec.CheckInvariants(t)
	return rec, err
}

func has(rec *inspecttest.Recorder, short string) bool {
	for _, s := range rec.Short() {
		if s == short {
			return true
		}
	}
	return false
}

func TestShells(t *testing.T) {
	am := ox.ActiveMime(ox.VBAProject())
	tests := []struct {
		name     string
		b        []byte
		typ      string
		children []string
		findings []string // kind|detail|where
	}{
		{"Brief.xml", ox.WordXML(true), inspect.TypeWordXML, []string{"editdata.mso"}, nil},
		{"Brief.xml", ox.WordXML(false), inspect.TypeWordXML, nil, nil},
		{"Brief.doc", ox.WordXML(true), inspect.TypeDoc, []string{"editdata.mso"}, []string{"legacy-office|Word 2003 XML document named .doc|"}},
		{"Vorlage.DOT", ox.WordXML(false), inspect.TypeDot, nil, []string{"legacy-office|Word 2003 XML document named .dot|"}},
		// Excel opens a .xls; a Word XML named .xls is no Excel workbook
		// (the engine reports the legacy name).
		{"Brief.xls", ox.WordXML(false), inspect.TypeWordXML, nil, nil},
		{"Tabelle.xml", ox.ExcelXML(), inspect.TypeXLSXML, nil, nil},
		{"Tabelle.xls", ox.ExcelXML(), inspect.TypeXLS, nil, []string{"legacy-office|Excel 2003 XML workbook named .xls|"}},
		{"Tabelle.xlt", ox.ExcelXML(), inspect.TypeXLT, nil, []string{"legacy-office|Excel 2003 XML workbook named .xlt|"}},
		{"flat.xml", ox.FlatOPC(ox.Word, true), inspect.TypeFlatOPC, []string{"/word/vbaProject.bin"}, []string{"macro|vbaProject.bin in Flat OPC|/word/vbaProject.bin"}},
		{"flat.xml", ox.FlatOPC(ox.Excel, true), inspect.TypeFlatOPC, []string{"/xl/vbaProject.bin"}, []string{"macro|vbaProject.bin in Flat OPC|/xl/vbaProject.bin"}},
		{"flat.xml", ox.FlatOPC(ox.PowerPoint, true), inspect.TypeFlatOPC, []string{"/ppt/vbaProject.bin"}, []string{"macro|vbaProject.bin in Flat OPC|/ppt/vbaProject.bin"}},
		{"flat.docm", ox.FlatOPC(ox.Word, true), inspect.TypeFlatOPC, []string{"/word/vbaProject.bin"}, []string{"macro|vbaProject.bin in Flat OPC|/word/vbaProject.bin"}},
		{"flat.xml", ox.FlatOPC(ox.Word, false), inspect.TypeFlatOPC, nil, nil},
		{"flat.ppt", ox.FlatOPC(ox.PowerPoint, false), inspect.TypePPT, nil, []string{"legacy-office|Flat OPC document named .ppt|"}},
		// Any binData is handed on, whatever the shell.
		{"x.xml", []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><x:binData xmlns:x="urn:schemas-microsoft-com:office:excel" x:name="editdata.mso">` +
			base64.StdEncoding.EncodeToString(am) + `</x:binData></Workbook>`), inspect.TypeXLSXML, []string{"editdata.mso"}, nil},
		// The namespace decides, not the prefix; a default namespace too.
		{"x.xml", []byte(`<wordDocument xmlns="http://schemas.microsoft.com/office/word/2003/wordml"><binData name="">` +
			base64.StdEncoding.EncodeToString(am) + `</binData><binData name="e"/><binData name="f">  </binData></wordDocument>`), inspect.TypeWordXML, []string{"binary-1"}, nil},
		// Word 2003 beta's namespace.
		{"x.xml", []byte(`<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/2/wordml"/>`), inspect.TypeWordXML, nil, nil},
		// Another root: plain XML text.
		{"x.xml", []byte(`<?xml version="1.0"?><w:wordDocument xmlns:w="urn:other"><w:binData w:name="a">QUJD</w:binData></w:wordDocument>`), inspect.TypeTXT, nil, nil},
		{"x.xml", []byte(`<?mso-application progid="Word.Document"?><html/>`), inspect.TypeTXT, nil, nil},
		// A rels part pointing at a remote template.
		{"flat.xml", []byte(`<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage"><pkg:part pkg:name="/word/_rels/settings.xml.rels"><pkg:xmlData><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/>` +
			`<Relationship Id="r2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://example.org/" TargetMode="External"/>` +
			`</Relationships></pkg:xmlData></pkg:part></pkg:package>`), inspect.TypeFlatOPC, nil,
			[]string{"external-reference|attachedTemplate http://evil.example/t.dotm|/word/_rels/settings.xml.rels"}},
	}
	for _, tt := range tests {
		rec, err := inspectXML(t, tt.name, tt.b)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if rec.Type != tt.typ {
			t.Errorf("%s: type %q, want %q", tt.name, rec.Type, tt.typ)
		}
		if got := strings.Join(rec.Names(), ","); got != strings.Join(tt.children, ",") {
			t.Errorf("%s: children %q, want %q", tt.name, got, tt.children)
		}
		if len(rec.Findings) != len(tt.findings) {
			t.Errorf("%s: findings %q, want %q", tt.name, rec.Short(), tt.findings)
		}
		for _, f := range tt.findings {
			if !has(rec, f) {
				t.Errorf("%s: no %q in %q", tt.name, f, rec.Short())
			}
		}
		for _, c := range rec.Children {
			if strings.HasSuffix(c.Name, "editdata.mso") || c.Name == "binary-1" {
				if !bytes.Equal(c.Data, am) {
					t.Errorf("%s: %s decoded to %d bytes, not the ActiveMime blob", tt.name, c.Name, len(c.Data))
				}
			}
			if strings.HasSuffix(c.Name, "vbaProject.bin") && !bytes.Equal(c.Data, ox.VBAProject()) {
				t.Errorf("%s: %s is not the VBA project", tt.name, c.Name)
			}
		}
	}
}

// TestPayloadEncodings: base64 the decoder must read (character
// references, CDATA, UTF-16, a legacy charset, indentation) decodes to the
// same bytes as base64 read in place.
func TestPayloadEncodings(t *testing.T) {
	am := ox.ActiveMime(ox.VBAProject())
	b64 := base64.StdEncoding.EncodeToString(am)
	wrap := func(decl, payload string) []byte {
		return []byte(decl + `<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:docSuppData><w:binData w:name="editdata.mso">` +
			payload + `</w:binData></w:docSuppData></w:wordDocument>`)
	}
	utf16le := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	tests := map[string][]byte{
		"in place":       wrap(`<?xml version="1.0"?>`, b64),
		"indented":       wrap("", "\n\t  "+ox.Base64Lines(am, "\r\n   \t")+"\n  "),
		"char reference": wrap("", "&#x51;"+b64[1:]),
		"entity":         wrap("", b64[:10]+"&#13;&#10;"+b64[10:]),
		"cdata":          wrap("", "<![CDATA["+b64[:20]+"]]>"+b64[20:]),
		"comment":        wrap("", b64[:20]+"<!-- x -->"+b64[20:]),
		"latin1":         wrap(`<?xml version="1.0" encoding="windows-1252"?>`, b64),
		"utf-16":         utf16le(string(wrap(`<?xml version="1.0" encoding="UTF-16"?>`, b64))),
		"utf-8 bom":      append([]byte{0xEF, 0xBB, 0xBF}, wrap(`<?xml version="1.0" encoding="UTF-8"?>`, b64)...),
	}
	for name, b := range tests {
		rec, err := inspectXML(t, "x.xml", b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rec.Type != inspect.TypeWordXML || !bytes.Equal(rec.Data("editdata.mso"), am) {
			t.Errorf("%s: type %q, children %q, editdata.mso %d bytes", name, rec.Type, rec.Names(), len(rec.Data("editdata.mso")))
		}
	}
}

func TestMalformedAndBounds(t *testing.T) {
	root := `<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml">`
	deep := root + strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1) + "</w:wordDocument>"
	if _, err := inspectXML(t, "x.xml", []byte(deep)); !errors.Is(err, inspect.ErrLimit) || !strings.Contains(err.Error(), "xml-depth") {
		t.Errorf("deep nesting: %v", err)
	}
	// Malformed after the root: unscannable, with what came before handed on.
	b := []byte(root + `<w:binData w:name="editdata.mso">QUJD</w:binData><w:body><w:p></w:body`)
	rec, err := inspectXML(t, "x.xml", b)
	if err == nil || len(rec.Children) != 1 {
		t.Errorf("malformed: err %v, children %q", err, rec.Names())
	}
	// Garbage before any root: not an Office document.
	rec, err = inspectXML(t, "x.xml", []byte("<?xml version=\"1.0\"?><<<>>>"))
	if err != nil || rec.Type != inspect.TypeTXT {
		t.Errorf("garbage: type %q, err %v", rec.Type, err)
	}
	// A payload over the part size bound is reported, not buffered.
	big := []byte(root + `<w:binData w:name="big">&#x41;` + strings.Repeat("QUFB", 4096) + `</w:binData></w:wordDocument>`)
	rec = &inspecttest.Recorder{}
	err = New().Inspect(context.Background(), inspect.Part{Size: int64(len(big)), R: bytes.NewReader(big), Limits: inspect.Limits{MaxPartSize: 1000}}, rec)
	if err != nil || !has(rec, "unscannable|limit part-size=1000|big") || len(rec.Children) != 0 {
		t.Errorf("big payload: err %v, findings %q, children %q", err, rec.Short(), rec.Names())
	}
}

// afterDecl is an XML document without its XML declaration line.
func afterDecl(b []byte) []byte { return b[bytes.IndexByte(b, '\n')+1:] }

func TestSniff(t *testing.T) {
	pad := "<?xml version=\"1.0\"?>\n<!--" + strings.Repeat(" padding ", inspect.SniffLen/9+1) + "-->\n"
	tests := []struct {
		name string
		b    []byte
		want inspect.Family
	}{
		{"a.xml", ox.WordXML(true), inspect.FamilyOfficeXML},
		{"a.doc", ox.WordXML(false), inspect.FamilyOfficeXML},
		{"a.xml", ox.ExcelXML(), inspect.FamilyOfficeXML},
		{"a.xml", ox.FlatOPC(ox.PowerPoint, true), inspect.FamilyOfficeXML},
		{"a.doc", ox.MHT(true), inspect.FamilyEML},
		{"editdata.mso", ox.ActiveMime(ox.VBAProject()), inspect.FamilyActiveMime},
		{"x", []byte("ActiveMime"), inspect.FamilyActiveMime},
		// The root element is past the head: the inspector looks.
		{"a.doc", append([]byte(pad), afterDecl(ox.WordXML(true))...), inspect.FamilyOfficeXML},
		// A script by name stays a script (.wsf is XML).
		{"a.wsf", ox.WordXML(true), inspect.FamilyScript},
		{"a.xml", []byte(`<?xml version="1.0"?><note>wordml</note>`), inspect.FamilyText},
		{"a.txt", []byte("plain text about urn:schemas-microsoft-com:office:spreadsheet"), inspect.FamilyText},
		{"a.xml", append([]byte(pad), "<note/>"...), inspect.FamilyOfficeXML},
	}
	for i, tt := range tests {
		if got := inspect.Sniff(bytes.NewReader(tt.b), int64(len(tt.b)), tt.name); got != tt.want {
			t.Errorf("%d %s: %s, want %s", i, tt.name, got, tt.want)
		}
	}
	// A second XML declaration (MSXML refuses it; encoding/xml reads on):
	// reading on is the stricter choice.
	b := append([]byte(pad), ox.WordXML(true)...)
	rec, err := inspectXML(t, "a.doc", b)
	if err != nil || rec.Type != inspect.TypeDoc || len(rec.Children) != 1 {
		t.Errorf("two XML declarations: type %q, err %v", rec.Type, err)
	}
}
