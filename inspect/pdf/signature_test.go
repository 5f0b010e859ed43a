package pdf

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

// Signed documents are made here, at test time, the way a PAdES signer
// writes them (ISO 32000-1 12.8.1): a signature dictionary with a
// /ByteRange of fixed-width placeholders and a zero-filled /Contents hex
// string, then the byte range filled in and a detached CMS SignedData (RFC
// 5652 5.1) over those bytes written into /Contents. The CMS is real (a
// self-signed P-256 certificate, ECDSA over the SHA-256 of the signed bytes,
// no signed attributes) though nothing here verifies it.

// sigPlaceholder is the byte range a signature dictionary is written with.
const sigPlaceholder = "/ByteRange [0 0000000000 0000000000 0000000000]"

// contentsHexLen is the size of the /Contents placeholder in hex digits.
const contentsHexLen = 4096

// sigDict is the text of a signature dictionary with placeholders; extra
// goes inside it (/Name, /Reference, ...).
func sigDict(typ, subFilter, extra string) string {
	return fmt.Sprintf("<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s %s /M (D:20250102030405Z) %s /Contents <%s> >>",
		typ, subFilter, extra, sigPlaceholder, strings.Repeat("0", contentsHexLen))
}

// seal fills in the last placeholder signature of b: its byte range covers
// the whole file but the /Contents string, and /Contents gets a CMS blob.
func seal(t testing.TB, b []byte) []byte {
	t.Helper()
	b = bytes.Clone(b)
	i := bytes.LastIndex(b, []byte(sigPlaceholder))
	if i < 0 {
		t.Fatal("no signature placeholder")
	}
	c := i + bytes.Index(b[i:], []byte("/Contents <")) + len("/Contents ")
	a, e := int64(c), int64(c+contentsHexLen+2)
	br := fmt.Sprintf("/ByteRange [0 %010d %010d %010d]", a, e, int64(len(b))-e)
	copy(b[i:], br)
	signed := append(bytes.Clone(b[:a]), b[e:]...)
	blob := hex.EncodeToString(cmsSign(t, signed))
	if len(blob) > contentsHexLen {
		t.Fatalf("CMS blob of %d hex digits does not fit", len(blob))
	}
	copy(b[a+1:], blob)
	return b
}

type algorithmIdentifier struct {
	Algorithm asn1.ObjectIdentifier
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    algorithmIdentifier
	SignatureAlgorithm algorithmIdentifier
	Signature          []byte
}

type encapContentInfo struct {
	ContentType asn1.ObjectIdentifier
}

