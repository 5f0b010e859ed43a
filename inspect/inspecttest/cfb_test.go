package inspecttest

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/richardlehane/mscfb"
)

// TestWriteCFBReadByMscfb: what WriteCFB writes in every variant the tests
// use (mini stream, regular sectors, 4096-byte sectors, DIFAT sectors,
// the GenLayout variant, nested storages, an empty stream) an independent reader
// reads back stream for stream.
func TestWriteCFBReadByMscfb(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 700) // 11200 bytes: regular sectors
	streams := map[string][]byte{
		"EncryptionInfo":      []byte("small stream in the mini stream"),
		"EncryptedPackage":    big,
		"VBA/dir":             []byte("dir"),
		"VBA/Module1":         bytes.Repeat([]byte{1}, 5000),
		"VBA/Deeper/x":        bytes.Repeat([]byte{2}, 4095),
		"Empty":               {},
		"\x05SummaryInfo":     make([]byte, 48),
		"Large/of/three/deep": bytes.Repeat([]byte{3}, 300<<10),
	}
	for _, o := range []CFBOptions{{}, {SectorShift: 12}, {GenLayout: true}} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			b, lay := WriteCFB(CFBTree(streams), o)
			if !lay.Mini["EncryptionInfo"] || lay.Mini["EncryptedPackage"] {
				t.Errorf("mini stream placement: %v", lay.Mini)
			}
			got := MscfbStreams(t, b)
			for name, want := range streams {
				if g, ok := got[name]; !ok || !bytes.Equal(g, want) {
					t.Errorf("stream %q: got %d bytes (present %v), want %d", name, len(g), ok, len(want))
				}
			}
			if len(got) != len(streams) {
				t.Errorf("mscfb saw %d streams, want %d", len(got), len(streams))
			}
		})
	}
}

// TestWriteCFBDIFATReadByMscfb: past the header's 109 FAT sector slots
// the FAT is listed in DIFAT sectors. (Fewer header slots, HeaderFATSlots,
// are irregular: mscfb rejects them, the OLE reader's tests want them.)
func TestWriteCFBDIFATReadByMscfb(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 8<<16) // 8 MiB
	b, lay := WriteCFB(Storage("", Stream("big", data), Stream("small", []byte("s"))), CFBOptions{})
	if len(lay.FATSectors) <= 109 {
		t.Fatalf("%d FAT sectors: no DIFAT sector needed", len(lay.FATSectors))
	}
	got := MscfbStreams(t, b)
	if !bytes.Equal(got["big"], data) || string(got["small"]) != "s" {
		t.Errorf("streams differ: big %d bytes, small %q", len(got["big"]), got["small"])
	}
}

// TestCFBReadByMscfb: an independent reader sees every stream with its
// content, so the synthetic documents are real compound files.
func TestCFBReadByMscfb(t *testing.T) {
	want := map[string][]byte{
		"WordDocument":            bytes.Repeat([]byte("w"), 5000),
		"Macros/VBA/dir":          []byte("dir"),
		"Macros/VBA/ThisDocument": []byte("Sub AutoOpen()"),
		"Macros/PROJECT":          []byte("ID="),
	}
	got := MscfbStreams(t, CFB(want))
	for path, w := range want {
		if !bytes.HasPrefix(got[path], w) {
			t.Errorf("%s: content differs", path)
		}
	}
	if len(got) != len(want) {
		t.Errorf("mscfb saw %d of %d streams", len(got), len(want))
	}
}

// TestCFBReproducesFixtures: testdata/gen still writes the committed
// compound files of testdata/files byte for byte.
func TestCFBReproducesFixtures(t *testing.T) {
	for name, b := range map[string][]byte{"macro.doc": Doc(true), "encrypted.doc": EncryptedDoc()} {
		want := ReadFile(t, filepath.Join("..", "..", "testdata", "files", name))
		if !bytes.Equal(b, want) {
			t.Errorf("%s: generator output (%d bytes) differs from the committed file (%d bytes)", name, len(b), len(want))
		}
	}
}

// TestCFBLayout: the layout points at the structures it names.
func TestCFBLayout(t *testing.T) {
	b, lay := WriteCFB(Storage("", Stream("big", bytes.Repeat([]byte{7}, 5000)), Storage("S", Stream("x", []byte("x")))).WithCLSID([16]byte{1, 2}), CFBOptions{})
	if e := lay.DirEntry(b, lay.Entries["S"]); e[66] != typeStorage || string(e[:2]) != "S\x00" {
		t.Errorf("entry S: % x", e[:68])
	}
	if e := lay.DirEntry(b, 0); e[66] != typeRoot || e[80] != 1 || e[81] != 2 {
		t.Errorf("root: % x", e[64:96])
	}
	s := lay.Starts["big"]
	if got := b[lay.SectorSize*int64(1+s)]; got != 7 {
		t.Errorf("big starts with %d, want 7", got)
	}
	lay.SetFAT(b, s, endOfChain)
	if _, err := mscfb.New(bytes.NewReader(b)); err != nil {
		t.Fatal(err) // the directory is intact
	}
}
