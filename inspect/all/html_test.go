package all

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html/htmltest"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// TestHTMLSmuggling: what an HTML or SVG file assembles in the browser is
// inspected as if it had been attached; ordinary HTML stays clean.
func TestHTMLSmuggling(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "files", "letter.doc"))
	if err != nil {
		t.Fatal(err)
	}
	pe := inspecttest.PE()
	tests := []struct {
		file     string
		data     []byte
		typ      string
		want     []string // "kind|type|where" that must be there
		clean    bool
		children map[string]string // spied "depth name" → type
	}{
		{"Rechnung.html", htmltest.BlobDownload(pe, "Rechnung.exe"), "html",
			[]string{"active-content|html|", "executable|pe|Rechnung.exe"}, false, map[string]string{">Rechnung.exe": "pe"}},
		{"scan.htm", htmltest.MsSaveOrOpenBlob(pe, "scan.iso"), "html",
			[]string{"active-content|html|", "executable|pe|scan.iso"}, false, nil},
		{"Rechnung.html", htmltest.DataURIDownload(doc, "application/msword", "Rechnung.doc"), "html",
			[]string{"active-content|html|", "legacy-office|doc|Rechnung.doc"}, false, map[string]string{">Rechnung.doc": "doc"}},
		{"foto.svg", htmltest.SVGSmuggling(pe, "Foto.zip"), "svg",
			[]string{"active-content|svg|", "executable|pe|Foto.zip"}, false, nil},
		{"newsletter.html", htmltest.Newsletter(), "html", nil, true, nil},
		// The name is no help: the content says HTML.
		{"newsletter", htmltest.Newsletter(), "html", nil, true, nil},
		{"logo.html", htmltest.ImageOnly(), "html", nil, true, nil},
		{"Contoso.appinstaller", htmltest.AppInstaller(), "appinstaller", []string{"executable|appinstaller|"}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			e, spy := spyEngine()
			res := e.Inspect(context.Background(), tc.file, "", inspect.BytesReaderAt(tc.data), int64(len(tc.data)))
			if res.Type != tc.typ {
				t.Errorf("type %q, want %q", res.Type, tc.typ)
			}
			if tc.clean && len(res.Findings) > 0 {
				t.Errorf("findings %q, want none", short(res.Findings))
			}
			for _, w := range tc.want {
				if !hasFinding(res.Findings, w) {
					t.Errorf("no %s in %q", w, short(res.Findings))
				}
			}
			if tc.file == "logo.html" && res.Parts != 2 {
				t.Errorf("%d parts inspected, want the page and its image", res.Parts)
			}
			for k, ty := range tc.children {
				if got := spy.types[k]; got != ty {
					t.Errorf("child %s: type %q, want %q (spied %v)", k, got, ty, spy.types)
				}
			}
		})
	}
}

// TestHTMLNested: an HTML file in a zip in a message keeps its findings,
// and a data:text/html document inside an HTML file is inspected as HTML.
func TestHTMLNested(t *testing.T) {
	pe := inspecttest.PE()
	inner := htmltest.BlobDownload(pe, "a.exe")
	outer := htmltest.DataURIDownload(inner, "text/html", "inner.html")
	e := NewEngine(inspect.Limits{})
	res := e.Inspect(context.Background(), "outer.html", "", inspect.BytesReaderAt(outer), int64(len(outer)))
	for _, w := range []string{"active-content|html|inner.html", "executable|pe|inner.html/a.exe"} {
		if !hasFinding(res.Findings, w) {
			t.Errorf("no %s in %q", w, short(res.Findings))
		}
	}
}
