package all

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// TestSignedNotes: signed documents are noted, at any depth, with the
// path of the signed file; signing is no finding.
func TestSignedNotes(t *testing.T) {
	pdf := inspecttest.SignedPDF("Erika Mustermann")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("Anlagen/Antrag.pdf")
	w.Write(pdf)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	const pades = "PAdES signature (ETSI.CAdES.detached) by Erika Mustermann"
	e := NewEngine(inspect.Limits{})
	for _, c := range []struct {
		name string
		b    []byte
		want []string
	}{
		{"Antrag.pdf", pdf, []string{"@" + pades}},
		{"Anlagen.zip", zb.Bytes(), []string{"Anlagen/Antrag.pdf@" + pades}},
		{"letter.pdf.p7m", cmsFixture(t, "letter.pdf.p7m"), []string{"@CMS signature (p7m) by officemilter test"}},
		{"letter.pdf.p7s", cmsFixture(t, "letter.pdf.p7s"), []string{"@detached CMS signature by officemilter test"}},
	} {
		r := e.Inspect(context.Background(), c.name, "", bytes.NewReader(c.b), int64(len(c.b)))
		var got []string
		for _, n := range r.Notes {
			if n.Kind != inspect.NoteSigned {
				t.Errorf("%s: note %+v", c.name, n)
			}
			got = append(got, n.Where+"@"+n.Detail)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: notes %q, want %q", c.name, got, c.want)
		}
		if len(r.Findings) != 0 {
			t.Errorf("%s: findings %+v", c.name, r.Findings)
		}
	}
}
