package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

func aesExtra(strength byte) []byte {
	// WinZip AES extra field: id 0x9901, size 7, version 2, "AE", strength, method 8.
	return []byte{0x01, 0x99, 7, 0, 2, 0, 'A', 'E', strength, 8, 0}
}

func truncatedZip(t testing.TB) []byte {
	b := makeZip(t,
		zipMember{name: "a.txt", data: []byte("hello"), method: zip.Deflate},
		zipMember{name: "b.txt", data: []byte("world"), method: zip.Store},
	)
	// Cut the central directory: only local headers and data remain.
	i := bytes.Index(b, []byte("PK\x01\x02"))
	return b[:i]
}

func TestZip(t *testing.T) {
	cases := []struct {
		name      string
		zip       []byte
		wantErr   string // substring of the returned error
		children  []string
		typ       string
		findings  []inspect.Finding
		childData map[string]string
	}{
		{
			name: "plain",
			zip: makeZip(t,
				zipMember{name: "dir/", method: zip.Store},
				zipMember{name: "dir/report.txt", data: []byte("quarterly"), method: zip.Deflate},
				zipMember{name: "setup.exe", data: []byte("MZ..."), method: zip.Store},
			),
			children:  []string{"dir/report.txt", "setup.exe"},
			childData: map[string]string{"dir/report.txt": "quarterly"},
		},
		{
			name: "zipcrypto",
			zip: makeZip(t, zipMember{name: "secret.docx", raw: true, flags: 1, data: make([]byte, 40)},
				zipMember{name: "plain.txt", data: []byte("x")}),
			children: []string{"plain.txt"},
			findings: []inspect.Finding{{Kind: inspect.KindEncrypted, Where: "secret.docx", Detail: "encrypted zip entry (ZipCrypto)"}},
		},
		{
			name:     "aes256",
			zip:      makeZip(t, zipMember{name: "a.txt", raw: true, flags: 1, method: 99, extra: aesExtra(3), data: make([]byte, 40)}),
			findings: []inspect.Finding{{Kind: inspect.KindEncrypted, Where: "a.txt", Detail: "encrypted zip entry (AES-256)"}},
		},
		{
			name:     "aes128",
			zip:      makeZip(t, zipMember{name: "a.txt", raw: true, flags: 1, method: 99, extra: aesExtra(1), data: make([]byte, 40)}),
			findings: []inspect.Finding{{Kind: inspect.KindEncrypted, Where: "a.txt", Detail: "encrypted zip entry (AES-128)"}},
		},
		{
			name:     "strong encryption",
			zip:      makeZip(t, zipMember{name: "a.txt", raw: true, flags: 0x41, method: 8, data: make([]byte, 40)}),
			findings: []inspect.Finding{{Kind: inspect.KindEncrypted, Where: "a.txt", Detail: "encrypted zip entry (strong encryption)"}},
		},
		{
			name: "DCL implode unsupported",
			zip: makeZip(t, zipMember{name: "big.bin", raw: true, method: 10, data: make([]byte, 10)},
				zipMember{name: "ok.txt", data: []byte("fine"), method: zip.Deflate}),
			children: []string{"ok.txt"},
			findings: []inspect.Finding{{Kind: inspect.KindUnscannable, Where: "big.bin", Detail: "unsupported zip compression method PKWARE DCL implode"}},
		},
		{
			name:     "jar by manifest",
			zip:      makeZip(t, zipMember{name: "META-INF/MANIFEST.MF", data: []byte("Manifest-Version: 1.0\n")}),
			children: []string{"META-INF/MANIFEST.MF"},
			typ:      inspect.TypeJAR,
			findings: []inspect.Finding{{Kind: inspect.KindExecutable, Detail: "Java archive"}},
		},
		{
			name:     "jar by class",
			zip:      makeZip(t, zipMember{name: "a/Main.class", data: []byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 52}}),
			children: []string{"a/Main.class"},
			typ:      inspect.TypeJAR,
			findings: []inspect.Finding{{Kind: inspect.KindExecutable, Detail: "Java archive"}},
		},
		{
			name: "apk",
			zip: makeZip(t, zipMember{name: "AndroidManifest.xml", data: []byte{3, 0, 8, 0}},
				zipMember{name: "classes.dex", data: []byte("dex\n035\x00")},
				zipMember{name: "META-INF/MANIFEST.MF", data: []byte("Manifest-Version: 1.0\n")}),
			children: []string{"AndroidManifest.xml", "classes.dex", "META-INF/MANIFEST.MF"},
			findings: []inspect.Finding{{Kind: inspect.KindExecutable, Detail: "Android package"}},
		},
		{
			name:     "msix",
			zip:      makeZip(t, zipMember{name: "AppxManifest.xml", data: []byte("<Package/>")}),
			children: []string{"AppxManifest.xml"},
			findings: []inspect.Finding{{Kind: inspect.KindExecutable, Detail: "app package"}},
		},
		{
			name:      "no central directory: local headers",
			zip:       truncatedZip(t),
			children:  []string{"a.txt", "b.txt"},
			childData: map[string]string{"a.txt": "hello", "b.txt": "world"},
			findings:  []inspect.Finding{{Kind: inspect.KindAmbiguous, Detail: "no central directory: read by its local headers only"}},
		},
		{
			name:    "overlapping entries",
			zip:     overlapZip(t, 100),
			wantErr: "overlapping zip entries",
		},
		{
			name:    "junk",
			zip:     []byte("PK\x03\x04 this is not really a zip file at all"),
			wantErr: "cannot open zip archive",
		},
		{
			name:     "declared size over part-size",
			zip:      zipBomb(t, "zeros.bin", 1<<20, 10<<30),
			findings: []inspect.Finding{{Kind: inspect.KindUnscannable, Where: "zeros.bin", Detail: "limit part-size=268435456"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := run(t, inspect.FamilyZip, "x.zip", c.zip)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !equalStrings(rec.Names(), c.children) {
				t.Errorf("children %q, want %q", rec.Names(), c.children)
			}
			if rec.Type != c.typ {
				t.Errorf("type %q, want %q", rec.Type, c.typ)
			}
			if len(rec.Findings) != len(c.findings) {
				t.Errorf("findings %+v, want %+v", rec.Findings, c.findings)
			}
			for _, f := range c.findings {
				if !has(rec, f.Kind, f.Where, f.Detail) {
					t.Errorf("missing %+v in %+v", f, rec.Findings)
				}
			}
			for n, d := range c.childData {
				if string(rec.Data(n)) != d {
					t.Errorf("child %s = %q, want %q", n, rec.Data(n), d)
				}
			}
		})
	}
}

