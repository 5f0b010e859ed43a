package diskimg

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// Partitioned disks built here around the volumes Debian's tools made:
// the partition tables are simple enough to write by hand, the file
// systems are not.

// mbrPart is one MBR entry: its type and the volume it holds (nil for an
// extended partition built from logical).
type mbrPart struct {
	typ     byte
	vol     []byte
	logical [][]byte
}

// mbrDisk lays the volumes out one after another from LBA 64, with an
// extended boot record before each logical volume.
func mbrDisk(parts ...mbrPart) []byte {
	disk := make([]byte, 64*512)
	entry := func(b []byte, i int, typ byte, start, count int64) {
		e := b[446+16*i:]
		e[4] = typ
		binary.LittleEndian.PutUint32(e[8:], uint32(start))
		binary.LittleEndian.PutUint32(e[12:], uint32(count))
		b[510], b[511] = 0x55, 0xAA
	}
	for i, p := range parts {
		start := int64(len(disk)) / 512
		if p.vol != nil {
			disk = append(disk, p.vol...)
			entry(disk, i, p.typ, start, int64(len(p.vol))/512)
			continue
		}
		ext := start
		var prev int64 = -1
		for _, v := range p.logical {
			ebr := int64(len(disk)) / 512
			disk = append(disk, make([]byte, 512)...)
			disk = append(disk, v...)
			entry(disk[ebr*512:], 0, 0x01, 1, int64(len(v))/512)
			if prev >= 0 {
				entry(disk[prev*512:], 1, 0x05, ebr-ext, int64(len(v))/512+1)
			}
			prev = ebr
		}
		entry(disk, i, p.typ, ext, int64(len(disk))/512-ext)
	}
	return disk
}

var guidBasicData = gptGUID("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7")

// gptDisk builds a GPT disk with 512-byte sectors as Windows lays it out: a
// Microsoft Reserved Partition, then a basic data partition holding vol;
// primary and backup headers with their CRCs.
func gptDisk(vol []byte) []byte {
	const ss, entries, esz = 512, 128, 128
	arraySectors := int64(entries * esz / ss)
	msrStart, msrLen := int64(64), int64(16)
	dataStart := msrStart + msrLen
	dataLen := int64(len(vol)) / ss
	last := dataStart + dataLen + arraySectors // backup header LBA
	disk := make([]byte, (last+1)*ss)
	copy(disk[dataStart*ss:], vol)
	arr := make([]byte, entries*esz)
	put := func(i int, typ [16]byte, first, n int64) {
		e := arr[i*esz:]
		copy(e, typ[:])
		e[16] = byte(i + 1) // unique GUID
		binary.LittleEndian.PutUint64(e[32:], uint64(first))
		binary.LittleEndian.PutUint64(e[40:], uint64(first+n-1))
	}
	put(0, guidMSR, msrStart, msrLen)
	put(1, guidBasicData, dataStart, dataLen)
	header := func(my, alt, arrLBA int64) []byte {
		h := make([]byte, ss)
		copy(h, "EFI PART")
		binary.LittleEndian.PutUint32(h[8:], 0x00010000)
		binary.LittleEndian.PutUint32(h[12:], 92)
		binary.LittleEndian.PutUint64(h[24:], uint64(my))
		binary.LittleEndian.PutUint64(h[32:], uint64(alt))
		binary.LittleEndian.PutUint64(h[40:], 34)
		binary.LittleEndian.PutUint64(h[48:], uint64(last-arraySectors-1))
		binary.LittleEndian.PutUint64(h[72:], uint64(arrLBA))
		binary.LittleEndian.PutUint32(h[80:], entries)
		binary.LittleEndian.PutUint32(h[84:], esz)
		binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(arr))
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
		return h
	}
	copy(disk[ss:], header(1, last, 2))
	copy(disk[2*ss:], arr)
	copy(disk[(last-arraySectors)*ss:], arr)
	copy(disk[last*ss:], header(last, 1, last-arraySectors))
	// Protective MBR.
	e := disk[446:]
	e[4] = 0xEE
	binary.LittleEndian.PutUint32(e[8:], 1)
	binary.LittleEndian.PutUint32(e[12:], uint32(last))
	disk[510], disk[511] = 0x55, 0xAA
	return disk
}

// bootSector returns a volume of n sectors whose boot sector has the given
// OEM id (and nothing else of its file system).
func bootSector(oem string, n int) []byte {
	b := make([]byte, n*512)
	copy(b, "\xEB\x52\x90")
	copy(b[3:], oem)
	b[510], b[511] = 0x55, 0xAA
	return b
}

