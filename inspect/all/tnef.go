package all

import "github.com/officemilter/officemilter/inspect"

// addTnef registers the tnef inspector(s). Filled in by the tnef package's work.
func addTnef(m map[inspect.Family]inspect.Inspector) {}
