package ooxml

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Inspector inspects OOXML packages (inspect.FamilyOOXML). It has no state
// and is safe for concurrent use.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns an OOXML inspector.
func New() *Inspector { return &Inspector{} }

// Finding details this package emits. They are part of the JSON output.
const (
	DetailVBAProject    = "vbaProject.bin"
	DetailXLMSheet      = "XLM macro sheet"
	DetailDDEField      = "DDE field"
	DetailDDELink       = "DDE link"
	DetailActiveX       = "ActiveX control"
	DetailOLEObject     = "OLE object"
	DetailEmbeddedPkg   = "embedded package"
	DetailEncryptedZip  = "encrypted zip entry"
	contentTypesPart    = "[content_types].xml"
	ctVBAProject        = "application/vnd.ms-office.vbaproject"
	ctOLEObject         = "application/vnd.openxmlformats-officedocument.oleobject"
	ctActiveXPrefix     = "application/vnd.ms-office.activex"
	ctExternalLinkXML   = "application/vnd.openxmlformats-officedocument.spreadsheetml.externallink+xml"
	wordprocessingmlPfx = "application/vnd.openxmlformats-officedocument.wordprocessingml."
)

// mainTypes maps the content type of a package's main part to the type
// name: [ECMA-376] Part 1, 11.3, 12.3 and 13.3 (the main parts) and
// [MS-OFFMACRO2] for the macro-enabled variants.
var mainTypes = map[string]string{
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":   inspect.TypeDOCX,
	"application/vnd.ms-word.document.macroenabled.main+xml":                             inspect.TypeDOCM,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml":   inspect.TypeDOTX,
	"application/vnd.ms-word.template.macroenabledtemplate.main+xml":                     inspect.TypeDOTM,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":         inspect.TypeXLSX,
	"application/vnd.ms-excel.sheet.macroenabled.main+xml":                               inspect.TypeXLSM,
	"application/vnd.ms-excel.sheet.binary.macroenabled.main":                            inspect.TypeXLSB,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml":      inspect.TypeXLTX,
	"application/vnd.ms-excel.template.macroenabled.main+xml":                            inspect.TypeXLTM,
	"application/vnd.ms-excel.addin.macroenabled.main+xml":                               inspect.TypeXLAM,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": inspect.TypePPTX,
	"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml":                   inspect.TypePPTM,
	"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml":    inspect.TypePPSX,
	"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml":                      inspect.TypePPSM,
	"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml":     inspect.TypePOTX,
	"application/vnd.ms-powerpoint.template.macroenabled.main+xml":                       inspect.TypePOTM,
}

// wordTextParts are the WordprocessingML parts that can hold fields
// ([ECMA-376] Part 1, 11.3): the main document, headers, footers, notes,
// comments and the glossary document.
var wordTextParts = map[string]bool{
	wordprocessingmlPfx + "document.main+xml":                        true,
	wordprocessingmlPfx + "template.main+xml":                        true,
	wordprocessingmlPfx + "header+xml":                               true,
	wordprocessingmlPfx + "footer+xml":                               true,
	wordprocessingmlPfx + "footnotes+xml":                            true,
	wordprocessingmlPfx + "endnotes+xml":                             true,
	wordprocessingmlPfx + "comments+xml":                             true,
	wordprocessingmlPfx + "document.glossary+xml":                    true,
	"application/vnd.ms-word.document.macroenabled.main+xml":         true,
	"application/vnd.ms-word.template.macroenabledtemplate.main+xml": true,
}

// externalRelTypes are relationship types whose external targets Office
// fetches when the document is opened or updated: remote templates
// ([ECMA-376] Part 1, 17.15.1 attachedTemplate), linked OLE objects,
// master-document subdocuments (17.17.1 subDoc), frameset frames (17.15.2
// frame), imported chunks (17.17.3 altChunk) and workbook links (18.14).
var externalRelTypes = map[string]bool{
	"attachedtemplate": true, "oleobject": true, "subdocument": true,
	"frame": true, "afchunk": true, "externallinkpath": true,
}

// role says what a part is for the verdict.
type role uint16

