package all

import "github.com/officemilter/officemilter/inspect"

// addPdf registers the pdf inspector(s). Filled in by the pdf package's work.
func addPdf(m map[inspect.Family]inspect.Inspector) {}
