package inspect

import "bytes"

// Markup families: text a browser renders (and runs), and the App
// Installer XML that Windows hands to ms-appinstaller.
const (
	// FamilyHTML is HTML or SVG; the inspector refines the type to "html"
	// or "svg" by the root element.
	FamilyHTML Family = "html"
	// FamilyAppInstaller is an App Installer file (.appinstaller): XML
	// whose root is AppInstaller in the
	// http://schemas.microsoft.com/appx/appinstaller/20xx namespace.
	FamilyAppInstaller Family = "appinstaller"
)

// htmlExts are the names a browser (the default handler on Windows, macOS
// and desktop Linux) renders as HTML or SVG whatever the content: a text
// file named .html is HTML, even if it opens with prose.
var htmlExts = map[string]bool{"html": true, "htm": true, "shtml": true, "shtm": true, "xhtml": true, "xht": true, "svg": true}

// appInstallerNS is the namespace prefix of every App Installer schema
// version (2017/2, 2018, 2021 ...).
var appInstallerNS = []byte("http://schemas.microsoft.com/appx/appinstaller/")

// sniffMarkup is the text-branch hook of sniffHead: it claims HTML, SVG and
// App Installer files and returns "" for anything else. It only claims a
// document whose first element (after a BOM, whitespace, an XML
// declaration, processing instructions, comments and a doctype) is an HTML
// or SVG root, or a doctype html: other XML (Flat ODF, Word 2003 XML, Flat
// OPC, whose roots are prefixed) keeps its family. A text file whose name a
// browser renders (.html, .svg ...) is claimed unless its root is such
// prefixed XML.
func sniffMarkup(text []byte, name string) Family {
	if bytes.HasPrefix(text, []byte{0xFF, 0xFE}) || bytes.HasPrefix(text, []byte{0xFE, 0xFF}) {
		text = narrowUTF16(text)
	}
	root, doctypeHTML := markupRoot(text)
	switch {
	case root == "appinstaller":
		if bytes.Contains(text, appInstallerNS) {
			return FamilyAppInstaller
		}
	case doctypeHTML:
		return FamilyHTML
	case root == "html", root == "svg", root == "head", root == "body", root == "script":
		return FamilyHTML
	}
	e := Ext(name)
	if e == "appinstaller" && root == "appinstaller" {
		return FamilyAppInstaller
	}
	if htmlExts[e] && (root == "" || bytes.IndexByte([]byte(root), ':') < 0) {
		return FamilyHTML
	}
	return ""
}

// narrowUTF16 keeps the low byte of each UTF-16 code unit after the byte
// order mark (high bytes become '?'): enough to see ASCII markup.
func narrowUTF16(b []byte) []byte {
	big := b[0] == 0xFE
	out := make([]byte, 0, len(b)/2)
	for i := 2; i+1 < len(b); i += 2 {
		hi, lo := b[i+1], b[i]
		if big {
			hi, lo = b[i], b[i+1]
		}
		if hi != 0 || lo == 0 {
			lo = '?'
		}
		out = append(out, lo)
	}
	return out
}

// markupRoot returns the lower-case name of the first element of text
// (with its prefix, if any, except for html:/svg: which are dropped) and
// whether a doctype html came before it. It skips whitespace, XML
// declarations and processing instructions, comments and doctypes, at most
// maxProlog of them; "" when text does not start like markup.
func markupRoot(text []byte) (root string, doctypeHTML bool) {
	const maxProlog = 64
	t := text
	for range maxProlog {
		t = bytes.TrimLeft(t, " \t\r\n\f")
		if len(t) < 2 || t[0] != '<' {
			return "", doctypeHTML
		}
		switch {
		case bytes.HasPrefix(t, []byte("<!--")):
			i := bytes.Index(t[4:], []byte("-->"))
			if i < 0 {
				return "", doctypeHTML
			}
			t = t[4+i+3:]
			continue
		case t[1] == '?' || t[1] == '!':
			if len(t) >= 14 && bytes.EqualFold(t[:9], []byte("<!doctype")) {
				d := bytes.TrimLeft(t[9:], " \t\r\n\f")
				if len(d) >= 4 && bytes.EqualFold(d[:4], []byte("html")) {
					doctypeHTML = true
				}
			}
			i := bytes.IndexByte(t, '>')
			if i < 0 {
				return "", doctypeHTML
			}
			t = t[i+1:]
			continue
		}
		n := 1
		for n < len(t) && n < 64 && isNameByte(t[n]) {
			n++
		}
		if n == 1 || (n < len(t) && !isTagEnd(t[n])) {
			return "", doctypeHTML
		}
		name := string(bytes.ToLower(t[1:n]))
		for _, p := range []string{"html:", "svg:", "xhtml:"} {
			if len(name) > len(p) && name[:len(p)] == p {
				name = name[len(p):]
			}
		}
		return name, doctypeHTML
	}
	return "", doctypeHTML
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ':' || c == '.'
}

func isTagEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '>' || c == '/'
}
