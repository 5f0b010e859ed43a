package odf

// Fixture generators for password protections and signatures, written from
// [ODF 1.2] Part 1 (19.697 table:protection-key, 19.867
// text:protection-key and the flags beside them), Part 3 (5 Digital
// Signatures) and the configuration items LibreOffice writes into
// settings.xml. Digests and salts are arbitrary base64: nothing here
// verifies them, and neither does LibreOffice until a password is typed.
// TestWriteProtectionFixtures writes them to $ODF_WRITE_FIXTURES.
//
// Cross-checked by hand with LibreOffice 7.4 (soffice --convert-to, the
// same format again): it keeps the section key, the RedlineProtectionKey,
// the sheet keys and the structure key, so it read them as protections;
// it writes no key for section-nokey and sheet-nokey. It drops the
// ModifyPasswordInfo of modify-password.odt when it saves (a password to
// modify belongs to the file it was entered for), so that form rests on
// LibreOffice's settings writer, not on a round trip.

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
	nsTable   = `xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"`
	nsConfig  = `xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"`
	digest    = "bWVpbiBnZWhlaW1lcyBQYXNzd29ydCwgZ2VoYXNodA=="
	digestAlg = `http://www.w3.org/2000/09/xmldsig#sha256`
)

// section is a Writer section as LibreOffice writes it, protected or not,
// with a key or not.
func section(protected bool, key string) string {
	a := `text:style-name="Sect1" text:name="Geheim"`
	if protected {
		a += ` text:protected="true"`
	}
	if key != "" {
		a += ` text:protection-key-digest-algorithm="` + digestAlg + `" text:protection-key="` + key + `"`
	}
	return `<text:section ` + a + `><text:p>Nur mit Passwort zu ändern</text:p></text:section>`
}

// spreadsheet is content.xml of a spreadsheet with the given attributes on
// office:spreadsheet and the given body (tables, tracked changes).
func spreadsheet(attrs, body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document-content ` + nsOffice + ` ` + nsTable + ` office:version="1.2"><office:body><office:spreadsheet` + attrs + `>` +
		body + `</office:spreadsheet></office:body></office:document-content>`
}

// sheet is a table:table of a spreadsheet with one row.
func sheet(name string, protected bool, key string) string {
	a := `table:name="` + name + `" table:style-name="ta1"`
	if protected {
		a += ` table:protected="true"`
	}
	if key != "" {
		a += ` table:protection-key="` + key + `" table:protection-key-digest-algorithm="` + digestAlg + `"`
	}
	return `<table:table ` + a + `><table:table-column/><table:table-row><table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row></table:table>`
}

const structureKey = ` table:structure-protected="true" table:protection-key="` + digest + `" table:protection-key-digest-algorithm="` + digestAlg + `"`

// settingsXML is a settings.xml with the configuration items LibreOffice
// writes around the given ones in ooo:configuration-settings.
func settingsXML(items string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document-settings ` + nsOffice + ` ` + nsConfig + ` office:version="1.2"><office:settings>` +
		`<config:config-item-set config:name="ooo:view-settings"><config:config-item config:name="ViewAreaTop" config:type="long">0</config:config-item></config:config-item-set>` +
		`<config:config-item-set config:name="ooo:configuration-settings">` +
		`<config:config-item config:name="PrintReversed" config:type="boolean">false</config:config-item>` + items +
		`<config:config-item config:name="EmbedFonts" config:type="boolean">false</config:config-item>` +
		`</config:config-item-set></office:settings></office:document-settings>`
}

const (
	emptyRedlineKey = `<config:config-item config:name="RedlineProtectionKey" config:type="base64Binary"/>`
	loadReadonly    = `<config:config-item config:name="LoadReadonly" config:type="boolean">true</config:config-item>`
	modifyPassword  = `<config:config-item-set config:name="ModifyPasswordInfo">` +
		`<config:config-item config:name="algorithm-name" config:type="string">PBKDF2</config:config-item>` +
		`<config:config-item config:name="salt" config:type="base64Binary">c2FsdHNhbHRzYWx0c2FsdA==</config:config-item>` +
		`<config:config-item config:name="iteration-count" config:type="int">100000</config:config-item>` +
		`<config:config-item config:name="hash" config:type="base64Binary">` + digest + `</config:config-item></config:config-item-set>`
)

