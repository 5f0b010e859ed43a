package odf

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/xmldsig"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// A package's own signatures ([ODF 1.2] Part 3, 5 Digital Signatures:
// XML-Signature elements in META-INF/documentsignatures.xml, and in
// META-INF/macrosignatures.xml for the signatures of macros and scripts
// alone) are facts, not findings: the strict mailbox welcomes signed
// documents, and no finding kind says "signed". The inspector reports them
// as notes (inspect.Note, kind "signed"); Signatures reads them for
// whoever asks, and a protected finding of a package with a document signature says so
// in its Detail (DetailSigned). Nothing here verifies a signature or the
// certificate: they are read as the package states them.

// Signature files of a package: [ODF 1.2] Part 3, 5 Digital Signatures.
const (
	documentSignatures = "META-INF/documentsignatures.xml"
	macroSignatures    = "META-INF/macrosignatures.xml"
)

// Signature is one XML signature as the package states it (not verified).
type Signature = xmldsig.Signature

// maxSignatures bounds the signatures read from one package: a real
// document has a few.
const maxSignatures = 256

// Signatures lists the XML signatures of the ODF package in r (size
// bytes): those of documentsignatures.xml, then those of
// macrosignatures.xml, in document order. A package without signatures has
// none (nil, nil). The signature files are read under
// inspect.DefaultLimits; an error says the package or one of them could
// not be read.
func Signatures(ctx context.Context, r io.ReaderAt, size int64) ([]Signature, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("malformed ODF package: %w", err)
	}
	pk := &pkg{Walker: zipx.Walker{Ctx: ctx, Lim: inspect.DefaultLimits}, byName: map[string]*zip.File{}}
	for _, f := range zr.File {
		if _, dup := pk.byName[f.Name]; !dup {
			pk.byName[f.Name] = f
		}
	}
	return pk.signatures(true)
}

// signatures reads the document signatures, and with macros the macro
// signatures too. Errors are returned, not recorded: a broken signature
// file leaves the rest of the inspection complete.
func (pk *pkg) signatures(macros bool) ([]Signature, error) {
	names := []string{documentSignatures}
	if macros {
		names = append(names, macroSignatures)
	}
	var sigs []Signature
	for _, name := range names {
		f := pk.byName[name]
		if f == nil {
			continue
		}
		m, err := zipx.OpenMember(f, pk.Lim)
		if err != nil {
			return sigs, zipx.MemberError(name, err)
		}
		err = xmldsig.Parse(pk.Ctx, m, func(s Signature) error {
			if len(sigs) == maxSignatures {
				return fmt.Errorf("more than %d signatures", maxSignatures)
			}
			s.Part, s.Macros = name, name == macroSignatures
			sigs = append(sigs, s)
			return nil
		})
		m.Close()
		if err != nil {
			return sigs, zipx.XMLError(name, err)
		}
	}
	return sigs, nil
}

// signedNote is DetailSigned when the package has a document signature, ""
// when it has none or it cannot be read. It reads the signatures once, on
// the first protected finding: most packages never get here. A signature
// of the macros alone does not sign the document.
func (pk *pkg) signedNote() string {
	if pk.signed == nil {
		note := ""
		if sigs, _ := pk.signatures(false); len(sigs) > 0 {
			note = DetailSigned
		}
		pk.signed = &note
	}
	return *pk.signed
}
