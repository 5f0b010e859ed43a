package ooxml

import (
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/xmldsig"
)

// noteSignatures records the package's XML signatures as notes
// (inspect.NoteSigned) about the package itself. It reads them only when
// the listing already read has a signature part or an origin part
// (_xmlsignatures/, *.sigs: where every Office version puts them): most
// packages are not signed, and the listing costs nothing more to look at.
func (pk *pkg) noteSignatures() {
	hint := false
	for _, pt := range pk.parts {
		if strings.HasPrefix(pt.key, "_xmlsignatures/") || strings.HasSuffix(pt.key, ".sigs") {
			hint = true
			break
		}
	}
	if !hint {
		return
	}
	sigs, _ := pk.signatures() // those read before an error still count
	for _, sg := range sigs {
		inspect.AddNote(pk.S, inspect.Note{Kind: inspect.NoteSigned, Detail: xmldsig.NoteDetail("XML signature", sg)})
	}
}
