package odf

import (
	"strings"

	"github.com/officemilter/officemilter/inspect"
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
		detail := "ODF document signature"
		if sg.XAdES {
			detail += " (XAdES)"
		}
		if cn := commonName(sg.Subject); cn != "" {
			detail += " by " + cn
		}
		inspect.AddNote(pk.s, inspect.Note{Kind: inspect.NoteSigned, Detail: detail})
	}
}

// commonName is the CN of a distinguished name as crypto/x509 writes it
// (RFC 2253: "CN=Erika Mustermann,O=Amt\, Abteilung 2"), or the whole
// name when it has no CN.
func commonName(dn string) string {
	var attr strings.Builder
	esc := false
	for i := 0; i <= len(dn); i++ {
		if i < len(dn) && (esc || dn[i] != ',' && dn[i] != '+') {
			if !esc && dn[i] == '\\' {
				esc = true
				continue
			}
			esc = false
			attr.WriteByte(dn[i])
			continue
		}
		a := strings.TrimSpace(attr.String())
		if len(a) > 3 && strings.EqualFold(a[:3], "CN=") {
			return strings.TrimSpace(a[3:])
		}
		attr.Reset()
	}
	return dn
}