const (
	roleVBA role = 1 << iota
	roleXLM
	roleActiveX
	roleEmbedded
	roleAltChunk
	roleWordText
	roleExternalLink
	roleWordSettings // WordprocessingML settings: protection.go
	roleWorkbook     // the SpreadsheetML workbook part
	roleSheet        // a worksheet, chartsheet or dialogsheet
	rolePresentation // the PresentationML presentation part

	roleProtection = roleWordSettings | roleWorkbook | roleSheet | rolePresentation
)

type part struct {
	f    *zip.File
	key  string
	role role
	// Relationships targeting an embedded part from chart parts (chart
	// data workbooks) and from anything else.
	chartRefs, otherRefs int
	// ref: reachable from the package relationships or named by an
	// Override (set on the first part of each key). targeted: the target
	// of some internal relationship.
	ref, targeted bool
	// targets of a relationships part's internal relationships, for the
	// reachability walk; mark is the relationships part that last added
	// this part to its targets.
	targets []*part
	mark    *part
	// fam is what the head of a part read for its own findings sniffed as.
	fam inspect.Family
}

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	zp, w, err := zipx.Open(ctx, p, s, "OOXML")
	if err != nil {
		return err
	}
	pk := &pkg{Walker: w, byKey: map[string]*part{}, relsOf: map[string][]*part{}, local: zp.Local}
	err = pk.inspect(zp.Reader)
	if !pk.Stop(err) {
		pk.noteSignatures()
	}
	return err
}

// addPart records the member f as a part and returns it; a directory is
// none (nil).
func (pk *pkg) addPart(f *zip.File) *part {
	if strings.HasSuffix(f.Name, "/") {
		return nil
	}
	pt := &part{f: f, key: partKey(f.Name)}
	pk.parts = append(pk.parts, pt)
	if _, dup := pk.byKey[pt.key]; !dup {
		pk.byKey[pt.key] = pt
	}
	return pt
}

// pkg is the state of one package walk.
type pkg struct {
	zipx.Walker
	parts []*part
	byKey map[string]*part // first part of each key
	ct    *contentTypes
	main  string // key of the main part
	// opc: the package is an Office package (it has a main part), so that
	// a member no relationship reaches is worth a finding.
	opc bool
	// relsOf lists the relationships parts of each source part key ("" for
	// the package); edges counts the targets they keep.
	relsOf       map[string][]*part
	edges        int
	edgeOverflow bool
	// protectedSheets are the sheet parts with a password protection, for
	// one finding at the end (protection.go); signed caches signedNote.
	protectedSheets []string
	signed          *string
	// local are the members only the local header view shows as they
	// are (views.go).
	local []*zip.File
}

