package pdf

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// notesOf runs b through an engine with the PDF inspector.
func notesOf(t *testing.T, b []byte) *inspect.Result {
	t.Helper()
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyPDF: New()}, inspect.Limits{})
	return e.Inspect(context.Background(), "Antrag.pdf", "", bytes.NewReader(b), int64(len(b)))
}

// TestSignatureNotes: the inspector notes each signature of the document
// (not its timestamps); a signed document has no finding for it.
func TestSignatureNotes(t *testing.T) {
	signed := genSigned(t, "ETSI.CAdES.detached", 0)
	stamped := seal(t, appendUpdate(t, signed, []pdfObj{
		{num: 1, body: "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R 8 0 R] /SigFlags 3 >> >>"},
		{num: 8, body: "<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /T (Timestamp) /V 9 0 R >>"},
		{num: 9, body: sigDict("DocTimeStamp", "ETSI.RFC3161", "")},
	}, 1, 10))
	cases := []struct {
		name string
		b    []byte
		want []string
	}{
		{"PAdES", signed, []string{"PAdES signature (ETSI.CAdES.detached) by Erika Mustermann"}},
		{"pkcs7", genSigned(t, "adbe.pkcs7.detached", 0), []string{"PDF signature (adbe.pkcs7.detached) by Erika Mustermann"}},
		{"certified", genSigned(t, "ETSI.CAdES.detached", 2), []string{"PAdES certification signature (ETSI.CAdES.detached) by Erika Mustermann"}},
		{"updated", appendUpdate(t, signed, []pdfObj{{num: 7, body: "<< /Producer (an editor) >>"}}, 1, 8),
			[]string{"PAdES signature (ETSI.CAdES.detached) by Erika Mustermann; modified after signing"}},
		{"timestamped", stamped, []string{"PAdES signature (ETSI.CAdES.detached) by Erika Mustermann"}},
		{"plain", genPlain(), nil},
		{"unsigned field", buildPDF(withCatalog("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>",
			append(onePage("/Annots [5 0 R] "), pdfObj{num: 5, body: "<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /T (Signature1) >>"})...), "/Root 1 0 R"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := notesOf(t, c.b)
			var got []string
			for _, n := range r.Notes {
				if n.Kind != inspect.NoteSigned || n.Where != "" {
					t.Errorf("note %+v", n)
				}
				got = append(got, n.Detail)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("notes %q, want %q", got, c.want)
			}
			if len(r.Findings) != 0 {
				t.Errorf("findings %+v", r.Findings)
			}
		})
	}
}
