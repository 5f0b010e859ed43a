package html

import (
	"bytes"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// What the tokenizers report to the scan: tags with their attributes, style
// sheets, script words and runs of script literals.

// word handles a script identifier, or a string literal used as one
// (window["at"+"ob"]).
func (st *scan) word(w string) {
	switch w {
	case "Blob", "createObjectURL":
		st.blob = true
	case "saveAs": // FileSaver.js: saveAs(blob, name)
		st.blob = true
		st.js.nameWant = nameTokens
	case "msSaveOrOpenBlob", "msSaveBlob":
		st.msSave = true
		st.js.nameWant = nameTokens
	case "atob":
		st.atob = true
	case "download":
		st.downloadProp = true
		st.js.nameWant = nameTokens
	}
}

// literal handles a finished run of script string literals.
func (st *scan) literal(b []byte, over bool) {
	if over {
		head := b[:min(len(b), 4096)]
		if b64Len(head) > 0 || indexFold(head, "data:") >= 0 {
			st.limit(inspect.LimitHTMLLiteral, int64(maxLiteral))
		}
		// What was kept is still decoded: the head of a file tells what
		// it is.
	}
	if len(b) <= maxIdent {
		switch w := string(b); w {
		case "Blob", "createObjectURL", "saveAs", "msSaveOrOpenBlob", "msSaveBlob", "atob", "download":
			// setAttribute("download", ...), window["atob"]: the
			// literal's own token already ended the name window.
			want := st.js.nameWant
			st.word(w)
			if w != "download" && w != "saveAs" && w != "msSaveOrOpenBlob" && w != "msSaveBlob" {
				st.js.nameWant = want
			}
			return
		}
	}
	if len(b) > 0 && len(b) <= maxName && bytes.IndexByte(b, '/') < 0 && bytes.IndexByte(b, ':') < 0 && bytes.IndexByte(b, '.') > 0 {
		if n := cleanName(b); n != "" {
			switch {
			case st.js.nameWant > 0:
				st.names = append(st.names, n)
				st.js.nameWant = 0
				return
			case len(st.fileLits) < maxFileLiterals && inspect.TypeFromName(n) != "":
				st.fileLits = append(st.fileLits, n)
			}
		}
	}
	if uris := dataURIs(b, false); len(uris) > 0 {
		for _, d := range uris {
			if !displayable(d.mime) {
				st.dataNav = true
				st.scriptPayload = true
			}
			st.hand("", mimeExt(d.mime), d.data, true)
		}
		return
	}
	if n := b64Len(b); n >= minB64Literal {
		if n >= largeB64 {
			st.b64Large = true
		}
		st.scriptPayload = true
		st.hand("", ".bin", decodeB64(b), true)
	}
}

// numbers handles a finished list of byte values in a script: long enough,
// it is a payload ([77, 90, 144, 0, ...] into a Uint8Array).
func (st *scan) numbers(b []byte, over bool) {
	if over {
		st.limit(inspect.LimitHTMLLiteral, int64(maxLiteral))
	}
	if len(b) >= minNumbers {
		st.scriptPayload = true
		st.hand("", ".bin", bytes.Clone(b), true)
	}
}

// style handles a style sheet's text: its data: URIs (url(data:...)).
func (st *scan) style(b []byte, over bool) {
	if over {
		if indexFold(b, "data:") >= 0 {
			st.limit(inspect.LimitHTMLStyle, int64(maxLiteral))
		}
	}
	for _, d := range dataURIs(b, false) {
		st.hand("", mimeExt(d.mime), d.data, false)
	}
}

// navigations are the attributes whose URI a browser loads or offers on a
// click, by element ("" for any element).
func navigation(elem, attr string) bool {
	switch attr {
	case "href", "xlink:href":
		return elem == "a" || elem == "area"
	case "src":
		return elem == "iframe" || elem == "frame" || elem == "embed"
	case "data":
		return elem == "object"
	case "content":
		return elem == "meta" // <meta http-equiv="refresh" content="0;url=data:...">
	case "action", "formaction":
		return true
	}
	return false
}

// scriptURL reports a javascript: (or vbscript:) URL and returns its code.
// Browsers drop leading control characters and spaces and any tab or line
// break inside the scheme (WHATWG URL 4.4).
func scriptURL(v []byte) ([]byte, bool) {
	// C0 controls and space lead nothing (the URL parser strips them);
	// a loop, not bytes.TrimLeft, which builds its set on every call.
	for len(v) > 0 && v[0] <= ' ' {
		v = v[1:]
	}
	var scheme []byte
	for i := 0; i < len(v) && i < 64; i++ {
		c := v[i]
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			continue
		case c == ':':
			s := string(scheme)
			if s == "javascript" || s == "vbscript" {
				return inspect.HexUnescape(v[i+1:], '%'), true
			}
			return nil, false
		case !isSchemeByte(c):
			return nil, false
		}
		scheme = append(scheme, lower(c))
	}
	return nil, false
}

// scriptRuns reports whether a browser runs a script element of these
// attributes: no type, a JavaScript MIME type or "module" (WHATWG HTML
// 4.12.1.1); VBScript for Internet Explorer. Other types (JSON-LD,
// templates) are data blocks.
func scriptRuns(attrs []attr) bool {
	for _, a := range attrs {
		if a.name != "type" {
			continue
		}
		t := strings.ToLower(strings.TrimSpace(string(a.value)))
		if t == "" || t == "module" {
			return true
		}
		for _, k := range []string{"javascript", "ecmascript", "jscript", "livescript", "vbscript"} {
			if strings.Contains(t, k) {
				return true
			}
		}
		return false
	}
	return true
}

// tag handles a start tag and its attributes.
func (st *scan) tag(name string, attrs []attr) {
	if name == "script" && scriptRuns(attrs) {
		st.script = true
	}
	download, hasDownload := "", false
	for _, a := range attrs {
		if a.name == "download" {
			hasDownload = true
			download = cleanName(entities(a.value))
		}
	}
	for _, a := range attrs {
		if st.err != nil {
			return
		}
		if a.over {
			head := a.value[:min(len(a.value), 4096)]
			if b64Len(head) > 0 || indexFold(head, "data:") >= 0 || strings.HasPrefix(a.name, "on") || a.name == "srcdoc" {
				st.limit(inspect.LimitHTMLAttribute, int64(maxLiteral))
			}
		}
		if len(a.value) == 0 {
			continue
		}
		v := entities(a.value)
		if strings.HasPrefix(a.name, "on") && len(a.name) > 2 {
			if len(bytes.TrimSpace(v)) > 0 {
				st.js.runScript(v)
			}
			continue
		}
		if code, ok := scriptURL(v); ok {
			st.js.runScript(code)
			continue
		}
		if a.name == "srcdoc" {
			st.hand("srcdoc.html", "", v, false)
			continue
		}
		nav := navigation(name, a.name)
		for _, d := range dataURIs(v, true) {
			child := ""
			switch {
			case nav && hasDownload && (name == "a" || name == "area"):
				st.dataDownload = true
				child = download
			case nav && !displayable(d.mime):
				st.dataDownload = true
			}
			st.hand(child, mimeExt(d.mime), d.data, false)
		}
	}
}