func (pk *pkg) inspect(zr *zip.Reader) error {
	exts := map[string]bool{}
	keys := map[string]bool{}
	for _, f := range zr.File {
		pt := pk.addPart(f)
		if pt == nil {
			continue
		}
		keys[pt.key] = true
		exts[ext(pt.key)] = true
		if f.Flags&0x1 != 0 {
			// APPNOTE.TXT 4.4.4: bit 0 of the general purpose flags.
			pk.S.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: DetailEncryptedZip, Where: f.Name})
		}
	}
	pk.localKeys(keys, exts)

	pk.ct = &contentTypes{defaults: map[string]string{}, overrides: map[string]string{}}
	if pt := pk.byKey[contentTypesPart]; pt != nil {
		if err := pk.read(pt, func(m io.Reader) error {
			ct, err := parseContentTypes(pk.Ctx, m, keys, exts)
			pk.ct = ct
			return err
		}); pk.Stop(err) {
			return err
		}
	}

	// Relationships first: they name the main part, the VBA project, the
	// embedded objects and the external targets, and say which parts the
	// package references. The targets are needed only when some part is
	// not named by an Override.
	needTargets := false
	for _, pt := range pk.parts {
		if _, isRels := relsSource(pt.key); !isRels && pt.key != contentTypesPart && !leftover(pt.key) {
			if _, ok := pk.ct.overrides[pt.key]; !ok {
				needTargets = true
				break
			}
		}
	}
	for _, pt := range pk.parts {
		src, ok := relsSource(pt.key)
		if !ok {
			continue
		}
		pk.relsOf[src] = append(pk.relsOf[src], pt)
		if err := pk.Ctx.Err(); err != nil {
			return err
		}
		var stop error
		err := pk.read(pt, func(m io.Reader) error {
			if pt.f.UncompressedSize64 < zipx.SmallPart {
				// Most relationship parts only link slides, styles and
				// themes: look at the bytes before decoding XML.
				return zipx.ReadSmall(m, pt.f.UncompressedSize64, func(b []byte) error {
					if zipx.ContainsFoldBytes(b, relNeedles) {
						return parseRels(pk.Ctx, bytes.NewReader(b), func(r relationship) { pk.relationship(pt, src, r) })
					}
					// No relationship here is of a type that matters
					// but for reachability; the targets are read from
					// the bytes. Whatever else the part is must still
					// be seen.
					if zipx.HandOn(sniffHead(b[:min(len(b), inspect.SniffLen)], pt.f.Name)) {
						stop = pk.S.ChildAt(pt.f.Name, inspect.BytesReaderAt(b), int64(len(b)))
					} else if needTargets && !scanTargets(b, func(t string) { pk.internalTarget(pt, src, t) }) {
						return parseRels(pk.Ctx, bytes.NewReader(b), func(r relationship) { pk.relationship(pt, src, r) })
					}
					return nil
				})
			}
			return parseRels(pk.Ctx, m, func(r relationship) { pk.relationship(pt, src, r) })
		})
		if stop != nil {
			return stop
		}
		if pk.Stop(err) {
			return err
		}
	}

	typ := pk.packageType()
	pk.opc = typ != inspect.TypeZIP
	if pk.appx() {
		// A Windows app package is an installer, whatever else it holds;
		// it has no main part, and its footprint files are referenced by
		// no relationship.
		typ, pk.opc = inspect.TypeMSIX, false
		pk.S.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: DetailMSIX})
	}
	pk.S.SetType(typ)
	if pk.opc {
		pk.markReferenced()
	}

	for _, pt := range pk.parts {
		pk.classify(pt)
	}
	for _, pt := range pk.parts {
		if err := pk.Ctx.Err(); err != nil {
			return err
		}
		if err := pk.inspectPart(pt); err != nil {
			return err
		}
	}
	pk.sheetFinding()
	if err := pk.localMembers(); err != nil {
		return err
	}
	return pk.Err
}

// read opens pt and calls fn with its content (zipx.Walker.Read).
func (pk *pkg) read(pt *part, fn func(io.Reader) error) error { return pk.Read(pt.f, fn) }

// relationship handles one relationship of the relationships part rels,
// which describes the part with key src ("" for the package).
func (pk *pkg) relationship(rels *part, src string, r relationship) {
	if r.external {
		if externalRelTypes[r.typ] || strings.Contains(r.fullType, "externallinkpath") {
			name := relTypeNames[r.typ]
			if strings.Contains(r.fullType, "externallinkpath") {
				name = "externalLinkPath"
			}
			pk.S.Emit(inspect.Finding{Kind: inspect.KindExternalReference, Where: rels.f.Name,
				Detail: name + " " + describeTarget(r.target)})
		}
		return
	}
	key := resolveTarget(src, r.target)
	pt := pk.byKey[key]
	if pt != nil {
		pk.addTarget(rels, pt)
	}
	if src == "" && r.typ == "officedocument" {
		if pk.main == "" {
			pk.main = key
		}
		return
	}
	if pt == nil {
		return
	}
	switch r.typ {
	case "vbaproject":
		pt.role |= roleVBA
	case "xlmacrosheet", "xlintlmacrosheet":
		pt.role |= roleXLM
	case "oleobject", "package":
		pt.role |= roleEmbedded
		if hasDir(src, "charts") {
			pt.chartRefs++
		} else {
			pt.otherRefs++
		}
	case "afchunk":
		pt.role |= roleAltChunk
	case "control", "activexcontrolbinary":
		pt.role |= roleActiveX
	}
}

