package ooxml

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

// fuzzLimits keep one fuzz execution cheap.
var fuzzLimits = inspect.Limits{MaxPartSize: 1 << 20, MaxParts: 200, MaxTime: 5 * time.Second}

// failSlow fails an execution that took so long it can only be a hang or
// work out of proportion to the input (the limit is generous for loaded
// machines).
func failSlow(t *testing.T, start time.Time) {
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("inspection took %v", d)
	}
}

func checkInvariants(t *testing.T, rec *recorder) {
	if rec.typ != "" && !inspect.ValidType(rec.typ) {
		t.Fatalf("invalid type %q", rec.typ)
	}
	for _, f := range rec.findings {
		if !inspect.ValidKind(f.Kind) {
			t.Fatalf("invalid kind in %+v", f)
		}
		if f.Detail == "" {
			t.Fatalf("finding without detail: %+v", f)
		}
	}
}

// FuzzOOXML feeds whole files (zip bytes) to the inspector.
func FuzzOOXML(f *testing.F) {
	seeds := seedPackages(f)
	for _, k := range sortedKeysB(seeds) {
		f.Add(seeds[k])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		defer failSlow(t, time.Now())
		rec := &recorder{}
		p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyOOXML, Limits: fuzzLimits}
		_ = New().Inspect(context.Background(), p, rec)
		checkInvariants(t, rec)
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
		defer failSlow(t, time.Now())
		b := buildZip(t, []zfile{
			{name: "[Content_Types].xml", body: ct, method: storeMethod},
			{name: "_rels/.rels", body: relsXML(rel{typ: "officeDocument", target: "word/document.xml"}), method: storeMethod},
			{name: "word/_rels/document.xml.rels", body: rels, method: storeMethod},
			{name: "word/document.xml", body: doc, method: storeMethod},
			{name: "xl/externalLinks/externalLink1.xml", body: extLink, method: storeMethod},
		})
		rec := &recorder{}
		p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyOOXML, Limits: fuzzLimits}
		_ = New().Inspect(context.Background(), p, rec)
		checkInvariants(t, rec)
	})
}

// storeMethod is zip.Store, but not 0 (0 means deflate to buildZip).
const storeMethod = 0x100

func sortedKeysB(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// BenchmarkOOXML inspects the generated packages and the shared corpus's
// OOXML zips (read in place when present) once per iteration.
func BenchmarkOOXML(b *testing.B) {
	files := seedPackages(b)
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "ooxml")
	for _, name := range []string{"filetype__sample.docx", "filetype__sample.pptx", "filetype__sample.xlsx",
		"poi__SimpleMacro.docm", "poi__SimpleMacro.pptm", "poi__SimpleMacro.xlsm", "poi__xlmmacro.xlsm"} {
		if c, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			files["corpus/"+name] = c
		}
	}
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
			if err := in.Inspect(context.Background(), p, discard{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// discard is a Scope that drops everything but reads children, as the
// engine's spool would.
type discard struct{}

func (discard) SetType(string)       {}
func (discard) Emit(inspect.Finding) {}
func (discard) Child(_ string, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discard) ChildAt(string, io.ReaderAt, int64) error { return nil }