func TestPartitionedDisks(t *testing.T) {
	fat := fixture(t, "fat12.img")
	ext := make([]byte, 2048*512)
	binary.LittleEndian.PutUint16(ext[1024+56:], 0xEF53)
	cases := []struct {
		name     string
		b        []byte
		names    []string
		findings []string
	}{
		{name: "gpt", b: gptDisk(fat), names: []string{"DIR/setup.exe", "Long Folder Name/Letter to the customer.doc"}},
		{name: "gpt with a damaged primary header", b: func() []byte {
			b := gptDisk(fat)
			b[512+40]++ // FirstUsableLBA, under the header CRC
			return b
		}(), names: []string{"DIR/setup.exe", "Long Folder Name/Letter to the customer.doc"}},
		{name: "two partitions", b: mbrDisk(mbrPart{typ: 0x01, vol: fat}, mbrPart{typ: 0x0E, vol: fat}),
			names: []string{"partition1/DIR/setup.exe", "partition1/Long Folder Name/Letter to the customer.doc",
				"partition2/DIR/setup.exe", "partition2/Long Folder Name/Letter to the customer.doc"}},
		{name: "logical partitions", b: mbrDisk(mbrPart{typ: 0x06, vol: fat}, mbrPart{typ: 0x05, logical: [][]byte{fat, fat}}),
			names: []string{"partition1/DIR/setup.exe", "partition1/Long Folder Name/Letter to the customer.doc",
				"partition5/DIR/setup.exe", "partition5/Long Folder Name/Letter to the customer.doc",
				"partition6/DIR/setup.exe", "partition6/Long Folder Name/Letter to the customer.doc"}},
		{name: "exFAT", b: mbrDisk(mbrPart{typ: 0x07, vol: bootSector("EXFAT   ", 64)}),
			findings: []string{"unscannable|exFAT volume: files not listed|"}},
		{name: "BitLocker", b: mbrDisk(mbrPart{typ: 0x07, vol: bootSector("-FVE-FS-", 64)}),
			findings: []string{"encrypted|BitLocker volume|"}},
		{name: "ext4 beside FAT", b: mbrDisk(mbrPart{typ: 0x0C, vol: fat}, mbrPart{typ: 0x83, vol: ext}),
			names:    []string{"partition1/DIR/setup.exe", "partition1/Long Folder Name/Letter to the customer.doc"},
			findings: []string{"unscannable|ext2/3/4 volume: files not listed|partition2"}},
		{name: "unknown file system", b: mbrDisk(mbrPart{typ: 0x83, vol: bytes.Repeat([]byte("junk"), 1024)}),
			findings: []string{"unscannable|unknown file system: files not listed|"}},
		{name: "no partitions", b: func() []byte { b := make([]byte, 4096); b[510], b[511] = 0x55, 0xAA; return b }(),
			findings: []string{"unscannable|disk without partitions or file system: nothing listed|"}},
		{name: "partition past the end", b: func() []byte {
			b := mbrDisk(mbrPart{typ: 0x01, vol: fat})
			return b[:len(b)-100*512]
		}(), names: []string{"DIR/setup.exe", "Long Folder Name/Letter to the customer.doc"},
			findings: []string{"unscannable|partition extends past the end of the disk|",
				"unscannable|FAT volume extends past the end of the image (truncated?)|"}},
		{name: "extended partition loop", b: func() []byte {
			b := mbrDisk(mbrPart{typ: 0x05, logical: [][]byte{fat}})
			// The first EBR links to itself.
			ebr := 64 * 512
			b[ebr+462+4] = 0x05
			binary.LittleEndian.PutUint32(b[ebr+462+8:], 0)
			binary.LittleEndian.PutUint32(b[ebr+462+12:], 1)
			return b
		}(), names: []string{"DIR/setup.exe", "Long Folder Name/Letter to the customer.doc"},
			findings: []string{"unscannable|extended partition: the chain of boot records loops|"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if f := inspect.Sniff(bytes.NewReader(c.b), int64(len(c.b)), "x.img"); f != inspect.FamilyIMG && c.name != "no partitions" && c.name != "unknown file system" {
				t.Errorf("sniffed %q", f)
			}
			res, err := inspectOK(t, inspect.FamilyIMG, c.b)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.names, c.names) {
				t.Errorf("children %q, want %q", res.names, c.names)
			}
			if got := strings.Join(c.findings, "\n"); res.short != got {
				t.Errorf("findings %q, want %q", res.short, got)
			}
		})
	}
}

// TestSniffSteals: no file of another type is taken for a disk image, and
// near misses of a boot sector are not either.
func TestSniffSteals(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "files")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	disk := map[inspect.Family]bool{inspect.FamilyIMG: true, inspect.FamilyVHD: true, inspect.FamilyVHDX: true}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if f := inspect.Sniff(bytes.NewReader(b), int64(len(b)), e.Name()); disk[f] {
			t.Errorf("%s sniffed as %s", e.Name(), f)
		}
	}
	fat := fixture(t, "fat12.img")
	near := map[string]func(b []byte){
		"no signature":          func(b []byte) { b[510] = 0 },
		"no jump":               func(b []byte) { b[0] = 0 },
		"odd sector size":       func(b []byte) { b[11] = 1 },
		"odd cluster size":      func(b []byte) { b[13] = 3 },
		"no reserved sectors":   func(b []byte) { b[14], b[15] = 0, 0 },
		"odd media byte":        func(b []byte) { b[21] = 0x12 },
		"FAT larger than image": func(b []byte) { binary.LittleEndian.PutUint16(b[22:], 0xFFFF) },
	}
	for name, f := range near {
		b := append([]byte{}, fat[:8192]...)
		f(b)
		if got := inspect.Sniff(bytes.NewReader(b), int64(len(b)), "x"); disk[got] {
			t.Errorf("%s: sniffed as %s", name, got)
		}
	}
	// An MBR whose partition holds no boot sector is no disk image either.
	b := mbrDisk(mbrPart{typ: 0x0C, vol: make([]byte, 4096)})
	if got := inspect.Sniff(bytes.NewReader(b), int64(len(b)), "x"); disk[got] {
		t.Errorf("empty partition: sniffed as %s", got)
	}
}