var relTypeNames = map[string]string{
	"attachedtemplate": "attachedTemplate", "oleobject": "oleObject",
	"subdocument": "subDocument", "frame": "frame", "afchunk": "aFChunk",
}

// packageType is the type name from the main part's content type. A
// package without a resolvable main part is a plain zip to the user; one
// whose main part is of another kind (XPS, Visio, ...) is "other".
func (pk *pkg) packageType() string {
	main := pk.main
	if main == "" || pk.byKey[main] == nil {
		// No officeDocument relationship: Office cannot open it, but a
		// single known main content type still says what it claims to be.
		found := ""
		for k, ct := range pk.ct.overrides {
			if t, ok := mainTypes[ct]; ok {
				if found != "" && found != t {
					return inspect.TypeZIP
				}
				found, main = t, k
			}
		}
		if found == "" {
			return inspect.TypeZIP
		}
		pk.main = main
		return found
	}
	ct, _ := pk.ct.of(main)
	if t, ok := mainTypes[ct]; ok {
		return t
	}
	if ct == "" {
		return inspect.TypeZIP
	}
	return inspect.TypeOther
}

// classify adds the roles a part has by name and content type.
func (pk *pkg) classify(pt *part) {
	if _, isRels := relsSource(pt.key); isRels || pt.key == contentTypesPart {
		return
	}
	ct, override := pk.ct.of(pt.key)
	base := path.Base(pt.key)
	embedded := hasDir(pt.key, "embeddings")
	if base == "vbaproject.bin" || ct == ctVBAProject && (override || !embedded) {
		pt.role |= roleVBA
	}
	// [MS-XLSX] macro sheet and international macro sheet parts, and
	// their binary [MS-XLSB] forms.
	if hasDir(pt.key, "macrosheets") || strings.Contains(ct, "macrosheet") {
		pt.role |= roleXLM
	}
	if hasDir(pt.key, "activex") || strings.HasPrefix(ct, ctActiveXPrefix) {
		pt.role |= roleActiveX
	}
	if embedded || ct == ctOLEObject {
		pt.role |= roleEmbedded
	}
	if wordTextParts[ct] {
		pt.role |= roleWordText
	}
	if ct == ctExternalLinkXML || hasDir(pt.key, "externallinks") && ext(pt.key) == "xml" {
		pt.role |= roleExternalLink
	}
	pk.classifyProtection(pt, ct)
}

// inspectPart emits the findings of one part and hands nested content to
// the engine. It returns an error only when the walk must stop.
func (pk *pkg) inspectPart(pt *part) error {
	name := pt.f.Name
	emit := func(k inspect.Kind, detail string) {
		pk.S.Emit(inspect.Finding{Kind: k, Detail: detail, Where: name})
	}
	if pk.unreferenced(pt) {
		emit(inspect.KindAmbiguous, DetailUnreferenced)
	}
	if _, isRels := relsSource(pt.key); isRels || pt == pk.byKey[contentTypesPart] {
		return nil // read as XML above
	}
	if err := pk.roles(pt, emit); err != nil {
		return err
	}
	switch {
	case pt.role&(roleVBA|roleEmbedded|roleAltChunk) != 0:
		return nil // handed to the engine whole
	case pt.role&(roleWordText|roleExternalLink|roleProtection) != 0:
		// Read for its own findings; its head was sniffed then.
		if zipx.HandOn(pt.fam) {
			return pk.child(pt)
		}
		return nil
	}
	return pk.sniffMember(pt)
}

