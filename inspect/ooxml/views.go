package ooxml

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// A package is a zip, read by Office through its central directory and by
// streaming readers (Java's ZipInputStream, some scanners) through its
// local headers (APPNOTE 4.3.6). Where the two disagree, the disagreement
// is reported (ambiguous) and what only the local headers show is
// inspected too: a member hidden there, or the local header's version of a
// member (another name, other bytes).

// openPackage reads the package both ways and reports how the readings
// disagree. An error ends the inspection.
func openPackage(ctx context.Context, p inspect.Part, lim inspect.Limits, s inspect.Scope) (*zipx.Package, error) {
	zp, err := zipx.OpenPackage(ctx, p, lim)
	if err != nil {
		var le *inspect.LimitError
		if errors.As(err, &le) || ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("malformed OOXML package: %w", err)
	}
	for _, a := range zp.Ambiguities {
		s.Emit(a.Finding())
	}
	return zp, nil
}

// localKeys adds the keys and extensions of the local header view's
// members to those whose content types [Content_Types].xml is read for.
func (pk *pkg) localKeys(keys, exts map[string]bool) {
	for _, f := range pk.local {
		k := partKey(f.Name)
		keys[k] = true
		exts[ext(k)] = true
	}
}

// localMembers inspects the members only the local header view shows as
// they are, as a member of the central view would be: by name and content
// type (a vbaProject.bin is a macro, a part under embeddings/ an embedded
// object, a main document part is searched for DDE fields), sniffed and
// handed on otherwise. The relationships a streaming reader alone sees
// are read for external references. Relationships that would give such a
// member a role (the VBA project of the main part, an OLE object) are not
// followed: the central view's relationships describe the central view's
// parts. It returns an error only when the walk must stop.
func (pk *pkg) localMembers() error {
	for _, f := range pk.local {
		if err := pk.ctx.Err(); err != nil {
			return err
		}
		pt := &part{f: f, key: partKey(f.Name)}
		if f.Flags&0x1 != 0 {
			// APPNOTE.TXT 4.4.4: bit 0 of the general purpose flags.
			pk.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: DetailEncryptedZip, Where: f.Name})
			continue
		}
		if src, isRels := relsSource(pt.key); isRels {
			err := pk.read(pt, func(r io.Reader) error {
				return parseRels(pk.ctx, r, func(r relationship) {
					if r.external {
						pk.relationship(pt, src, r)
					}
				})
			})
			if pk.stop(err) {
				return err
			}
			if err := pk.sniffMember(pt); err != nil {
				return err
			}
			continue
		}
		pk.classify(pt)
		if err := pk.inspectPart(pt); err != nil {
			return err
		}
	}
	return nil
}
