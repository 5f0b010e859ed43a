package all

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// diskFixture expands an image made by Debian's tools
// (inspect/diskimg/testdata/make-fixtures.sh).
func diskFixture(t testing.TB, name string) []byte {
	t.Helper()
	return inspecttest.ReadGzip(t, filepath.Join("..", "diskimg", "testdata", name+".gz"))
}

// TestDiskImages: the whole engine finds the executable and the Word 97
// document inside every kind of disk image, with their paths.
func TestDiskImages(t *testing.T) {
	e := NewEngine(inspect.Limits{})
	for _, c := range []struct{ file, typ string }{
		{"fat12.img", inspect.TypeIMG}, {"fat16.img", inspect.TypeIMG}, {"fat32.img", inspect.TypeIMG},
		{"mbr.img", inspect.TypeIMG}, {"fixed.vhd", inspect.TypeVHD}, {"dynamic.vhd", inspect.TypeVHD},
		{"disk.vhdx", inspect.TypeVHDX},
	} {
		t.Run(c.file, func(t *testing.T) {
			b := diskFixture(t, c.file)
			res := e.Inspect(context.Background(), c.file, "", bytes.NewReader(b), int64(len(b)))
			if res.Type != c.typ || res.Declared != "" {
				t.Errorf("type %q declared %q, want %q", res.Type, res.Declared, c.typ)
			}
			if !res.HasAt(inspect.KindExecutable, "DIR/setup.exe") {
				t.Errorf("no executable at DIR/setup.exe: %+v", res.Findings)
			}
			if !res.HasAt(inspect.KindLegacyOffice, "Long Folder Name/Letter to the customer.doc") {
				t.Errorf("no legacy-office at the long named .doc: %+v", res.Findings)
			}
			if res.Has(inspect.KindUnscannable) {
				t.Errorf("unscannable: %+v", res.Findings)
			}
		})
	}
}

// TestDiskImageNTFS: an NTFS volume (mkfs.ntfs, files copied in with
// ntfscp) is listed from its MFT: the executable, the Word 97 document and
// the executable hidden in the document's alternate data stream.
func TestDiskImageNTFS(t *testing.T) {
	b := diskFixture(t, "ntfs.img")
	res := NewEngine(inspect.Limits{}).Inspect(context.Background(), "disk.img", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != inspect.TypeIMG || res.Has(inspect.KindUnscannable) {
		t.Fatalf("type %q findings %+v", res.Type, res.Findings)
	}
	if !res.HasAt(inspect.KindExecutable, "setup.exe") ||
		!res.HasAt(inspect.KindExecutable, "Letter to the customer.doc:payload.exe") ||
		!res.HasAt(inspect.KindLegacyOffice, "Letter to the customer.doc") {
		t.Errorf("findings %+v", res.Findings)
	}
}

// TestDiskImageDifferencing: a differencing VHD (here dynamic.vhd with its
// disk type changed and the checksums fixed) cannot be read without its
// parent and is unscannable, never clean.
func TestDiskImageDifferencing(t *testing.T) {
	b := diskFixture(t, "dynamic.vhd")
	for _, off := range []int{0, len(b) - 512} {
		f := b[off : off+512]
		binary.BigEndian.PutUint32(f[60:], 4)
		var sum uint32
		for i, c := range f {
			if i < 64 || i >= 68 {
				sum += uint32(c)
			}
		}
		binary.BigEndian.PutUint32(f[64:], ^sum)
	}
	res := NewEngine(inspect.Limits{}).Inspect(context.Background(), "x.vhd", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != inspect.TypeVHD || !res.HasAt(inspect.KindUnscannable, "") || res.Findings[0].Detail != "differencing VHD/VHDX needs its parent" {
		t.Fatalf("type %q findings %+v", res.Type, res.Findings)
	}
}

// isoOverFAT writes an ISO 9660 file system into the free clusters of a
// FAT12 image (ECMA-119 8.4 primary volume descriptor at sector 16, a
// terminator, a root directory at sector 20 holding EVIL.EXE at sector
// 21): a polyglot that Windows mounts as an ISO and other tools as FAT.
func isoOverFAT(fat, payload []byte) []byte {
	const sec = 2048
	b := append([]byte{}, fat...)
	both32 := func(p []byte, v uint32) {
		binary.LittleEndian.PutUint32(p, v)
		binary.BigEndian.PutUint32(p[4:], v)
	}
	record := func(p []byte, lba, size uint32, dir bool, name string) int {
		n := 33 + len(name)
		n += n % 2
		p[0] = byte(n)
		both32(p[2:], lba)
		both32(p[10:], size)
		if dir {
			p[25] = 2
		}
		p[32] = byte(len(name))
		copy(p[33:], name)
		return n
	}
	pvd := b[16*sec:]
	pvd[0], pvd[6] = 1, 1
	copy(pvd[1:], "CD001")
	binary.LittleEndian.PutUint16(pvd[128:], sec)
	binary.BigEndian.PutUint16(pvd[130:], sec)
	record(pvd[156:], 20, sec, true, "\x00")
	term := b[17*sec:]
	term[0], term[6] = 255, 1
	copy(term[1:], "CD001")
	root := b[20*sec:]
	off := record(root, 20, sec, true, "\x00")
	off += record(root[off:], 20, sec, true, "\x01")
	record(root[off:], 21, uint32(len(payload)), false, "EVIL.EXE;1")
	copy(b[21*sec:], payload)
	return b
}

// TestDiskImageISOPolyglot: both readings of a FAT/ISO polyglot are
// inspected, and the ambiguity is reported.
func TestDiskImageISOPolyglot(t *testing.T) {
	pe, err := os.ReadFile(filepath.Join("..", "..", "testdata", "files", "setup.exe"))
	if err != nil {
		t.Fatal(err)
	}
	b := isoOverFAT(diskFixture(t, "fat12.img"), pe)
	res := NewEngine(inspect.Limits{}).Inspect(context.Background(), "x.img", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != inspect.TypeIMG || !res.HasAt(inspect.KindAmbiguous, "") ||
		!res.HasAt(inspect.KindExecutable, "DIR/setup.exe") || !res.HasAt(inspect.KindExecutable, "iso9660/EVIL.EXE") ||
		res.Has(inspect.KindUnscannable) {
		t.Fatalf("type %q findings %+v", res.Type, res.Findings)
	}
}
