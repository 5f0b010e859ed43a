package odf

import (
	"encoding/xml"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Finding details this package emits. They are part of the JSON output.
const (
	DetailEncryption   = "ODF package encryption"
	DetailBasicModule  = "ODF Basic module "  // + library/module
	DetailScript       = "ODF script "        // + path under Scripts/
	DetailEventBinding = "ODF event binding"  // + " " + event name
	DetailScriptLink   = "ODF script link"    // a vnd.sun.star.script: or macro: URL
	DetailExecute      = "ODF execute action" // presentation:action="execute"
	DetailOLEObject    = "embedded OLE object"
	DetailEncryptedZip = "encrypted zip entry"
	DetailDDELink      = "DDE link"
)

// docNeedles are byte strings (lower case) one of which an XML part must
// contain to hold anything docHandler reports. Element and attribute names
// cannot be written with character references; attribute values can,
// hence "&#". Every event binding is an event-listener element or has an
// event-name attribute, both start with "event-" (plain "event" is in
// every document's xmlns:dom="http://www.w3.org/2001/xml-events").
var docNeedles = [][]byte{
	[]byte("event-"), []byte("vnd.sun.star.script"), []byte("macro:"),
	[]byte("&#"), []byte("object-ole"), []byte("source-code"),
	[]byte("dde-"), []byte("dde("), []byte("protection-key"),
}

// docHandler looks at the elements of an ODF document part (content.xml or
// styles.xml of a package, or a whole flat document) for
// script bindings, embedded Basic source and embedded OLE objects.
type docHandler struct {
	emit func(kind inspect.Kind, detail string)

	lib, module string     // names of the enclosing ooo:library-embedded / ooo:module
	code        *basicCode // non-nil inside ooo:source-code
	inOLE       int        // depth of draw:object-ole elements
	prot        protections
}

// elemAction says what the token loop must do with an element's content.
type elemAction int

const (
	actNone      elemAction = iota
	actImageData            // office:binary-data of an image: skip it
	actOLEData              // office:binary-data of draw:object-ole: inspect it
)

// start handles a start element.
func (h *docHandler) start(se xml.StartElement) elemAction {
	switch se.Name.Local {
	case "event-listener", "event":
		// [ODF 1.2] Part 1 script:event-listener (also
		// presentation:event-listener with presentation:action); OOo
		// 1.x script:event in office:events.
		h.eventBinding(se)
	case "library-embedded":
		// [ODF 1.2] Part 1 office:scripts holds the Basic libraries
		// of a flat document in LibreOffice's ooo:libraries vocabulary.
		h.lib, _ = zipx.Attr(se, "name")
	case "module":
		h.module, _ = zipx.Attr(se, "name")
	case "source-code":
		h.code = &basicCode{}
	case "object-ole":
		h.inOLE++
	case "dde-connection-decl", "dde-source":
		// [ODF 1.2] Part 1 text:dde-connection-decl and the
		// office:dde-source of table:dde-link: content LibreOffice
		// fetches from a DDE server.
		h.emit(inspect.KindActiveContent, DetailDDELink)
	case "binary-data":
		// office:binary-data: base64 content of an image or object.
		if h.inOLE > 0 {
			return actOLEData
		}
		return actImageData
	case "config-item-set", "config-item-map-named", "config-item-map-indexed", "config-item-map-entry", "config-item":
		// office:settings of a flat document.
		h.prot.start(se)
	}
	keyed := false
	for _, a := range se.Attr {
		if a.Name.Local == "protection-key" && strings.TrimSpace(a.Value) != "" {
			keyed = true
		}
		if a.Name.Local == "formula" && strings.Contains(strings.ToLower(a.Value), "dde(") {
			// A spreadsheet cell formula calling DDE() ([ODF 1.2] Part 2,
			// OpenFormula).
			h.emit(inspect.KindActiveContent, DetailDDELink)
		}
		if a.Name.Local == "href" && isScriptURL(a.Value) && se.Name.Local != "event-listener" && se.Name.Local != "event" {
			// A hyperlink or a form control URL that runs a macro when
			// followed.
			h.emit(inspect.KindMacro, DetailScriptLink)
		}
	}
	if keyed {
		h.prot.keyed(se)
	}
	return actNone
}

func (h *docHandler) end(ee xml.EndElement) {
	h.prot.end(ee)
	switch ee.Name.Local {
	case "source-code":
		if h.code != nil && h.code.done() {
			name := h.lib + "/" + h.module
			if h.lib == "" && h.module == "" {
				name = "(unnamed)"
			}
			h.emit(inspect.KindMacro, DetailBasicModule+clip(name))
		}
		h.code = nil
	case "object-ole":
		if h.inOLE > 0 {
			h.inOLE--
		}
	case "library-embedded":
		h.lib = ""
	case "module":
		h.module = ""
	}
}

func (h *docHandler) text(t xml.CharData) {
	if h.code != nil {
		h.code.Write(t)
	}
	h.prot.text(t)
}

// finish emits what is reported once per part: the protections.
func (h *docHandler) finish() {
	h.prot.flush(h.emit)
}

// eventBinding reports an event listener that runs a script or a program.
func (h *docHandler) eventBinding(se xml.StartElement) {
	event, hasEvent := zipx.Attr(se, "event-name")
	if se.Name.Local == "event" && !hasEvent {
		return // some other "event" element
	}
	action, _ := zipx.Attr(se, "action")
	href, _ := zipx.Attr(se, "href")
	lang, _ := zipx.Attr(se, "language")
	macro, _ := zipx.Attr(se, "macro-name")
	switch {
	case strings.EqualFold(strings.TrimSpace(action), "execute"):
		h.emit(inspect.KindActiveContent, DetailExecute)
	case isScriptURL(href) || macro != "" || lang != "" && action == "":
		d := DetailEventBinding
		if event = strings.TrimSpace(event); event != "" {
			d += " " + clip(event)
		}
		h.emit(inspect.KindMacro, d)
	}
}

// isScriptURL reports whether an URL runs a macro: vnd.sun.star.script:
// (the scripting framework, any language and location) or the older
// macro: form.
func isScriptURL(u string) bool {
	u = strings.ToLower(strings.TrimSpace(u))
	return strings.HasPrefix(u, "vnd.sun.star.script:") || strings.HasPrefix(u, "macro:")
}

// clip bounds a name taken from untrusted input.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
