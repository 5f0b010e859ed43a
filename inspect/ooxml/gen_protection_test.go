package ooxml

// Fixture generators for password protections and signatures, written from
// [ECMA-376] Part 1 (17.15.1.93 writeProtection, 17.15.1.29
// documentProtection, 18.2.29 workbookProtection, 18.2.12 fileSharing,
// 18.3.1.85 sheetProtection, 19.2.1.19 modifyVerifier) and Part 2 (12
// Digital Signatures). The hash and salt values are arbitrary base64 of the
// right length: nothing here verifies them, and neither does Office until a
// password is typed. TestWriteProtectionFixtures writes them to
// $OOXML_WRITE_FIXTURES.
//
// Cross-checked by hand with LibreOffice 7.4 (soffice --convert-to): saved
// again as xlsx, both protected sheets keep their password; as ods, the
// legacy sheet password becomes a protection-key, while the ISO SHA-512
// one, which ODF cannot carry, becomes table:protected without a key;
// variants with sheetProtection password but sheet absent or "0" open
// unprotected, and sheet="1" without a password opens protected without
// one, as protectionDetail reads them. LibreOffice 7.4 keeps none of
// writeProtection, workbookProtection and fileSharing when it saves, so
// those were not cross-checked.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	ctSettings     = ctPfx + "wordprocessingml.settings+xml"
	ctWorksheet    = ctPfx + "spreadsheetml.worksheet+xml"
	nsSML          = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsPML          = "http://schemas.openxmlformats.org/presentationml/2006/main"
	sigRelPfx      = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/"
	ctSigOrigin    = "application/vnd.openxmlformats-package.digital-signature-origin"
	ctSigXML       = "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml"
	hash64         = "sQ3NYiVkiJrGCn5Ahw7Fkb1GZCqbe0YmoNu2jbHdYpMiJMPQvyhVwFfsQdqMaz8DrqzYaPQVadsyzJl1k7Sf2Q=="
	salt16         = "y6yNwSlMm6n/v1LsRqLxOw=="
	word2013Prot   = `w:cryptProviderType="rsaAES" w:cryptAlgorithmClass="hash" w:cryptAlgorithmType="typeAny" w:cryptAlgorithmSid="14" w:cryptSpinCount="100000" w:hash="` + hash64 + `" w:salt="` + salt16 + `"`
	isoProt        = `w:algorithmName="SHA-512" w:hashValue="` + hash64 + `" w:saltValue="` + salt16 + `" w:spinCount="100000"`
	settingsHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<w:settings xmlns:w="` + nsW + `">`
)

// wordSettings is a docx whose settings part (17.15.1.78 settings) holds
// the given elements, in schema order as Word writes them: writeProtection
// first, documentProtection after the view settings.
func wordSettings(writeProt, docProt string) docx {
	body := settingsHeader + writeProt + `<w:zoom w:percent="100"/>` + docProt +
		`<w:defaultTabStop w:val="708"/><w:characterSpacingControl w:val="doNotCompress"/><w:compat/><w:rsids><w:rsidRoot w:val="00A1B2C3"/></w:rsids></w:settings>`
	return docx{docRels: []rel{{typ: "settings", target: "settings.xml"}},
		overrides: map[string]string{"/word/settings.xml": ctSettings},
		extra:     []zfile{{name: "word/settings.xml", body: body}}}
}

// workbookXML is a workbook with the given elements before and after
// workbookPr (fileSharing comes first, workbookProtection after
// workbookPr, in the workbook's schema order).
func workbookXML(fileSharing, protection string, sheets int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<workbook xmlns="` + nsSML + `" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	b.WriteString(fileSharing + `<workbookPr defaultThemeVersion="164011"/>` + protection + `<sheets>`)
	for i := 1; i <= sheets; i++ {
		b.WriteString(`<sheet name="Sheet` + itoa(i) + `" sheetId="` + itoa(i) + `" r:id="rId` + itoa(i) + `"/>`)
	}
	b.WriteString(`</sheets></workbook>`)
	return b.String()
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// sheetXML is a worksheet with rows of cells and then prot, where the
// schema puts sheetProtection: after sheetData.
func sheetXML(rows int, prot string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<worksheet xmlns="` + nsSML + `"><dimension ref="A1"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData>`)
	for r := 1; r <= rows; r++ {
		b.WriteString(`<row r="` + itoa(r) + `"><c r="A` + itoa(r) + `"><v>` + itoa(r*7) + `</v></c><c r="B` + itoa(r) + `" t="inlineStr"><is><t>a &lt; b</t></is></c></row>`)
	}
	b.WriteString(`</sheetData>` + prot + `<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	return b.String()
}

// book is an xlsx with the given workbook and sheet bodies (sheet i is
// xl/worksheets/sheet<i+1>.xml).
func book(workbook string, sheets ...string) xbook {
	x := xlsx{overrides: map[string]string{}}
	for i := 2; i <= len(sheets); i++ {
		x.wbRels = append(x.wbRels, rel{typ: "worksheet", target: "worksheets/sheet" + itoa(i) + ".xml"})
		x.overrides["/xl/worksheets/sheet"+itoa(i)+".xml"] = ctWorksheet
		x.extra = append(x.extra, zfile{name: "xl/worksheets/sheet" + itoa(i) + ".xml", body: sheets[i-1]})
	}
	b := xbook{x: x, workbook: workbook}
	if len(sheets) > 0 {
		b.sheet1 = sheets[0]
	}
	return b
}

// xbook is an xlsx with its workbook and first sheet bodies replaced.
type xbook struct {
	x                xlsx
	workbook, sheet1 string
}

func (b xbook) files() []zfile {
	fs := b.x.files()
	for i := range fs {
		switch {
		case fs[i].name == "xl/workbook.xml" && b.workbook != "":
			fs[i].body = b.workbook
		case fs[i].name == "xl/worksheets/sheet1.xml" && b.sheet1 != "":
			fs[i].body = b.sheet1
		}
	}
	return fs
}

func (b xbook) build(t testing.TB) []byte { return buildZip(t, b.files()) }

// pptx is a PresentationML package whose presentation part (19.2.1.26
// presentation) holds modifyVerifier after the slide size elements.
func pptx(t testing.TB, modifyVerifier string) []byte {
	return buildZip(t, []zfile{
		{name: "[Content_Types].xml", body: ctXML(nil, map[string]string{"/ppt/presentation.xml": ctPptx})},
		{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: "ppt/presentation.xml"})},
		{name: "ppt/presentation.xml", body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<p:presentation xmlns:p="` + nsPML + `" saveSubsetFonts="1"><p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/>` +
			modifyVerifier + `<p:defaultTextStyle/></p:presentation>`},
	})
}

