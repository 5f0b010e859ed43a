package all

import "github.com/officemilter/officemilter/inspect"

// addText registers the text inspector(s). Filled in by the text package's work.
func addText(m map[inspect.Family]inspect.Inspector) {}
