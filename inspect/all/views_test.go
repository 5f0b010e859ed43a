package all

import (
	"bytes"
	"context"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/internal/zipx/zipxtest"
)

// TestPackageViews walks packages whose local headers show what their
// central directory does not through the whole engine (which hands the
// package inspectors the central directory it sniffed): what a streaming
// reader would extract is inspected, and the disagreement is reported.
func TestPackageViews(t *testing.T) {
	pe := string(inspecttest.PE())
	docx := zipOf(t, [2]string{"[Content_Types].xml", minimalCT}, [2]string{"_rels/.rels", minimalRels},
		[2]string{"word/document.xml", minimalDoc}, [2]string{"word/media/setup.exe", pe})
	odt := zipOf(t, [2]string{"mimetype", "application/vnd.oasis.opendocument.text"},
		[2]string{"content.xml", `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>`},
		[2]string{"META-INF/manifest.xml", `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">` +
			`<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>` +
			`<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		[2]string{"Scripts/python/run.py", "import os\nos.system('calc')\n"})
	tests := []struct {
		name, file string
		data       []byte
		typ        string
		want       []inspect.Finding // each must be present (Type and Where as given)
	}{
		{"docx with an executable only in the local headers", "Antrag.docx", zipxtest.DropCentral(t, docx, "word/media/setup.exe"), "docx", []inspect.Finding{
			{Kind: inspect.KindAmbiguous, Type: "docx", Where: "word/media/setup.exe"},
			{Kind: inspect.KindExecutable, Type: "pe", Where: "word/media/setup.exe"},
		}},
		{"docx with an executable named as XML in the central directory", "Antrag.docx",
			zipxtest.RenameLocal(t, zipOf(t, [2]string{"[Content_Types].xml", minimalCT}, [2]string{"_rels/.rels", minimalRels},
				[2]string{"word/document.xml", minimalDoc}, [2]string{"word/run.xml", "CreateObject(1)"}), "word/run.xml", "word/run.vbs"), "docx", []inspect.Finding{
				{Kind: inspect.KindAmbiguous, Type: "docx", Where: "word/run.xml", Detail: `name differs between central directory and local header: "word/run.xml" vs "word/run.vbs"`},
				{Kind: inspect.KindExecutable, Type: "script", Where: "word/run.vbs"},
			}},
		{"odt with a script only in the local headers", "Antrag.odt", zipxtest.DropCentral(t, odt, "Scripts/python/run.py"), "odt", []inspect.Finding{
			{Kind: inspect.KindAmbiguous, Type: "odt", Where: "Scripts/python/run.py"},
			{Kind: inspect.KindMacro, Type: "odt", Where: "Scripts/python/run.py"},
		}},
	}
	e := NewEngine(inspect.Limits{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.Inspect(context.Background(), tt.file, "", bytes.NewReader(tt.data), int64(len(tt.data)))
			if res.Type != tt.typ {
				t.Errorf("type %q, want %q (findings %+v)", res.Type, tt.typ, res.Findings)
			}
			for _, w := range tt.want {
				found := false
				for _, f := range res.Findings {
					if f.Kind == w.Kind && f.Type == w.Type && f.Where == w.Where && (w.Detail == "" || f.Detail == w.Detail) {
						found = true
					}
				}
				if !found {
					t.Errorf("findings %+v lack %+v", res.Findings, w)
				}
			}
		})
	}
}
