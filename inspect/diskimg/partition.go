package diskimg

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// References: UEFI Specification 2.10, 5.2.1 "Legacy Master Boot Record"
// and 5.3 "GUID Partition Table (GPT) Disk Layout", cited as [UEFI].

const (
	maxLogical      = 128     // logical partitions followed in an extended partition
	maxGPTEntries   = 1024    // [UEFI] 5.3.1: at least 128; Windows writes 128
	maxGPTArray     = 1 << 20 // bytes of partition entries read
	minGPTEntrySize = 128
)

// partition is one partition of a disk, in bytes.
type partition struct {
	index         int // 1-4 primary, 5.. logical (as Linux numbers them); GPT entry number
	start, length int64
}

// mbrEntriesValid reports partition entries whose boot indicators are 0x00
// or 0x80 ([UEFI] Table 5-2): boot code in a volume boot sector rarely
// passes this.
func mbrEntriesValid(b []byte) bool {
	for i := 0; i < 4; i++ {
		if s := b[446+16*i]; s != 0 && s != 0x80 {
			return false
		}
	}
	return true
}

// gptGUID encodes a GUID as stored on disk: the first three fields little
// endian, the rest as written.
func gptGUID(s string) [16]byte {
	h, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(h) != 16 {
		panic("gptGUID: not a GUID: " + s)
	}
	var g [16]byte
	for i, j := range [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15} {
		g[i] = h[j]
	}
	return g
}

// Microsoft Reserved Partition: holds no file system (Windows creates one
// on every GPT disk).
var guidMSR = gptGUID("E3C9E316-0B5C-4DB8-817D-F92DF00215AE")

// partitions lists the partitions of an MBR disk (primary, and logical ones
// in an extended partition) or, behind a protective MBR, of a GPT disk.
// Problems that leave other partitions readable are reported on s.
func partitions(d disk, mbr []byte, s inspect.Scope) ([]partition, error) {
	var out []partition
	for i := 0; i < 4; i++ {
		e := mbr[446+16*i : 446+16*(i+1)]
		typ := e[4]
		start := int64(binary.LittleEndian.Uint32(e[8:]))
		count := int64(binary.LittleEndian.Uint32(e[12:]))
		switch {
		case typ == 0 || count == 0:
			continue
		case typ == 0xEE:
			return gptPartitions(d)
		case typ == 0x05 || typ == 0x0F || typ == 0x85:
			logical, err := extended(d, start)
			if err != nil {
				s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Detail: err.Error()})
			}
			out = append(out, logical...)
			continue
		}
		out = append(out, partition{index: i + 1, start: start * d.sector, length: count * d.sector})
	}
	return out, nil
}

// extended follows the chain of extended boot records from the one at LBA
// base: each holds a logical partition (relative to itself) and the link
// to the next record (relative to base).
func extended(d disk, base int64) ([]partition, error) {
	var out []partition
	seen := map[int64]bool{}
	ebr := base
	buf := make([]byte, 512)
	for n := 0; ; n++ {
		if n == maxLogical {
			return out, fmt.Errorf("extended partition: over %d logical partitions", maxLogical)
		}
		if seen[ebr] {
			return out, errors.New("extended partition: the chain of boot records loops")
		}
		seen[ebr] = true
		if _, err := d.r.ReadAt(buf, ebr*d.sector); err != nil || buf[510] != 0x55 || buf[511] != 0xAA {
			return out, errors.New("extended partition: boot record unreadable")
		}
		e := buf[446:462]
		if start, count := int64(binary.LittleEndian.Uint32(e[8:])), int64(binary.LittleEndian.Uint32(e[12:])); e[4] != 0 && count != 0 {
			out = append(out, partition{index: 5 + n, start: (ebr + start) * d.sector, length: count * d.sector})
		}
		link := buf[462:478]
		if link[4] == 0 || binary.LittleEndian.Uint32(link[12:]) == 0 {
			return out, nil
		}
		ebr = base + int64(binary.LittleEndian.Uint32(link[8:]))
	}
}

// gptPartitions reads the GPT header at LBA 1 (or the backup header in the
// last LBA when the primary one or its entry array fails its CRC, as UEFI
// firmware and Windows do) and lists the used entries.
func gptPartitions(d disk) ([]partition, error) {
	parts, err := gptRead(d, 1)
	if err == nil {
		return parts, nil
	}
	last := d.size/d.sector - 1
	if parts, berr := gptRead(d, last); berr == nil {
		return parts, nil
	}
	return nil, err
}

func gptRead(d disk, lba int64) ([]partition, error) {
	h := make([]byte, d.sector)
	if _, err := d.r.ReadAt(h, lba*d.sector); err != nil {
		return nil, errors.New("GPT header unreadable")
	}
	// [UEFI] Table 5-5: Signature, Revision, HeaderSize at 12, HeaderCRC32
	// at 16, ... PartitionEntryLBA at 72, NumberOfPartitionEntries at 80,
	// SizeOfPartitionEntry at 84, PartitionEntryArrayCRC32 at 88.
	if !bytes.HasPrefix(h, []byte("EFI PART")) {
		return nil, errors.New("GPT header missing")
	}
	hs := int64(binary.LittleEndian.Uint32(h[12:]))
	if hs < 92 || hs > d.sector {
		return nil, errors.New("GPT header damaged")
	}
	want := binary.LittleEndian.Uint32(h[16:])
	hc := append([]byte{}, h[:hs]...)
	binary.LittleEndian.PutUint32(hc[16:], 0)
	if crc32.ChecksumIEEE(hc) != want {
		return nil, errors.New("GPT header damaged (checksum)")
	}
	arr := int64(binary.LittleEndian.Uint64(h[72:]) & (1<<62 - 1))
	num := int64(binary.LittleEndian.Uint32(h[80:]))
	esz := int64(binary.LittleEndian.Uint32(h[84:]))
	if esz < minGPTEntrySize || esz&(esz-1) != 0 || num > maxGPTEntries || num*esz > maxGPTArray {
		return nil, fmt.Errorf("GPT with %d entries of %d bytes", num, esz)
	}
	if arr > d.size/d.sector || arr*d.sector+num*esz > d.size {
		return nil, errors.New("GPT partition entries outside the disk")
	}
	ents := make([]byte, num*esz) // bounded by maxGPTArray
	if _, err := d.r.ReadAt(ents, arr*d.sector); err != nil {
		return nil, errors.New("GPT partition entries unreadable")
	}
	if crc32.ChecksumIEEE(ents) != binary.LittleEndian.Uint32(h[88:]) {
		return nil, errors.New("GPT partition entries damaged (checksum)")
	}
	var out []partition
	maxLBA := uint64(d.size / d.sector)
	for i := int64(0); i < num; i++ {
		e := ents[i*esz : (i+1)*esz]
		var typ [16]byte
		copy(typ[:], e)
		if typ == ([16]byte{}) || typ == guidMSR {
			continue
		}
		// [UEFI] Table 5-6: StartingLBA at 32, EndingLBA at 40 (inclusive).
		first, last := binary.LittleEndian.Uint64(e[32:]), binary.LittleEndian.Uint64(e[40:])
		if last < first || first > maxLBA {
			out = append(out, partition{index: int(i) + 1, start: d.size, length: 0})
			continue
		}
		n := min(last-first+1, maxLBA+1)
		out = append(out, partition{index: int(i) + 1, start: int64(first) * d.sector, length: int64(n) * d.sector})
	}
	return out, nil
}
