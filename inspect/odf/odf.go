package odf

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Inspector inspects ODF packages (inspect.FamilyODF). It has no state and
// is safe for concurrent use.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns an ODF package inspector.
func New() *Inspector { return &Inspector{} }

// mediaTypes maps a package's media type ([ODF 1.2] Part 3, 3.3 the
// "mimetype" member; Part 1, MIME types appendix) to the type name. ODF media types
// not listed (templates of spreadsheets and drawings, charts, formulas,
// databases, master documents) are "other".
var mediaTypes = map[string]string{
	"application/vnd.oasis.opendocument.text":          inspect.TypeODT,
	"application/vnd.oasis.opendocument.text-template": inspect.TypeOTT,
	"application/vnd.oasis.opendocument.spreadsheet":   inspect.TypeODS,
	"application/vnd.oasis.opendocument.presentation":  inspect.TypeODP,
	"application/vnd.oasis.opendocument.graphics":      inspect.TypeODG,
	// OpenOffice.org 1.x
	"application/vnd.sun.xml.writer":  inspect.TypeSXW,
	"application/vnd.sun.xml.calc":    inspect.TypeSXC,
	"application/vnd.sun.xml.impress": inspect.TypeSXI,
	"application/vnd.sun.xml.draw":    inspect.TypeSXD,
}

// packageType returns the type name for a package media type: a known
// type, "other" for other office media types, "zip" for anything else
// (an EPUB also has a mimetype member).
func packageType(mt string) string {
	mt = strings.ToLower(strings.TrimSpace(mt))
	if t, ok := mediaTypes[mt]; ok {
		return t
	}
	if strings.HasPrefix(mt, "application/vnd.oasis.opendocument.") || strings.HasPrefix(mt, "application/vnd.sun.xml.") {
		return inspect.TypeOther
	}
	return inspect.TypeZIP
}

// oleObjectName is how LibreOffice names the stream of an embedded object
// ("Object 1"); ODF sub-documents are directories of that name instead.
var oleObjectName = regexp.MustCompile(`^Object \d+$`)

// oleMagic is the compound file signature ([MS-CFB] 2.2).
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	zp, w, err := zipx.Open(ctx, p, s, "ODF")
	if err != nil {
		return err
	}
	pk := &pkg{Walker: w, byName: map[string]*zip.File{}}
	pk.setLocal(zp.Local)
	err = pk.inspect(zp.Reader)
	if !pk.Stop(err) {
		pk.noteSignatures()
	}
	return err
}

type pkg struct {
	zipx.Walker
	byName map[string]*zip.File
	man    *manifest
	// packageEncrypted: the document itself is encrypted, not only the
	// sources of password-protected Basic libraries.
	packageEncrypted bool
	// odf: the package is an OpenDocument package (not an EPUB or another
	// zip with a mimetype), so that an unlisted member is worth a finding.
	odf bool
	// spreadsheet: its tables are sheets (protection.go); signed caches
	// signedNote (signatures.go).
	spreadsheet bool
	signed      *string
	// local are the members only the local header view shows as they
	// are, localNames their names (views.go).
	local      []*zip.File
	localNames map[string]bool
}

