package inspect

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Disk image families: what Windows mounts with a double click (and 7-Zip
// opens) besides ISO 9660. Attackers send them because the files inside do
// not carry the mark of the web.
const (
	// FamilyIMG is a raw disk image or bare volume: a FAT, NTFS, exFAT or
	// BitLocker boot sector, or an MBR/GPT partition table with such a
	// volume.
	FamilyIMG Family = "img"
	// FamilyVHD is a Virtual Hard Disk: fixed (footer at the end) or
	// dynamic/differencing (footer copy at the start).
	FamilyVHD Family = "vhd"
	// FamilyVHDX is a Hyper-V VHDX virtual disk.
	FamilyVHDX Family = "vhdx"
)

// Boot sector and partition table layout, as far as sniffing needs it
// (Microsoft Extensible Firmware Initiative FAT32 File System Specification
// 1.03, "Boot Sector and BPB"; UEFI 2.10 5.2.1 Legacy MBR, 5.3.2 GPT header).
const (
	sigOffset    = 510 // 0x55 0xAA
	mbrTable     = 446 // four 16-byte partition entries
	mbrEntrySize = 16
	sectorLen    = 512
	vhdFooterLen = 512
)

// sniffDiskImage returns the disk image family of the content, or "" when it
// is none. It is strict: a boot sector needs the 0x55AA signature and a
// plausible BPB (or a known OEM id), a partition table needs a partition
// whose own first sector is such a boot sector (or a GPT header), and a VHD
// footer needs its checksum. Only a fixed VHD makes it read more than head:
// the last 512 bytes of a file whose size is a multiple of 512.
func sniffDiskImage(r io.ReaderAt, size int64, head []byte) Family {
	switch {
	case bytes.HasPrefix(head, []byte("vhdxfile")): // [MS-VHDX] 2.2.1 File Type Identifier
		return FamilyVHDX
	case len(head) >= vhdFooterLen && vhdFooterValid(head[:vhdFooterLen]):
		// A dynamic or differencing disk starts with a copy of its footer
		// (VHD Image Format Specification, "Dynamic Disk Header Format").
		return FamilyVHD
	}
	if size >= 2*vhdFooterLen && size%sectorLen == 0 {
		var foot [vhdFooterLen]byte
		if _, err := r.ReadAt(foot[:], size-vhdFooterLen); err == nil && vhdFooterValid(foot[:]) {
			return FamilyVHD
		}
	}
	if len(head) < sectorLen || head[sigOffset] != 0x55 || head[sigOffset+1] != 0xAA {
		return ""
	}
	if bootSectorPlausible(head[:sectorLen]) {
		return FamilyIMG
	}
	if mbrPlausible(r, size, head) {
		return FamilyIMG
	}
	return ""
}

// vhdFooterValid reports the 512 bytes f as a VHD hard disk footer of a
// known disk type.
func vhdFooterValid(f []byte) bool {
	t := binary.BigEndian.Uint32(f[60:])
	return t >= 2 && t <= 4 && VHDFooter(f)
}

// VHDFooter reports the 512 bytes f as a VHD hard disk footer ([VHD] "Hard
// Disk Footer Format"): the "conectix" cookie and a matching checksum at
// 64 (one's complement of the sum of all other bytes). The disk type at 60
// is not checked.
func VHDFooter(f []byte) bool {
	if !bytes.HasPrefix(f, []byte("conectix")) {
		return false
	}
	var sum uint32
	for i, c := range f[:vhdFooterLen] {
		if i < 64 || i >= 68 {
			sum += uint32(c)
		}
	}
	return ^sum == binary.BigEndian.Uint32(f[64:])
}

// bootSectorPlausible reports a volume boot sector: a jump instruction and
// either the OEM id of NTFS, exFAT or BitLocker or a FAT BPB whose fields
// are within the specification's ranges. The 0x55AA signature is checked by
// the caller.
func bootSectorPlausible(b []byte) bool {
	if !(b[0] == 0xEB && b[2] == 0x90) && b[0] != 0xE9 {
		return false
	}
	switch string(b[3:11]) {
	case "NTFS    ", "EXFAT   ", "-FVE-FS-":
		return true
	}
	bps := binary.LittleEndian.Uint16(b[11:])
	spc := b[13]
	rsvd := binary.LittleEndian.Uint16(b[14:])
	fats := b[16]
	rootEnt := binary.LittleEndian.Uint16(b[17:])
	tot := uint32(binary.LittleEndian.Uint16(b[19:]))
	if tot == 0 {
		tot = binary.LittleEndian.Uint32(b[32:])
	}
	media := b[21]
	fatSz := uint32(binary.LittleEndian.Uint16(b[22:]))
	if fatSz == 0 {
		fatSz = binary.LittleEndian.Uint32(b[36:])
		if rootEnt != 0 {
			return false // FAT32 has no fixed root directory
		}
	}
	return (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) &&
		spc != 0 && spc&(spc-1) == 0 && rsvd != 0 && fats >= 1 && fats <= 4 &&
		(media == 0xF0 || media >= 0xF8) && tot != 0 && fatSz != 0 &&
		uint64(rsvd)+uint64(fats)*uint64(fatSz) < uint64(tot)
}

// mbrPlausible reports a master boot record whose partition entries have
// valid status bytes and that holds a GPT (protective partition 0xEE and an
// "EFI PART" header at LBA 1) or a partition, primary or logical, whose
// first sector is a plausible boot sector. The partition type is not
// trusted: 7-Zip opens a FAT volume in a partition of any type. A hybrid
// ISO 9660 image is left to the ISO inspector.
func mbrPlausible(r io.ReaderAt, size int64, head []byte) bool {
	if size > 0x8006 {
		var vd [5]byte
		if _, err := r.ReadAt(vd[:], 0x8001); err == nil && string(vd[:]) == "CD001" {
			return false
		}
	}
	for i := 0; i < 4; i++ {
		if s := head[mbrTable+i*mbrEntrySize]; s != 0 && s != 0x80 {
			return false
		}
	}
	for i := 0; i < 4; i++ {
		e := head[mbrTable+i*mbrEntrySize : mbrTable+(i+1)*mbrEntrySize]
		lba := int64(binary.LittleEndian.Uint32(e[8:]))
		switch e[4] {
		case 0:
		case 0xEE:
			if len(head) >= 2*sectorLen && bytes.HasPrefix(head[sectorLen:], []byte("EFI PART")) {
				return true
			}
		case 0x05, 0x0F, 0x85:
			if logicalPlausible(r, size, lba) {
				return true
			}
		default:
			if bootSectorAt(r, size, lba) {
				return true
			}
		}
	}
	return false
}

// maxSniffLogical bounds the extended boot records sniffing follows.
const maxSniffLogical = 16

// logicalPlausible follows the chain of extended boot records from LBA base
// and reports a logical partition with a plausible boot sector.
func logicalPlausible(r io.ReaderAt, size, base int64) bool {
	var ebr [sectorLen]byte
	at := base
	for n := 0; n < maxSniffLogical && at > 0 && (at+1)*sectorLen <= size; n++ {
		if _, err := r.ReadAt(ebr[:], at*sectorLen); err != nil || ebr[sigOffset] != 0x55 || ebr[sigOffset+1] != 0xAA {
			return false
		}
		first := ebr[mbrTable : mbrTable+mbrEntrySize]
		if first[4] != 0 && bootSectorAt(r, size, at+int64(binary.LittleEndian.Uint32(first[8:]))) {
			return true
		}
		link := ebr[mbrTable+mbrEntrySize : mbrTable+2*mbrEntrySize]
		if link[4] == 0 {
			return false
		}
		at = base + int64(binary.LittleEndian.Uint32(link[8:]))
	}
	return false
}

// bootSectorAt reports a plausible boot sector at LBA lba.
func bootSectorAt(r io.ReaderAt, size, lba int64) bool {
	if lba <= 0 || (lba+1)*sectorLen > size {
		return false
	}
	var bs [sectorLen]byte
	_, err := r.ReadAt(bs[:], lba*sectorLen)
	return err == nil && bs[sigOffset] == 0x55 && bs[sigOffset+1] == 0xAA && bootSectorPlausible(bs[:])
}
