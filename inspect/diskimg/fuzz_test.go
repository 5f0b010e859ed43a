package diskimg

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// fuzzInspect sniffs b and runs one inspector on it with small limits: it
// must neither panic nor hang, and stay within the parts limit.
func fuzzInspect(t *testing.T, fam inspect.Family, b []byte) {
	inspect.Sniff(bytes.NewReader(b), int64(len(b)), "fuzz")
	rec := &inspecttest.Recorder{ReadCap: 64 << 10} // reading a child is the reader's work; its size is the engine's
	p := inspect.Part{Name: "fuzz", Size: int64(len(b)), R: bytes.NewReader(b), Family: fam,
		Limits: inspecttest.FuzzLimits.WithDefaults()}
	inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { New(fam).Inspect(context.Background(), p, rec) })
	rec.CheckInvariants(t)
	if len(rec.Children) > p.Limits.MaxParts {
		t.Fatalf("%d children over the parts limit", len(rec.Children))
	}
}

// fixedVHD wraps a raw disk in a fixed VHD footer (the one qemu-img wrote
// for fixed.vhd, with this disk's size and a new checksum).
func fixedVHD(t testing.TB, raw []byte) []byte {
	foot := fixture(t, "fixed.vhd")
	foot = append([]byte{}, foot[len(foot)-512:]...)
	binary.BigEndian.PutUint64(foot[40:], uint64(len(raw)))
	binary.BigEndian.PutUint64(foot[48:], uint64(len(raw)))
	vhdFix(foot)
	return append(append([]byte{}, raw...), foot...)
}

func FuzzFAT(f *testing.F) {
	fat12 := fixture(f, "fat12.img")
	f.Add(fat12[:32<<10]) // the files live in the first clusters
	f.Add(fixture(f, "fat16.img")[:48<<10])
	f.Add(fixture(f, "fat32.img")[:600<<10])
	f.Add(fixture(f, "mbr.img")[:64<<10])
	f.Add(gptDisk(fat12[:32<<10]))
	f.Add(mbrDisk(mbrPart{typ: 0x05, logical: [][]byte{fat12[:16<<10], bootSector("NTFS    ", 2)}}))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzInspect(t, inspect.FamilyIMG, b) })
}

func FuzzVHD(f *testing.F) {
	f.Add(fixedVHD(f, fixture(f, "mbr.img")[:64<<10]))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzInspect(t, inspect.FamilyVHD, b) })
}

// FuzzDynamicVHD mutates the footer, dynamic disk header and block
// allocation table of dynamic.vhd and fixes their checksums, so that the
// mutations reach the reader instead of stopping at a checksum.
func FuzzDynamicVHD(f *testing.F) {
	tmpl := fixture(f, "dynamic.vhd")
	hoff := int(binary.BigEndian.Uint64(tmpl[16:]))
	bat := int(binary.BigEndian.Uint64(tmpl[hoff+16:]))
	f.Add(tmpl[:512], tmpl[hoff:hoff+vhdDynHeaderSize], tmpl[bat:bat+512])
	f.Fuzz(func(t *testing.T, foot, hdr, tab []byte) {
		b := append([]byte{}, tmpl...)
		copy(b[:512], foot)
		vhdFix(b)
		copy(b[len(b)-512:], b[:512])
		copy(b[hoff:hoff+vhdDynHeaderSize], hdr)
		var sum uint32
		for i, c := range b[hoff : hoff+vhdDynHeaderSize] {
			if i < 36 || i >= 40 {
				sum += uint32(c)
			}
		}
		binary.BigEndian.PutUint32(b[hoff+36:], ^sum)
		copy(b[bat:bat+512], tab)
		fuzzInspect(t, inspect.FamilyVHD, b)
	})
}

// FuzzVHDX mutates disk.vhdx's region table (both copies, CRC-32C fixed),
// metadata table, metadata items and BAT.
func FuzzVHDX(f *testing.F) {
	tmpl := fixture(f, "disk.vhdx")
	p := inspect.Part{R: bytes.NewReader(tmpl), Size: int64(len(tmpl))}
	bat, meta, err := vhdxRegions(p, vhdxRegion1)
	if err != nil {
		f.Fatal(err)
	}
	m, bt := int(meta[0]), int(bat[0])
	f.Add(tmpl[vhdxRegion1:vhdxRegion1+128], tmpl[m:m+256], tmpl[m+vhdxMetaTable:m+vhdxMetaTable+256], tmpl[bt:bt+64])
	f.Fuzz(func(t *testing.T, regions, table, items, entries []byte) {
		b := append([]byte{}, tmpl...)
		for _, off := range []int{vhdxRegion1, vhdxRegion2} {
			rt := b[off : off+vhdxRegionSize]
			clear(rt)
			copy(rt, regions)
			vhdxFix(rt)
		}
		copy(b[m:m+min(len(table), vhdxMetaTable)], table)
		copy(b[m+vhdxMetaTable:m+vhdxMetaTable+min(len(items), 4096)], items)
		copy(b[bt:bt+min(len(entries), 4096)], entries)
		fuzzInspect(t, inspect.FamilyVHDX, b)
	})
}

// FuzzNTFS mutates the boot sector and the first MFT records of ntfs.img.
func FuzzNTFS(f *testing.F) {
	tmpl := fixture(f, "ntfs.img")
	mft := int(binary.LittleEndian.Uint64(tmpl[0x30:])) * 4096 // 4 KiB clusters
	f.Add(tmpl[:512], tmpl[mft:mft+1024], tmpl[mft+64*1024:mft+66*1024])
	f.Fuzz(func(t *testing.T, boot, rec0, user []byte) {
		b := append([]byte{}, tmpl...)
		copy(b[:512], boot)
		copy(b[mft:mft+1024], rec0)
		copy(b[mft+64*1024:mft+66*1024], user) // records 64 and 65: the files
		fuzzInspect(t, inspect.FamilyIMG, b)
	})
}
