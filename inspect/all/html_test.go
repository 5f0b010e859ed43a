package all

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
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

// TestHTMLNested: a data:text/html document inside an HTML file is
// inspected as HTML, with what it smuggles.
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

// TestHTMLInMessage: an HTML attachment of a message (base64, the way it
// arrives) carries the findings of what it smuggles.
func TestHTMLInMessage(t *testing.T) {
	page := htmltest.BlobDownload(inspecttest.PE(), "Rechnung.exe")
	var b strings.Builder
	b.WriteString("From: a@example.org\r\nTo: b@example.org\r\nSubject: Rechnung\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Anbei die Rechnung.</p></body></html>\r\n" +
		"--b1\r\nContent-Type: text/html; name=\"Rechnung.html\"\r\nContent-Disposition: attachment; filename=\"Rechnung.html\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(page)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b1--\r\n")
	msg := []byte(b.String())
	res := NewEngine(inspect.Limits{}).Inspect(context.Background(), "mail.eml", "", inspect.BytesReaderAt(msg), int64(len(msg)))
	var exe, smuggling bool
	for _, f := range res.Findings {
		exe = exe || (f.Kind == inspect.KindExecutable && strings.HasSuffix(f.Where, "Rechnung.html/Rechnung.exe"))
		smuggling = smuggling || (f.Kind == inspect.KindActiveContent && f.Type == "html" && strings.HasPrefix(f.Detail, "HTML smuggling"))
	}
	if !exe || !smuggling {
		t.Errorf("findings %q", short(res.Findings))
	}
}
