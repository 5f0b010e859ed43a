package odf

import (
	"archive/zip"

	"github.com/officemilter/officemilter/inspect"
)

// A package is a zip, read by LibreOffice through its central directory
// and by streaming readers (Java's ZipInputStream, some scanners) through
// its local headers (APPNOTE 4.3.6). Where the two disagree, the
// disagreement is reported (ambiguous) and what only the local headers
// show is inspected too: a member hidden there, or the local header's
// version of a member (another name, other bytes).

// setLocal records the members only the local header view shows.
func (pk *pkg) setLocal(local []*zip.File) {
	pk.local = local
	if len(local) == 0 {
		return
	}
	pk.localNames = make(map[string]bool, len(local))
	for _, f := range local {
		pk.localNames[f.Name] = true
	}
}

// exists reports whether a member named name is in either view, so that
// the manifest's entry for it is kept (a member only the local headers
// show is read with what the manifest says about it: encrypted, an OLE
// object).
func (pk *pkg) exists(name string) bool {
	return pk.byName[name] != nil || pk.localNames[name]
}

// isLocal reports whether f is one of the local header view's members.
func (pk *pkg) isLocal(f *zip.File) bool {
	for _, l := range pk.local {
		if l == f {
			return true
		}
	}
	return false
}

// localMembers inspects the members only the local header view shows as
// they are, as a member of the central view would be: a Basic module or a
// script is a macro, content.xml is searched for script bindings, an
// "Object N" stream is an embedded object, anything else is sniffed and
// handed on when it has an inspector of its own. Such a member is not
// reported as unlisted: the view's ambiguity says more. It returns an
// error only when the walk must stop.
func (pk *pkg) localMembers() error {
	for _, f := range pk.local {
		if err := pk.Ctx.Err(); err != nil {
			return err
		}
		if f.Flags&0x1 != 0 {
			// APPNOTE.TXT 4.4.4 bit 0; ODF itself never uses it.
			pk.S.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: DetailEncryptedZip, Where: f.Name})
		}
		if err := pk.member(f); err != nil {
			return err
		}
	}
	return nil
}
