package ooxml

import (
	"strings"

	"github.com/officemilter/officemilter/inspect"
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
		detail := "XML signature"
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
