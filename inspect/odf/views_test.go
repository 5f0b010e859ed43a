package odf

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"slices"
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
	plain := plainFiles(`<text:p>Hello</text:p>`)
	const amb = "ambiguous|"
	localOnly := func(b []byte, name string) string {
		return fmt.Sprintf("%sentry only in the local headers at offset %d (local header view)|%s", amb, zipxtest.Find(t, b).Locals[name], name)
	}
	const mod = "Basic/Standard/Module1.xml"
	withExe := odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Pictures/setup.exe", body: exe, noEntry: true}})}.build(t)
	withStoredExe := odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Pictures/setup.exe", body: exe, noEntry: true, method: storeMethod}})}.build(t)
	basic := odfPkg{mimetype: mtODT, files: join(plain, libraryFiles(map[string]string{"Module1": "Sub Main\nShell(\"calc\")\nEnd Sub"}))}.build(t)
	encBasic := odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: mod, body: "\x01\x02ciphertext", encrypted: true}})}.build(t)
	script := odfPkg{mimetype: mtODT, files: join(plain, []ofile{{name: "Pictures/x.py", body: "import os\nos.system('calc')\n", noEntry: true}})}.build(t)

	tests := []struct {
		name     string
		pkg      []byte
		want     []string
		children []string
	}{
		{"executable only in the local headers", zipxtest.DropCentral(t, withExe, "Pictures/setup.exe"),
			[]string{localOnly(withExe, "Pictures/setup.exe")}, []string{"Pictures/setup.exe"}},
		{"stored executable only in the local headers", zipxtest.DropCentral(t, withStoredExe, "Pictures/setup.exe"),
			[]string{localOnly(withStoredExe, "Pictures/setup.exe")}, []string{"Pictures/setup.exe"}},
		{"Basic library only in the local headers", zipxtest.DropCentral(t, basic, "Basic/script-lc.xml", "Basic/Standard/script-lb.xml", mod),
			[]string{localOnly(basic, "Basic/script-lc.xml"), localOnly(basic, "Basic/Standard/script-lb.xml"), localOnly(basic, mod),
				"macro|" + DetailBasicModule + "Standard/Module1|" + mod}, nil},
		{"password-protected Basic module only in the local headers", zipxtest.DropCentral(t, encBasic, mod),
			// The manifest's encryption data applies to the hidden member: a
			// password-protected library's module.
			[]string{localOnly(encBasic, mod), "macro|" + DetailBasicModule + "Standard/Module1 (password-protected)|" + mod}, nil},
		{"script renamed to a picture in the central directory", zipxtest.RenameLocal(t, script, "Pictures/x.py", "Scripts/ab.py"),
			[]string{amb + `name differs between central directory and local header: "Pictures/x.py" vs "Scripts/ab.py"|Pictures/x.py`,
				"ambiguous|" + DetailUnlisted + "|Pictures/x.py", "macro|" + DetailScript + "Scripts/ab.py|Scripts/ab.py"},
			[]string{"Pictures/x.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectPkg(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			rec.CheckInvariants(t)
			if rec.Type != "odt" {
				t.Errorf("type %q", rec.Type)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(rec.Names(), tt.children) {
				t.Errorf("children %q, want %q", rec.Names(), tt.children)
			}
			if d := rec.Data("Pictures/setup.exe"); d != nil && string(d) != exe {
				t.Errorf("setup.exe: %d bytes, not the member's", len(d))
			}
		})
	}
}

// TestViewsConsistent checks that the generated packages, which
// archive/zip writes consistently, have no ambiguity.
func TestViewsConsistent(t *testing.T) {
	for name, b := range seedPackages(t) {
		rec, err := inspectPkg(t, b, inspect.Limits{})
		if err != nil {
			continue
		}
		for _, f := range rec.Findings {
			if f.Kind == inspect.KindAmbiguous && f.Detail != DetailUnlisted {
				t.Errorf("%s: %+v", name, f)
			}
		}
	}
}

// BenchmarkViews reads the package views of BenchmarkODF's packages the
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
