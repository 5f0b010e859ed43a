package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func makeGzip(t testing.TB, name string, data []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Name = name
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

func makeTar(t testing.TB, files map[string]string, order ...string) []byte {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	w.WriteHeader(&tar.Header{Name: "dir/", Typeflag: tar.TypeDir, Mode: 0o755})
	w.WriteHeader(&tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "dir/a"})
	for _, n := range order {
		w.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n]))})
		w.Write([]byte(files[n]))
	}
	w.Close()
	return buf.Bytes()
}

func TestStreams(t *testing.T) {
	bz, err := os.ReadFile("testdata/hello.txt.bz2")
	if err != nil {
		t.Fatal(err)
	}
	tarball := makeTar(t, map[string]string{"dir/a.txt": "alpha", "b.exe": "MZ"}, "dir/a.txt", "b.exe")
	cases := []struct {
		name     string
		fam      inspect.Family
		partName string
		data     []byte
		children []string
		content  string // of the first child
		wantErr  string
	}{
		{"gzip FNAME", inspect.FamilyGzip, "x.gz", makeGzip(t, "dir/inner.doc", []byte("doc")), []string{"inner.doc"}, "doc", ""},
		{"gzip part name", inspect.FamilyGzip, "report.pdf.gz", makeGzip(t, "", []byte("%PDF")), []string{"report.pdf"}, "%PDF", ""},
		{"gzip tgz", inspect.FamilyGzip, "src.tgz", makeGzip(t, "", []byte("t")), []string{"src.tar"}, "t", ""},
		{"gzip no name", inspect.FamilyGzip, "", makeGzip(t, "", []byte("t")), []string{"gunzip"}, "t", ""},
		{"gzip bad header", inspect.FamilyGzip, "x.gz", []byte{0x1f, 0x8b, 9, 0}, nil, "", "malformed gzip"},
		{"bzip2", inspect.FamilyBzip2, "hello.txt.bz2", bz, []string{"hello.txt"}, "hello bzip2\n", ""},
		{"tar", inspect.FamilyTar, "x.tar", tarball, []string{"dir/a.txt", "b.exe"}, "alpha", ""},
		{"tar truncated header", inspect.FamilyTar, "x.tar", tarball[:2300], []string{"dir/a.txt"}, "alpha", "malformed tar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := run(t, c.fam, c.partName, c.data)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(rec.Names(), c.children) {
				t.Fatalf("children %q, want %q", rec.Names(), c.children)
			}
			if len(c.children) > 0 && string(rec.Data(c.children[0])) != c.content {
				t.Errorf("content %q, want %q", rec.Data(c.children[0]), c.content)
			}
		})
	}
}

// TestTgzEngine: a tar in a gzip is found through the engine.
func TestTgzEngine(t *testing.T) {
	tgz := makeGzip(t, "", makeTar(t, map[string]string{"a/b/inner.zip": string(makeZip(t, zipMember{name: "deep.txt", data: []byte("x")}))}, "a/b/inner.zip"))
	res := engine(inspect.Limits{}).Inspect(t.Context(), "x.tgz", "", bytes.NewReader(tgz), int64(len(tgz)))
	if res.Type != inspect.TypeGZ || res.Has(inspect.KindUnscannable) {
		t.Fatalf("type %s findings %+v", res.Type, res.Findings)
	}
	if res.Parts != 4 {
		t.Errorf("parts = %d, want 4 (tgz, tar, zip, txt)", res.Parts)
	}
}
