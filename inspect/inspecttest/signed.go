package inspecttest

import (
	"bytes"
	"fmt"
)

// SignedPDF is a one-page PDF with one approval signature in the shape a
// PAdES signer writes it (ISO 32000-1 12.8.1, ETSI EN 319 142-1: /SubFilter
// /ETSI.CAdES.detached, /Name signer, a /ByteRange over the whole file but
// the /Contents string). /Contents holds zeros, not a CMS SignedData:
// officemilter verifies no signature, so tests of what it says about
// signed documents need the shape only. signer is written as a literal
// string: no parentheses or backslashes.
func SignedPDF(signer string) []byte {
	const hexLen = 512
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
		"<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /T (Signature1) /V 5 0 R >>",
		"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Name (" + signer +
			") /M (D:20260115100000Z) /ByteRange [0 0000000000 0000000000 0000000000] /Contents <" +
			string(bytes.Repeat([]byte("0"), hexLen)) + "> >>",
	}
	out := PDF(objs...)
	a := bytes.Index(out, []byte("/Contents <")) + len("/Contents ")
	e := a + hexLen + 2
	copy(out[bytes.Index(out, []byte("/ByteRange [")):], fmt.Sprintf("/ByteRange [0 %010d %010d %010d]", a, e, len(out)-e))
	return out
}

// PDF is a PDF 1.7 file of the objects objs (object i+1 is objs[i]; the
// first is the catalog) with its cross-reference table and trailer.
func PDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
