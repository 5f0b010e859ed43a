package odf

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/xmldsig"
)

// noteSignatures records the document signatures of the package
// (META-INF/documentsignatures.xml, [ODF 1.2] Part 3, 5) as notes
// (inspect.NoteSigned) about the package itself; it reads them only when
// the listing has that file. Signatures of the macros alone
// (macrosignatures.xml) do not sign the document and are left out.
func (pk *pkg) noteSignatures() {
	if pk.byName[documentSignatures] == nil {
		return
	}
	sigs, _ := pk.signatures(false) // those read before an error still count
	for _, sg := range sigs {
		inspect.AddNote(pk.S, inspect.Note{Kind: inspect.NoteSigned, Detail: xmldsig.NoteDetail("ODF document signature", sg)})
	}
}
