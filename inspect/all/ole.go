package all

import "github.com/officemilter/officemilter/inspect"

// addOle registers the ole inspector(s). Filled in by the ole package's work.
func addOle(m map[inspect.Family]inspect.Inspector) {}
