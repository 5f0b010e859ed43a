package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/ooxml"
)

// addOoxml registers the OOXML package inspector.
func addOoxml(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyOOXML] = ooxml.New()
}
