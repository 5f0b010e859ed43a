package html_test

import (
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html/htmltest"
)

// TestSniff: HTML, SVG and App Installer files are claimed by content (and
// HTML by a name a browser renders), without taking text, messages or other
// XML from their families.
func TestSniff(t *testing.T) {
	tests := []struct {
		name, data string
		want       inspect.Family // "" for any family but html and appinstaller
	}{
		{"x", "<!DOCTYPE html><p>x", inspect.FamilyHTML},
		{"x.txt", "\n\n  <HTML><body>x", inspect.FamilyHTML},
		{"x", "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", inspect.FamilyHTML},
		{"x", "<!-- saved from url=(0014)about:internet -->\n<html>", inspect.FamilyHTML},
		{"x", "<head><title>x</title>", inspect.FamilyHTML},
		{"x", "<body>x", inspect.FamilyHTML},
		{"x", "<script>alert(1)</script>", inspect.FamilyHTML},
		{"x", string(utf16le("<html><body>x</body></html>")), inspect.FamilyHTML},
		{"Rechnung.html", "Sehr geehrte Damen und Herren, <b>bitte</b> ...", inspect.FamilyHTML},
		{"a.svg", "<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"/>", inspect.FamilyHTML},
		{"x.appinstaller", string(htmltest.AppInstaller()), inspect.FamilyAppInstaller},
		{"update.xml", string(htmltest.AppInstaller()), inspect.FamilyAppInstaller},
		{"x", "<AppInstaller Uri=\"x\"></AppInstaller>", inspect.FamilyText},
		// Not stolen: text, messages, other XML.
		{"notes.txt", "Hallo <html> ist ein Tag", inspect.FamilyText},
		{"notes.txt", "<p>Hallo</p>", inspect.FamilyText},
		{"mail.eml", "From: a@example.org\r\nTo: b@example.org\r\nContent-Type: text/html\r\n\r\n<html><body>x</body></html>\r\n", inspect.FamilyEML},
		{"x.fodt", `<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">`, inspect.FamilyFlatODF},
		{"x.xml", `<?xml version="1.0"?><?mso-application progid="Word.Document"?><w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:body/></w:wordDocument>`, ""},
		{"x.htm", `<?xml version="1.0"?><?mso-application progid="Word.Document"?><w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:body/></w:wordDocument>`, ""},
		{"x.xml", `<?xml version="1.0" standalone="yes"?><pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage"><pkg:part/></pkg:package>`, ""},
		{"x.xml", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>`, inspect.FamilyText},
		{"run.js", "<html><script>x</script></html>", inspect.FamilyScript},
	}
	for _, tc := range tests {
		got := inspect.Sniff(strings.NewReader(tc.data), int64(len(tc.data)), tc.name)
		if tc.want == "" && got != inspect.FamilyHTML && got != inspect.FamilyAppInstaller {
			continue
		}
		if got != tc.want {
			t.Errorf("Sniff(%s, %.40q) = %s, want %s", tc.name, tc.data, got, tc.want)
		}
	}
}
