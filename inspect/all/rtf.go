package all

import "github.com/officemilter/officemilter/inspect"

// addRtf registers the rtf inspector(s). Filled in by the rtf package's work.
func addRtf(m map[inspect.Family]inspect.Inspector) {}
