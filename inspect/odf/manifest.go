package odf

import (
	"context"
	"encoding/xml"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// manifestNeedles are byte strings (lower case) one of which a manifest
// must contain for its entries to matter: encryption data, an OLE object's
// media type, or character references that could spell them.
var manifestNeedles = [][]byte{[]byte("encryption-data"), []byte("oleobject"), []byte("&#")}

// manifestEntry is one manifest:file-entry ([ODF 1.2] Part 3, 4 Manifest; the
// OpenOffice.org 1.x manifest has the same local names).
type manifestEntry struct {
	mediaType string
	encrypted bool // has a manifest:encryption-data child
}

type manifest struct {
	root    string // media type of the entry "/" (the package itself)
	entries map[string]*manifestEntry
}

// parseManifest reads META-INF/manifest.xml. It keeps only entries whose
// path exists in the zip (exists), so memory is bounded by the directory.
func parseManifest(ctx context.Context, r io.Reader, exists func(string) bool) (*manifest, error) {
	m := &manifest{entries: map[string]*manifestEntry{}}
	var cur *manifestEntry
	err := zipx.Tokens(ctx, r, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "file-entry":
				cur = nil
				p, _ := zipx.Attr(t, "full-path")
				mt, _ := zipx.Attr(t, "media-type")
				p = strings.TrimPrefix(p, "./")
				if p == "/" {
					if m.root == "" {
						m.root = strings.TrimSpace(mt)
					}
					cur = &manifestEntry{} // encryption of "/" means nothing
					return nil
				}
				p = strings.TrimPrefix(p, "/")
				if !exists(p) {
					cur = &manifestEntry{}
					return nil
				}
				if e := m.entries[p]; e != nil {
					cur = e
					return nil
				}
				cur = &manifestEntry{mediaType: strings.ToLower(strings.TrimSpace(mt))}
				m.entries[p] = cur
			case "encryption-data":
				if cur != nil {
					cur.encrypted = true
				}
			}
		case xml.EndElement:
			if t.Name.Local == "file-entry" {
				cur = nil
			}
		}
		return nil
	})
	return m, err
}
