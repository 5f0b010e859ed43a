package ooxml

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// FuzzOOXML feeds whole files (zip bytes) to the inspector.
func FuzzOOXML(f *testing.F) {
	seeds := seedPackages(f)
	for _, k := range slices.Sorted(maps.Keys(seeds)) {
		f.Add(seeds[k])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &recorder{}
		p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyOOXML, Limits: inspecttest.FuzzLimits}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { _ = New().Inspect(context.Background(), p, rec) })
		rec.CheckInvariants(t)
	})
}

// FuzzOOXMLParts fuzzes the XML parsers (content types, relationships,
// field instructions, external links) through a package whose members are
// stored, so that mutations reach the XML instead of breaking deflate.
func FuzzOOXMLParts(f *testing.F) {
	f.Add(ctXML(nil, map[string]string{"/word/document.xml": ctDocx}),
		relsXML(rel{typ: "attachedTemplate", target: "https://x.example/t", mode: "External"}, rel{typ: msRel + "vbaProject", target: "vbaProject.bin"}),
		wordDoc(complexField("x", " DD", "EAUTO a")+`<w:p><w:fldSimple w:instr="QUOTE 68 68 69"/></w:p>`),
		`<externalLink><ddeLink/></externalLink>`)
	f.Add(utf16le(`<?xml version="1.0" encoding="UTF-16"?><Types/>`), `<?xml version="1.0" encoding="ISO-8859-1"?><Relationships/>`, "", "")
	f.Fuzz(func(t *testing.T, ct, rels, doc, extLink string) {
		b := buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: ct, method: storeMethod},
			{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: "word/document.xml"}), method: storeMethod},
			{name: "word/_rels/document.xml.rels", body: rels, method: storeMethod},
			{name: "word/document.xml", body: doc, method: storeMethod},
			{name: "xl/externalLinks/externalLink1.xml", body: extLink, method: storeMethod},
		})
		rec := &recorder{}
		p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyOOXML, Limits: inspecttest.FuzzLimits}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { _ = New().Inspect(context.Background(), p, rec) })
		rec.CheckInvariants(t)
	})
}

// storeMethod is zip.Store, but not 0 (0 means deflate to buildZip).
const storeMethod = 0x100

// BenchmarkOOXML inspects the generated packages and the shared corpus's
// OOXML zips (read in place when present) once per iteration.
func BenchmarkOOXML(b *testing.B) {
	files := benchPackages(b)
	var total int64
	for _, c := range files {
		total += int64(len(c))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	in := New()
	for b.Loop() {
		for _, c := range files {
			p := inspect.Part{Size: int64(len(c)), R: bytes.NewReader(c), Family: inspect.FamilyOOXML}
			if err := in.Inspect(context.Background(), p, &inspecttest.Recorder{Discard: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchPackages are the generated packages and the shared corpus's OOXML
// zips (read in place when present).
func benchPackages(b *testing.B) map[string][]byte {
	files := seedPackages(b)
	dir := filepath.Join(inspecttest.CorpusPath(b), "ooxml")
	for _, name := range []string{"filetype__sample.docx", "filetype__sample.pptx", "filetype__sample.xlsx",
		"poi__SimpleMacro.docm", "poi__SimpleMacro.pptm", "poi__SimpleMacro.xlsm", "poi__xlmmacro.xlsm"} {
		if c, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			files["corpus/"+name] = c
		}
	}
	return files
}

// FuzzScanTargets checks the byte scanner of relationship targets against
// the XML decoder: every internal target the decoder reads from a part the
// scanner accepts, the scanner finds too (it may find more, in comments).
func FuzzScanTargets(f *testing.F) {
	f.Add(relsXML(rel{typ: "image", target: "media/a.png"}, rel{typ: "slideLayout", target: "../slideLayouts/slideLayout1.xml"}))
	f.Add(`<Relationships><Relationship Id='r' Target = 'x y.xml' TargetMode="Internal"/><Relationship Target=
"b"/></Relationships>`)
	f.Add(`<R><Relationship Target="a&amp;b"/><!-- Target="c" --></R>`)
	f.Add(`<R><x:Relationship x:Target="a" xmlns:x="urn:x"/><Relationship NotTarget="z" Target="t"/></R>`)
	f.Fuzz(func(t *testing.T, s string) {
		var scanned []string
		if !scanTargets([]byte(s), func(v string) { scanned = append(scanned, v) }) {
			return
		}
		_ = parseRels(context.Background(), strings.NewReader(s), func(r relationship) {
			if !r.external && r.target != "" && !slices.Contains(scanned, r.target) {
				t.Fatalf("decoder target %q not found by the scanner (found %q)", r.target, scanned)
			}
		})
	})
}

func TestScanTargets(t *testing.T) {
	var got []string
	ok := scanTargets([]byte(`<Relationships><Relationship Id='r' Target = 'x y.xml' TargetMode="Internal"/>`+
		`<Relationship NotTarget="z" Target="t"/><Target>u</Target></Relationships>`), func(v string) { got = append(got, v) })
	if !ok || !slices.Equal(got, []string{"x y.xml", "t"}) {
		t.Errorf("scanTargets: %v %q", ok, got)
	}
	for _, s := range []string{`<R Target="a&amp;b"/>`, `<R Target="unterminated/>`, `<R Target=x/>`} {
		if scanTargets([]byte(s), func(string) {}) {
			t.Errorf("scanTargets(%q) accepted what it cannot read", s)
		}
	}
}