// withFile returns fs with the member name's body replaced (or added).
func withFile(fs []ofile, name, body string) []ofile {
	out := append([]ofile(nil), fs...)
	for i := range out {
		if out[i].name == name {
			out[i].body = body
			return out
		}
	}
	// META-INF/ is not listed in the manifest (Part 3, 3.2).
	return append(out, ofile{name: name, body: body, noEntry: strings.HasPrefix(name, "META-INF/")})
}

// testCerts are a CA and a signer's certificate it issued, made once per
// test binary.
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

// signaturesXML is a signature file as LibreOffice writes one ([ODF 1.2]
// Part 3, 5 Digital Signatures: dsig:document-signatures with ds:Signature children; the
// time in a dc:date signature property), one signature per id, signer
// certificate after the CA's.
func signaturesXML(t testing.TB, ids ...string) string {
	ca, signer := certs(t)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<document-signatures xmlns="urn:oasis:names:tc:opendocument:xmlns:digitalsignature:1.0">`)
	for _, id := range ids {
		b.WriteString(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="` + id + `"><SignedInfo>` +
			`<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>` +
			`<Reference URI="content.xml"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>` + digest + `</DigestValue></Reference>` +
			`</SignedInfo><SignatureValue>` + digest + `</SignatureValue><KeyInfo><X509Data>` +
			`<X509IssuerSerial><X509IssuerName>CN=Test CA,O=officemilter tests</X509IssuerName><X509SerialNumber>4242</X509SerialNumber></X509IssuerSerial>` +
			`<X509Certificate>` + base64.StdEncoding.EncodeToString(ca) + `</X509Certificate><X509Certificate>` + base64.StdEncoding.EncodeToString(signer) + `</X509Certificate>` +
			`</X509Data></KeyInfo><Object><SignatureProperties><SignatureProperty Id="idTime_` + id + `" Target="#` + id + `">` +
			`<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2026-01-15T10:00:00.000000000</dc:date></SignatureProperty></SignatureProperties></Object></Signature>`)
	}
	b.WriteString(`</document-signatures>`)
	return b.String()
}

// protectionDocs are the generated protected and signed packages.
func protectionDocs(t testing.TB) map[string][]byte {
	text := func(body string) []ofile { return plainFiles(body) }
	calc := func(attrs, body string) []ofile {
		return withFile(plainFiles(""), "content.xml", spreadsheet(attrs, body))
	}
	return map[string][]byte{
		"section-key.odt":      odfPkg{mimetype: mtODT, files: text(section(true, digest))}.build(t),
		"section-nokey.odt":    odfPkg{mimetype: mtODT, files: text(section(true, ""))}.build(t),
		"sheets.ods":           odfPkg{mimetype: mtODS, files: calc(structureKey, sheet("Tabelle1", true, digest)+sheet("Tabelle2", false, "")+sheet("Tabelle3", true, digest))}.build(t),
		"sheet-nokey.ods":      odfPkg{mimetype: mtODS, files: calc(` table:structure-protected="true"`, sheet("Tabelle1", true, ""))}.build(t),
		"redline.odt":          odfPkg{mimetype: mtODT, files: withFile(text(`<text:p>x</text:p>`), "settings.xml", settingsXML(`<config:config-item config:name="RedlineProtectionKey" config:type="base64Binary">`+digest+`</config:config-item>`))}.build(t),
		"modify-password.odt":  odfPkg{mimetype: mtODT, files: withFile(text(`<text:p>x</text:p>`), "settings.xml", settingsXML(loadReadonly+emptyRedlineKey+modifyPassword))}.build(t),
		"readonly.odt":         odfPkg{mimetype: mtODT, files: withFile(text(`<text:p>x</text:p>`), "settings.xml", settingsXML(loadReadonly+emptyRedlineKey))}.build(t),
		"signed.odt":           odfPkg{mimetype: mtODT, files: withFile(text(`<text:p>x</text:p>`), "META-INF/documentsignatures.xml", signaturesXML(t, "ID_1"))}.build(t),
		"signed-protected.odt": odfPkg{mimetype: mtODT, files: withFile(text(section(true, digest)), "META-INF/documentsignatures.xml", signaturesXML(t, "ID_1"))}.build(t),
	}
}

// TestWriteProtectionFixtures writes the protection fixtures to
// $ODF_WRITE_FIXTURES (to open them in LibreOffice).
func TestWriteProtectionFixtures(t *testing.T) {
	dir := os.Getenv("ODF_WRITE_FIXTURES")
	if dir == "" {
		t.Skip("ODF_WRITE_FIXTURES not set")
	}
	for name, b := range protectionDocs(t) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
