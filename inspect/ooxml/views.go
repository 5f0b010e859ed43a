package ooxml

import (
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// A package is a zip, read by Office through its central directory and by
// streaming readers (Java's ZipInputStream, some scanners) through its
// local headers (APPNOTE 4.3.6). Where the two disagree, the disagreement
// is reported (ambiguous) and what only the local headers show is
// inspected too: a member hidden there, or the local header's version of a
// member (another name, other bytes).

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
		if err := pk.Ctx.Err(); err != nil {
			return err
		}
		pt := &part{f: f, key: partKey(f.Name)}
		if f.Flags&0x1 != 0 {
			// APPNOTE.TXT 4.4.4: bit 0 of the general purpose flags.
			pk.S.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: DetailEncryptedZip, Where: f.Name})
			continue
		}
		if src, isRels := relsSource(pt.key); isRels {
			err := pk.read(pt, func(r io.Reader) error {
				return parseRels(pk.Ctx, r, func(r relationship) {
					if r.external {
						pk.relationship(pt, src, r)
					}
				})
			})
			if pk.Stop(err) {
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
