// Package all wires every format inspector into an engine. It is the one
// place that names them all; cmd/officemilter and the tests that need the
// whole engine call it. It holds no logic of its own.
package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/exe"
	"github.com/officemilter/officemilter/inspect/html"
	"github.com/officemilter/officemilter/inspect/onenote"
	"github.com/officemilter/officemilter/inspect/text"
)

// Inspectors returns a fresh inspector for every family officemilter
// understands.
func Inspectors() map[inspect.Family]inspect.Inspector {
	m := map[inspect.Family]inspect.Inspector{}
	addOle(m)
	addOoxml(m)
	addOdf(m)
	addPdf(m)
	addRtf(m)
	addArchive(m)
	addDiskimg(m)
	addTnef(m)
	// Executables: PE, ELF, Mach-O, Java class files, Windows shortcuts
	// and scripts.
	addFamilies(m, exe.New(), exe.Families)
	addMime(m)
	addCMS(m)
	// OneNote files (embedded files) and compiled HTML help.
	addFamilies(m, onenote.New(), onenote.Families)
	addOfficeXML(m)
	// Plain text (armored PGP) and SYLK (Excel 4 macros, DDE).
	addFamilies(m, text.New(), text.Families)
	// HTML and SVG (scripts, HTML smuggling, decoded data: URIs and base64
	// payloads) and App Installer files.
	addFamilies(m, html.New(), html.Families)
	return m
}

// addFamilies registers ins for each of the families it reads.
func addFamilies(m map[inspect.Family]inspect.Inspector, ins inspect.Inspector, fams []inspect.Family) {
	for _, f := range fams {
		m[f] = ins
	}
}

// NewEngine returns an engine with every inspector and the given limits
// (zero fields take inspect.DefaultLimits).
func NewEngine(l inspect.Limits) *inspect.Engine {
	return inspect.NewEngine(Inspectors(), l)
}
