package all

import "github.com/officemilter/officemilter/inspect"

// addOdf registers the odf inspector(s). Filled in by the odf package's work.
func addOdf(m map[inspect.Family]inspect.Inspector) {}
