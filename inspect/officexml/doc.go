// Package officexml inspects the shells attackers moved Office macros to
// once Office blocked macros in files from the internet: text files Word
// and Excel still open as documents, and the ActiveMime blob inside them.
//
// It owns two inspectors:
//
//   - Inspector (inspect.FamilyOfficeXML): Word 2003 XML (WordprocessingML
//     2003, root w:wordDocument), Excel 2003 XML (SpreadsheetML 2003, root
//     ss:Workbook) and Flat OPC (an OOXML package as one XML file, root
//     pkg:package). The root element decides, as in Office; XML with any
//     other root is "txt". It streams the document once, bounded in depth
//     and element count, and hands every base64 payload — w:binData
//     (editdata.mso: the VBA project; oledata.mso: OLE objects; images) and
//     pkg:binaryData (vbaProject.bin, embeddings, ActiveX) — to the engine,
//     named by w:name or pkg:name. A Flat OPC VBA project part is reported
//     as macro ("vbaProject.bin in Flat OPC") by itself too, and external
//     relationships Office fetches (remote templates ...) as
//     external-reference.
//   - ActiveMimeInspector (inspect.FamilyActiveMime): inflates the zlib
//     stream of an ActiveMime blob (bounded by the engine's ratio and size
//     limits) and hands the compound file to the engine; the OLE inspector
//     reports its VBA project as macro. The blob itself is reported as
//     embedded-object ("ActiveMime"); a blob with nothing to inflate is
//     unscannable.
//
// Types. The shells are wordxml, xlsxml and flatopc. The name decides which
// application opens a file, so a shell named like a legacy Office file is
// that legacy type — a Word 2003 XML named .doc is a "doc" for allow_types
// and is stripped by rule 1, with a legacy-office finding "Word 2003 XML
// document named .doc" (the engine adds its own "Word 97-2003 document" for
// the type). Word XML takes .doc/.dot, Excel XML .xls/.xlt, Flat OPC any
// legacy name. A Flat OPC keeps the type flatopc under an OOXML name
// (.docx, .docm ...): Office opens those as zip packages, so the name does
// not make it one, and its macros are reported whatever the name; a
// strict allow_types list without flatopc refuses it.
//
// MHT ("single file web page", a MIME multipart/related message) is walked
// by inspect/mime; its ActiveMime part reaches ActiveMimeInspector through
// the engine's sniffing.
//
// The package knows no policy, logging or configuration, and no other
// inspector.
package officexml
