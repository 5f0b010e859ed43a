package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/ole"
)

// addOle registers the OLE2 compound file inspector (Word, Excel,
// PowerPoint binaries, encrypted OOXML, Outlook .msg, MSI, embedded objects).
func addOle(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyOLE] = ole.New()
}
