package odf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// recorder is a Scope that records what an inspector reports.
type recorder = inspecttest.Recorder

func inspectPkg(t testing.TB, b []byte, lim inspect.Limits) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	p := inspect.Part{Name: "test", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyODF, Limits: lim}
	return rec, New().Inspect(context.Background(), p, rec)
}

func inspectFlat(t testing.TB, b []byte) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	p := inspect.Part{Name: "test", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyFlatODF}
	return rec, NewFlat().Inspect(context.Background(), p, rec)
}

func TestPackages(t *testing.T) {
	plain := plainFiles(`<text:p>Hello</text:p>`)
	withContent := func(body string) []ofile {
		fs := plainFiles("")
		fs[0].body = content(body)
		return fs
	}
	tests := []struct {
		name     string
		pkg      []byte
		typ      string
		want     []string
		children []string
	}{
		{"plain odt", seedPackages(t)["plain.odt"], "odt", nil, nil},
		{"Basic module with code", seedPackages(t)["basic.odt"], "odt",
			[]string{"macro|ODF Basic module Standard/Module1|Basic/Standard/Module1.xml"}, nil},
		{"Basic modules with comments only", odfPkg{mimetype: mtODT, files: join(plain, libraryFiles(map[string]string{
			"Module1": "REM  *****  BASIC  *****\n\n",
			"Module2": "  ' a comment\n\trem another\nRem\n:REM x\n\n",
			"Module3": "",
		}))}.build(t), "odt", nil, nil},
		{"REMARK is code", odfPkg{mimetype: mtODT, files: join(plain, libraryFiles(map[string]string{"Module1": "REM x\nREMARK = 1\n"}))}.build(t),
			"odt", []string{"macro|ODF Basic module Standard/Module1|Basic/Standard/Module1.xml"}, nil},
		{"library container and dialogs alone", odfPkg{mimetype: mtODT, files: join(plain, libraryFiles(nil), []ofile{
			{name: "Dialogs/dialog-lc.xml", body: `<library:libraries xmlns:library="http://openoffice.org/2000/library"/>`},
			{name: "Dialogs/Standard/Dialog1.xml", body: `<dlg:window xmlns:dlg="http://openoffice.org/2000/dialog"/>`},
		})}.build(t), "odt", nil, nil},
		{"scripts", odfPkg{mimetype: mtODS, files: join(plain, []ofile{
			{name: "Scripts/python/x.py", body: "import os\n"},
			{name: "Scripts/javascript/Lib/parcel-descriptor.xml", body: "<parcel/>"},
		})}.build(t), "ods", []string{
			"macro|ODF script Scripts/python/x.py|Scripts/python/x.py",
			"macro|ODF script Scripts/javascript/Lib/parcel-descriptor.xml|Scripts/javascript/Lib/parcel-descriptor.xml",
		}, nil},
		{"document event listener", seedPackages(t)["event.odt"], "odt",
			[]string{"macro|ODF event binding dom:load|content.xml"}, nil},
		{"form control event in styles", odfPkg{mimetype: mtODT, files: []ofile{
			{name: "content.xml", body: content("")},
			{name: "styles.xml", body: styles(`<form:button><office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="form:performaction" xlink:href="vnd.sun.star.script:Lib.Mod.Run?language=Basic&amp;location=application"/></office:event-listeners></form:button>`)},
		}}.build(t), "odt", []string{"macro|ODF event binding form:performaction|styles.xml"}, nil},
		{"old Basic event listener by macro name", odfPkg{mimetype: mtODT, files: withContent(
			`<office:event-listeners><script:event-listener script:language="ooo:Basic" script:event-name="dom:click" script:macro-name="Standard.Module1.Main"/></office:event-listeners>`)}.build(t),
			"odt", []string{"macro|ODF event binding dom:click|content.xml"}, nil},
		{"script hyperlinks", odfPkg{mimetype: mtODT, files: withContent(
			`<text:p><text:a xlink:href="VND.SUN.STAR.SCRIPT:pythonSamples|TableSample.py$createTable?language=Python&amp;location=share">x</text:a>` +
				`<text:a xlink:href="  macro:///Tools.Debug.Test()">y</text:a></text:p>`)}.build(t),
			"odt", []string{"macro|ODF script link|content.xml", "macro|ODF script link|content.xml"}, nil},
		{"script URL behind character references", odfPkg{mimetype: mtODT, files: withContent(
			`<text:p><text:a xlink:href="&#118;nd.sun.star.script:x">x</text:a></text:p>`)}.build(t),
			"odt", []string{"macro|ODF script link|content.xml"}, nil},
		{"ordinary links and the word event are no findings", odfPkg{mimetype: mtODT, files: withContent(
			`<text:p>An event in our town. <text:a xlink:href="https://example.org/event">x</text:a><draw:image xlink:href="Pictures/1.png"/></text:p>`)}.build(t),
			"odt", nil, nil},
		{"presentation execute action", odfPkg{mimetype: mtODP, files: withContent(
			`<draw:page><draw:custom-shape><office:event-listeners>` +
				`<presentation:event-listener script:event-name="dom:click" presentation:action="execute" xlink:href="file:///C:/Windows/System32/calc.exe"/>` +
				`<presentation:event-listener script:event-name="dom:click" presentation:action="next-page"/>` +
				`</office:event-listeners></draw:custom-shape></draw:page>`)}.build(t),
			"odp", []string{"active-content|ODF execute action|content.xml"}, nil},
		{"OpenOffice.org 1.x events", odfPkg{mimetype: mtSXW, ooo1: true, files: []ofile{
			{name: "content.xml", body: `<office:document-content ` + nsOOo1 + `><office:events><script:event script:language="StarBasic" script:event-name="on-load" script:macro-name="Standard.Module1.Main" script:location="document"/></office:events><office:body/></office:document-content>`},
		}}.build(t), "sxw", []string{"macro|ODF event binding on-load|content.xml"}, nil},
		{"encrypted package", seedPackages(t)["encrypted.odt"], "odt", []string{"encrypted|ODF package encryption|"}, nil},
		{"encrypted document with a Basic module", odfPkg{mimetype: mtODT, files: []ofile{
			{name: "content.xml", body: "\x8a\x13 encrypted bytes", encrypted: true},
			{name: "Basic/Standard/Module1.xml", body: "\x01\x02 encrypted source", encrypted: true},
		}}.build(t), "odt", []string{
			"encrypted|ODF package encryption|",
			"macro|ODF Basic module Standard/Module1 (encrypted)|Basic/Standard/Module1.xml",
		}, nil},
		{"password-protected Basic library", odfPkg{mimetype: mtODT, files: join(plain, []ofile{
			{name: "Basic/script-lc.xml", body: `<library:libraries xmlns:library="http://openoffice.org/2000/library"/>`},
			{name: "Basic/Standard/script-lb.xml", body: `<library:library xmlns:library="http://openoffice.org/2000/library" library:passwordprotected="true"/>`},
			{name: "Basic/Standard/Module1.xml", body: "\x01\x02 encrypted source", encrypted: true},
			{name: "Basic/Standard/Module1.bin", body: "\x00 compiled image", mediaType: ""},
		})}.build(t), "odt", []string{
			"macro|ODF Basic module Standard/Module1 (password-protected)|Basic/Standard/Module1.xml",
			"macro|ODF Basic module Standard/Module1 (compiled)|Basic/Standard/Module1.bin",
		}, nil},
		{"embedded OLE object; replacement image and chart are normal", odfPkg{mimetype: mtODT, files: join(plain, []ofile{
			{name: "Object 1", body: oleMagicS + "ole stream", mediaType: "application/vnd.sun.star.oleobject"},
			{name: "ObjectReplacements/Object 1", body: "\x01\x00\x00\x00 a metafile"},
			{name: "Object 2/content.xml", body: `<office:document-content ` + nsOffice + `><office:body><office:chart/></office:body></office:document-content>`},
			{name: "Object 2/styles.xml", body: styles("")},
			{name: "Object 3", body: "MZ not OLE"},
		})}.build(t), "odt", []string{"embedded-object|embedded OLE object|Object 1"}, []string{"Object 1", "Object 3"}},
		{"event in a sub-document", odfPkg{mimetype: mtODT, files: join(plain, []ofile{
			{name: "Object 1/content.xml", body: content(`<office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:a.b.c?language=Basic&amp;location=document"/></office:event-listeners>`)},
		})}.build(t), "odt", []string{"macro|ODF event binding dom:load|Object 1/content.xml"}, nil},
		{"OLE object data inside content.xml", odfPkg{mimetype: mtODT, files: withContent(flatOLE([]byte(oleMagicS + "inline")))}.build(t),
			"odt", []string{"embedded-object|embedded OLE object|content.xml"}, []string{"content.xml/object-ole-1"}},
		{"encrypted zip entry", odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Pictures/2.png", body: "x", zipCrypt: true}})}.build(t),
			"odt", []string{"encrypted|encrypted zip entry|Pictures/2.png"}, nil},
		{"type from the manifest without mimetype", odfPkg{rootType: mtODS, files: plain}.build(t), "ods", nil, nil},
		{"neither mimetype nor manifest", odfPkg{noManifest: true, files: plain}.build(t), "zip", nil, nil},
		// Its XHTML is HTML (script could run): handed on to be inspected.
		{"EPUB is a zip", odfPkg{mimetype: "application/epub+zip", noManifest: true, files: []ofile{{name: "OEBPS/a.xhtml", body: "<html/>"}}}.build(t), "zip", nil, []string{"OEBPS/a.xhtml"}},
		{"DDE connection and formula", odfPkg{mimetype: mtODS, files: withContent(
			`<text:dde-connection-decls><text:dde-connection-decl office:name="x" office:dde-application="cmd" office:dde-topic="/c calc" office:dde-item="A"/></text:dde-connection-decls>` +
				`<table:table-cell xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" table:formula="of:=Dde(&quot;cmd&quot;;&quot;/c calc&quot;;&quot;x&quot;)"/>`)}.build(t),
			"ods", []string{"active-content|DDE link|content.xml", "active-content|DDE link|content.xml"}, nil},
		{"hidden text is no DDE", odfPkg{mimetype: mtODT, files: withContent(`<text:hidden-paragraph text:condition="x" text:is-hidden="true"/>`)}.build(t), "odt", nil, nil},
		{"ODF chart document is other", odfPkg{mimetype: "application/vnd.oasis.opendocument.chart", files: plain}.build(t), "other", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectPkg(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(rec.Names(), tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
		})
	}
}

func TestPackageTypes(t *testing.T) {
	for mt, want := range map[string]string{
		mtODT: "odt", "application/vnd.oasis.opendocument.text-template": "ott", mtODS: "ods", mtODP: "odp",
		"application/vnd.oasis.opendocument.graphics": "odg", mtSXW: "sxw", "application/vnd.sun.xml.calc": "sxc",
		"application/vnd.sun.xml.impress": "sxi", "application/vnd.sun.xml.draw": "sxd",
		"application/vnd.oasis.opendocument.formula": "other", "application/vnd.sun.xml.writer.global": "other",
		" application/vnd.oasis.opendocument.text\n": "odt",
	} {
		rec, err := inspectPkg(t, odfPkg{mimetype: mt, files: plainFiles("")}.build(t), inspect.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type != want {
			t.Errorf("%q: type %q, want %q", mt, rec.Type, want)
		}
	}
}

func TestFlat(t *testing.T) {
	ole := []byte(oleMagicS + strings.Repeat("OLE object data ", 100))
	tests := []struct {
		name     string
		doc      string
		typ      string
		want     []string
		children []string
	}{
		{"plain fodt", string(seedFlat()["plain.fodt"]), "fodt", nil, nil},
		{"fods", flatDoc(mtODS, `<office:body/>`), "fods", nil, nil},
		{"fodp", flatDoc(mtODP, `<office:body/>`), "fodp", nil, nil},
		{"flat drawing has no type name", flatDoc("application/vnd.oasis.opendocument.graphics", `<office:body/>`), "other", nil, nil},
		{"Basic module with code", string(seedFlat()["macro.fodt"]), "fodt", []string{"macro|ODF Basic module Standard/Module1|"}, nil},
		{"Basic module with comments only", flatDoc(mtODT, flatScripts("Standard", "Module1", "REM  *****  BASIC  *****\n\n")), "fodt", nil, nil},
		{"event listener", flatDoc(mtODS, `<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="office:new" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/></office:event-listeners></office:scripts><office:body/>`),
			"fods", []string{"macro|ODF event binding office:new|"}, nil},
		{"OLE object after a big image", string(seedFlat()["ole.fodt"]), "fodt", []string{"embedded-object|embedded OLE object|"}, []string{"object-ole-1"}},
		{"OLE object, data checked", flatDoc(mtODT, `<office:body><office:text>`+flatOLE(ole)+`</office:text></office:body>`),
			"fodt", []string{"embedded-object|embedded OLE object|"}, []string{"object-ole-1"}},
		{"self-closing binary data", flatDoc(mtODT, `<office:body><office:text><draw:frame><draw:object-ole><office:binary-data/></draw:object-ole></draw:frame><text:p><text:a xlink:href="macro:x">x</text:a></text:p></office:text></office:body>`),
			"fodt", []string{"macro|ODF script link|"}, nil},
		{"Latin-1 document with an OLE object", `<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n" +
			strings.TrimPrefix(flatDoc(mtODT, "<office:body><office:text><text:p>caf\xe9</text:p>"+flatOLE(ole)+"</office:text></office:body>"), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"),
			"fodt", []string{"embedded-object|embedded OLE object|"}, []string{"object-ole-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectFlat(t, []byte(tt.doc))
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(rec.Names(), tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
			if slices.Contains(tt.children, "object-ole-1") && strings.Contains(tt.name, "data checked") || strings.Contains(tt.name, "Latin-1") {
				if !bytes.Equal(rec.Data("object-ole-1"), ole) {
					t.Errorf("OLE data %q..., want %q...", rec.Data("object-ole-1")[:min(20, len(rec.Data("object-ole-1")))], ole[:20])
				}
			}
		})
	}
}

func TestBasicCode(t *testing.T) {
	for src, want := range map[string]bool{
		"":                                false,
		"\n\n  \t\n":                      false,
		"REM  *****  BASIC  *****\n\n":    false,
		"' comment\r\n  rem x\r\nREM":     false,
		"Rem\tx\n:rem y":                  false,
		"Sub Main\nEnd Sub":               true,
		"REMARK = 1":                      true,
		"re":                              true,
		"REM x\n   x = 1":                 true,
		"REMé = 1":                        true,
		"rem\u00a0x":                      true, // NBSP after REM: not a blank to Basic either
		"' Sub AutoOpen\n'Shell(\"x\")\n": false,
	} {
		var b basicCode
		// Feed in pieces to cover state kept across writes.
		for i := 0; i < len(src); i += 2 {
			b.Write([]byte(src[i:min(i+2, len(src))]))
		}
		if got := b.done(); got != want {
			t.Errorf("%q: code %v, want %v", src, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		pkg     []byte
		lim     inspect.Limits
		wantErr string
		want    []string
	}{
		{"not a zip", []byte("PK\x03\x04 junk"), inspect.Limits{}, "malformed ODF package", nil},
		{"too many members", seedPackages(t)["plain.odt"], inspect.Limits{MaxParts: 3}, "limit parts=3", nil},
		{"malformed content.xml, other findings kept", odfPkg{mimetype: mtODT, files: join(
			[]ofile{{name: "content.xml", body: `<office:document-content><office:event-listeners><x a=></office:document-content>`}},
			[]ofile{{name: "Scripts/python/a.py", body: "print(1)"}})}.build(t),
			inspect.Limits{}, "content.xml: malformed XML", []string{"macro|ODF script Scripts/python/a.py|Scripts/python/a.py"}},
		{"compression bomb", odfPkg{mimetype: mtODT, files: []ofile{{name: "content.xml", body: content(strings.Repeat(" ", 4<<20) + "event")}}}.build(t),
			inspect.Limits{}, "limit ratio=250", nil},
		{"Basic module over the size limit", odfPkg{mimetype: mtODT, files: libraryFiles(map[string]string{"Module1": strings.Repeat("'\n", 5000)})}.build(t),
			inspect.Limits{MaxPartSize: 4096}, "limit part-size=4096", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectPkg(t, tt.pkg, tt.lim)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := inspectFlat(t, []byte(flatDoc(mtODT, `<office:body><x a=></office:body>`))); err == nil || !strings.HasPrefix(err.Error(), "malformed XML") {
		t.Errorf("flat: error %v, want malformed XML", err)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := seedPackages(t)["event.odt"]
	if err := New().Inspect(ctx, inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b)}, &recorder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("package: error %v, want context.Canceled", err)
	}
	f := []byte(flatDoc(mtODT, strings.Repeat("<text:p>x</text:p>", 5000)))
	if err := NewFlat().Inspect(ctx, inspect.Part{Size: int64(len(f)), R: bytes.NewReader(f)}, &recorder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("flat: error %v, want context.Canceled", err)
	}
}

// TestEngine runs the inspectors in the real engine: the flat document is
// sniffed as such, and an ODF package inside a zip-less container path is
// reported where it is.
func TestEngine(t *testing.T) {
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyODF: New(), inspect.FamilyFlatODF: NewFlat()}, inspect.Limits{})
	for name, b := range map[string][]byte{"x.fodt": seedFlat()["macro.fodt"], "x.odt": seedPackages(t)["basic.odt"]} {
		res := e.Inspect(context.Background(), name, "", bytes.NewReader(b), int64(len(b)))
		if want := strings.TrimPrefix(filepath.Ext(name), "."); res.Type != want {
			t.Errorf("%s: type %q, want %q", name, res.Type, want)
		}
		if !res.Has(inspect.KindMacro) {
			t.Errorf("%s: no macro in %+v", name, res.Findings)
		}
	}
}

// TestCorpusFiles checks the shared corpus's ODF files in place.
func TestCorpusFiles(t *testing.T) {
	dir := filepath.Join(inspecttest.CorpusPath(t), "odf")
	tests := []struct {
		file, typ string
		want      []string
	}{
		{"filetype__sample.odt", "odt", nil},
		{"gen_basic_macro.odt", "odt", []string{"macro|ODF Basic module Standard/Module1|Basic/Standard/Module1.xml"}},
		{"gen_encrypted_Passw0rd.odt", "odt", []string{"encrypted|ODF package encryption|"}},
		{"odftoolkit__PasswordProtected.odt", "odt", []string{"encrypted|ODF package encryption|"}},
		{"odftoolkit__feature_fields_update.odt", "odt", []string{
			"macro|ODF Basic module Standard/Module1|Basic/Standard/Module1.xml",
			"active-content|DDE link|content.xml",           // the declaration of the DDE field's connection
			"macro|ODF event binding dom:click|content.xml", // a text:execute-macro field
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tt.file))
			if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") == "" {
				t.Skip("shared corpus not available")
			}
			if err != nil {
				t.Fatal(err)
			}
			rec, err := inspectPkg(t, b, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
}

// peHead is enough of a Windows executable for sniffing: the MZ header
// with e_lfanew pointing at a PE signature.
func peHead() string {
	b := make([]byte, 512)
	copy(b, "MZ")
	b[0x3C] = 0x80
	copy(b[0x80:], "PE\x00\x00")
	return string(b)
}

// TestMembers checks that every member is looked at: members the inspector
// does not read are sniffed and handed on when they are content with an
// inspector of their own, and members the manifest does not list are
// reported.
func TestMembers(t *testing.T) {
	exe := peHead()
	plain := plainFiles(`<text:p>Hello</text:p>`)
	const unlisted = "ambiguous|part not referenced by the package|"
	flat := `<?xml version="1.0"?><office:document ` + nsOffice + ` office:mimetype="` + mtODT + `"><office:body/></office:document>`
	tests := []struct {
		name     string
		pkg      []byte
		typ      string
		want     []string
		children []string
	}{
		{"unlisted executable", odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "setup.exe", body: exe, noEntry: true}})}.build(t),
			"odt", []string{unlisted + "setup.exe"}, []string{"setup.exe"}},
		{"listed executable is handed on, not reported", odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Pictures/2.png", body: exe, mediaType: "image/png"}})}.build(t),
			"odt", nil, []string{"Pictures/2.png"}},
		{"unlisted picture", odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Pictures/3.png", body: "\x89PNG\r\n\x1a\n", noEntry: true}})}.build(t),
			"odt", []string{unlisted + "Pictures/3.png"}, nil},
		{"signatures and macOS debris are not reported", odfPkg{mimetype: mtODT, files: join(plain, []ofile{
			{name: "META-INF/documentsignatures.xml", body: `<document-signatures/>`, noEntry: true},
			{name: "__MACOSX/._content.xml", body: "\x00\x05\x16\x07", noEntry: true},
		})}.build(t), "odt", nil, nil},
		{"executable in a Basic library", odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Basic/Standard/run.exe", body: exe}})}.build(t),
			"odt", nil, []string{"Basic/Standard/run.exe"}},
		{"executable as content.xml", odfPkg{mimetype: mtODT, files: join([]ofile{{name: "content.xml", body: exe}}, plain[1:])}.build(t),
			"odt", nil, []string{"content.xml"}},
		{"executable as the manifest", odfPkg{mimetype: mtODT, noManifest: true, files: join(plain, []ofile{{name: "META-INF/manifest.xml", body: exe}})}.build(t),
			"odt", []string{unlisted + "content.xml", unlisted + "styles.xml", unlisted + "meta.xml", unlisted + "settings.xml",
				unlisted + "Thumbnails/thumbnail.png", unlisted + "Pictures/1.png"}, []string{"META-INF/manifest.xml"}},
		{"executable as mimetype", odfPkg{mimetype: exe, rootType: mtODT, files: plain}.build(t), "zip", nil, []string{"mimetype"}},
		{"flat document inside a package", odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "doc.fodt", body: flat}})}.build(t),
			"odt", nil, []string{"doc.fodt"}},
		{"encrypted member is not sniffed", odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Pictures/e.png", body: exe, encrypted: true}})}.build(t),
			"odt", []string{"encrypted|ODF package encryption|"}, nil},
		{"EPUB: every member looked at, none reported", odfPkg{mimetype: "application/epub+zip", noManifest: true, files: []ofile{
			{name: "OEBPS/a.xhtml", body: "<html/>"}, {name: "OEBPS/x.exe", body: exe}}}.build(t),
			"zip", nil, []string{"OEBPS/a.xhtml", "OEBPS/x.exe"}},
		{"manifest with character references is decoded", odfPkg{mimetype: mtODT, noManifest: true, files: []ofile{
			{name: "a&b.xml", body: "<a/>"},
			{name: "META-INF/manifest.xml", body: `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">` +
				`<manifest:file-entry manifest:full-path="/" manifest:media-type="` + mtODT + `"/>` +
				`<manifest:file-entry manifest:full-path="a&amp;b.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		}}.build(t), "odt", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectPkg(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if rec.Type != tt.typ {
				t.Errorf("type %q, want %q", rec.Type, tt.typ)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(rec.Names(), tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
		})
	}
}

func TestScanFullPaths(t *testing.T) {
	var got []string
	ok := scanFullPaths([]byte(`<manifest:manifest><manifest:file-entry manifest:full-path="/" manifest:media-type="x"/>`+
		`<manifest:file-entry manifest:media-type='' manifest:full-path = 'Object 1/content.xml'/><full-path>u</full-path></manifest:manifest>`),
		func(v string) { got = append(got, v) })
	if !ok || !slices.Equal(got, []string{"/", "Object 1/content.xml"}) {
		t.Errorf("scanFullPaths: %v %q", ok, got)
	}
	for _, s := range []string{`<e full-path="a&amp;b"/>`, `<e full-path="unterminated/>`, `<e full-path=x/>`} {
		if scanFullPaths([]byte(s), func(string) {}) {
			t.Errorf("scanFullPaths(%q) accepted what it cannot read", s)
		}
	}
}
