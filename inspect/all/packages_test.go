package all

import (
	"archive/zip"
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// zipOf writes a zip with the given members, in order.
func zipOf(t *testing.T, members ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, m := range members {
		f, err := w.Create(m[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(m[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	minimalCT = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
	minimalRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`
	minimalDoc = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Antrag</w:t></w:r></w:p></w:body></w:document>`
)

// TestPackageMembers walks the cases of "every byte of a package" through
// the whole engine: what unzip shows of an Office package is inspected.
func TestPackageMembers(t *testing.T) {
	pe := string(inspecttest.PE())
	docx := [][2]string{{"[Content_Types].xml", minimalCT}, {"_rels/.rels", minimalRels}, {"word/document.xml", minimalDoc}}
	odt := [][2]string{
		{"mimetype", "application/vnd.oasis.opendocument.text"},
		{"content.xml", `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>`},
		{"META-INF/manifest.xml", `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">` +
			`<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>` +
			`<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
	}
	unref := inspect.Finding{Kind: inspect.KindAmbiguous, Detail: "part not referenced by the package"}
	tests := []struct {
		name, file string
		data       []byte
		typ        string
		want       []inspect.Finding // each must be present (Type and Where as given)
		clean      bool              // no findings at all
	}{
		{"docx stays clean", "Antrag.docx", zipOf(t, docx...), "docx", nil, true},
		{"zip Antrag.docx setup.exe", "Antrag.docx", zipOf(t, append(docx, [2]string{"setup.exe", pe})...), "docx", []inspect.Finding{
			{Kind: inspect.KindAmbiguous, Type: "docx", Where: "setup.exe", Detail: unref.Detail},
			{Kind: inspect.KindExecutable, Type: "pe", Where: "setup.exe"},
		}, false},
		{"only [Content_Types].xml", "clam.zip", zipOf(t, [2]string{"[Content_Types].xml", minimalCT}, [2]string{"clam.exe", pe}), "zip", []inspect.Finding{
			{Kind: inspect.KindExecutable, Type: "pe", Where: "clam.exe"},
		}, false},
		{"Android package with [Content_Types].xml", "app.zip", zipOf(t, [2]string{"[Content_Types].xml", minimalCT},
			[2]string{"AndroidManifest.xml", "\x03\x00\x08\x00"}, [2]string{"classes.dex", "dex\n035\x00"}), "zip", []inspect.Finding{
			{Kind: inspect.KindExecutable, Type: "zip", Detail: "Android package"},
		}, false},
		{"MSIX package", "app.msix", zipOf(t, [2]string{"AppxManifest.xml", `<Package/>`}, [2]string{"AppxBlockMap.xml", `<BlockMap/>`},
			[2]string{"AppxSignature.p7x", "PKCX"}, [2]string{"[Content_Types].xml", minimalCT}, [2]string{"VFS/app.exe", pe}), "msix", []inspect.Finding{
			{Kind: inspect.KindExecutable, Type: "msix", Detail: "MSIX/AppX installer package"},
			{Kind: inspect.KindExecutable, Type: "pe", Where: "VFS/app.exe"},
		}, false},
		{"odt stays clean", "Antrag.odt", zipOf(t, odt...), "odt", nil, true},
		{"odt with an unlisted executable", "Antrag.odt", zipOf(t, append(odt, [2]string{"setup.exe", pe})...), "odt", []inspect.Finding{
			{Kind: inspect.KindAmbiguous, Type: "odt", Where: "setup.exe", Detail: unref.Detail},
			{Kind: inspect.KindExecutable, Type: "pe", Where: "setup.exe"},
		}, false},
	}
	e := NewEngine(inspect.Limits{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.Inspect(context.Background(), tt.file, "", bytes.NewReader(tt.data), int64(len(tt.data)))
			if res.Type != tt.typ {
				t.Errorf("type %q, want %q (findings %+v)", res.Type, tt.typ, res.Findings)
			}
			if tt.clean && len(res.Findings) != 0 {
				t.Errorf("findings %+v, want none", res.Findings)
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

// TestCorpusPackagesReferenced checks that the real documents of the
// shared corpus have no member their package does not reference (Word,
// Excel, PowerPoint and LibreOffice reference what they write) and no
// disagreement between their central directory and local headers: no
// ambiguous finding at all.
func TestCorpusPackagesReferenced(t *testing.T) {
	dir, rows := loadCorpus(t)
	e := NewEngine(inspect.Limits{})
	n := 0
	for _, row := range rows {
		if !strings.HasPrefix(row.format, "ooxml-") && !strings.HasPrefix(row.format, "odf-") {
			continue
		}
		n++
		res := inspectFile(t, e, filepath.Join(dir, row.file))
		for _, f := range res.Findings {
			if f.Kind == inspect.KindAmbiguous {
				t.Errorf("%s: %+v", row.file, f)
			}
		}
	}
	if n == 0 {
		t.Error("no OOXML or ODF rows in the corpus manifest")
	}
}

// TestAppInstallerFile checks that an App Installer file reaches the text
// inspector and is reported as the installer it is, under any name.
func TestAppInstallerFile(t *testing.T) {
	ai := []byte(`<?xml version="1.0" encoding="utf-8"?><AppInstaller xmlns="http://schemas.microsoft.com/appx/appinstaller/2018" Version="1.0.0.0" Uri="https://example.invalid/a.appinstaller"><MainBundle Name="A" Publisher="CN=A" Version="1.0.0.0" Uri="https://example.invalid/a.msixbundle"/></AppInstaller>`)
	e := NewEngine(inspect.Limits{})
	for _, name := range []string{"update.appinstaller", "Rechnung.txt"} {
		res := e.Inspect(context.Background(), name, "", bytes.NewReader(ai), int64(len(ai)))
		if res.Type != "appinstaller" || !res.HasAt(inspect.KindExecutable, "") {
			t.Errorf("%s: type %q, findings %+v", name, res.Type, res.Findings)
		}
	}
}