type signedData struct {
	Version          int
	DigestAlgorithms []algorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue
	SignerInfos      []signerInfo `asn1:"set"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue
}

var (
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// cmsSign makes a detached CMS SignedData (RFC 5652 5.1-5.3) over data.
func cmsSign(t testing.TB, data []byte) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4711),
		Subject:      pkix.Name{CommonName: "Erika Mustermann", Country: []string{"DE"}},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sd, err := asn1.Marshal(signedData{
		Version:          1,
		DigestAlgorithms: []algorithmIdentifier{{oidSHA256}},
		EncapContentInfo: encapContentInfo{oidData},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: cert.Raw},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber},
			DigestAlgorithm:    algorithmIdentifier{oidSHA256},
			SignatureAlgorithm: algorithmIdentifier{oidECDSA256},
			Signature:          sig,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

// genSigned is a one-page document with one signature field (ISO 32000-1
// 12.7.4.5) whose widget is on the page. certify > 0 makes it a
// certification signature with DocMDP /P certify (12.8.2.2).
func genSigned(t testing.TB, subFilter string, certify int) []byte {
	catalog := "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /SigFlags 3 >> >>"
	extra := "/Name (Erika Mustermann) /Reason (Antrag)"
	if certify > 0 {
		catalog = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /SigFlags 3 >> /Perms << /DocMDP 6 0 R >> >>"
		extra += fmt.Sprintf(" /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>]", certify)
	}
	objs := withCatalog(catalog, onePage("/Annots [5 0 R] ")...)
	objs = append(objs,
		pdfObj{num: 5, body: "<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /T (Signature1) /V 6 0 R >>"},
		pdfObj{num: 6, body: sigDict("Sig", subFilter, extra)},
	)
	return seal(t, buildPDF(objs, "/Root 1 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]"))
}

var (
	startxrefRe = regexp.MustCompile(`startxref\s+(\d+)`)
	trailerRe   = regexp.MustCompile(`(/Encrypt\s+\d+\s+\d+\s+R|/ID\s*\[[^\]]*\])`)
)

// appendUpdate appends an incremental update (ISO 32000-1 7.5.6) with objs:
// their cross-reference section and a trailer with /Prev, the base's
// /Encrypt and /ID, /Root rootNum and /Size size.
func appendUpdate(t testing.TB, base []byte, objs []pdfObj, rootNum, size int) []byte {
	t.Helper()
	m := startxrefRe.FindAllSubmatch(base, -1)
	if m == nil {
		t.Fatal("no startxref in the base")
	}
	prev := string(m[len(m)-1][1])
	var keep []string
	for _, x := range trailerRe.FindAll(base, -1) {
		keep = append(keep, string(x))
	}
	var b bytes.Buffer
	b.Write(base)
	if !bytes.HasSuffix(base, []byte("\n")) {
		b.WriteString("\n")
	}
	offs := map[int]int{}
	for _, o := range objs {
		offs[o.num] = b.Len()
		b.WriteString(objText(o))
	}
	xref := b.Len()
	b.WriteString("xref\n")
	for _, o := range objs {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", o.num, offs[o.num])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Prev %s %s >>\nstartxref\n%d\n%%%%EOF\n", size, rootNum, prev, strings.Join(dedup(keep), " "), xref)
	return b.Bytes()
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func signaturesOf(t testing.TB, b []byte) []Signature {
	t.Helper()
	sigs, err := Signatures(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return sigs
}

func TestSignatures(t *testing.T) {
	signed := genSigned(t, "ETSI.CAdES.detached", 0)
	// An incremental update after signing: a new /Info.
	updated := appendUpdate(t, signed, []pdfObj{{num: 7, body: "<< /Producer (an editor) >>"}}, 1, 8)
	// A document time-stamp added after the signature, as PAdES B-LTA does.
	stamped := seal(t, appendUpdate(t, signed, []pdfObj{
		{num: 1, body: "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R 8 0 R] /SigFlags 3 >> >>"},
		{num: 8, body: "<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /T (Timestamp) /V 9 0 R >>"},
		{num: 9, body: sigDict("DocTimeStamp", "ETSI.RFC3161", "")},
	}, 1, 10))
	// A hierarchical field: the widget inherits /FT and its name is
	// qualified by its parent's.
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] /SigFlags 3 >> >>", onePage("/Annots [5 0 R] ")...)
	objs = append(objs,
		pdfObj{num: 7, body: "<< /FT /Sig /T (Behoerde) /Kids [5 0 R] >>"},
		pdfObj{num: 5, body: "<< /Parent 7 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /T (Zeichnung) /V 6 0 R >>"},
		pdfObj{num: 6, body: sigDict("Sig", "adbe.pkcs7.sha1", "/Name <feff00c40072006e0065>")},
	)
	inherited := seal(t, buildPDF(objs, "/Root 1 0 R"))
	// A byte range that leaves out more than /Contents: the gap starts
	// ten bytes early.
	bad := bytes.Clone(signed)
	i := bytes.Index(bad, []byte("/ByteRange [0 ")) + len("/ByteRange [0 ")
	a, err := strconv.ParseInt(string(bad[i:i+10]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	copy(bad[i:], fmt.Sprintf("%010d", a-10))
	// Unsigned signature field and a stray signature dictionary: no
	// signature.
	objs = withCatalog("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>", onePage("/Annots [5 0 R] ")...)
	objs = append(objs, pdfObj{num: 5, body: "<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /T (Empty) >>"},
		pdfObj{num: 6, body: sigDict("Sig", "adbe.pkcs7.detached", "")})
	unsigned := buildPDF(objs, "/Root 1 0 R")

	cades := Signature{Field: "Signature1", SubFilter: "ETSI.CAdES.detached", Name: "Erika Mustermann", CoversFile: true}
	with := func(s Signature, f func(*Signature)) Signature { f(&s); return s }
	tests := []struct {
		name string
		b    []byte
		want []Signature
	}{
		{"plain", genPlain(), nil},
		{"unsigned field", unsigned, nil},
		{"signed", signed, []Signature{cades}},
		{"pkcs7 detached", genSigned(t, "adbe.pkcs7.detached", 0), []Signature{with(cades, func(s *Signature) { s.SubFilter = "adbe.pkcs7.detached" })}},
		{"updated after signing", updated, []Signature{with(cades, func(s *Signature) { s.CoversFile, s.ModifiedAfterSigning = false, true })}},
		{"timestamped", stamped, []Signature{
			with(cades, func(s *Signature) { s.CoversFile, s.ModifiedAfterSigning = false, true }),
			{Field: "Timestamp", SubFilter: "ETSI.RFC3161", DocTimeStamp: true, CoversFile: true},
		}},
		{"certified P=1", genSigned(t, "ETSI.CAdES.detached", 1), []Signature{with(cades, func(s *Signature) { s.DocMDP = 1 })}},
		{"certified P=3", genSigned(t, "ETSI.CAdES.detached", 3), []Signature{with(cades, func(s *Signature) { s.DocMDP = 3 })}},
		{"inherited", inherited, []Signature{{Field: "Behoerde.Zeichnung", SubFilter: "adbe.pkcs7.sha1", Name: "Ärne", CoversFile: true}}},
		{"bad byte range", bad, []Signature{with(cades, func(s *Signature) {
			s.CoversFile, s.Problem = false, "/ByteRange gap is not the /Contents string"
		})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := signaturesOf(t, tt.b)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("signatures\n %+v, want\n %+v", got, tt.want)
			}
			// Signatures are facts, not findings: a signed document
			// without a password is clean, a certified one too.
			s, err := inspectBytes(t, tt.b, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Findings) != 0 {
				t.Errorf("findings %+v, want none", s.Findings)
			}
		})
	}
}

// TestSignedOwnerPassword signs an owner-password document the way signing
// software does (an incremental update that encrypts its strings with the
// document's key): the protected finding names the signature, and the
// signer's name is decrypted.
func TestSignedOwnerPassword(t *testing.T) {
	base := readFixture(t, "owner_perm_r4_print.pdf")
	src, _ := newSource(bytes.NewReader(base), int64(len(base)))
	d := newDoc(context.Background(), src, inspect.DefaultLimits)
	if err := d.run(); err != nil || d.sec == nil || !d.sec.opened || d.sec.str != cryptAESV2 {
		t.Fatalf("base: %v %+v", err, d.sec)
	}
	var rootNum int32 = -1
	for _, tr := range d.trailers {
		if r, ok := tr.d.get("Root").(ref); ok {
			rootNum = r.num
		}
	}
	pages, _ := d.root().get("Pages").(ref)
	size := 0
	for n := range d.table {
		size = max(size, int(n)+1)
	}
	field, sig := size, size+1
	enc := func(num int, s string) string {
		return "<" + hex.EncodeToString(encryptAESV2(t, d.sec.objectKey(int32(num), 0, cryptAESV2), []byte(s))) + ">"
	}
	update := appendUpdate(t, base, []pdfObj{
		{num: int(rootNum), body: fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> >>", pages.num, field)},
		{num: field, body: fmt.Sprintf("<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /T %s /V %d 0 R >>", enc(field, "Signature1"), sig)},
		// ISO 32000-1 7.6.1: the /Contents of a signature dictionary is
		// not encrypted; its other strings are.
		{num: sig, body: sigDict("Sig", "ETSI.CAdES.detached", "/Name "+enc(sig, "Erika Mustermann"))},
	}, int(rootNum), sig+1)
	signed := seal(t, update)
	want := []Signature{{Field: "Signature1", SubFilter: "ETSI.CAdES.detached", Name: "Erika Mustermann", CoversFile: true}}
	if got := signaturesOf(t, signed); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("signatures %+v, want %+v", got, want)
	}
	s, err := inspectBytes(t, signed, inspect.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	const detail = "PDF owner password (permissions-only; R4 AESV2; restricts: print; signed: ETSI.CAdES.detached)"
	if got := strings.Join(details(s, inspect.KindProtected), ";"); got != detail {
		t.Errorf("protected %q, want %q", got, detail)
	}
	if got := details(s, inspect.KindEncrypted); got != nil {
		t.Errorf("encrypted %q, want none", got)
	}
	// Changed after signing.
	changed := appendUpdate(t, signed, []pdfObj{{num: sig + 1, body: "<< /Producer <00> >>"}}, int(rootNum), sig+2)
	s, err = inspectBytes(t, changed, inspect.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(details(s, inspect.KindProtected), ";"), strings.TrimSuffix(detail, ")")+"; modified after the last signature)"; got != want {
		t.Errorf("protected %q, want %q", got, want)
	}
}

// encryptAESV2 encrypts a string as ISO 32000-1 7.6.2 says: a 16-byte
// initialisation vector, then AES-128-CBC with PKCS#5 padding.
func encryptAESV2(t testing.TB, key, plain []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	p := 16 - len(plain)%16
	plain = append(bytes.Clone(plain), bytes.Repeat([]byte{byte(p)}, p)...)
	out := make([]byte, 16+len(plain))
	copy(out, "0123456789abcdef")
	cipher.NewCBCEncrypter(block, out[:16]).CryptBlocks(out[16:], plain)
	return out
}

// TestSignatureHostile: what the attacker writes into /ByteRange and
// /Contents never panics and never reads outside the file.
func TestSignatureHostile(t *testing.T) {
	for i, br := range []string{
		"/ByteRange [0 -5 10 20]", "/ByteRange [0 99999999999999 1 1]", "/ByteRange [1 2 3 4]",
		"/ByteRange [0 10 5 1]", "/ByteRange 7", "/ByteRange [0 1 2]", "/ByteRange [0 9223372036854775807 9223372036854775807 9223372036854775807]",
	} {
		objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...)
		// A field that is its own parent, too.
		objs = append(objs, pdfObj{num: 5, body: "<< /FT /Sig /Parent 5 0 R /T (x) /V 6 0 R >>"},
			pdfObj{num: 6, body: "<< /Type /Sig /Contents <00> " + br + " >>"})
		got := signaturesOf(t, buildPDF(objs, "/Root 1 0 R"))
		if len(got) != 1 || got[0].Problem == "" || got[0].CoversFile || got[0].ModifiedAfterSigning {
			t.Errorf("%d %s: %+v, want a problem", i, br, got)
		}
	}
}

// signedFixtures are signed documents for the fuzz seeds.
func signedFixtures(t testing.TB) [][]byte {
	s := genSigned(t, "ETSI.CAdES.detached", 1)
	return [][]byte{s, appendUpdate(t, s, []pdfObj{{num: 7, body: "<< >>"}}, 1, 8)}
}

// FuzzSignatures: Signatures on any bytes.
func FuzzSignatures(f *testing.F) {
	for _, b := range signedFixtures(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sigs, err := Signatures(context.Background(), bytes.NewReader(b), int64(len(b)))
		if err == nil && len(sigs) > len(b) {
			t.Fatalf("%d signatures in %d bytes", len(sigs), len(b))
		}
	})
}
