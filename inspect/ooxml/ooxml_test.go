package ooxml

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// recorder is a Scope that records what an inspector reports.
type recorder = inspecttest.Recorder

func inspectBytes(t testing.TB, b []byte, lim inspect.Limits) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	p := inspect.Part{Name: "test", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyOOXML, Limits: lim}
	err := New().Inspect(context.Background(), p, rec)
	return rec, err
}

func TestFindings(t *testing.T) {
	vba := oleMagic + strings.Repeat("\x00", 504)
	vbaRel := rel{typ: msRel + "vbaProject", target: "vbaProject.bin"}
	tests := []struct {
		name     string
		pkg      []byte
		typ      string
		want     []string // kind|detail|where, in order
		children []string
	}{
		{"plain docx", docx{}.build(t), "docx", nil, nil},
		{"docm with vbaProject.bin", docx{mainCT: ctDocm, docRels: []rel{vbaRel},
			defaults: map[string]string{"bin": "application/vnd.ms-office.vbaProject"},
			extra:    []zfile{{name: "word/vbaProject.bin", body: vba}}}.build(t),
			"docm", []string{"macro|vbaProject.bin|word/vbaProject.bin"}, []string{"word/vbaProject.bin"}},
		{"vba project renamed, found by relationship", docx{mainCT: ctDocm,
			docRels: []rel{{typ: msRel + "vbaProject", target: "media/image9.bin"}},
			extra:   []zfile{{name: "word/media/image9.bin", body: vba}}}.build(t),
			"docm", []string{"macro|vbaProject.bin|word/media/image9.bin"}, []string{"word/media/image9.bin"}},
		{"vba project by name in any case anywhere", docx{
			extra: []zfile{{name: "customXml/VBAPROJECT.BIN", body: vba}}}.build(t),
			"docx", []string{"ambiguous|part not referenced by the package|customXml/VBAPROJECT.BIN", "macro|vbaProject.bin|customXml/VBAPROJECT.BIN"},
			[]string{"customXml/VBAPROJECT.BIN"}},
		{"vba project by override content type", docx{
			overrides: map[string]string{"/word/stuff.dat": "application/vnd.ms-office.vbaProject"},
			extra:     []zfile{{name: "word/stuff.dat", body: vba}}}.build(t),
			"docx", []string{"macro|vbaProject.bin|word/stuff.dat"}, []string{"word/stuff.dat"}},
		{"macro-enabled type alone is no macro", docx{mainCT: ctDocm}.build(t), "docm", nil, nil},
		{"vbaData.xml and signature alone are no macro", docx{mainCT: ctDocm, extra: []zfile{
			{name: "word/vbaData.xml", body: `<wne:vbaSuppData xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>`},
			{name: "word/vbaProjectSignature.bin", body: "sig"}}}.build(t), "docm", []string{
			// Without a VBA project, nothing references them.
			"ambiguous|part not referenced by the package|word/vbaData.xml",
			"ambiguous|part not referenced by the package|word/vbaProjectSignature.bin"}, nil},
		{"XLM macro sheet", seedPackages(t)["xlm.xlsm"], "xlsm",
			[]string{"macro|XLM macro sheet|xl/macrosheets/sheet1.xml"}, nil},
		{"XLM macro sheet in xlsb", xlsx{mainCT: ctXlsb, mainName: "xl/workbook.bin",
			overrides: map[string]string{"/xl/macrosheets/sheet1.bin": "application/vnd.ms-excel.macrosheet"},
			extra:     []zfile{{name: "xl/macrosheets/sheet1.bin", body: "\x00\x01"}}}.build(t),
			"xlsb", []string{"macro|XLM macro sheet|xl/macrosheets/sheet1.bin"}, nil},
		{"international macro sheet by relationship", xlsx{mainCT: ctXlsm,
			wbRels: []rel{{typ: msRel + "xlIntlMacrosheet", target: "sheets/m.xml"}},
			extra:  []zfile{{name: "xl/sheets/m.xml", body: `<x/>`}}}.build(t),
			"xlsm", []string{"macro|XLM macro sheet|xl/sheets/m.xml"}, nil},
		{"dialog sheet is no macro", xlsx{wbRels: []rel{{typ: "dialogsheet", target: "dialogsheets/sheet1.xml"}},
			extra: []zfile{{name: "xl/dialogsheets/sheet1.xml", body: `<x/>`}}}.build(t), "xlsx", nil, nil},
		{"remote template", seedPackages(t)["template.docx"], "docx",
			[]string{"external-reference|attachedTemplate https://evil.example|word/_rels/settings.xml.rels"}, nil},
		{"external links of every flagged type", docx{docRels: []rel{
			{typ: "oleObject", target: `\\10.0.0.1\share\x.xls`, mode: "External"},
			{typ: "subDocument", target: "http://evil.example:8080/sub.docx", mode: "External"},
			{typ: "frame", target: "file:///C:/x.htm", mode: "external"},
			{typ: "http://purl.oclc.org/ooxml/officeDocument/relationships/attachedTemplate", target: "mhtml:http://evil.example/x!y", mode: "External"},
			{typ: msRel + "xlExternalLinkPath/xlPathMissing", target: "book.xlsx", mode: "External"},
		}}.build(t), "docx", []string{
			`external-reference|oleObject \\10.0.0.1|word/_rels/document.xml.rels`,
			"external-reference|subDocument http://evil.example:8080|word/_rels/document.xml.rels",
			"external-reference|frame local file|word/_rels/document.xml.rels",
			"external-reference|attachedTemplate mhtml:http://evil.example|word/_rels/document.xml.rels",
			"external-reference|externalLinkPath relative path|word/_rels/document.xml.rels",
		}, nil},
		{"external hyperlinks and images are no findings", docx{docRels: []rel{
			{typ: "hyperlink", target: "https://example.org/", mode: "External"},
			{typ: "image", target: "https://example.org/a.png", mode: "External"},
		}}.build(t), "docx", nil, nil},
		{"DDEAUTO in a simple field", docx{body: `<w:p><w:fldSimple w:instr=" DDEAUTO c:\\windows\\system32\\cmd.exe &quot;/k calc&quot;"><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>`}.build(t),
			"docx", []string{"active-content|DDE field|word/document.xml"}, nil},
		{"DDE split over runs", seedPackages(t)["dde.docx"], "docx", []string{"active-content|DDE field|word/document.xml"}, nil},
		{"dde in lower case after blanks", docx{body: complexField("x", "\u00a0\t dde cmd ", `"/c calc"`)}.build(t),
			"docx", []string{"active-content|DDE field|word/document.xml"}, nil},
		{"DDE written with character references", docx{body: complexField("x", "&#68;&#x44;E  cmd")}.build(t),
			"docx", []string{"active-content|DDE field|word/document.xml"}, nil},
		{"QUOTE-obfuscated DDEAUTO", docx{body: `<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>` +
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>QUOTE 68 68 69 65 85 84 79</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>DDEAUTO</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
			`<w:r><w:instrText> cmd "/c calc"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`}.build(t),
			"docx", []string{"active-content|DDE field|word/document.xml"}, nil},
		{"DDE in a footer", docx{
			docRels:   []rel{{typ: "footer", target: "footer1.xml"}},
			overrides: map[string]string{"/word/footer1.xml": ctPfx + "wordprocessingml.footer+xml"},
			extra:     []zfile{{name: "word/footer1.xml", body: `<w:ftr xmlns:w="` + nsW + `"><w:p><w:fldSimple w:instr="DDE x y"/></w:p></w:ftr>`}},
		}.build(t), "docx", []string{"active-content|DDE field|word/footer1.xml"}, nil},
		{"ordinary fields are no DDE", docx{body: complexField("1", " PAGE ") + complexField("x", " TOC \\o ") +
			`<w:p><w:fldSimple w:instr="DATE"/></w:p>` + complexField("DDEAUTO in the result", " REF x ")}.build(t), "docx", nil, nil},
		{"DDE as plain text is no field", docx{body: para("DDEAUTO c:\\cmd.exe")}.build(t), "docx", nil, nil},
		{"DDE link in an external link part", seedPackages(t)["embed.xlsx"], "xlsx", []string{
			"active-content|DDE link|xl/externalLinks/externalLink1.xml",
			"embedded-object|OLE object|xl/embeddings/oleObject1.bin",
		}, []string{"xl/embeddings/oleObject1.bin"}},
		{"ActiveX control", docx{
			docRels:   []rel{{typ: "control", target: "activeX/activeX1.xml"}},
			overrides: map[string]string{"/word/activeX/activeX1.xml": "application/vnd.ms-office.activeX+xml"},
			defaults:  map[string]string{"bin": "application/vnd.ms-office.activeX"},
			extra: []zfile{
				{name: "word/activeX/activeX1.xml", body: `<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}"/>`},
				{name: "word/activeX/_rels/activeX1.xml.rels", body: relsXML(rel{typ: msRel + "activeXControlBinary", target: "activeX1.bin"})},
				{name: "word/activeX/activeX1.bin", body: oleMagic},
			}}.build(t), "docx", []string{"active-content|ActiveX control|word/activeX/activeX1.xml"}, nil},
		{"embedded OLE object and package", docx{
			docRels: []rel{{typ: "oleObject", target: "embeddings/oleObject1.bin"}, {typ: "package", target: "embeddings/Microsoft_Word_Document.docm"}},
			extra: []zfile{
				{name: "word/embeddings/oleObject1.bin", body: oleMagic + "x"},
				{name: "word/embeddings/Microsoft_Word_Document.docm", body: "PK\x03\x04inner"},
			}}.build(t), "docx", []string{
			"embedded-object|OLE object|word/embeddings/oleObject1.bin",
			"embedded-object|embedded package|word/embeddings/Microsoft_Word_Document.docm",
		}, []string{"word/embeddings/oleObject1.bin", "word/embeddings/Microsoft_Word_Document.docm"}},
		{"OLE object outside embeddings found by relationship", docx{
			docRels: []rel{{typ: "oleObject", target: "media/x.png"}},
			extra:   []zfile{{name: "word/media/x.png", body: oleMagic}}}.build(t),
			"docx", []string{"embedded-object|embedded package|word/media/x.png"}, []string{"word/media/x.png"}},
		{"chart data workbook is inspected, not reported", docx{
			docRels: []rel{{typ: "chart", target: "charts/chart1.xml"}},
			extra: []zfile{
				{name: "word/charts/chart1.xml", body: `<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"/>`},
				{name: "word/charts/_rels/chart1.xml.rels", body: relsXML(rel{typ: "package", target: "../embeddings/Microsoft_Excel_Worksheet.xlsx"})},
				{name: "word/embeddings/Microsoft_Excel_Worksheet.xlsx", body: "PK\x03\x04"},
			}}.build(t), "docx", nil, []string{"word/embeddings/Microsoft_Excel_Worksheet.xlsx"}},
		{"encrypted zip entry", docx{docRels: []rel{{typ: "image", target: "media/secret.bin"}},
			extra: []zfile{{name: "word/media/secret.bin", body: "xx", encrypted: true}}}.build(t),
			"docx", []string{"encrypted|encrypted zip entry|word/media/secret.bin"}, nil},
		{"case and percent-encoding of part names", buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: ctXML(nil, map[string]string{"/WORD/My%20Document.XML": ctDocx})},
			{name: "_rels/.rels", body: relsXML(rel{typ: "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument", target: "/word/My Document.xml"})},
			{name: "word/my%20document.xml", body: wordDoc(`<w:p><w:fldSimple w:instr="DDEAUTO a b"/></w:p>`)},
		}), "docx", []string{"active-content|DDE field|word/my%20document.xml"}, nil},
		{"UTF-16 content types", buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: utf16le(`<?xml version="1.0" encoding="UTF-16"?><Types xmlns="` + nsCT + `"><Override PartName="/p.xml" ContentType="` + ctPptx + `"/></Types>`)},
			{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: "p.xml"})},
			{name: "p.xml", body: `<p/>`},
		}), "pptx", nil, nil},
		{"no officeDocument relationship, one main override", buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: ctXML(nil, map[string]string{"/x/y.xml": ctXlsx})},
			{name: "x/y.xml", body: `<w/>`},
		}), "xlsx", nil, nil},
		{"no main part at all", buildZip(t, []zfile{{name: "[Content_Types].xml", body: ctXML(nil, nil)}}), "zip", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectBytes(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(rec.Names(), tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
		})
	}
}

