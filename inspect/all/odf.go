package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/odf"
)

// addOdf registers the ODF package and flat ODF inspectors.
func addOdf(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyODF] = odf.New()
	m[inspect.FamilyFlatODF] = odf.NewFlat()
}
