package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/exe"
)

// addExe registers the executable inspector for PE, ELF, Mach-O, Java class
// files, Windows shortcuts and scripts.
func addExe(m map[inspect.Family]inspect.Inspector) {
	x := exe.New()
	for _, f := range exe.Families {
		m[f] = x
	}
}
