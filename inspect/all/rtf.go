package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/rtf"
)

// addRtf registers the RTF inspector.
func addRtf(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyRTF] = rtf.New()
}
