package odf

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Password protections that are not encryption: the document opens without
// a password, but one guards a section, a sheet, the spreadsheet's
// structure, change recording or saving changes. The strict mailbox
// refuses them (inspect.KindProtected). [ODF 1.2] Part 1 stores the
// password's digest in a protection-key attribute:
//
//   - text:protection-key (19.867) on text:section and the index elements
//     (text:table-of-content ...), with text:protected="true";
//   - table:protection-key (19.697) on table:table with
//     table:protected="true", on office:spreadsheet with
//     table:structure-protected="true", and on table:tracked-changes
//     (change recording, no flag of its own).
//
// An element with the flag but no key is protected without a password
// (LibreOffice lifts it without asking): no finding. One with a key but
// the flag off is not protected. Elements the schema does not give a key
// count with the key alone.
//
// LibreOffice keeps the other passwords in settings.xml configuration items
// (its settings service, not the ODF schema): RedlineProtectionKey (Writer:
// a password to stop recording changes, base64 of the digest, empty when
// none), and the password to modify of the "Save with password" dialog as
// a config-item-set ModifyPasswordInfo (algorithm-name, salt,
// iteration-count, hash), OOXMLModifyPasswordInfo for one kept from an
// OOXML file, or the older ModifyPasswordHash integer. LoadReadonly="true"
// alone only suggests opening read-only: no finding.
//
// Where the package is encrypted (manifest:encryption-data), content.xml
// and settings.xml are not readable: the encrypted finding stands for
// them.

// Finding details of protections (prefixes; the element or item follows in
// parentheses). They are part of the JSON output.
const (
	DetailProtectedSection   = "protected section with a password"
	DetailProtectedIndex     = "protected index with a password"
	DetailProtectedSheet     = "protected sheet with a password"
	DetailProtectedTable     = "protected table with a password"
	DetailProtectedStructure = "protected spreadsheet structure with a password"
	DetailProtectedChanges   = "protected change recording with a password"
	DetailProtectedContent   = "protected content with a password"
	DetailModifyPassword     = "password to modify"
	// DetailSigned is appended to the Detail of a protected finding of a
	// package with a document signature (see Signatures).
	DetailSigned = "; signed"
)

// protected names the elements that can carry a protection key: the
// canonical qualified name for the Detail (the file's prefix is the
// attacker's), what they protect, and whether a protected flag must be set.
var protected = map[string]struct {
	name, what string
	flag       string // local name of the flag attribute; "" when the key alone counts
}{
	"section":            {"text:section", DetailProtectedSection, "protected"},
	"table-of-content":   {"text:table-of-content", DetailProtectedIndex, "protected"},
	"illustration-index": {"text:illustration-index", DetailProtectedIndex, "protected"},
	"table-index":        {"text:table-index", DetailProtectedIndex, "protected"},
	"object-index":       {"text:object-index", DetailProtectedIndex, "protected"},
	"user-index":         {"text:user-index", DetailProtectedIndex, "protected"},
	"alphabetical-index": {"text:alphabetical-index", DetailProtectedIndex, "protected"},
	"bibliography":       {"text:bibliography", DetailProtectedIndex, "protected"},
	"table":              {"table:table", DetailProtectedTable, "protected"},
	"spreadsheet":        {"office:spreadsheet", DetailProtectedStructure, "structure-protected"},
	"tracked-changes":    {"table:tracked-changes", DetailProtectedChanges, ""},
}

// protections gathers the password protections of one XML part (or of a
// flat document), one finding per kind with a count.
type protections struct {
	// spreadsheet: a table:table is a sheet (a spreadsheet document), not
	// a text table.
	spreadsheet bool
	found       []protFound

	// Configuration items ([ODF 1.2] Part 1 office:settings,
	// config:config-item and the sets and maps that hold them).
	sets   []string // config:name of the enclosing item sets and maps
	item   string   // config:name of the config-item being read
	inItem bool
	val    []byte // the item's value, enough of it to tell empty and "0"
}

type protFound struct {
	detail string
	n      int
}

func (p *protections) add(detail string) {
	for i := range p.found {
		if p.found[i].detail == detail {
			p.found[i].n++
			return
		}
	}
	p.found = append(p.found, protFound{detail: detail, n: 1})
}

// keyed handles an element with a non-empty protection-key attribute.
func (p *protections) keyed(se xml.StartElement) {
	e, known := protected[se.Name.Local]
	if !known {
		name := se.Name.Local
		if se.Name.Space != "" {
			name = se.Name.Space + ":" + name
		}
		p.add(DetailProtectedContent + " (" + inspect.Clean(name, 60))
		return
	}
	if e.flag != "" {
		v, _ := zipx.Attr(se, e.flag)
		if !isTrue(v) {
			return
		}
	}
	what := e.what
	if what == DetailProtectedTable && p.spreadsheet {
		what = DetailProtectedSheet
	}
	p.add(what + " (" + e.name)
}

// isTrue reads an [ODF 1.2] boolean ("true"; "1" is not one, but costs
// nothing to accept).
func isTrue(v string) bool {
	v = strings.TrimSpace(v)
	return v == "true" || v == "1"
}

// start, end and text follow configuration items.
func (p *protections) start(se xml.StartElement) {
	switch se.Name.Local {
	case "config-item-set", "config-item-map-named", "config-item-map-indexed", "config-item-map-entry":
		name, _ := zipx.Attr(se, "name")
		if len(p.sets) < 64 {
			p.sets = append(p.sets, name)
		}
	case "config-item":
		p.item, _ = zipx.Attr(se, "name")
		p.inItem = true
		p.val = p.val[:0]
	}
}