func (pk *pkg) inspect(zr *zip.Reader) error {
	for _, f := range zr.File {
		if _, dup := pk.byName[f.Name]; !dup {
			pk.byName[f.Name] = f
		}
		if f.Flags&0x1 != 0 {
			// APPNOTE.TXT 4.4.4 bit 0; ODF itself never uses it.
			pk.S.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: DetailEncryptedZip, Where: f.Name})
		}
	}

	pk.man = &manifest{entries: map[string]*manifestEntry{}}
	if f := pk.byName["META-INF/manifest.xml"]; f != nil {
		mf := pk.byName["mimetype"]
		needRoot := mf == nil || mf.Flags&0x1 != 0 || mf.UncompressedSize64 == 0
		var stop error
		parse := func(r io.Reader) error {
			m, err := parseManifest(pk.Ctx, r, pk.exists)
			pk.man = m
			return err
		}
		err := pk.Read(f, func(r io.Reader) error {
			if needRoot || f.UncompressedSize64 >= zipx.SmallPart {
				return parse(r)
			}
			// Most manifests only list the members: decode the XML only
			// when it declares encryption or OLE objects.
			return zipx.ReadSmall(r, f.UncompressedSize64, func(b []byte) error {
				if !zipx.ContainsFoldBytes(b, manifestNeedles) {
					// Nothing but the list of members: read it from the
					// bytes. Whatever else the member is must still be
					// seen.
					if zipx.HandOn(sniffHead(b[:min(len(b), inspect.SniffLen)], f.Name)) {
						stop = pk.S.ChildAt(f.Name, inspect.BytesReaderAt(b), int64(len(b)))
						return nil
					}
					if scanFullPaths(b, pk.listed) {
						return nil
					}
					pk.man.entries = map[string]*manifestEntry{}
				}
				return parse(bytes.NewReader(b))
			})
		})
		if stop != nil {
			return stop
		}
		if pk.Stop(err) {
			return err
		}
	}

	mt := pk.man.root
	if f := pk.byName["mimetype"]; f != nil && f.Flags&0x1 == 0 {
		// [ODF 1.2] Part 3, 3.3: the media type as the first, stored member.
		if head, err := zipx.ReadHead(f, pk.Lim, 256); err == nil && len(head) > 0 {
			mt = string(head)
			if zipx.HandOn(sniffHead(head, f.Name)) {
				if err := pk.child(f); err != nil {
					return err
				}
			}
		} else if err != nil {
			pk.Fail(zipx.MemberError(f.Name, err))
		}
	}
	typ := packageType(mt)
	pk.odf = typ != inspect.TypeZIP
	pk.spreadsheet = isSpreadsheet(typ)
	pk.S.SetType(typ)

	// Encryption ([ODF 1.2] Part 3, manifest:encryption-data): password-protected Basic
	// libraries encrypt only their module sources, which is macro, not
	// document, protection; any other encrypted entry hides the document.
	packageEncrypted := false
	for name, e := range pk.man.entries {
		if e.encrypted && !isBasicPath(name) {
			packageEncrypted = true
			break
		}
	}
	if packageEncrypted {
		pk.S.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: DetailEncryption})
		pk.packageEncrypted = true
	}

	for _, f := range zr.File {
		if err := pk.Ctx.Err(); err != nil {
			return err
		}
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if err := pk.member(f); err != nil {
			return err
		}
	}
	if err := pk.localMembers(); err != nil {
		return err
	}
	return pk.Err
}

// isBasicPath reports whether name is inside a Basic library directory.
func isBasicPath(name string) bool {
	return strings.HasPrefix(name, "Basic/")
}

// encrypted reports whether the member's content is encrypted (the zip
// flag or the manifest), so that it must not be parsed.
func (pk *pkg) encrypted(f *zip.File) bool {
	if f.Flags&0x1 != 0 {
		return true
	}
	e := pk.man.entries[f.Name]
	return e != nil && e.encrypted
}

// member emits the findings of one member. It returns an error only when
// the walk must stop.
func (pk *pkg) member(f *zip.File) error {
	name := f.Name
	emit := func(k inspect.Kind, detail string) {
		if k == inspect.KindProtected {
			detail += pk.signedNote()
		}
		pk.S.Emit(inspect.Finding{Kind: k, Detail: detail, Where: name})
	}
	if pk.unlisted(f) {
		emit(inspect.KindAmbiguous, DetailUnlisted)
	}
	if f == pk.byName["mimetype"] || f == pk.byName["META-INF/manifest.xml"] {
		return nil // read above
	}
	segs := strings.Split(name, "/")
	base := segs[len(segs)-1]
	switch {
	case segs[0] == "Scripts" && len(segs) >= 2:
		// Scripting framework scripts stored in the document
		// (Scripts/python/x.py, Scripts/beanshell/..., Scripts/javascript/...).
		emit(inspect.KindMacro, DetailScript+clip(name))
		return nil
	case len(segs) >= 3 && segs[len(segs)-3] == "Basic":
		return pk.basicMember(f, segs[len(segs)-2], base, emit)
	case base == "content.xml" || base == "styles.xml":
		if pk.encrypted(f) {
			return nil // DetailEncryption says why it is not read
		}
		return pk.scanDocument(f, emit)
	case base == "settings.xml":
		return pk.settings(f, emit)
	}
	if pk.isOLECandidate(f, segs) {
		return pk.embedded(f, emit)
	}
	return pk.sniffMember(f)
}

