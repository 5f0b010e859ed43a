package ooxml

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

func TestProtections(t *testing.T) {
	pk := protectionPackages(t)
	tests := []struct {
		name string
		pkg  []byte
		want []string // kind|detail|where, in order
	}{
		{"writeProtection as Word 2013 writes it", pk["writeprotection-2013.docx"],
			[]string{"protected|password to modify (writeProtection)|word/settings.xml"}},
		{"writeProtection in the ISO form", pk["writeprotection-iso.docx"],
			[]string{"protected|password to modify (writeProtection)|word/settings.xml"}},
		{"read-only recommended without password", pk["readonly-recommended.docx"], nil},
		{"restricted editing with a password", pk["restricted-password.docx"],
			[]string{"protected|restricted editing with a password (documentProtection edit=readOnly)|word/settings.xml"}},
		{"restricted editing without a password", pk["restricted-nopassword.docx"], nil},
		{"forms protection, legacy hash, enforcement on", wordSettings("",
			`<w:documentProtection w:edit="forms" w:enforcement="on" `+word2013Prot+`/>`).build(t),
			[]string{"protected|restricted editing with a password (documentProtection edit=forms)|word/settings.xml"}},
		{"documentProtection with a hash but not enforced", wordSettings("",
			`<w:documentProtection w:edit="trackedChanges" w:enforcement="0" `+isoProt+`/>`).build(t), nil},
		{"both, prefix renamed, hash written with character references", wordSettings(
			`<x:writeProtection xmlns:x="`+nsW+`" x:hash="&#65;&#x42;"/>`,
			`<w:documentProtection w:enforcement="true" w:hashValue="`+hash64+`"/>`).build(t), []string{
			"protected|password to modify (writeProtection)|word/settings.xml",
			"protected|restricted editing with a password (documentProtection edit=none)|word/settings.xml"}},
		{"settings in a comment or CDATA only", wordSettings(`<!-- <w:writeProtection w:hash="AB"/> -->`,
			`<w:docVars><w:docVar w:name="x" w:val="&lt;w:documentProtection"/></w:docVars><![CDATA[<w:documentProtection w:enforcement="1" w:hash="AB"/>]]>`).build(t), nil},
		{"UTF-16 settings", docx{docRels: []rel{{typ: "settings", target: "settings.xml"}},
			overrides: map[string]string{"/word/settings.xml": ctSettings},
			extra:     []zfile{{name: "word/settings.xml", body: utf16le(`<?xml version="1.0" encoding="UTF-16"?><w:settings xmlns:w="` + nsW + `"><w:writeProtection ` + isoProt + `/></w:settings>`)}}}.build(t),
			[]string{"protected|password to modify (writeProtection)|word/settings.xml"}},
		{"workbook structure", pk["workbook.xlsx"],
			[]string{"protected|protected workbook structure with a password|xl/workbook.xml"}},
		{"legacy workbook password, windows locked", book(workbookXML("", `<workbookProtection workbookPassword="CC1A" lockWindows="1"/>`, 1)).build(t),
			[]string{"protected|protected workbook structure with a password|xl/workbook.xml"}},
		{"workbook password, nothing locked", book(workbookXML("", `<workbookProtection workbookPassword="CC1A"/>`, 1)).build(t), nil},
		{"revisions password", book(workbookXML("", `<workbookProtection revisionsPassword="CC1A" lockRevision="1"/>`, 1)).build(t),
			[]string{"protected|protected workbook revisions with a password|xl/workbook.xml"}},
		{"fileSharing reservation password", pk["filesharing.xlsx"],
			[]string{"protected|password to modify (fileSharing)|xl/workbook.xml"}},
		{"fileSharing read-only recommended only", book(workbookXML(`<fileSharing readOnlyRecommended="1"/>`, "", 1)).build(t), nil},
		{"three sheets, two protected", pk["sheets.xlsx"],
			[]string{"protected|protected sheet with a password (xl/worksheets/sheet1.xml and 1 more sheet)|xl/worksheets/sheet1.xml"}},
		{"legacy sheet password", book(workbookXML("", "", 1), sheetXML(2, `<sheetProtection password="CC1A" sheet="1"/>`)).build(t),
			[]string{"protected|protected sheet with a password (xl/worksheets/sheet1.xml)|xl/worksheets/sheet1.xml"}},
		{"sheet locked without password", book(workbookXML("", "", 1), sheetXML(2, `<sheetProtection sheet="1" objects="1"/>`)).build(t), nil},
		{"sheet password, sheet not locked", book(workbookXML("", "", 1), sheetXML(2, `<sheetProtection password="CC1A"/>`)).build(t), nil},
		// The forms LibreOffice 7.4 writes when it saves these fixtures
		// as xlsx and docx again: xsd:boolean "true", and restricted
		// editing whose hash it could not keep.
		{"sheet protection as LibreOffice writes it", book(workbookXML("", "", 1), sheetXML(1, `<sheetProtection algorithmName="SHA-512" hashValue="`+hash64+
			`" saltValue="`+salt16+`" spinCount="100000" sheet="true" formatCells="false"/>`)).build(t),
			[]string{"protected|protected sheet with a password (xl/worksheets/sheet1.xml)|xl/worksheets/sheet1.xml"}},
		{"restricted editing with an empty hash as LibreOffice writes it", wordSettings("",
			`<w:documentProtection w:edit="readOnly" w:enforcement="1" w:cryptProviderType="rsaAES" w:cryptAlgorithmClass="hash" w:cryptAlgorithmType="typeAny" w:cryptAlgorithmSid="" w:cryptSpinCount="0" w:hash="" w:salt=""/>`).build(t), nil},
		{"sheetProtection as cell text", book(workbookXML("", "", 1), strings.Replace(sheetXML(2, ""), "a &lt; b", "&lt;sheetProtection password=&quot;CC1A&quot; sheet=&quot;1&quot;/&gt;", 1)).build(t), nil},
		{"modifyVerifier", pk["modifyverifier.pptx"],
			[]string{"protected|password to modify (modifyVerifier)|ppt/presentation.xml"}},
		{"modifyVerifier in the ISO form", pptx(t, `<p:modifyVerifier algorithmName="SHA-512" hashValue="`+hash64+`" saltValue="`+salt16+`" spinValue="100000"/>`),
			[]string{"protected|password to modify (modifyVerifier)|ppt/presentation.xml"}},
		{"signed, not protected", pk["signed.docx"], nil},
		{"signed and protected", pk["signed-protected.docx"],
			[]string{"protected|password to modify (writeProtection); signed|word/settings.xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectBytes(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if len(rec.Names()) != 0 {
				t.Errorf("children %q", rec.Names())
			}
		})
	}
}

