package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/pdf"
)

// addPdf registers the PDF inspector.
func addPdf(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyPDF] = pdf.New()
}
