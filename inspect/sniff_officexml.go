package inspect

import (
	"bytes"
)

// Office's XML shells and the ActiveMime blob (inspect/officexml). Since
// Office blocks macros in files from the internet, attackers carry VBA in
// these: Word and Excel still open them, and as text they would otherwise
// pass as "txt".
const (
	// FamilyOfficeXML is an XML file Word or Excel opens as a document:
	// Word 2003 XML (WordprocessingML 2003), Excel 2003 XML (SpreadsheetML
	// 2003) or Flat OPC (an OOXML package as one XML file, pkg:package).
	FamilyOfficeXML Family = "office-xml"
	// FamilyActiveMime is an ActiveMime blob ("ActiveMime" at offset 0):
	// the zlib-compressed compound file Word 2003 XML and MHT documents
	// keep their VBA project (editdata.mso) or OLE objects (oledata.mso) in.
	FamilyActiveMime Family = "activemime"
)

var (
	magicActiveMime = []byte("ActiveMime")
	// Namespaces and progids that mark an Office XML shell. Word, Excel and
	// PowerPoint key on the root element's namespace; Windows hands a .xml
	// file to the application its <?mso-application progid?> names.
	officeXMLMarkers = [][]byte{
		[]byte("http://schemas.microsoft.com/office/word/2003/"),      // Word 2003 XML root w:wordDocument (wordml, 2/wordml)
		[]byte("urn:schemas-microsoft-com:office:spreadsheet"),        // Excel 2003 XML root ss:Workbook
		[]byte("http://schemas.microsoft.com/office/2006/xmlPackage"), // Flat OPC root pkg:package
		[]byte("mso-application"),                                     // <?mso-application progid="Word.Document"?>
	}
)

// sniffOfficeXML returns the family of an Office XML shell or an ActiveMime
// blob from the head of a file, "" for anything else. It looks only at
// head: the inspector reads the root element and decides for good (an XML
// file that merely mentions a namespace becomes "txt" there). A text file
// named like a script (.wsf, .hta are XML too) stays a script: Windows runs
// it by its name, whatever its root element says.
func sniffOfficeXML(head []byte, name string) Family {
	if bytes.HasPrefix(head, magicActiveMime) {
		return FamilyActiveMime
	}
	if _, ok := ScriptExts[Ext(name)]; ok {
		return ""
	}
	// Cheap test first: XML starts with '<' (after a BOM or white space).
	text := xmlHeadASCII(head)
	if text == nil || !IsText(head) {
		return ""
	}
	for _, m := range officeXMLMarkers {
		if bytes.Contains(text, m) {
			return FamilyOfficeXML
		}
	}
	// An XML declaration followed by nothing but prolog (comments,
	// processing instructions, a doctype) up to the end of the head: the
	// root element, which Office keys on, is further on. Padding must not
	// turn a Word document into "txt", so the inspector reads the root.
	if len(head) >= SniffLen && prologOnly(text) {
		return FamilyOfficeXML
	}
	return ""
}

// xmlHeadASCII returns the head of an XML document as bytes that can be
// searched for ASCII markers: UTF-8 (with or without a byte order mark) as
// is, UTF-16 with a byte order mark reduced to its low bytes. It returns nil
// when head does not start (after white space) with '<'.
func xmlHeadASCII(head []byte) []byte {
	var text []byte
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		lo := 2 // little endian: the ASCII byte comes first
		if head[0] == 0xFE {
			lo = 3
		}
		text = make([]byte, 0, len(head)/2)
		for i := lo; i < len(head); i += 2 {
			text = append(text, head[i])
		}
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		text = head[3:]
	default:
		text = head
	}
	if t := bytes.TrimLeft(text, " \t\r\n"); len(t) == 0 || t[0] != '<' {
		return nil
	}
	return text
}

// prologOnly reports whether text (an XML head) holds no start tag of an
// element: every '<' opens a declaration, processing instruction, comment
// or doctype ("<?", "<!").
func prologOnly(text []byte) bool {
	if !bytes.HasPrefix(bytes.TrimLeft(text, " \t\r\n"), []byte("<?xml")) {
		return false
	}
	inComment := false
	for i := 0; i < len(text); i++ {
		if inComment {
			if bytes.HasPrefix(text[i:], []byte("-->")) {
				inComment = false
				i += 2
			}
			continue
		}
		if text[i] != '<' {
			continue
		}
		if bytes.HasPrefix(text[i:], []byte("<!--")) {
			inComment = true
			i += 3
			continue
		}
		if i+1 < len(text) && (text[i+1] == '?' || text[i+1] == '!') {
			continue
		}
		if i+1 < len(text) {
			return false
		}
	}
	return true
}