// basicMember handles Basic/<library>/<file>: module sources (.xml, with
// script-lb.xml and dialog-lb.xml being library descriptors) and, for
// password-protected libraries, compiled modules (.bin) next to encrypted
// sources (LibreOffice basic/source/uno/scriptcont.cxx).
func (pk *pkg) basicMember(f *zip.File, lib, base string, emit func(inspect.Kind, string)) error {
	switch {
	case base == "script-lb.xml" || base == "dialog-lb.xml":
		return pk.sniffMember(f)
	case strings.HasSuffix(base, ".bin"):
		emit(inspect.KindMacro, DetailBasicModule+clip(lib+"/"+strings.TrimSuffix(base, ".bin"))+" (compiled)")
		return nil
	case !strings.HasSuffix(base, ".xml"):
		return pk.sniffMember(f)
	}
	module := clip(lib + "/" + strings.TrimSuffix(base, ".xml"))
	if pk.encrypted(f) {
		// A module whose source cannot be read: count it as code, as a
		// VBA project whose modules cannot be read is.
		if pk.packageEncrypted {
			emit(inspect.KindMacro, DetailBasicModule+module+" (encrypted)")
		} else {
			emit(inspect.KindMacro, DetailBasicModule+module+" (password-protected)")
		}
		return nil
	}
	var code bool
	err := pk.Read(f, func(r io.Reader) error {
		var err error
		code, err = moduleHasCode(pk.Ctx, r)
		return err
	})
	if code {
		// Found before any error: the finding stands.
		emit(inspect.KindMacro, DetailBasicModule+module)
	}
	if pk.Stop(err) {
		return err
	}
	return nil
}

// scanDocument looks for script bindings in content.xml or styles.xml (of
// the package or of a sub-document).
func (pk *pkg) scanDocument(f *zip.File, emit func(inspect.Kind, string)) error {
	var hit bool
	var fam inspect.Family
	err := pk.Read(f, func(r io.Reader) error {
		return zipx.WithHead(r, func(head []byte, all io.Reader) error {
			fam = sniffHead(head, f.Name)
			var err error
			hit, err = zipx.ContainsAny(pk.Ctx, all, docNeedles, true)
			return err
		})
	})
	if pk.Stop(err) {
		return err
	}
	if zipx.HandOn(fam) {
		// Not the XML LibreOffice reads: what unzip shows is inspected.
		if err := pk.child(f); err != nil {
			return err
		}
	}
	if !hit || err != nil {
		return nil
	}
	oles := 0
	var stop error
	h := &docHandler{emit: emit, prot: protections{spreadsheet: pk.spreadsheet}}
	err = pk.Read(f, func(r io.Reader) error {
		var ole *bytes.Buffer // base64 text of an object-ole's binary data
		return zipx.Tokens(pk.Ctx, r, func(tok xml.Token) error {
			switch t := tok.(type) {
			case xml.StartElement:
				if h.start(t) == actOLEData {
					ole = &bytes.Buffer{}
				}
			case xml.EndElement:
				if t.Name.Local == "binary-data" && ole != nil && len(bytes.TrimSpace(ole.Bytes())) == 0 {
					ole = nil
				}
				if t.Name.Local == "binary-data" && ole != nil {
					oles++
					emit(inspect.KindEmbeddedObject, DetailOLEObject)
					if stop = pk.S.Child(fmt.Sprintf("%s/object-ole-%d", f.Name, oles), zipx.Base64(bytes.NewReader(ole.Bytes()))); stop != nil {
						return stop
					}
					ole = nil
				}
				h.end(t)
			case xml.CharData:
				if ole != nil {
					ole.Write(t)
				}
				h.text(t)
			}
			return nil
		})
	})
	h.finish()
	if stop != nil {
		return stop
	}
	if pk.Stop(err) {
		return err
	}
	return nil
}

// isOLECandidate reports whether f may be an embedded object's stream:
// named "Object N" (not a replacement image) or declared as an OLE object
// in the manifest.
func (pk *pkg) isOLECandidate(f *zip.File, segs []string) bool {
	if e := pk.man.entries[f.Name]; e != nil && e.mediaType == "application/vnd.sun.star.oleobject" {
		return true
	}
	if !oleObjectName.MatchString(segs[len(segs)-1]) {
		return false
	}
	for _, s := range segs[:len(segs)-1] {
		if s == "ObjectReplacements" {
			return false
		}
	}
	return true
}

// embedded reports an embedded binary object that is a compound file and
// hands every candidate to the engine (which finds an executable in a
// package object, macros in an embedded Word document ...).
func (pk *pkg) embedded(f *zip.File, emit func(inspect.Kind, string)) error {
	if pk.encrypted(f) {
		return nil
	}
	head, err := zipx.ReadHead(f, pk.Lim, len(oleMagic))
	if err != nil {
		pk.Fail(zipx.MemberError(f.Name, err))
		return nil
	}
	if bytes.Equal(head, oleMagic) {
		emit(inspect.KindEmbeddedObject, DetailOLEObject)
	}
	return pk.child(f)
}

// child hands f whole to the engine, which sniffs and inspects it.
func (pk *pkg) child(f *zip.File) error {
	m, err := zipx.OpenMember(f, pk.Lim)
	if err != nil {
		pk.Fail(zipx.MemberError(f.Name, err))
		return nil
	}
	defer m.Close()
	return pk.S.Child(f.Name, m)
}