// TestZipDescriptorFallback walks local headers of a zip written in
// streaming mode (sizes in data descriptors) whose central directory is gone.
func TestZipDescriptorFallback(t *testing.T) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range []string{"one.txt", "two.txt", "three.txt"} {
		fw, _ := w.Create(n) // deflate with data descriptor
		fw.Write([]byte(strings.Repeat(n, 100)))
	}
	w.Close()
	b := buf.Bytes()
	b = b[:bytes.Index(b, []byte("PK\x01\x02"))]
	rec, err := run(t, inspect.FamilyZip, "x.zip", b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"one.txt", "two.txt", "three.txt"}; !equalStrings(rec.Names(), want) {
		t.Fatalf("children %q, want %q", rec.Names(), want)
	}
	if string(rec.Data("two.txt")) != strings.Repeat("two.txt", 100) {
		t.Errorf("two.txt = %q", rec.Data("two.txt"))
	}
}

func TestZipTooManyMembers(t *testing.T) {
	var ms []zipMember
	for i := 0; i < 60; i++ {
		ms = append(ms, zipMember{name: strings.Repeat("x", i+1)})
	}
	b := makeZip(t, ms...)
	p := inspect.Part{Name: "x.zip", Size: int64(len(b)), R: bytes.NewReader(b), Limits: inspect.Limits{MaxParts: 50}}
	err := New(inspect.FamilyZip).Inspect(context.Background(), p, recorder())
	var le *inspect.LimitError
	if !errors.As(err, &le) || le.Limit != inspect.LimitParts {
		t.Fatalf("err = %v, want parts limit", err)
	}
}

// TestZipBombSingle: one member of 10 GiB of zeros (about 10 MB deflated).
// Its declared size stops it at once; with a lying declared size and a high
// part-size limit, the ratio limit stops it.
func TestZipBombSingle(t *testing.T) {
	start := time.Now()
	b := zipBomb(t, "zeros.bin", 10<<30, 0)
	e := engine(inspect.Limits{})
	res := e.Inspect(context.Background(), "bomb.zip", "", bytes.NewReader(b), int64(len(b)))
	if !res.HasAt(inspect.KindUnscannable, "zeros.bin") {
		t.Fatalf("no unscannable for zeros.bin: %+v", res.Findings)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}

	// A high part-size limit and a ratio limit of 10: the ratio stops it
	// after 10x its compressed size.
	e = engine(inspect.Limits{MaxPartSize: 64 << 30, MaxTotalSize: 64 << 30, MaxRatio: 10})
	res = e.Inspect(context.Background(), "bomb.zip", "", bytes.NewReader(b), int64(len(b)))
	found := false
	for _, f := range res.Findings {
		if f.Kind == inspect.KindUnscannable && f.Where == "zeros.bin" && strings.Contains(f.Detail, "ratio") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no ratio finding: %+v", res.Findings)
	}
}

// nestedBomb builds a 42.zip-style bomb: levels of zips holding 16 copies
// of the level below, the leaves holding 4 GiB of zeros each.
func nestedBomb(t testing.TB, levels int) []byte {
	leaf := zipBomb(t, "0.bin", 4<<30, 0)
	cur := leaf
	for l := 0; l < levels; l++ {
		d := deflate(t, cur)
		var ms []zipMember
		for i := 0; i < 16; i++ {
			ms = append(ms, zipMember{name: string(rune('a'+i)) + ".zip", raw: true, method: zip.Deflate, data: d, usize: uint64(len(cur))})
		}
		cur = makeZip(t, ms...)
	}
	return cur
}

func TestZipBombNested(t *testing.T) {
	if testing.Short() {
		t.Skip("nested bomb in -short")
	}
	levels := 4
	if raceEnabled {
		levels = 3 // the same shape, 16 times fewer leaves
	}
	b := nestedBomb(t, levels)
	t.Logf("nested bomb: %d bytes, 16^%d leaves of 4 GiB", len(b), levels)
	start := time.Now()
	res := engine(inspect.Limits{}).Inspect(context.Background(), "42.zip", "", bytes.NewReader(b), int64(len(b)))
	d := time.Since(start)
	if !res.Has(inspect.KindUnscannable) {
		t.Fatalf("no unscannable: %+v", res.Findings)
	}
	if d > 20*time.Second {
		t.Errorf("took %v", d)
	}
	t.Logf("ended in %v after %d parts, %d bytes; findings: %d", d, res.Parts, res.Bytes, len(res.Findings))
}