func utf16le(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}

func TestChildContent(t *testing.T) {
	vba := oleMagic + strings.Repeat("V", 3000)
	rec, err := inspectBytes(t, docx{mainCT: ctDocm, docRels: []rel{{typ: msRel + "vbaProject", target: "vbaProject.bin"}},
		extra: []zfile{{name: "word/vbaProject.bin", body: vba}}}.build(t), inspect.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec.Data("word/vbaProject.bin")); got != vba {
		t.Errorf("child content: %d bytes, want the %d bytes of the part", len(got), len(vba))
	}
}

func TestMainTypes(t *testing.T) {
	tests := map[string]string{
		ctDocx: "docx", "application/vnd.ms-word.document.macroEnabled.main+xml": "docm",
		ctPfx + "wordprocessingml.template.main+xml":                     "dotx",
		"application/vnd.ms-word.template.macroEnabledTemplate.main+xml": "dotm",
		ctXlsx: "xlsx", ctXlsm: "xlsm", ctXlsb: "xlsb",
		ctPfx + "spreadsheetml.template.main+xml":                 "xltx",
		"application/vnd.ms-excel.template.macroEnabled.main+xml": "xltm",
		"application/vnd.ms-excel.addin.macroEnabled.main+xml":    "xlam",
		ctPptx: "pptx", "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml": "pptm",
		ctPfx + "presentationml.slideshow.main+xml":                                                      "ppsx",
		"application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml":                                  "ppsm",
		ctPfx + "presentationml.template.main+xml":                                                       "potx",
		"application/vnd.ms-powerpoint.template.macroEnabled.main+xml":                                   "potm",
		"application/vnd.ms-visio.drawing.main+xml":                                                      "other",
		"application/vnd.ms-package.xps-fixeddocumentsequence+xml":                                       "other",
		"  Application/VND.openxmlformats-officedocument.wordprocessingml.document.main+xml ; charset=x": "docx",
	}
	for ct, want := range tests {
		t.Run(ct, func(t *testing.T) {
			rec, err := inspectBytes(t, mainOnly(t, ct), inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Type != want {
				t.Errorf("type %q, want %q", rec.Type, want)
			}
			if len(rec.Findings) != 0 {
				t.Errorf("findings %q", rec.Short())
			}
		})
	}
}

func TestErrors(t *testing.T) {
	bomb := strings.Repeat(" ", 4<<20)
	tests := []struct {
		name    string
		pkg     []byte
		lim     inspect.Limits
		wantErr string
		want    []string // findings still expected
	}{
		{"not a zip", []byte("PK\x03\x04 truncated"), inspect.Limits{}, "malformed OOXML package", nil},
		{"too many members", docx{}.build(t), inspect.Limits{MaxParts: 2}, "limit parts=2", nil},
		{"malformed document.xml, other findings kept", docx{
			docRels: []rel{{typ: msRel + "vbaProject", target: "vbaProject.bin"}},
			body:    `<w:p><w:fldChar w:fldCharType="begin"/><w:instrText>PAGE</w:instrText></w:p><w:p a=></w:p>`,
			extra:   []zfile{{name: "word/vbaProject.bin", body: oleMagic}},
		}.build(t), inspect.Limits{}, "word/document.xml: malformed XML", []string{"macro|vbaProject.bin|word/vbaProject.bin"}},
		{"unsupported compression", docx{extra: []zfile{
			{name: "word/_rels/document.xml.rels", body: "xxxx", method: 99},
		}}.build(t), inspect.Limits{}, "word/_rels/document.xml.rels: unsupported compression method", nil},
		{"member shorter than declared", docx{extra: []zfile{
			{name: "word/_rels/document.xml.rels", body: relsXML(rel{typ: "image", target: "media/a.png"}), lie: 10},
		}}.build(t), inspect.Limits{}, "word/_rels/document.xml.rels: unexpected EOF", nil},
		{"compression bomb in a scanned part", docx{body: `<w:p><w:instrText>` + bomb + `</w:instrText></w:p>`}.build(t),
			inspect.Limits{}, "limit ratio=250", nil},
		{"part over the size limit", docx{body: para(strings.Repeat("a", 5000))}.build(t),
			inspect.Limits{MaxPartSize: 4096}, "limit part-size=4096", nil},
		{"undeclared encoding", docx{extra: []zfile{{name: "word/_rels/document.xml.rels", body: `<?xml version="1.0" encoding="x-nonsense"?><Relationships><Relationship TargetMode="External"/></Relationships>`}}}.build(t),
			inspect.Limits{}, `unsupported encoding "x-nonsense"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectBytes(t, tt.pkg, tt.lim)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if len(err.Error()) > 200 {
				t.Errorf("error text too long for a finding: %q", err)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := seedPackages(t)["dde.docx"]
	err := New().Inspect(ctx, inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b)}, &recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestEngine runs the inspector in the real engine: nested packages are
// found at their path, findings carry the type of their file.
func TestEngine(t *testing.T) {
	inner := seedPackages(t)["macro.docm"]
	outer := docx{
		docRels: []rel{{typ: "package", target: "embeddings/inner.docm"}},
		extra:   []zfile{{name: "word/embeddings/inner.docm", body: string(inner)}},
	}.build(t)
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyOOXML: New()}, inspect.Limits{})
	res := e.Inspect(context.Background(), "outer.docx", "", bytes.NewReader(outer), int64(len(outer)))
	if res.Type != "docx" {
		t.Errorf("type %q", res.Type)
	}
	want := inspect.Finding{Kind: inspect.KindMacro, Type: "docm", Where: "word/embeddings/inner.docm/word/vbaProject.bin", Detail: "vbaProject.bin"}
	if !slices.Contains(res.Findings, want) {
		t.Errorf("findings %+v lack %+v", res.Findings, want)
	}
	if !res.HasAt(inspect.KindEmbeddedObject, "word/embeddings/inner.docm") {
		t.Errorf("findings %+v lack the embedded package", res.Findings)
	}
}

// TestCorpusFiles checks the shared corpus's OOXML zips in place (they
// are never copied here); TestCorpus in inspect/all checks them through the
// whole engine.
func TestCorpusFiles(t *testing.T) {
	dir := filepath.Join(inspecttest.CorpusPath(t), "ooxml")
	tests := []struct {
		file, typ string
		want      []string
	}{
		{"filetype__sample.docx", "docx", nil},
		{"filetype__sample.pptx", "pptx", nil},
		{"filetype__sample.xlsx", "xlsx", nil},
		{"poi__SimpleMacro.docm", "docm", []string{"macro|vbaProject.bin|word/vbaProject.bin"}},
		{"poi__SimpleMacro.pptm", "pptm", []string{"macro|vbaProject.bin|ppt/vbaProject.bin"}},
		{"poi__SimpleMacro.xlsm", "xlsm", []string{"macro|vbaProject.bin|xl/vbaProject.bin"}},
		{"poi__xlmmacro.xlsm", "xlsm", []string{"macro|XLM macro sheet|xl/macrosheets/sheet1.xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tt.file))
			if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") == "" {
				t.Skip("shared corpus not available")
			}
			if err != nil {
				t.Fatal(err)
			}
			rec, err := inspectBytes(t, b, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
}

// peHead is enough of a Windows executable for sniffing: the MZ header
// with e_lfanew pointing at a PE signature.
func peHead() string {
	b := make([]byte, 512)
	copy(b, "MZ")
	b[0x3C] = 0x80
	copy(b[0x80:], "PE\x00\x00")
	return string(b)
}

// TestMembers checks that every member is looked at: members the inspector
// does not read are sniffed and handed on when they are content with an
// inspector of their own, and members the package does not reference are
// reported.
func TestMembers(t *testing.T) {
	exe := peHead()
	const unref = "ambiguous|part not referenced by the package|"
	tests := []struct {
		name     string
		pkg      []byte
		typ      string
		want     []string
		children []string
	}{
		{"docx with an extra executable", docx{extra: []zfile{{name: "setup.exe", body: exe}}}.build(t),
			"docx", []string{unref + "setup.exe"}, []string{"setup.exe"}},
		{"referenced image is sniffed and left alone", docx{docRels: []rel{{typ: "image", target: "media/image1.png"}},
			extra: []zfile{{name: "word/media/image1.png", body: "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"}}}.build(t),
			"docx", nil, nil},
		{"executable named as a referenced image", docx{docRels: []rel{{typ: "image", target: "media/image1.png"}},
			extra: []zfile{{name: "word/media/image1.png", body: exe}}}.build(t),
			"docx", nil, []string{"word/media/image1.png"}},
		{"unreferenced XML is reported, not handed on", docx{extra: []zfile{{name: "word/extra.xml", body: "<x/>"}}}.build(t),
			"docx", []string{unref + "word/extra.xml"}, nil},
		{"Override names a part", docx{overrides: map[string]string{"/payload.exe": "application/octet-stream"},
			extra: []zfile{{name: "payload.exe", body: exe}}}.build(t),
			"docx", nil, []string{"payload.exe"}},
		{"script by name", docx{extra: []zfile{{name: "word/run.vbs", body: `CreateObject("WScript.Shell").Run "calc"`}}}.build(t),
			"docx", []string{unref + "word/run.vbs"}, []string{"word/run.vbs"}},
		{"PDF and archives are handed on", docx{extra: []zfile{
			{name: "a.pdf", body: "%PDF-1.7\n"}, {name: "b.zip", body: "PK\x03\x04xxxx"}, {name: "c.rar", body: "Rar!\x1a\x07\x00"}}}.build(t),
			"docx", []string{unref + "a.pdf", unref + "b.zip", unref + "c.rar"}, []string{"a.pdf", "b.zip", "c.rar"}},
		{"executable as a Word text part", docx{
			docRels:   []rel{{typ: "header", target: "header1.xml"}},
			overrides: map[string]string{"/word/header1.xml": ctPfx + "wordprocessingml.header+xml"},
			extra:     []zfile{{name: "word/header1.xml", body: exe}}}.build(t),
			"docx", nil, []string{"word/header1.xml"}},
		{"executable as a relationships part", docx{extra: []zfile{{name: "word/_rels/document.xml.rels", body: exe}}}.build(t),
			"docx", nil, []string{"word/_rels/document.xml.rels"}},
		{"second [Content_Types].xml", buildZip(t, append(docx{}.files(), zfile{name: "[Content_Types].xml", body: exe})),
			"docx", nil, []string{"[Content_Types].xml"}},
		{"unreachable parts that reference each other", docx{extra: []zfile{
			{name: "x/a.xml", body: "<a/>"},
			{name: "x/_rels/a.xml.rels", body: relsXML(rel{typ: "image", target: "b.xml"})},
			{name: "x/b.xml", body: "<b/>"},
			{name: "x/_rels/b.xml.rels", body: relsXML(rel{typ: "image", target: "a.xml"})},
		}}.build(t), "docx", []string{unref + "x/a.xml", unref + "x/b.xml"}, nil},
		{"reached through a chain", docx{
			docRels: []rel{{typ: "customXml", target: "../customXml/item1.xml"}},
			extra: []zfile{
				{name: "customXml/item1.xml", body: "<a/>"},
				{name: "customXml/_rels/item1.xml.rels", body: relsXML(rel{typ: "customXmlProps", target: "itemProps1.xml"})},
				{name: "customXml/itemProps1.xml", body: "<b/>"},
			}}.build(t), "docx", nil, nil},
		{"Office leftovers are not reported", docx{extra: []zfile{
			{name: "[trash]/0000.dat", body: "\x00\x01"}, {name: "__MACOSX/word/._document.xml", body: "\x00\x05\x16\x07"}}}.build(t),
			"docx", nil, nil},
		{"leftovers are sniffed too", docx{extra: []zfile{{name: "[trash]/0001.dat", body: exe}}}.build(t),
			"docx", nil, []string{"[trash]/0001.dat"}},
		{"only [Content_Types].xml: a zip, every member looked at", buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: ctXML(nil, nil)},
			{name: "clam.exe", body: exe},
			{name: "readme.txt", body: "hello"},
		}), "zip", nil, []string{"clam.exe"}},
		{"package relationships without a main part: a zip", buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: ctXML(nil, nil)},
			{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: "word/document.xml"})},
			{name: "clam.exe", body: exe},
		}), "zip", nil, []string{"clam.exe"}},
		{"MSIX package", buildZip(t, []zfile{
			{name: "AppxManifest.xml", body: `<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10"/>`},
			{name: "AppxBlockMap.xml", body: `<BlockMap/>`},
			{name: "AppxSignature.p7x", body: "PKCX0\x82"},
			{name: "[Content_Types].xml", body: ctXML(map[string]string{"exe": "application/x-msdownload"}, nil)},
			{name: "App/app.exe", body: exe},
		}), "msix", []string{"executable|MSIX/AppX installer package|"}, []string{"App/app.exe"}},
		{"MSIX bundle", buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: ctXML(nil, nil)},
			{name: "AppxMetadata/AppxBundleManifest.xml", body: `<Bundle/>`},
			{name: "app_x64.msix", body: "PK\x03\x04"},
		}), "msix", []string{"executable|MSIX/AppX installer package|"}, []string{"app_x64.msix"}},
		{"Office package with an app manifest", docx{extra: []zfile{{name: "appxmanifest.xml", body: `<Package/>`}}}.build(t),
			"msix", []string{"executable|MSIX/AppX installer package|"}, nil},
		{"encrypted member is not read", docx{extra: []zfile{{name: "word/media/x.bin", body: exe, encrypted: true}}}.build(t),
			"docx", []string{"encrypted|encrypted zip entry|word/media/x.bin", unref + "word/media/x.bin"}, nil},
		{"ActiveX binary compound file is not handed on", docx{
			docRels:   []rel{{typ: "control", target: "activeX/activeX1.bin"}},
			overrides: map[string]string{"/word/activeX/activeX1.bin": "application/vnd.ms-office.activeX"},
			extra:     []zfile{{name: "word/activeX/activeX1.bin", body: oleMagic + strings.Repeat("\x00", 504)}}}.build(t),
			"docx", []string{"active-content|ActiveX control|word/activeX/activeX1.bin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectBytes(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(rec.Names(), tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
		})
	}
}

// TestMemberContent checks that a sniffed member reaches the engine whole
// (its head read once, then the rest), also past the sniffed length.
func TestMemberContent(t *testing.T) {
	exe := peHead() + strings.Repeat("x", 3*inspect.SniffLen+17)
	rec, err := inspectBytes(t, docx{extra: []zfile{{name: "setup.exe", body: exe}}}.build(t), inspect.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec.Data("setup.exe")); got != exe {
		t.Errorf("child content: %d bytes, want the %d bytes of the member", len(got), len(exe))
	}
}

// TestLargeMemberSniffed checks that a member over the part-size limit is
// still sniffed (its head is read) and, being nothing to inspect, left
// alone without a finding.
func TestLargeMemberSniffed(t *testing.T) {
	rec, err := inspectBytes(t, docx{docRels: []rel{{typ: "video", target: "media/v.mp4"}},
		extra: []zfile{{name: "word/media/v.mp4", body: "\x00\x00\x00\x18ftypmp42" + strings.Repeat("\x00", 10000)}}}.build(t),
		inspect.Limits{MaxPartSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Findings) != 0 || len(rec.Children) != 0 {
		t.Errorf("findings %q, children %q", rec.Short(), rec.Names())
	}
}
