package odf

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

// FuzzODF feeds whole files (zip bytes) to the package inspector.
func FuzzODF(f *testing.F) {
	seeds := seedPackages(f)
	for _, k := range slices.Sorted(maps.Keys(seeds)) {
		f.Add(seeds[k])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &recorder{}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() {
			_ = New().Inspect(context.Background(), inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Limits: inspecttest.FuzzLimits}, rec)
		})
		rec.CheckInvariants(t)
	})
}

// FuzzODFParts fuzzes the XML parsers (manifest, document parts, Basic
// modules) through a package whose members are stored, so that mutations
// reach the XML instead of breaking deflate.
func FuzzODFParts(f *testing.F) {
	f.Add(mtODT, odfPkg{mimetype: mtODT, files: []ofile{{name: "content.xml", encrypted: true}}}.manifest(),
		content(`<office:event-listeners><script:event-listener script:event-name="dom:load" xlink:href="vnd.sun.star.script:x"/></office:event-listeners>`+flatOLE([]byte(oleMagicS))),
		module("Module1", basicMacro))
	f.Add(mtSXW, "", `<?xml version="1.0" encoding="ISO-8859-1"?><office:events><script:event script:event-name="on-load" script:macro-name="x"/></office:events>`, module("M", "REM x\n' y"))
	f.Fuzz(func(t *testing.T, mimetype, manifest, contentXML, mod string) {
		b := odfPkg{mimetype: mimetype, noManifest: true, files: []ofile{
			{name: "META-INF/manifest.xml", body: manifest, method: storeMethod},
			{name: "content.xml", body: contentXML, method: storeMethod},
			{name: "Basic/Standard/Module1.xml", body: mod, method: storeMethod},
			{name: "Object 1", body: oleMagicS, method: storeMethod},
		}}.build(t)
		rec := &recorder{}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() {
			_ = New().Inspect(context.Background(), inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Limits: inspecttest.FuzzLimits}, rec)
		})
		rec.CheckInvariants(t)
	})
}

// FuzzFlatODF feeds flat documents to the flat inspector.
func FuzzFlatODF(f *testing.F) {
	seeds := seedFlat()
	for _, k := range slices.Sorted(maps.Keys(seeds)) {
		f.Add(seeds[k])
	}
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><office:document office:mimetype="application/vnd.oasis.opendocument.text"><draw:object-ole><office:binary-data>0M8R4KGxGuE=</office:binary-data></draw:object-ole></office:document>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &recorder{}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() {
			_ = NewFlat().Inspect(context.Background(), inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Limits: inspecttest.FuzzLimits}, rec)
		})
		rec.CheckInvariants(t)
	})
}

func benchFiles(b *testing.B, files map[string][]byte, in inspect.Inspector) {
	var total int64
	for _, c := range files {
		total += int64(len(c))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range files {
			if err := in.Inspect(context.Background(), inspect.Part{Size: int64(len(c)), R: bytes.NewReader(c)}, &inspecttest.Recorder{Discard: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkODF inspects the generated packages and the shared corpus's ODF
// files (read in place when present).
func BenchmarkODF(b *testing.B) {
	benchFiles(b, benchPackages(b), New())
}

// benchPackages are the generated packages and the shared corpus's ODF
// files (read in place when present).
func benchPackages(b *testing.B) map[string][]byte {
	files := seedPackages(b)
	dir := filepath.Join(inspecttest.CorpusPath(b), "odf")
	names, _ := filepath.Glob(filepath.Join(dir, "*.odt"))
	for _, n := range names {
		if c, err := os.ReadFile(n); err == nil {
			files["corpus/"+filepath.Base(n)] = c
		}
	}
	return files
}

// BenchmarkFlatODF inspects generated flat documents, one of them mostly
// image data (skipped without XML decoding).
func BenchmarkFlatODF(b *testing.B) {
	files := seedFlat()
	files["big-image.fodt"] = []byte(flatDoc(mtODT, `<office:body><office:text>`+flatImage(30000)+`</office:text></office:body>`))
	benchFiles(b, files, NewFlat())
}

// FuzzScanFullPaths checks the byte scanner of manifest entries against
// the XML decoder: every entry the decoder reads from a manifest the
// scanner accepts, the scanner finds too (it may find more, in comments).
func FuzzScanFullPaths(f *testing.F) {
	f.Add(odfPkg{mimetype: mtODT, files: plainFiles("")}.manifest())
	f.Add(`<m:manifest xmlns:m="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><m:file-entry m:full-path = 'a b.xml'/><m:file-entry x=''m:full-path="c"/></m:manifest>`)
	f.Add(`<m><file-entry full-path="a&amp;b"/><!-- full-path="c" --></m>`)
	f.Fuzz(func(t *testing.T, s string) {
		var scanned []string
		if !scanFullPaths([]byte(s), func(v string) { scanned = append(scanned, v) }) {
			return
		}
		// A zip member has a name: an entry without one matches none.
		m, _ := parseManifest(context.Background(), strings.NewReader(s), func(p string) bool { return p != "" })
		for p := range m.entries {
			if !slices.ContainsFunc(scanned, func(v string) bool {
				return strings.TrimPrefix(strings.TrimPrefix(v, "./"), "/") == p
			}) {
				t.Fatalf("decoder entry %q not found by the scanner (found %q)", p, scanned)
			}
		}
	})
}