func TestSignatures(t *testing.T) {
	pk := protectionPackages(t)
	for _, name := range []string{"plain", "writeprotection-2013.docx"} {
		b := pk[name]
		if b == nil {
			b = docx{}.build(t)
		}
		sigs, err := Signatures(context.Background(), bytes.NewReader(b), int64(len(b)))
		if err != nil || sigs != nil {
			t.Errorf("%s: %v %+v, want none", name, err, sigs)
		}
	}
	b := buildZip(t, signed(t, docx{}.files(), "idPackageSignature", "idSecond"))
	sigs, err := Signatures(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := Signature{Part: "_xmlsignatures/sig1.xml", ID: "idPackageSignature",
		Subject: "CN=Erika Mustermann,O=Testbehörde", Issuer: "CN=Test CA,O=officemilter tests", SerialNumber: "4242",
		SigningTime: "2026-01-15T10:00:00Z", XAdES: true}
	if len(sigs) != 2 || sigs[0] != want || sigs[1].Part != "_xmlsignatures/sig2.xml" || sigs[1].ID != "idSecond" {
		t.Errorf("signatures\n got %+v\nwant %+v and a second", sigs, want)
	}

	// A signature part without certificate but with a subject name; one
	// with a broken certificate.
	plain := `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="s"><KeyInfo><X509Data><X509SubjectName>CN=Nur Name</X509SubjectName></X509Data></KeyInfo></Signature>`
	broken := `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><KeyInfo><X509Data><X509Certificate>AAAA</X509Certificate></X509Data></KeyInfo></Signature>`
	fs := signed(t, docx{}.files(), "a", "b")
	for i := range fs {
		switch fs[i].name {
		case "_xmlsignatures/sig1.xml":
			fs[i].body = plain
		case "_xmlsignatures/sig2.xml":
			fs[i].body = broken
		}
	}
	b = buildZip(t, fs)
	sigs, err = Signatures(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 2 || sigs[0].Subject != "CN=Nur Name" || sigs[0].Problem != "" ||
		sigs[1].Subject != "" || !strings.HasPrefix(sigs[1].Problem, "certificate: ") {
		t.Errorf("signatures %+v", sigs)
	}
}

// TestStartTags compares the tag scanner with the XML decoder on the
// protection elements of the fixtures.
func TestStartTags(t *testing.T) {
	var got []string
	in := `<?xml version="1.0"?><?pi <sheetProtection a="pi"?><a><!-- <sheetProtection a="c"> --><![CDATA[ <sheetProtection a="d"/> ]]>` +
		`<x:sheetProtection a="1&amp;2" b='>'/><sheetProtectionX a="no"/></sheetProtection><sheetProtection a="3"></sheetProtection></a>`
	err := startTags(context.Background(), strings.NewReader(in), []string{"sheetProtection"}, func(se xml.StartElement) {
		v, _ := zipx.Attr(se, "a")
		got = append(got, v)
	})
	if err != nil || !slices.Equal(got, []string{"1&2", "3"}) {
		t.Errorf("startTags: %v %q", err, got)
	}
}

// FuzzStartTags checks the tag scanner against the XML decoder: every
// start tag the decoder reads from a document it accepts whole, the
// scanner finds too, with the same attributes (it may find more: a tag
// written in a DOCTYPE's quoted string).
func FuzzStartTags(f *testing.F) {
	f.Add(`<a><sheetProtection password="CC1A" sheet="1"/></a>`)
	f.Add(`<?xml version="1.0"?><!-- <sheetProtection a="c"> --><a><![CDATA[<sheetProtection/>]]><x:sheetProtection a='&#65;>'></x:sheetProtection></a>`)
	f.Add(settingsHeader + `<w:writeProtection ` + word2013Prot + `/></w:settings>`)
	f.Fuzz(func(t *testing.T, s string) {
		var want []string
		x := zipx.NewXMLReader(context.Background(), strings.NewReader(s))
		for {
			tok, err := x.Next()
			if err == io.EOF {
				break
			}
			if err != nil || x.Transcoded {
				return
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheetProtection" {
				want = append(want, fmt.Sprint(se.Attr))
			}
		}
		var got []string
		err := startTags(context.Background(), strings.NewReader(s), []string{"sheetProtection"}, func(se xml.StartElement) {
			got = append(got, fmt.Sprint(se.Attr))
		})
		if err != nil {
			t.Fatalf("scanner error %v on a document the decoder reads", err)
		}
		i := 0
		for _, g := range got {
			if i < len(want) && g == want[i] {
				i++
			}
		}
		if i != len(want) {
			t.Fatalf("decoder tags %q, scanner tags %q", want, got)
		}
	})
}

// FuzzProtectionParts fuzzes the protection and signature readers through
// a signed package whose settings, sheet and signature parts are stored,
// so that mutations reach the XML.
func FuzzProtectionParts(f *testing.F) {
	f.Add(settingsHeader+`<w:writeProtection `+word2013Prot+`/></w:settings>`, sheetXML(2, `<sheetProtection password="CC1A" sheet="1"/>`), dsigXML(f, "id"))
	f.Add(utf16le(settingsHeader+`<w:documentProtection w:enforcement="1" w:hash="AA"/></w:settings>`), `<!-- <sheetProtection`, `<Signature><X509Certificate>AAAA`)
	f.Fuzz(func(t *testing.T, settings, sheet, sig string) {
		fs := signed(t, docx{}.files(), "id")
		fs = append(fs, zfile{name: "word/settings.xml", body: settings, method: storeMethod},
			zfile{name: "xl/worksheets/sheet1.xml", body: sheet, method: storeMethod})
		for i := range fs {
			if fs[i].name == "_xmlsignatures/sig1.xml" {
				fs[i].body, fs[i].method = sig, storeMethod
			}
		}
		b := buildZip(t, fs)
		rec := &recorder{}
		p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyOOXML, Limits: inspecttest.FuzzLimits}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { _ = New().Inspect(context.Background(), p, rec) })
		rec.CheckInvariants(t)
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { _, _ = Signatures(context.Background(), bytes.NewReader(b), int64(len(b))) })
	})
}

