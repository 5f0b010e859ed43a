package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/text"
)

// addText registers the inspector for plain text (armored PGP) and SYLK
// (Excel 4 macros, DDE).
func addText(m map[inspect.Family]inspect.Inspector) {
	t := text.New()
	for _, f := range text.Families {
		m[f] = t
	}
}
