package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/onenote"
)

// addOneNote registers the inspector for OneNote files (embedded files)
// and compiled HTML help.
func addOneNote(m map[inspect.Family]inspect.Inspector) {
	x := onenote.New()
	for _, f := range onenote.Families {
		m[f] = x
	}
}
