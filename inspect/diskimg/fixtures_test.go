package diskimg

import (
	"bytes"
	"slices"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// TestFixtures: every image made by Debian's tools (make-fixtures.sh) is
// sniffed as its family, typed, and yields its two files with their paths
// and exact content.
func TestFixtures(t *testing.T) {
	pe, doc := repoFile(t, "setup.exe"), repoFile(t, "letter.doc")
	cases := []struct {
		file string
		fam  inspect.Family
		typ  string
	}{
		{"fat12.img", inspect.FamilyIMG, inspect.TypeIMG},
		{"fat16.img", inspect.FamilyIMG, inspect.TypeIMG},
		{"fat32.img", inspect.FamilyIMG, inspect.TypeIMG},
		{"mbr.img", inspect.FamilyIMG, inspect.TypeIMG},
		{"fixed.vhd", inspect.FamilyVHD, inspect.TypeVHD},
		{"dynamic.vhd", inspect.FamilyVHD, inspect.TypeVHD},
		{"disk.vhdx", inspect.FamilyVHDX, inspect.TypeVHDX},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b := fixture(t, c.file)
			if f := inspect.Sniff(bytes.NewReader(b), int64(len(b)), c.file); f != c.fam {
				t.Fatalf("sniffed %q, want %q", f, c.fam)
			}
			rec, err := inspectImage(t, c.fam, b, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Type != c.typ {
				t.Errorf("type %q, want %q", rec.Type, c.typ)
			}
			if len(rec.Findings) != 0 {
				t.Errorf("findings %q", rec.Short())
			}
			want := []string{"DIR/setup.exe", "Long Folder Name/Letter to the customer.doc"}
			names := rec.Names()
			slices.Sort(names)
			if !slices.Equal(names, want) {
				t.Fatalf("children %q, want %q", names, want)
			}
			if !bytes.Equal(rec.Data(want[0]), pe) || !bytes.Equal(rec.Data(want[1]), doc) {
				t.Errorf("content differs from the files copied in")
			}
		})
	}
}