func (p *protections) end(ee xml.EndElement) {
	switch ee.Name.Local {
	case "config-item-set", "config-item-map-named", "config-item-map-indexed", "config-item-map-entry":
		if len(p.sets) > 0 {
			p.sets = p.sets[:len(p.sets)-1]
		}
	case "config-item":
		if p.inItem {
			p.configItem(p.item, string(bytes.TrimSpace(p.val)))
		}
		p.inItem = false
	}
}

func (p *protections) text(t xml.CharData) {
	if p.inItem && len(p.val) < 32 {
		p.val = append(p.val, t[:min(len(t), 32-len(p.val))]...)
	}
}

// configItem handles one configuration item with its (trimmed, possibly
// cut) value.
func (p *protections) configItem(name, val string) {
	if val == "" {
		return
	}
	set := ""
	if len(p.sets) > 0 {
		set = p.sets[len(p.sets)-1]
	}
	switch {
	case strings.HasSuffix(set, "ModifyPasswordInfo") && strings.Contains(name, "hash"):
		p.add(DetailModifyPassword + " (" + inspect.Clean(set, 60))
	case name == "ModifyPasswordHash" && val != "0":
		p.add(DetailModifyPassword + " (ModifyPasswordHash")
	case name == "RedlineProtectionKey":
		p.add(DetailProtectedChanges + " (RedlineProtectionKey")
	case strings.HasSuffix(name, "ProtectionKey"):
		p.add(DetailProtectedContent + " (" + inspect.Clean(name, 60))
	}
}

// flush emits one finding per kind found and forgets them.
func (p *protections) flush(emit func(inspect.Kind, string)) {
	for _, f := range p.found {
		d := f.detail
		if f.n > 1 {
			d += fmt.Sprintf(", %d of them", f.n)
		}
		emit(inspect.KindProtected, d+")")
	}
	p.found = nil
}

// settingsNeedles are byte strings one of which settings.xml must contain
// for a configuration item to say something here. Item names are
// attribute values, which character references can spell.
var settingsNeedles = [][]byte{[]byte("ProtectionKey"), []byte("ModifyPassword"), []byte("&#")}

// settingsNeedParse reports whether the settings part b must be decoded:
// it has a needle, and not only as the empty RedlineProtectionKey item
// every Writer document carries (`<config:config-item
// config:name="RedlineProtectionKey" config:type="base64Binary"/>`).
func settingsNeedParse(b []byte) bool {
	if bytes.Contains(b, settingsNeedles[1]) || bytes.Contains(b, settingsNeedles[2]) {
		return true
	}
	for rest := b; ; {
		i := bytes.Index(rest, settingsNeedles[0])
		if i < 0 {
			return false
		}
		rest = rest[i+len(settingsNeedles[0]):]
		gt := bytes.IndexByte(rest, '>')
		if gt < 0 {
			return true
		}
		if !(gt > 0 && rest[gt-1] == '/' || bytes.HasPrefix(rest[gt+1:], []byte("</"))) {
			return true
		}
		rest = rest[gt+1:]
	}
}

// settings reads a settings.xml member (of the package or of a
// sub-document) for the configuration items above; like sniffMember it
// hands the member on when it is not XML.
func (pk *pkg) settings(f *zip.File, emit func(inspect.Kind, string)) error {
	if pk.encrypted(f) || f.UncompressedSize64 == 0 {
		return nil
	}
	var stop error
	parse := false
	err := pk.Read(f, func(r io.Reader) error {
		if f.UncompressedSize64 < zipx.SmallPart {
			// Most settings parts are a few KiB, with an empty
			// RedlineProtectionKey: look at the bytes before decoding.
			return zipx.ReadSmall(r, f.UncompressedSize64, func(b []byte) error {
				if zipx.HandOn(sniffHead(b[:min(len(b), inspect.SniffLen)], f.Name)) {
					stop = pk.S.ChildAt(f.Name, inspect.BytesReaderAt(b), int64(len(b)))
					return nil
				}
				parse = settingsNeedParse(b) || len(b) >= 2 && (b[0] == 0 || b[1] == 0 || b[0] >= 0xFE)
				return nil
			})
		}
		return zipx.WithHead(r, func(head []byte, all io.Reader) error {
			if zipx.HandOn(sniffHead(head, f.Name)) {
				stop = pk.S.Child(f.Name, all)
				return nil
			}
			var err error
			parse, err = zipx.ContainsAny(pk.Ctx, all, settingsNeedles, false)
			return err
		})
	})
	if stop != nil {
		return stop
	}
	if pk.Stop(err) {
		return err
	}
	if !parse || err != nil {
		return nil
	}
	p := &protections{}
	err = pk.Read(f, func(r io.Reader) error {
		return zipx.Tokens(pk.Ctx, r, func(tok xml.Token) error {
			switch t := tok.(type) {
			case xml.StartElement:
				p.start(t)
			case xml.EndElement:
				p.end(t)
			case xml.CharData:
				p.text(t)
			}
			return nil
		})
	})
	p.flush(emit)
	if pk.Stop(err) {
		return err
	}
	return nil
}

// isSpreadsheet reports whether the type name is a spreadsheet's.
func isSpreadsheet(typ string) bool {
	return typ == inspect.TypeODS || typ == inspect.TypeSXC || typ == inspect.TypeFODS
}
