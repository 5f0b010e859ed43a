package ooxml

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// TestSignatureNotes: a signed package gets a note per signature, with
// the signer's common name; an unsigned one none.
func TestSignatureNotes(t *testing.T) {
	pkgs := protectionPackages(t)
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyOOXML: New()}, inspect.Limits{})
	const want = "XML signature (XAdES) by Erika Mustermann"
	for name, wantNotes := range map[string][]string{
		"signed.docx":           {want},
		"signed-protected.docx": {want},
		"workbook.xlsx":         nil,
	} {
		b := pkgs[name]
		r := e.Inspect(context.Background(), name, "", bytes.NewReader(b), int64(len(b)))
		var got []string
		for _, n := range r.Notes {
			if n.Kind != inspect.NoteSigned || n.Where != "" {
				t.Errorf("%s: note %+v", name, n)
			}
			got = append(got, n.Detail)
		}
		if fmt.Sprint(got) != fmt.Sprint(wantNotes) {
			t.Errorf("%s: notes %q, want %q", name, got, wantNotes)
		}
	}
}
