package ooxml

import (
	"path"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Every member of the zip is looked at, whether the package references it
// or not: unzip shows them all, and a recipient can run what Word never
// opens. Members the inspector does not read for its own findings are
// sniffed from their first bytes; those that are content with an
// inspector of their own (executables, archives, compound files, PDF,
// scripts ...) are handed to the engine as children.

// Finding details of this file. They are part of the JSON output.
const (
	// DetailUnreferenced: a member that no relationship reaches from the
	// package and no [Content_Types].xml Override names. Office ignores
	// it; unzip shows it.
	DetailUnreferenced = "part not referenced by the package"
	// DetailMSIX: a Windows app package or bundle.
	DetailMSIX = "MSIX/AppX installer package"
)

// appxFootprint are the footprint files of a Windows app package and of a
// bundle (Microsoft, "App package format": AppxManifest.xml,
// AppxBlockMap.xml, AppxSignature.p7x at the package root;
// AppxMetadata/AppxBundleManifest.xml in a bundle), as part keys. MSIX and
// AppX packages carry a [Content_Types].xml, so they reach this inspector.
var appxFootprint = map[string]bool{
	"appxmanifest.xml":                    true,
	"appxblockmap.xml":                    true,
	"appxsignature.p7x":                   true,
	"appxmetadata/appxbundlemanifest.xml": true,
}

// appx reports whether the package has a footprint file of a Windows app
// package or bundle.
func (pk *pkg) appx() bool {
	for k := range appxFootprint {
		if pk.byKey[k] != nil {
			return true
		}
	}
	return false
}

// leftover reports whether a member is one that producers leave behind
// without referencing it and that nobody reads: Office's "[trash]" folder
// of discarded parts, and what macOS adds when a document is zipped by
// hand. It is still sniffed; it is just not worth a finding.
func leftover(key string) bool {
	return strings.HasPrefix(key, "[trash]/") || strings.HasPrefix(key, "__macosx/") ||
		path.Base(key) == ".ds_store"
}

// sniffHead sniffs the first bytes of a member named name.
func sniffHead(head []byte, name string) inspect.Family {
	return inspect.Sniff(inspect.BytesReaderAt(head), int64(len(head)), name)
}

// maxEdges bounds the relationships kept for the reachability walk, per
// part of the package: real packages have a few per part. Past it, every
// target of any relationship counts as referenced (no finding is lost, a
// detail may be).
const maxEdges = 16

// markReferenced sets ref on every part reachable over internal
// relationships from the package relationships ([ECMA-376] Part 2, 9.3:
// _rels/.rels, then the relationships part of each part reached) or named
// by an Override ([ECMA-376] Part 2, 10.1.2.3).
func (pk *pkg) markReferenced() {
	var queue []*part
	visit := func(p *part) {
		if p != nil && !p.ref {
			p.ref = true
			queue = append(queue, p)
		}
	}
	follow := func(src string) {
		for _, rels := range pk.relsOf[src] {
			for _, t := range rels.targets {
				visit(t)
			}
		}
	}
	follow("")
	for k := range pk.ct.overrides {
		visit(pk.byKey[k])
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		follow(p.key)
	}
	if pk.edgeOverflow {
		for _, p := range pk.parts {
			if p.targeted {
				pk.byKey[p.key].ref = true
			}
		}
	}
}

// addTarget records that the relationships part rels targets pt.
func (pk *pkg) addTarget(rels, pt *part) {
	pt.targeted = true
	if pt.mark == rels {
		return
	}
	pt.mark = rels
	if pk.edges >= maxEdges*len(pk.parts) {
		pk.edgeOverflow = true
		return
	}
	pk.edges++
	rels.targets = append(rels.targets, pt)
}

// internalTarget records the internal target t of a relationship in rels,
// which describes the part with key src.
func (pk *pkg) internalTarget(rels *part, src, t string) {
	if pt := pk.byKey[resolveTarget(src, t)]; pt != nil {
		pk.addTarget(rels, pt)
	}
}

// scanTargets calls fn with the value of every Target attribute in b, a
// relationships part without external relationships, character or entity
// references ([ECMA-376] Part 2, 9.3.2.2: Target="..."), without decoding
// the XML: most relationships parts only link slides, layouts and images,
// and a decoder costs more than the rest of the package. It returns false
// when b has something it does not read (an ampersand, an unterminated
// value, white space to normalise): the caller decodes the XML then. A Target written in a comment
// counts: that may cost a finding of an unreferenced part, never the
// sniffing of it.
func scanTargets(b []byte, fn func(string)) bool { return zipx.ScanAttr(b, "Target", fn) }

// unreferenced reports whether pt is worth DetailUnreferenced.
func (pk *pkg) unreferenced(pt *part) bool {
	if !pk.opc {
		return false
	}
	if _, isRels := relsSource(pt.key); isRels || pt.key == contentTypesPart {
		// Package structure: read as XML, never content of its own.
		return false
	}
	// The first part of the key decides; a member only the local header
	// view shows has none (the view's ambiguity is reported instead).
	first := pk.byKey[pt.key]
	return first != nil && !first.ref && !leftover(pt.key)
}

// sniffMember sniffs a member the inspector does not read otherwise and
// hands it to the engine when it is content with an inspector of its own.
// It returns an error only when the walk must stop.
func (pk *pkg) sniffMember(pt *part) error {
	if pt.f.Flags&0x1 != 0 || pt.f.UncompressedSize64 == 0 {
		// Encrypted: reported, unreadable. Empty: archive/zip reads no
		// byte past the declared size.
		return nil
	}
	return pk.Sniff(pt.f, func(head []byte) bool {
		fam := sniffHead(head, pt.f.Name)
		// An ActiveX control's binary part is a compound file by design;
		// the control is reported.
		return zipx.HandOn(fam) && !(fam == inspect.FamilyOLE && pt.role&roleActiveX != 0)
	})
}
