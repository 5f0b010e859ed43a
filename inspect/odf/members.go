package odf

import (
	"archive/zip"
	"bytes"
	"path"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Every member of the zip is looked at, listed in the manifest or not:
// unzip shows them all, and a recipient can run what LibreOffice never
// opens. Members the inspector does not read for its own findings are
// sniffed from their first bytes; those that are content with an
// inspector of their own (executables, archives, compound files, PDF,
// scripts ...) are handed to the engine as children.

// DetailUnlisted: a member of an ODF package that its manifest does not
// list. [ODF 1.2] Part 3, 3.2: the manifest lists every file of the
// package but the mimetype member and META-INF/; LibreOffice treats a
// package with an unlisted file as broken, unzip shows the file.
const DetailUnlisted = "part not referenced by the package"

// sniffHead sniffs the first bytes of a member named name. The package's
// own XML parts (office:document-content, -styles, -meta, -settings) sniff
// like a flat document, whose root is office:document: they are text here.
func sniffHead(head []byte, name string) inspect.Family {
	f := inspect.Sniff(inspect.BytesReaderAt(head), int64(len(head)), name)
	if f == inspect.FamilyFlatODF && !flatRoot(head) {
		return inspect.FamilyText
	}
	return f
}

// flatRoot reports whether head has an office:document element (not
// office:document-content or another element whose name starts so).
func flatRoot(head []byte) bool {
	const el = "<office:document"
	for b := head; ; {
		i := bytes.Index(b, []byte(el))
		if i < 0 {
			return false
		}
		b = b[i+len(el):]
		if len(b) == 0 || zipx.IsSpace(b[0]) || b[0] == '>' || b[0] == '/' {
			return true
		}
	}
}

// unlisted reports whether f is worth DetailUnlisted: an ODF package's
// member that the manifest does not list, other than what Part 3 exempts
// and what macOS adds when a document is zipped by hand.
func (pk *pkg) unlisted(f *zip.File) bool {
	name := f.Name
	if !pk.odf || pk.isLocal(f) || name == "mimetype" || strings.HasPrefix(name, "META-INF/") ||
		strings.HasPrefix(name, "__MACOSX/") || path.Base(name) == ".DS_Store" {
		return false
	}
	return pk.man.entries[name] == nil
}

// listed records the manifest entry of a member at full path p (as
// parseManifest does, for a manifest without encryption data or OLE
// objects).
func (pk *pkg) listed(p string) {
	p = strings.TrimPrefix(p, "./")
	if p == "/" {
		return
	}
	p = strings.TrimPrefix(p, "/")
	if pk.exists(p) && pk.man.entries[p] == nil {
		pk.man.entries[p] = &manifestEntry{}
	}
}

// scanFullPaths calls fn with the value of every full-path attribute in b,
// a manifest without encryption data, OLE objects or character
// references ([ODF 1.2] Part 3, 4.3 manifest:file-entry
// manifest:full-path="..."), without decoding the XML: most manifests only
// list the members. It returns false when b has something it does not
// read (an ampersand, an unterminated value, white space to normalise):
// the caller decodes the XML then. A full-path written in a comment
// counts: that may cost a finding of an unlisted member, never the
// sniffing of it.
func scanFullPaths(b []byte, fn func(string)) bool { return zipx.ScanAttr(b, "full-path", fn) }

// sniffMember sniffs a member the inspector does not read otherwise and
// hands it to the engine when it is content with an inspector of its own.
// It returns an error only when the walk must stop.
func (pk *pkg) sniffMember(f *zip.File) error {
	if pk.encrypted(f) || f.UncompressedSize64 == 0 {
		// Encrypted: its bytes are ciphertext. Empty: archive/zip reads
		// no byte past the declared size.
		return nil
	}
	return pk.Sniff(f, func(head []byte) bool { return zipx.HandOn(sniffHead(head, f.Name)) })
}
