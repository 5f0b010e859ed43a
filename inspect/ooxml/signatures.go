package ooxml

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/xmldsig"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// A package's own signatures ([ECMA-376] Part 2, 12 Digital Signatures:
// XML-Signature parts reached from the package relationship of type
// digital-signature/origin, over the origin part's relationships of type
// digital-signature/signature) are facts, not findings: the strict mailbox
// welcomes signed documents, and no finding kind says "signed". The
// inspector reports them as notes (inspect.Note, kind "signed");
// Signatures reads them for whoever asks, and a protected finding of a signed package says so in
// its Detail (DetailSigned). Nothing here verifies a signature or the
// certificate: they are read as the package states them.

// Signature is one XML signature as the package states it (not verified).
type Signature = xmldsig.Signature

// Signatures lists the XML signatures of the OOXML package in r (size
// bytes), in the order of the origin part's relationships. A package
// without signatures has none (nil, nil). It reads the package
// relationships, the origin part's relationships and the signature parts
// under inspect.DefaultLimits; an error says the package or one of them
// could not be read.
func Signatures(ctx context.Context, r io.ReaderAt, size int64) ([]Signature, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("malformed OOXML package: %w", err)
	}
	lim := inspect.DefaultLimits
	if len(zr.File) > lim.MaxParts {
		return nil, &inspect.LimitError{Limit: inspect.LimitParts, Value: int64(lim.MaxParts)}
	}
	pk := &pkg{Walker: zipx.Walker{Ctx: ctx, Lim: lim}, byKey: map[string]*part{}, relsOf: map[string][]*part{}}
	for _, f := range zr.File {
		pt := pk.addPart(f)
		if pt == nil {
			continue
		}
		if src, ok := relsSource(pt.key); ok {
			pk.relsOf[src] = append(pk.relsOf[src], pt)
		}
	}
	return pk.signatures()
}

// maxSignatures bounds the signatures read from one package: a real
// document has a few.
const maxSignatures = 256

// signatures finds and reads the signature parts of the package. Errors
// are returned, not recorded: a broken signature leaves the rest of the
// inspection complete.
func (pk *pkg) signatures() ([]Signature, error) {
	// [ECMA-376] Part 2, 12.2.1: one origin part, the target of a package
	// relationship; 12.2.2: the signature parts, targets of its
	// relationships.
	var origins []string
	for _, rels := range pk.relsOf[""] {
		err := pk.readQuiet(rels, func(r io.Reader) error {
			return parseRels(pk.Ctx, r, func(rel relationship) {
				if !rel.external && isSigRel(rel, "origin") {
					origins = append(origins, resolveTarget("", rel.target))
				}
			})
		})
		if err != nil {
			return nil, err
		}
	}
	var sigParts []*part
	seen := map[*part]bool{}
	for _, origin := range origins {
		for _, rels := range pk.relsOf[origin] {
			err := pk.readQuiet(rels, func(r io.Reader) error {
				return parseRels(pk.Ctx, r, func(rel relationship) {
					if rel.external || !isSigRel(rel, "signature") {
						return
					}
					if pt := pk.byKey[resolveTarget(origin, rel.target)]; pt != nil && !seen[pt] {
						seen[pt] = true
						sigParts = append(sigParts, pt)
					}
				})
			})
			if err != nil {
				return nil, err
			}
		}
	}
	var sigs []Signature
	for _, pt := range sigParts {
		err := pk.readQuiet(pt, func(r io.Reader) error {
			return xmldsig.Parse(pk.Ctx, r, func(s Signature) error {
				if len(sigs) == maxSignatures {
					return fmt.Errorf("more than %d signatures", maxSignatures)
				}
				s.Part = pt.f.Name
				sigs = append(sigs, s)
				return nil
			})
		})
		if err != nil {
			return sigs, err
		}
	}
	return sigs, nil
}

// isSigRel reports whether rel is of the digital-signature relationship
// type named last ("origin", "signature"): [ECMA-376] Part 2, 12.2.
func isSigRel(rel relationship, last string) bool {
	return rel.typ == last && strings.Contains(rel.fullType, "/digital-signature/")
}

// readQuiet is read without recording errors in pk.
func (pk *pkg) readQuiet(pt *part, fn func(io.Reader) error) error {
	return zipx.ReadMember(pt.f, pk.Lim, fn)
}

// signedNote is DetailSigned when the package has a signature, "" when it
// has none or they cannot be read. It reads the signatures once, on the
// first protected finding: most packages never get here.
func (pk *pkg) signedNote() string {
	if pk.signed == nil {
		note := ""
		if sigs, _ := pk.signatures(); len(sigs) > 0 {
			// One signature read is a signed package, whatever the others are.
			note = DetailSigned
		}
		pk.signed = &note
	}
	return *pk.signed
}
