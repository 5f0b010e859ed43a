package all

import "github.com/officemilter/officemilter/inspect"

// addMime registers the mime inspector(s). Filled in by the mime package's work.
func addMime(m map[inspect.Family]inspect.Inspector) {}
