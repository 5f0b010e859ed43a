package odf

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// TestSignatureNotes: a package with document signatures gets a note per
// signature, with the signer's common name; an unsigned one none.
func TestSignatureNotes(t *testing.T) {
	docs := protectionDocs(t)
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyODF: New()}, inspect.Limits{})
	const want = "ODF document signature by Erika Mustermann"
	for name, wantNotes := range map[string][]string{
		"signed.odt":           {want},
		"signed-protected.odt": {want},
	} {
		b := docs[name]
		if b == nil {
			t.Fatalf("no %s", name)
		}
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
	for name, b := range docs {
		if name == "signed.odt" || name == "signed-protected.odt" {
			continue
		}
		if r := e.Inspect(context.Background(), name, "", bytes.NewReader(b), int64(len(b))); len(r.Notes) != 0 {
			t.Errorf("%s: notes %+v", name, r.Notes)
		}
	}
}
