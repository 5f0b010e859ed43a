package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
)

// addCMS registers the CMS inspector: a .p7m/.p7s file (or any CMS
// ContentInfo) is read and what a signature carries is inspected as a
// child.
func addCMS(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyCMS] = mime.NewCMS(mime.Limits{})
}
