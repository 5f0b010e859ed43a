package all

import "github.com/officemilter/officemilter/inspect"

// addOoxml registers the ooxml inspector(s). Filled in by the ooxml package's work.
func addOoxml(m map[inspect.Family]inspect.Inspector) {}
