package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/tnef"
)

// addTnef registers the TNEF (winmail.dat) inspector.
func addTnef(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyTNEF] = tnef.New()
}