// TestStartTagsBoundaries moves a tag, a prefixed tag and a comment that
// hides one across the scanner's buffer boundary.
func TestStartTagsBoundaries(t *testing.T) {
	for pad := 64<<10 - 300; pad < 64<<10+300; pad += 7 {
		cell := `<c r="A1"><v>1</v></c>`
		fill := strings.Repeat(cell, pad/len(cell)+1)[:pad/len(cell)*len(cell)]
		for _, tc := range []struct {
			tail string
			want int
		}{
			{`<sheetProtection a="1"/>`, 1},
			{`<some-long.prefix_1:sheetProtection a="1"></some-long.prefix_1:sheetProtection>`, 1},
			{`<!-- <sheetProtection a="1"/> -->`, 0},
			{`<sheetProtectionX a="1"/><x:sheetProtectionY/>`, 0},
		} {
			in := `<worksheet><sheetData>` + fill + `</sheetData>` + tc.tail + `</worksheet>`
			got := 0
			err := startTags(context.Background(), strings.NewReader(in), []string{"sheetProtection"}, func(se xml.StartElement) {
				if v, _ := zipx.Attr(se, "a"); v == "1" {
					got++
				}
			})
			if err != nil || got != tc.want {
				t.Fatalf("pad %d, %q: %d tags (%v), want %d", pad, tc.tail, got, err, tc.want)
			}
		}
	}
}
