package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/officexml"
)

// addOfficeXML registers the inspectors of Office's XML shells (Word 2003
// XML, Excel 2003 XML, Flat OPC) and of the ActiveMime blob they and MHT
// documents carry macros in.
func addOfficeXML(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyOfficeXML] = officexml.New()
	m[inspect.FamilyActiveMime] = officexml.NewActiveMime()
}