// roles emits the findings pt has by its roles and hands nested content to
// the engine. It returns an error only when the walk must stop.
func (pk *pkg) roles(pt *part, emit func(inspect.Kind, string)) error {
	if pt.role&roleVBA != 0 {
		// [MS-OFFMACRO2] VBA project part: a compound file; the OLE
		// inspector looks inside.
		emit(inspect.KindMacro, DetailVBAProject)
		return pk.child(pt)
	}
	if pt.role&roleXLM != 0 {
		emit(inspect.KindMacro, DetailXLMSheet)
	}
	if pt.role&roleActiveX != 0 && pk.activeXControl(pt) {
		emit(inspect.KindActiveContent, DetailActiveX)
	}
	if pt.role&roleEmbedded != 0 {
		// Chart data workbooks ([ECMA-376] Part 1, 21.2 DrawingML
		// charts, c:externalData) are what every chart carries; they are inspected
		// like any embedded package but are not reported as objects.
		if !(pt.chartRefs > 0 && pt.otherRefs == 0) {
			emit(inspect.KindEmbeddedObject, embeddedDetail(pt, pk.ct))
		}
		return pk.child(pt)
	}
	if pt.role&roleAltChunk != 0 {
		return pk.child(pt)
	}
	// DDE fields in Word text, DDE links in external links.
	for _, s := range []struct {
		role    role
		needles [][]byte
		fn      func(context.Context, io.Reader) (bool, error)
		detail  string
	}{
		{roleWordText, fieldNeedles, scanDDE, DetailDDEField},
		{roleExternalLink, nil, scanDDELink, DetailDDELink},
	} {
		if pt.role&s.role == 0 {
			continue
		}
		found, err := pk.scan(pt, s.needles, s.fn)
		if err != nil {
			return err
		}
		if found {
			emit(inspect.KindActiveContent, s.detail)
		}
	}
	if pt.role&roleProtection != 0 {
		return pk.protection(pt, emit)
	}
	return nil
}

// activeXControl reports whether pt is the part to report for an ActiveX
// control: its XML part (activeX1.xml), or its binary part when the
// package has no XML part for it.
func (pk *pkg) activeXControl(pt *part) bool {
	if ext(pt.key) != "bin" {
		return true
	}
	xmlKey := strings.TrimSuffix(pt.key, ".bin") + ".xml"
	x := pk.byKey[xmlKey]
	return x == nil || x.role&roleActiveX == 0
}

func embeddedDetail(pt *part, c *contentTypes) string {
	ct, _ := c.of(pt.key)
	if ext(pt.key) == "bin" || ct == ctOLEObject {
		return DetailOLEObject
	}
	return DetailEmbeddedPkg
}

// scan runs fn over the content of pt; when needles are given, a first
// cheap pass over the bytes decides whether fn is needed at all. The first
// pass also sniffs the part's head (pt.fam). Decoding errors are recorded
// (the part could not be inspected completely); only the end of the walk's
// time is returned.
func (pk *pkg) scan(pt *part, needles [][]byte, fn func(context.Context, io.Reader) (bool, error)) (bool, error) {
	if needles != nil {
		var hit bool
		err := pk.readHead(pt, func(r io.Reader) error {
			var err error
			hit, err = zipx.ContainsAny(pk.Ctx, r, needles, false)
			return err
		})
		if pk.Stop(err) {
			return false, err
		}
		if !hit || err != nil {
			return false, nil
		}
	}
	read := pk.read
	if needles == nil {
		read = pk.readHead
	}
	var found bool
	err := read(pt, func(r io.Reader) error {
		var err error
		found, err = fn(pk.Ctx, r)
		return err
	})
	if pk.Stop(err) {
		return found, err
	}
	return found, nil
}

// readHead is read that also sniffs the head of pt into pt.fam.
func (pk *pkg) readHead(pt *part, fn func(io.Reader) error) error {
	return pk.read(pt, func(r io.Reader) error {
		return zipx.WithHead(r, func(head []byte, all io.Reader) error {
			pt.fam = sniffHead(head, pt.f.Name)
			return fn(all)
		})
	})
}

// child hands pt to the engine, which sniffs and inspects it.
func (pk *pkg) child(pt *part) error {
	if pt.f.Flags&0x1 != 0 {
		return nil // reported as an encrypted zip entry
	}
	m, err := zipx.OpenMember(pt.f, pk.Lim)
	if err != nil {
		var le *inspect.LimitError
		if errors.As(err, &le) {
			pk.S.Emit(inspect.Unscannable(err).At(pt.f.Name))
			return nil
		}
		pk.Fail(zipx.MemberError(pt.f.Name, err))
		return nil
	}
	defer m.Close()
	return pk.S.Child(pt.f.Name, m)
}
