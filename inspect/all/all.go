// Package all wires every format inspector into an engine. It is the one
// place that names them all; cmd/officemilter and the tests that need the
// whole engine call it. It holds no logic of its own.
package all

import (
	"github.com/officemilter/officemilter/inspect"
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
	addExe(m)
	addMime(m)
	addCMS(m)
	addOneNote(m)
	addOfficeXML(m)
	addText(m)
	addHTML(m)
	return m
}

// NewEngine returns an engine with every inspector and the given limits
// (zero fields take inspect.DefaultLimits).
func NewEngine(l inspect.Limits) *inspect.Engine {
	return inspect.NewEngine(Inspectors(), l)
}
