package all

import "github.com/officemilter/officemilter/inspect"

// addExe registers the exe inspector(s). Filled in by the exe package's work.
func addExe(m map[inspect.Family]inspect.Inspector) {}
