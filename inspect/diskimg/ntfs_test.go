package diskimg

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// TestNTFS: the volume mkfs.ntfs made and ntfscp filled yields both files
// and the alternate data stream, with their exact content.
func TestNTFS(t *testing.T) {
	pe, doc := repoFile(t, "setup.exe"), repoFile(t, "letter.doc")
	b := fixture(t, "ntfs.img")
	if f := inspect.Sniff(bytes.NewReader(b), int64(len(b)), "x.img"); f != inspect.FamilyIMG {
		t.Fatalf("sniffed %q", f)
	}
	res, err := inspectOK(t, inspect.FamilyIMG, b)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"setup.exe", "Letter to the customer.doc", "Letter to the customer.doc:payload.exe"}
	if !slices.Equal(res.names, want) || res.short != "" {
		t.Fatalf("children %q findings %q", res.names, res.short)
	}
	if !bytes.Equal(res.data(want[0]), pe) || !bytes.Equal(res.data(want[1]), doc) || !bytes.Equal(res.data(want[2]), pe) {
		t.Error("content differs from the files copied in")
	}
}

// ntfsRecordOf returns the offset in the image of the MFT record that
// holds name.
func ntfsRecordOf(t *testing.T, b []byte, name string) int {
	t.Helper()
	u := make([]byte, 0, 2*len(name))
	for _, c := range name {
		u = append(u, byte(c), 0)
	}
	i := bytes.Index(b, u)
	if i < 0 {
		t.Fatalf("%s not in the image", name)
	}
	return i / 1024 * 1024 // records are 1 KiB and aligned here
}

// TestHostileNTFS: damaged records, runs and flags are reported, never
// skipped quietly.
func TestHostileNTFS(t *testing.T) {
	base := fixture(t, "ntfs.img")
	patch := func(f func(b []byte)) []byte {
		b := append([]byte{}, base...)
		f(b)
		return b
	}
	// attrOf returns the offset of the first attribute of type typ in
	// the record at rec.
	attrOf := func(b []byte, rec int, typ uint32) int {
		off := rec + int(binary.LittleEndian.Uint16(b[rec+20:]))
		for binary.LittleEndian.Uint32(b[off:]) != typ {
			off += int(binary.LittleEndian.Uint32(b[off+4:]))
		}
		return off
	}
	cases := []struct {
		name, finding string
		b             []byte
	}{
		{"torn record", "unscannable|NTFS record 64: torn record (update sequence mismatch)|", patch(func(b []byte) {
			b[ntfsRecordOf(t, b, "setup.exe")+510]++
		})},
		{"data run outside the image", "unscannable|NTFS file: data run outside the image|setup.exe", patch(func(b []byte) {
			a := attrOf(b, ntfsRecordOf(t, b, "setup.exe"), ntfsAttrData)
			run := a + int(binary.LittleEndian.Uint16(b[a+32:]))
			h := b[run]
			lo := int(h >> 4)
			b[run+int(h&0x0F)+lo] = 0x70 // a huge positive LCN delta
		})},
		{"compressed", "unscannable|NTFS compressed file: not read|setup.exe", patch(func(b []byte) {
			a := attrOf(b, ntfsRecordOf(t, b, "setup.exe"), ntfsAttrData)
			b[a+12] |= 1
		})},
		{"encrypted", "encrypted|NTFS EFS-encrypted file|setup.exe", patch(func(b []byte) {
			a := attrOf(b, ntfsRecordOf(t, b, "setup.exe"), ntfsAttrData)
			b[a+13] |= 0x40
		})},
		{"parent loop", "", patch(func(b []byte) {
			rec := ntfsRecordOf(t, b, "setup.exe")
			a := attrOf(b, rec, ntfsAttrFileName)
			v := a + int(binary.LittleEndian.Uint16(b[a+20:]))
			binary.LittleEndian.PutUint64(b[v:], 64) // its own parent
		})},
		{"MFT outside the image", "unscannable|malformed NTFS volume: MFT outside the image|", patch(func(b []byte) {
			binary.LittleEndian.PutUint64(b[0x30:], 1<<40)
		})},
		{"huge MFT size", "", patch(func(b []byte) {
			a := attrOf(b, int(binary.LittleEndian.Uint64(b[0x30:]))*4096, ntfsAttrData)
			binary.LittleEndian.PutUint64(b[a+48:], 1<<60)
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := inspectOK(t, inspect.FamilyIMG, c.b)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.short, c.finding) || (c.finding == "" && res.short != "") {
				t.Errorf("findings %q, want %q; children %q", res.short, c.finding, res.names)
			}
			if c.name == "parent loop" && !slices.Contains(res.names, "orphan64/setup.exe") {
				t.Errorf("children %q", res.names)
			}
		})
	}
}