// testCerts are a CA and a signer's certificate it issued, made once per
// test binary (ECDSA P-256, not valid for anything but reading).
var testCerts = struct{ ca, signer []byte }{}

func certs(t testing.TB) (ca, signer []byte) {
	t.Helper()
	if testCerts.ca != nil {
		return testCerts.ca, testCerts.signer
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA", Organization: []string{"officemilter tests"}},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(4242), Subject: pkix.Name{CommonName: "Erika Mustermann", Organization: []string{"Testbehörde"}},
		NotBefore: caTmpl.NotBefore, NotAfter: caTmpl.NotAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	testCerts.ca, testCerts.signer = caDER, der
	return caDER, der
}

// wrap64 is base64 in lines of 76, as signing software writes it.
func wrap64(der []byte) string {
	s := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s
}

// dsigXML is an XML signature as Office writes one into a signature part
// ([ECMA-376] Part 2, 12.2.4: a package object and an Office object,
// XAdES qualifying properties), with the chain in KeyInfo, CA first.
func dsigXML(t testing.TB, id string) string {
	ca, signer := certs(t)
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n" +
		`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="` + id + `"><SignedInfo>` +
		`<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>` +
		`<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>` +
		`<Reference Type="http://www.w3.org/2000/09/xmldsig#Object" URI="#idPackageObject"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>` + salt16 + `</DigestValue></Reference>` +
		`</SignedInfo><SignatureValue>` + hash64 + `</SignatureValue>` +
		`<KeyInfo><X509Data><X509Certificate>` + wrap64(ca) + `</X509Certificate><X509Certificate>` + wrap64(signer) + `</X509Certificate></X509Data></KeyInfo>` +
		`<Object Id="idPackageObject"><Manifest><Reference URI="/word/document.xml?ContentType=application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>` + salt16 + `</DigestValue></Reference></Manifest>` +
		`<SignatureProperties><SignatureProperty Id="idSignatureTime" Target="#` + id + `"><mdssi:SignatureTime xmlns:mdssi="http://schemas.openxmlformats.org/package/2006/digital-signature"><mdssi:Format>YYYY-MM-DDThh:mm:ssTZD</mdssi:Format><mdssi:Value>2026-01-15T10:00:00Z</mdssi:Value></mdssi:SignatureTime></SignatureProperty></SignatureProperties></Object>` +
		`<Object Id="idOfficeObject"><SignatureProperties><SignatureProperty Id="idOfficeV1Details" Target="#` + id + `"><SignatureInfoV1 xmlns="http://schemas.microsoft.com/office/2006/digsig"><SignatureComments>Freigabe</SignatureComments></SignatureInfoV1></SignatureProperty></SignatureProperties></Object>` +
		`<Object><xd:QualifyingProperties xmlns:xd="http://uri.etsi.org/01903/v1.3.2#" Target="#` + id + `"><xd:SignedProperties Id="idSignedProperties"><xd:SignedSignatureProperties>` +
		`<xd:SigningTime>2026-01-15T10:00:00Z</xd:SigningTime><xd:SigningCertificate><xd:Cert><xd:CertDigest><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>` + salt16 + `</DigestValue></xd:CertDigest>` +
		`<xd:IssuerSerial><X509IssuerName>CN=Test CA,O=officemilter tests</X509IssuerName><X509SerialNumber>4242</X509SerialNumber></xd:IssuerSerial></xd:Cert></xd:SigningCertificate>` +
		`</xd:SignedSignatureProperties></xd:SignedProperties></xd:QualifyingProperties></Object></Signature>`
}

// signed adds the signature parts of [ECMA-376] Part 2, 12.2 to the
// members of a package: the origin relationship, the origin part (empty)
// with its relationships, and one signature part per id.
func signed(t testing.TB, fs []zfile, ids ...string) []zfile {
	out := make([]zfile, 0, len(fs)+3+len(ids))
	var sigRels []rel
	for i, id := range ids {
		name := "sig" + itoa(i+1) + ".xml"
		sigRels = append(sigRels, rel{typ: sigRelPfx + "signature", target: name})
		_ = id
	}
	for _, f := range fs {
		switch f.name {
		case "[Content_Types].xml":
			f.body = strings.Replace(f.body, `<Default Extension="rels"`,
				`<Default Extension="sigs" ContentType="`+ctSigOrigin+`"/><Default Extension="rels"`, 1)
			var ov strings.Builder
			for i := range ids {
				ov.WriteString(`<Override PartName="/_xmlsignatures/sig` + itoa(i+1) + `.xml" ContentType="` + ctSigXML + `"/>`)
			}
			f.body = strings.Replace(f.body, `</Types>`, ov.String()+`</Types>`, 1)
		case "_rels/.rels":
			f.body = strings.Replace(f.body, `</Relationships>`,
				`<Relationship Id="rIdSig" Type="`+sigRelPfx+`origin" Target="_xmlsignatures/origin.sigs"/></Relationships>`, 1)
		}
		out = append(out, f)
	}
	out = append(out, zfile{name: "_xmlsignatures/origin.sigs", body: ""},
		zfile{name: "_xmlsignatures/_rels/origin.sigs.rels", body: relsXML(sigRels...)})
	for i, id := range ids {
		out = append(out, zfile{name: "_xmlsignatures/sig" + itoa(i+1) + ".xml", body: dsigXML(t, id)})
	}
	return out
}

// protectionPackages are the generated protected and signed packages.
func protectionPackages(t testing.TB) map[string][]byte {
	legacySheet := `<sheetProtection password="CC1A" sheet="1" objects="1" scenarios="1"/>`
	return map[string][]byte{
		"writeprotection-2013.docx":  wordSettings(`<w:writeProtection `+word2013Prot+`/>`, "").build(t),
		"writeprotection-iso.docx":   wordSettings(`<w:writeProtection w:recommended="1" `+isoProt+`/>`, "").build(t),
		"readonly-recommended.docx":  wordSettings(`<w:writeProtection w:recommended="1"/>`, "").build(t),
		"restricted-password.docx":   wordSettings("", `<w:documentProtection w:edit="readOnly" w:enforcement="1" `+isoProt+`/>`).build(t),
		"restricted-nopassword.docx": wordSettings("", `<w:documentProtection w:edit="comments" w:enforcement="1"/>`).build(t),
		"workbook.xlsx": book(workbookXML("", `<workbookProtection workbookAlgorithmName="SHA-512" workbookHashValue="`+hash64+
			`" workbookSaltValue="`+salt16+`" workbookSpinCount="100000" lockStructure="1"/>`, 1), sheetXML(3, "")).build(t),
		"sheets.xlsx": book(workbookXML("", "", 3), sheetXML(50, legacySheet), sheetXML(2, ""),
			sheetXML(2, `<sheetProtection algorithmName="SHA-512" hashValue="`+hash64+`" saltValue="`+salt16+`" spinCount="100000" sheet="1" formatCells="0"/>`)).build(t),
		"filesharing.xlsx":      book(workbookXML(`<fileSharing readOnlyRecommended="1" userName="Erika" reservationPassword="CC1A"/>`, "", 1), sheetXML(1, "")).build(t),
		"modifyverifier.pptx":   pptx(t, `<p:modifyVerifier cryptProviderType="rsaAES" cryptAlgorithmClass="hash" cryptAlgorithmType="typeAny" cryptAlgorithmSid="14" spinCount="100000" saltData="`+salt16+`" hashData="`+hash64+`"/>`),
		"signed.docx":           buildZip(t, signed(t, docx{}.files(), "idPackageSignature")),
		"signed-protected.docx": buildZip(t, signed(t, wordSettings(`<w:writeProtection `+word2013Prot+`/>`, "").files(), "idPackageSignature")),
	}
}

// TestWriteProtectionFixtures writes the protection fixtures to
// $OOXML_WRITE_FIXTURES (to open them in Office or LibreOffice).
func TestWriteProtectionFixtures(t *testing.T) {
	dir := os.Getenv("OOXML_WRITE_FIXTURES")
	if dir == "" {
		t.Skip("OOXML_WRITE_FIXTURES not set")
	}
	for name, b := range protectionPackages(t) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
