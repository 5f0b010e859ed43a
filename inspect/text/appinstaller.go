package text

import (
	"bytes"
	"fmt"

	"github.com/officemilter/officemilter/inspect"
)

// DetailAppInstaller is the finding detail of an App Installer file.
const DetailAppInstaller = "App Installer file"

// appInstallerNS starts the namespace of every App Installer schema
// version (2017, 2017/2, 2018, 2021 ...).
var appInstallerNS = []byte("http://schemas.microsoft.com/appx/appinstaller/")

// appInstallerHead is how much of a text is read to find its root element.
const appInstallerHead = 4096

// isAppInstaller reports whether p is an App Installer file (.appinstaller,
// Microsoft "App Installer file schema"): XML whose root element is
// AppInstaller in an appinstaller namespace. Windows hands such a file to
// App Installer, which downloads and installs the MSIX package it names:
// an installer, whatever its name.
func isAppInstaller(p inspect.Part) (bool, error) {
	head, err := p.Bytes(0, appInstallerHead)
	if err != nil {
		return false, fmt.Errorf("read: %w", err)
	}
	head = narrow(head)
	return bytes.Contains(head, appInstallerNS) && rootElement(head) == "AppInstaller", nil
}

// narrow turns UTF-16 with a byte order mark into its low bytes (enough to
// read ASCII names) and drops a UTF-8 byte order mark.
func narrow(b []byte) []byte {
	var off int
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		off = 0
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		off = 1
	default:
		return b
	}
	out := make([]byte, 0, len(b)/2)
	for i := 2 + off; i < len(b); i += 2 {
		out = append(out, b[i])
	}
	return out
}

// rootElement returns the local name of the first element in b, after the
// XML declaration, processing instructions, comments, a document type
// declaration and white space ("" when b does not start so).
func rootElement(b []byte) string {
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return ""
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b[4:], []byte("-->"))
			if i < 0 {
				return ""
			}
			b = b[4+i+3:]
		case bytes.HasPrefix(b, []byte("<!")):
			i := bytes.IndexByte(b, '>')
			if i < 0 {
				return ""
			}
			b = b[i+1:]
		case bytes.HasPrefix(b, []byte("<")):
			end := bytes.IndexAny(b[1:], " \t\r\n/>")
			if end < 0 {
				return ""
			}
			name := b[1 : 1+end]
			if i := bytes.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return string(name)
		default:
			return ""
		}
	}
}
