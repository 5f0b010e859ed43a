package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func TestISO(t *testing.T) {
	files := []isoFile{{"INVOICE.LNK", []byte("L\x00\x00\x00shortcut")}, {"SUB/PAYLOAD.DLL", []byte("MZ payload")}}
	loop := makeISO(false, files...)
	// Point the subdirectory back at the root: a loop.
	copy(loop[20*isoSector+2*34:], isoRecord(20, isoSector, true, []byte("SUB")))
	badRecord := makeISO(false, files...)
	binary.LittleEndian.PutUint32(badRecord[20*isoSector+68+10:], 0xFFFFFFF0) // SUB's size
	cases := []struct {
		name     string
		b        []byte
		children []string
		content  map[string]string
		wantErr  string
	}{
		{name: "primary", b: makeISO(false, files...), children: []string{"INVOICE.LNK", "SUB/PAYLOAD.DLL"},
			content: map[string]string{"SUB/PAYLOAD.DLL": "MZ payload"}},
		{name: "joliet", b: makeISO(true, files...), children: []string{"INVOICE.LNK (joliet)", "Sub folder/PAYLOAD.DLL (joliet)"},
			content: map[string]string{"INVOICE.LNK (joliet)": "L\x00\x00\x00shortcut"}},
		{name: "directory loop", b: loop, children: []string{"INVOICE.LNK"}},
		{name: "directory outside the image", b: badRecord, children: []string{"INVOICE.LNK"}, wantErr: "outside the image"},
		{name: "no descriptor", b: make([]byte, 40000), wantErr: "no primary volume descriptor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := run(t, inspect.FamilyISO, "x.iso", c.b)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(rec.Names(), c.children) {
				t.Errorf("children %q, want %q", rec.Names(), c.children)
			}
			for n, want := range c.content {
				if string(rec.Data(n)) != want {
					t.Errorf("%s = %q, want %q", n, rec.Data(n), want)
				}
			}
		})
	}
}

// TestISOSniffed: the engine sniffs the generated image as ISO.
func TestISOSniffed(t *testing.T) {
	b := makeISO(false, isoFile{"A.TXT", []byte("a")})
	if f := inspect.Sniff(bytes.NewReader(b), int64(len(b)), "x.iso"); f != inspect.FamilyISO {
		t.Fatalf("sniffed %s", f)
	}
	res := engine(inspect.Limits{}).Inspect(context.Background(), "x.iso", "", bytes.NewReader(b), int64(len(b)))
	if res.Has(inspect.KindUnscannable) || res.Parts != 2 {
		t.Fatalf("parts %d findings %+v", res.Parts, res.Findings)
	}
}
