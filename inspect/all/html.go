package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html"
)

// addHTML registers the inspector for HTML and SVG (scripts, HTML
// smuggling, decoded data: URIs and base64 payloads) and App Installer
// files.
func addHTML(m map[inspect.Family]inspect.Inspector) {
	h := html.New()
	for _, f := range html.Families {
		m[f] = h
	}
}
