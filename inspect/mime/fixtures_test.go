package mime

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The fixtures under testdata/*.eml are written by this file: run
// go test ./inspect/mime -run TestFixtures -update
// after changing a builder. TestFixtures fails when a stored file differs
// from what its builder makes, so the files and the code stay in step.

var update = flag.Bool("update", false, "rewrite testdata fixtures")

// crlf turns LF line ends into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// b64 encodes b as base64 lines of 76 characters (RFC 2045 6.8).
func b64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	out.WriteString(s + "\n")
	return out.String()
}

// uuencode encodes b in the traditional uuencode format.
func uuencode(name string, b []byte) string {
	var out strings.Builder
	fmt.Fprintf(&out, "begin 644 %s\n", name)
	enc := func(v byte) byte {
		if v == 0 {
			return '`'
		}
		return v + 32
	}
	for len(b) > 0 {
		n := min(len(b), 45)
		line := b[:n]
		b = b[n:]
		out.WriteByte(enc(byte(n)))
		for i := 0; i < n; i += 3 {
			var g [3]byte
			copy(g[:], line[i:min(i+3, n)])
			out.WriteByte(enc(g[0] >> 2))
			out.WriteByte(enc((g[0]<<4 | g[1]>>4) & 63))
			out.WriteByte(enc((g[1]<<2 | g[2]>>6) & 63))
			out.WriteByte(enc(g[2] & 63))
		}
		out.WriteByte('\n')
	}
	out.WriteString("`\nend\n")
	return out.String()
}

// Payloads of the fixtures' attachments; the tests compare decoded content
// with them.
var (
	payloadExe  = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), bytes.Repeat([]byte{0, 0xff, 'P', 'E'}, 40)...)
	payloadDoc  = append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), bytes.Repeat([]byte("word document "), 30)...)
	payloadPNG  = []byte("\x89PNG\r\n\x1a\nIHDR logo")
	payloadText = []byte("caf\xc3\xa9 soft-broken line\r\n")
)

// DER/BER helpers for CMS fixtures (ITU-T X.690).
func derLen(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	case n < 0x10000:
		return []byte{0x82, byte(n >> 8), byte(n)}
	}
	return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
}

func der(tag byte, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append(append([]byte{tag}, derLen(len(body))...), body...)
}

func berIndef(tag byte, parts ...[]byte) []byte {
	out := []byte{tag, 0x80}
	out = append(out, bytes.Join(parts, nil)...)
	return append(out, 0, 0)
}

func oidDER(o asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(o)
	if err != nil {
		panic(err)
	}
	return b
}

var oidDataTest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}

// cmsEnvelopedDER is a ContentInfo with envelopedData whose inside is a
// plausible skeleton (the walk looks at the content type only).
func cmsEnvelopedDER(oid asn1.ObjectIdentifier) []byte {
	inner := der(0x30, der(0x02, []byte{0}), der(0x31), der(0x30, oidDER(oidDataTest), der(0x80, []byte("ciphertext"))))
	return der(0x30, oidDER(oid), der(0xA0, inner))
}

// cmsSignedDER is an opaque SignedData (RFC 5652 5.1) carrying content,
// or a detached one when content is nil.
func cmsSignedDER(content []byte) []byte {
	eci := [][]byte{oidDER(oidDataTest)}
	if content != nil {
		eci = append(eci, der(0xA0, der(0x04, content)))
	}
	sd := der(0x30, der(0x02, []byte{1}), der(0x31), der(0x30, eci...), der(0x31))
	return der(0x30, oidDER(oidSignedData), der(0xA0, sd))
}

// cmsSignedBER is cmsSignedDER in streamed BER: indefinite lengths and the
// content in chunks of a constructed OCTET STRING.
func cmsSignedBER(content []byte, chunk int) []byte {
	var chunks [][]byte
	for len(content) > 0 {
		n := min(chunk, len(content))
		chunks = append(chunks, der(0x04, content[:n]))
		content = content[n:]
	}
	eci := berIndef(0x30, oidDER(oidDataTest), berIndef(0xA0, berIndef(0x24, chunks...)))
	sd := berIndef(0x30, der(0x02, []byte{1}), berIndef(0x31), eci, der(0x31))
	return berIndef(0x30, oidDER(oidSignedData), berIndef(0xA0, sd))
}

const hdr = "From: Sender <sender@example.org>\nTo: rcpt@example.net\nDate: Tue, 04 Mar 2025 10:15:00 +0000\nMIME-Version: 1.0\n"

// innerSigned is the MIME entity inside the signed fixtures.
func innerSigned() string { return crlf(innerSignedLF()) }

func innerSignedLF() string {
	return ("Content-Type: multipart/mixed; boundary=\"in\"\n\n--in\nContent-Type: text/plain\n\nsigned text\n--in\nContent-Type: application/octet-stream; name=\"signed.exe\"\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe) + "--in--\n")
}

func smimeMessage(subject, smimeType, name string, body []byte) []byte {
	return []byte(crlf(hdr + "Subject: " + subject + "\nContent-Type: application/pkcs7-mime; smime-type=" + smimeType + "; name=\"" + name + "\"\nContent-Disposition: attachment; filename=\"" + name + "\"\nContent-Transfer-Encoding: base64\n\n" + b64(body)))
}

// fixture is one generated message and what the walk must find in it.
type fixture struct {
	name  string
	build func() []byte
	// leaves are "role name [detail]" with a '*' after the role for Inner.
	leaves []string
	// content maps a leaf name to its decoded content.
	content map[string][]byte
	// defects that must be somewhere in the tree.
	defects []string
}

var fixtures = []fixture{
	{
		name: "nested_multipart.eml",
		build: func() []byte {
			return []byte(crlf(hdr + `Subject: nested multiparts
Content-Type: multipart/mixed; boundary="outer"

This is a preamble.
--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

plain body
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html

<p>html body <img src="cid:logo"></p>
--rel
Content-Type: image/png; name="logo.png"
Content-Transfer-Encoding: base64
Content-ID: <logo>

` + b64(payloadPNG) + `--rel--
--alt--
--outer
Content-Type: application/msword; name="a.doc"
Content-Disposition: attachment; filename="a.doc"
Content-Transfer-Encoding: base64

` + b64(payloadDoc) + `--outer
Content-Type: application/octet-stream
Content-Transfer-Encoding: quoted-printable
Content-Disposition: attachment; filename="q.bin"

caf=C3=A9 soft-=
broken line
--outer
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit
Content-Disposition: attachment; filename="latin1.txt"

Gr` + "\xfc\xdf" + `e
--outer--
This is the epilogue.
`))
		},
		leaves: []string{"text part-1.1", "text part-1.2.1", "attachment logo.png", "attachment a.doc", "attachment q.bin", "attachment latin1.txt"},
		content: map[string][]byte{
			"logo.png": payloadPNG, "a.doc": payloadDoc, "q.bin": []byte("caf\xc3\xa9 soft-broken line"),
			"latin1.txt": []byte("Gr\xfc\xdfe"), "part-1.1": []byte("plain body"),
		},
	},
	{
		name: "nested_rfc822.eml",
		build: func() []byte {
			deep := "From: deep@example.org\nSubject: deepest\nMIME-Version: 1.0\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("%PDF-1.4 deep"))
			inner := "From: inner@example.org\nSubject: inner\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"inner\"\n\n--inner\nContent-Type: text/plain\n\ninner text\n--inner\nContent-Type: application/vnd.ms-excel; name=\"inner.xls\"\nContent-Transfer-Encoding: base64\n\n" + b64(payloadDoc) + "--inner\nContent-Type: message/rfc822\n\n" + deep + "--inner--\n"
			fwd := "From: fwd@example.org\nSubject: forwarded\nContent-Type: application/octet-stream; name=\"x.exe\"\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe)
			return []byte(crlf(hdr + "Subject: nested messages\nContent-Type: multipart/mixed; boundary=\"top\"\n\n--top\nContent-Type: text/plain\n\ntop text\n--top\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n" + inner + "--top\nContent-Type: message/rfc822; name=\"fwd.eml\"\nContent-Transfer-Encoding: base64\n\n" + b64([]byte(crlf(fwd))) + "--top--\n"))
		},
		leaves: []string{"text part-1", "text part-2.1", "attachment inner.xls", "attachment part-2.3.1", "attachment fwd.eml"},
		content: map[string][]byte{
			"inner.xls": payloadDoc, "part-2.3.1": []byte("%PDF-1.4 deep"), "part-2.1": []byte("inner text"),
		},
	},
	{
		name: "encodings_lf.eml",
		build: func() []byte {
			// LF line ends only.
			return []byte(hdr + "Subject: uuencode and friends\nContent-Type: multipart/mixed; boundary=\"enc\"\n\n--enc\nContent-Type: text/plain\n\nHere is a file:\n\n" + uuencode("inline.exe", payloadExe) + "\nand one more:\nbegin-base64 600 b64.bin\n" + b64(payloadDoc) + "====\nbye\n--enc\nContent-Type: application/octet-stream; name=\"uu.bin\"\nContent-Transfer-Encoding: x-uuencode\n\n" + uuencode("uu.bin", payloadPNG) + "--enc\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: uuencode\n\n" + strings.TrimPrefix(uuencode("", payloadText), "begin 644 \n") + "--enc\nContent-Type: text/plain\n\nThere are begin 644 reasons to read\nbegin 644 reasons.txt\nbut this is prose, not a file.\nend\n--enc--\n")
		},
		// part-3 is uuencode without a begin line: decoded here, handed out
		// raw by readers that do not know "uuencode" (Perl MIME-tools).
		leaves: []string{"text part-1", "attachment* inline.exe", "attachment* b64.bin", "attachment uu.bin",
			"ambiguous part-3 transfer encoding uuencode on a body that is no uuencoded file", "attachment part-3", "text part-4",
			"attachment part-3 @raw-encoding"},
		content: map[string][]byte{
			"inline.exe": payloadExe, "b64.bin": payloadDoc, "uu.bin": payloadPNG, "part-3": payloadText,
		},
	},
	{
		name: "names.eml",
		build: func() []byte {
			att := func(ct, disp string) string {
				return "--n\nContent-Type: " + ct + "\nContent-Disposition: " + disp + "\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("x"))
			}
			return []byte(crlf(hdr + "Subject: file names\nContent-Type: multipart/mixed; boundary=\"n\"\n\n" +
				att("application/msword", "attachment; filename*=iso-8859-1''%E4rger.doc") +
				att("application/pdf", "attachment;\n filename*0*=utf-8''Pr%C3%BC;\n filename*1*=fung%20;\n filename*2=\"2024.pdf\"") +
				att("application/msword;\n name=\"=?UTF-8?B?w4RyZ2Vy?=\n =?UTF-8?Q?=5Fneu=2Edoc?=\"", "attachment") +
				att("application/pdf", "attachment; filename=\"=?iso-8859-1?q?R=E9sum=E9.pdf?=\"") +
				att("text/plain", "attachment; filename=\"Fr\xf6sche.txt\"") +
				att("text/plain", "attachment; filename=\"\xe6\x97\xa5\xe6\x9c\xac.txt\"") +
				att("image/png; name=\"C:\\TEMP\\x.png\"", "inline") +
				att("application/pdf", "attachment; filename=\"plain.pdf\"; filename*=utf-8''precise%E2%82%AC.pdf") +
				att("text/plain", "attachment; filename*=koi8-r''%F0%D2%C9%D7%C5%D4.txt") +
				att("application/octet-stream; name=unquoted name.bin", "attachment") +
				"--n--\n"))
		},
		leaves: []string{"attachment ärger.doc", "attachment Prüfung 2024.pdf", "attachment Ärger_neu.doc", "attachment Résumé.pdf",
			"attachment Frösche.txt", "attachment 日本.txt", `attachment C:\TEMP\x.png`, "attachment precise€.pdf",
			"attachment Привет.txt", "attachment unquoted name.bin"},
	},
	{
		name: "smime_enveloped.eml",
		build: func() []byte {
			return smimeMessage("enveloped", "enveloped-data", "smime.p7m", cmsEnvelopedDER(oidEnvelopedData))
		},
		leaves:  []string{"encrypted smime.p7m smime-enveloped"},
		content: map[string][]byte{"smime.p7m": cmsEnvelopedDER(oidEnvelopedData)},
	},
	{
		name: "smime_authenveloped.eml",
		build: func() []byte {
			return smimeMessage("auth-enveloped", "authEnveloped-data", "smime.p7m", cmsEnvelopedDER(oidAuthEnvelopedData))
		},
		leaves: []string{"encrypted smime.p7m smime-enveloped"},
	},
	{
		name: "smime_signed_der.eml",
		build: func() []byte {
			return smimeMessage("opaque signed", "signed-data", "smime.p7m", cmsSignedDER([]byte(innerSigned())))
		},
		leaves:  []string{"text* part-1.1", "attachment* signed.exe"},
		content: map[string][]byte{"signed.exe": payloadExe, "part-1.1": []byte("signed text")},
	},
	{
		name: "smime_signed_ber.eml",
		build: func() []byte {
			return smimeMessage("opaque signed BER", "signed-data", "smime.p7m", cmsSignedBER([]byte(innerSigned()), 50))
		},
		leaves:  []string{"text* part-1.1", "attachment* signed.exe"},
		content: map[string][]byte{"signed.exe": payloadExe},
	},
	{
		name: "smime_signed_enveloped.eml",
		build: func() []byte {
			inner := crlf("Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n" + b64(cmsEnvelopedDER(oidEnvelopedData)))
			return smimeMessage("signed, then encrypted inside", "signed-data", "outer.p7m", cmsSignedDER([]byte(inner)))
		},
		leaves: []string{"encrypted* smime.p7m smime-enveloped"},
	},
	{
		name: "smime_certs_malformed.eml",
		build: func() []byte {
			return []byte(crlf(hdr + "Subject: certs-only and broken\nContent-Type: multipart/mixed; boundary=\"s\"\n\n" +
				"--s\nContent-Type: application/pkcs7-mime; smime-type=certs-only; name=certs.p7c\nContent-Transfer-Encoding: base64\n\n" + b64(cmsSignedDER(nil)) +
				"--s\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=broken.p7m\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("not CMS at all")) +
				"--s\nContent-Type: application/octet-stream; name=renamed.p7m\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe) +
				"--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe) +
				"--s--\n"))
		},
		leaves: []string{"signature certs.p7c smime-signature", "unscannable broken.p7m malformed S/MIME content",
			"attachment renamed.p7m", "attachment smime.p7s"},
	},
	{
		name: "multipart_signed_smime.eml",
		build: func() []byte {
			return []byte(crlf(hdr + "Subject: detached S/MIME signature\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"sig\"\n\n--sig\n" + innerSignedLF() + "\n--sig\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=smime.p7s\n\n" + b64(cmsSignedDER(nil)) + "--sig--\n"))
		},
		leaves: []string{"text part-1.1", "attachment signed.exe", "signature smime.p7s smime-signature"},
	},
	{
		name: "pgp.eml",
		build: func() []byte {
			return []byte(crlf(hdr + "Subject: PGP\nContent-Type: multipart/mixed; boundary=\"p\"\n\n" +
				"--p\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream; name=encrypted.asc\n\n-----BEGIN PGP MESSAGE-----\n\nhQEMA+abc\n-----END PGP MESSAGE-----\n--e--\n" +
				"--p\nContent-Type: text/plain\n\nInline follows:\n-----BEGIN PGP MESSAGE-----\n\nhQEMA+abc\n-----END PGP MESSAGE-----\n" +
				"--p\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=\"g\"\n\n--g\nContent-Type: text/plain\n\nsigned\n--g\nContent-Type: application/pgp-signature; name=signature.asc\n\n-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n--g--\n" +
				"--p\nContent-Type: multipart/encrypted; protocol=\"application/x-unknown\"; boundary=\"u\"\n\n--u\nContent-Type: text/plain\n\n?\n--u--\n" +
				"--p--\n"))
		},
		leaves: []string{"encrypted part-1 pgp-encrypted", "text part-2", "encrypted* part-2 pgp-inline", "text part-3.1",
			"signature signature.asc pgp-signature", `unscannable part-4 multipart/encrypted with protocol "application/x-unknown"`},
	},
	{
		name: "pgp_files.eml",
		build: func() []byte {
			return []byte(crlf(hdr + "Subject: PGP-encrypted files\nContent-Type: multipart/mixed; boundary=\"f\"\n\n" +
				"--f\nContent-Type: application/octet-stream; name=\"secret.txt.asc\"\nContent-Disposition: attachment; filename=\"secret.txt.asc\"\n\n\n-----BEGIN PGP MESSAGE-----\n\nhQEMA+abc\n-----END PGP MESSAGE-----\n" +
				"--f\nContent-Type: application/octet-stream; name=\"data.gpg\"\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("\x85\x01\x0c\x03session key")) +
				"--f\nContent-Type: application/octet-stream; name=\"data.bin\"\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("\x85\x01\x0c\x03not a gpg name")) +
				"--f--\n"))
		},
		leaves: []string{"encrypted secret.txt.asc pgp-encrypted", "encrypted data.gpg pgp-encrypted", "attachment data.bin"},
	},
	{
		name: "defects.eml",
		build: func() []byte {
			return []byte(crlf(hdr + "Subject: defects\nContent-Type: multipart/mixed; boundary=\"d\"\n\n" +
				"--d\nContent-Type: multipart/mixed\n\nno boundary parameter\n" +
				"--d\nContent-Type: multipart/mixed; boundary=\"never\"\n\n--nevermind\nhidden\n" +
				"--d\nContent-Type: message/partial; id=\"abc@example.org\"; number=1; total=2\n\nFrom: x\n\npart one\n" +
				"--d\nContent-Type: text/plain\nContent-Type: application/x-msdownload; name=\"two.exe\"\n\nMZ\n" +
				"--d\nContent-Type: application/octet-stream; name=trunc.bin\nContent-Transfer-Encoding: base64\n\nTVqQAA*MAAAAE\n" +
				"--d\nContent-Type: text/plain\nContent-Transfer-Encoding: x-gzip64\n\nunknown encoding\n" +
				"--d\nContent-Type: not a type\n\nodd\n" +
				"--d\nContent-Type: text/plain\n--d\n" +
				"--d\n\n--d--\n"))
		},
		// Two Content-Type fields are an ambiguity: the last-field reading
		// exposes two.exe. "--nevermind" starts like a delimiter of
		// "never": the lenient-delimiters reading reads a part there.
		leaves: []string{"unscannable part-1 multipart without boundary",
			"ambiguous part-2 delimiter prefix match", "unscannable part-2 multipart boundary not found",
			"unscannable part-3 message/partial fragment", "text* part-3.1", "ambiguous part-4 two Content-Type fields", "text part-4",
			"attachment trunc.bin", "ambiguous part-6 unknown Content-Transfer-Encoding", "text part-6", "attachment part-7",
			"text part-8", "text part-9", "text part-10",
			"attachment two.exe @last-field", "text part-2.1 @lenient-delimiters"},
		content: map[string][]byte{"trunc.bin": {'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4}, "part-8": {}, "part-9": {}, "part-10": {}},
		defects: []string{DefectNoBoundary, DefectBoundaryNotFound, DefectConflictingType, DefectUnknownEncoding, DefectInvalidType, DefectNoBlankLine},
	},
	{
		name: "missing_close_digest.eml",
		build: func() []byte {
			// Mixed line ends; a digest whose parts default to
			// message/rfc822; no close delimiter at all.
			return []byte(hdr + "Subject: digest\r\nContent-Type: multipart/digest; boundary=\"dg\"\r\n\r\n--dg\n\nFrom: one@example.org\r\nSubject: one\n\nfirst\r\n--dg\r\n\nFrom: two@example.org\nContent-Type: application/zip; name=two.zip\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("PK\x03\x04zip")))
		},
		leaves: []string{"ambiguous message mixed line ends in header", "ambiguous message mixed line ends at delimiters",
			"ambiguous message multipart without close delimiter", "ambiguous part-1.1 mixed line ends in header",
			"text part-1.1", "attachment two.zip"},
		content: map[string][]byte{"two.zip": []byte("PK\x03\x04zip"), "part-1.1": []byte("first")},
		defects: []string{DefectMissingClose},
	},
	{
		name: "single_part_attachment.eml",
		build: func() []byte {
			// No MIME-Version, an mbox From line, a folded header, an
			// 8-bit header byte and a name in Content-Type only.
			return []byte("From sender@example.org Tue Mar  4 10:15:00 2025\nFrom: S\xe9bastien <s@example.org>\nSubject: a very\n  long subject\nContent-Type: application/vnd.ms-excel;\n\tname=\"report.xls\"\nContent-Transfer-Encoding: base64\n\n" + b64(payloadDoc))
		},
		leaves:  []string{"attachment report.xls"},
		content: map[string][]byte{"report.xls": payloadDoc},
	},
}

func fixtureByName(t testing.TB, name string) fixture {
	for _, f := range fixtures {
		if f.name == name {
			return f
		}
	}
	t.Fatalf("no fixture %s", name)
	return fixture{}
}

// TestFixtures checks (or with -update writes) testdata/*.eml.
func TestFixtures(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range fixtures {
		want := f.build()
		path := filepath.Join("testdata", f.name)
		seen[f.name] = true
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its builder (run with -update)", path)
		}
	}
	stored, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	sort.Strings(stored)
	for _, p := range stored {
		if !seen[filepath.Base(p)] {
			t.Errorf("%s has no builder", p)
		}
	}
}
