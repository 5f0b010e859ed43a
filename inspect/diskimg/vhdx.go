package diskimg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/officemilter/officemilter/inspect"
)

// Reference: [MS-VHDX] Virtual Hard Disk v2 (VHDX) File Format, version
// 8.0, cited with its section numbers. All fields are little endian; every
// checksum is CRC-32C over the structure with the checksum field zero.

const (
	vhdxHeader1      = 64 << 10  // 2.2.2 Headers
	vhdxHeader2      = 128 << 10 //
	vhdxHeaderSize   = 4 << 10
	vhdxRegion1      = 192 << 10 // 2.2.3 Region Table
	vhdxRegion2      = 256 << 10
	vhdxRegionSize   = 64 << 10
	vhdxMaxEntries   = 2047     // 2.2.3.1 EntryCount, 2.6.1.1 EntryCount
	vhdxMetaTable    = 64 << 10 // 2.6.1 Metadata Table
	vhdxMaxDiskSize  = 64 << 40 // 2.6.2.2 Virtual Disk Size
	vhdxMB           = 1 << 20
	vhdxStateFull    = 6 // 2.5.1.1 PAYLOAD_BLOCK_FULLY_PRESENT
	vhdxStatePartial = 7 // PAYLOAD_BLOCK_PARTIALLY_PRESENT: differencing disks only
)

var (
	crc32c = crc32.MakeTable(crc32.Castagnoli)

	guidBATRegion      = gptGUID("2DC27766-F623-4200-9D64-115E9BFD4A08") // 2.2.3.2
	guidMetadataRegion = gptGUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
	guidFileParameters = gptGUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B") // 2.6.2.1
	guidVirtualSize    = gptGUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8") // 2.6.2.2
	guidDiskID         = gptGUID("BECA12AB-B2E6-4523-93EF-C309E000C746") // 2.6.2.3
	guidPhysicalSector = gptGUID("CDA348C7-445D-4471-9CC9-E9885251C556") // 2.6.2.5
	guidLogicalSector  = gptGUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F") // 2.6.2.4
	guidParentLocator  = gptGUID("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C") // 2.6.2.6
)

// vhdxChecksum reports whether the CRC-32C at offset 4 of b matches b.
func vhdxChecksum(b []byte) bool {
	want := binary.LittleEndian.Uint32(b[4:])
	c := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(c[4:], 0)
	return crc32.Checksum(c, crc32c) == want
}

// openVHDX presents the virtual disk of a VHDX file: the current header, a
// region table, the metadata (block size, disk size, sector size) and the
// BAT, whose fully present payload blocks hold the data and whose other
// payload states read as zeros.
func openVHDX(p inspect.Part) (disk, error) {
	if err := vhdxCurrentHeader(p); err != nil {
		return disk{}, err
	}
	var bat, meta [2]int64 // offset, length
	var err error
	for _, off := range []int64{vhdxRegion1, vhdxRegion2} {
		if bat, meta, err = vhdxRegions(p, off); err == nil {
			break
		}
	}
	if err != nil {
		return disk{}, err
	}
	block, size, sector, err := vhdxMetadata(p, meta)
	if err != nil {
		return disk{}, err
	}
	chunk := (int64(1) << 23) * sector / block // 2.5 chunk ratio
	blocks := (size + block - 1) / block
	entries := blocks
	if blocks > 0 {
		entries += (blocks - 1) / chunk
	}
	if entries > bat[1]/8 {
		return disk{}, errors.New("malformed vhdx: BAT region smaller than the disk")
	}
	// 2.5.1 BAT entry: State in bits 0-2, FileOffsetMB in bits 20-63.
	locate := func(e uint64, i int64) (int64, error) {
		switch state := e & 7; state {
		case vhdxStateFull:
			off := int64(e >> 20)
			if off > (p.Size-block)/vhdxMB {
				return 0, fmt.Errorf("malformed vhdx: payload block %d outside the file", i)
			}
			return off * vhdxMB, nil
		case vhdxStatePartial:
			return 0, ErrNeedsParent
		case 0, 1, 2, 3: // not present, undefined, zero, unmapped
			return -1, nil
		default:
			return 0, fmt.Errorf("malformed vhdx: payload block %d in state %d", i, state)
		}
	}
	index := func(i int64) int64 { return i + i/chunk } // a sector bitmap entry follows every chunk
	if err := scanTable(p.R, bat[0], entries, 8, func(b []byte, j int64) error {
		if j%(chunk+1) == chunk {
			return nil // a sector bitmap block: only differencing disks use it
		}
		_, err := locate(binary.LittleEndian.Uint64(b), j-j/(chunk+1))
		return err
	}); err != nil {
		return disk{}, err
	}
	sd := &sparseDisk{r: p.R, size: size, block: block, locate: func(i int64) (int64, error) {
		var b [8]byte
		if _, err := p.R.ReadAt(b[:], bat[0]+8*index(i)); err != nil {
			return 0, err
		}
		return locate(binary.LittleEndian.Uint64(b[:]), i)
	}}
	return disk{r: sd, size: size, sector: sector}, nil
}

// vhdxCurrentHeader checks that one of the two headers (2.2.2) is valid and
// that the valid one with the highest sequence number has no log to replay
// (2.3: a log holds writes that change the disk once replayed).
func vhdxCurrentHeader(p inspect.Part) error {
	var cur []byte
	var seq uint64
	for _, off := range []int64{vhdxHeader1, vhdxHeader2} {
		h := make([]byte, vhdxHeaderSize)
		if _, err := p.R.ReadAt(h, off); err != nil {
			continue
		}
		// Signature "head", Checksum at 4, SequenceNumber at 8, LogGuid at
		// 48, Version at 66.
		if !bytes.HasPrefix(h, []byte("head")) || !vhdxChecksum(h) || binary.LittleEndian.Uint16(h[66:]) != 1 {
			continue
		}
		if s := binary.LittleEndian.Uint64(h[8:]); cur == nil || s > seq {
			cur, seq = h, s
		}
	}
	if cur == nil {
		return errors.New("malformed vhdx: no valid header")
	}
	if !bytes.Equal(cur[48:64], make([]byte, 16)) {
		return errors.New("vhdx with a log to replay: not read")
	}
	return nil
}

// vhdxRegions reads the region table at off (2.2.3) and returns the BAT and
// metadata regions (file offset, length). An unknown region marked
// required makes the file unreadable, as it does for Hyper-V.
func vhdxRegions(p inspect.Part, off int64) (bat, meta [2]int64, err error) {
	t := make([]byte, vhdxRegionSize)
	if _, err := p.R.ReadAt(t, off); err != nil {
		return bat, meta, errors.New("malformed vhdx: region table unreadable")
	}
	if !bytes.HasPrefix(t, []byte("regi")) || !vhdxChecksum(t) {
		return bat, meta, errors.New("malformed vhdx: no valid region table")
	}
	n := int(binary.LittleEndian.Uint32(t[8:]))
	if n > vhdxMaxEntries {
		return bat, meta, fmt.Errorf("malformed vhdx: %d regions", n)
	}
	for i := 0; i < n; i++ {
		e := t[16+32*i : 16+32*(i+1)]
		var g [16]byte
		copy(g[:], e)
		ro, rl := int64(binary.LittleEndian.Uint64(e[16:])), int64(binary.LittleEndian.Uint32(e[24:]))
		if ro < 0 || ro > p.Size || rl > p.Size-ro {
			return bat, meta, errors.New("malformed vhdx: region outside the file")
		}
		switch {
		case g == guidBATRegion:
			bat = [2]int64{ro, rl}
		case g == guidMetadataRegion:
			meta = [2]int64{ro, rl}
		case binary.LittleEndian.Uint32(e[28:])&1 != 0:
			return bat, meta, errors.New("vhdx with an unknown required region: not read")
		}
	}
	if bat[1] == 0 || meta[1] == 0 {
		return bat, meta, errors.New("malformed vhdx: no BAT or metadata region")
	}
	return bat, meta, nil
}

// vhdxMetadata reads the metadata table (2.6.1) and the items the disk's
// layout depends on.
func vhdxMetadata(p inspect.Part, meta [2]int64) (block, size, sector int64, err error) {
	if meta[1] < vhdxMetaTable {
		return 0, 0, 0, errors.New("malformed vhdx: metadata region too small")
	}
	t := make([]byte, vhdxMetaTable)
	if _, err := p.R.ReadAt(t, meta[0]); err != nil {
		return 0, 0, 0, errors.New("malformed vhdx: metadata unreadable")
	}
	// Signature "metadata", EntryCount at 10, entries of 32 bytes from 32:
	// ItemId, Offset at 16, Length at 20, flags at 24 (IsRequired bit 2).
	if !bytes.HasPrefix(t, []byte("metadata")) {
		return 0, 0, 0, errors.New("malformed vhdx: no metadata table")
	}
	n := int(binary.LittleEndian.Uint16(t[10:]))
	if n > vhdxMaxEntries {
		return 0, 0, 0, fmt.Errorf("malformed vhdx: %d metadata items", n)
	}
	item := func(e []byte, want int64) ([]byte, error) {
		off, l := int64(binary.LittleEndian.Uint32(e[16:])), int64(binary.LittleEndian.Uint32(e[20:]))
		if l < want || off > meta[1] || l > meta[1]-off {
			return nil, errors.New("malformed vhdx: metadata item outside its region")
		}
		b := make([]byte, want)
		if _, err := p.R.ReadAt(b, meta[0]+off); err != nil {
			return nil, errors.New("malformed vhdx: metadata unreadable")
		}
		return b, nil
	}
	var haveParams, haveSize, haveSector bool
	for i := 0; i < n; i++ {
		e := t[32+32*i : 32+32*(i+1)]
		var g [16]byte
		copy(g[:], e)
		var b []byte
		switch g {
		case guidFileParameters:
			if b, err = item(e, 8); err != nil {
				return
			}
			// BlockSize, then LeaveBlocksAllocated (bit 0) and HasParent (bit 1).
			block = int64(binary.LittleEndian.Uint32(b))
			if binary.LittleEndian.Uint32(b[4:])&2 != 0 {
				return 0, 0, 0, ErrNeedsParent
			}
			haveParams = true
		case guidVirtualSize:
			if b, err = item(e, 8); err != nil {
				return
			}
			size = int64(binary.LittleEndian.Uint64(b))
			haveSize = true
		case guidLogicalSector:
			if b, err = item(e, 4); err != nil {
				return
			}
			sector = int64(binary.LittleEndian.Uint32(b))
			haveSector = true
		case guidParentLocator:
			return 0, 0, 0, ErrNeedsParent
		default:
			known := g == guidPhysicalSector || g == guidDiskID
			if binary.LittleEndian.Uint32(e[24:])&4 != 0 && !known {
				return 0, 0, 0, errors.New("vhdx with an unknown required metadata item: not read")
			}
		}
	}
	switch {
	case !haveParams || !haveSize || !haveSector:
		return 0, 0, 0, errors.New("malformed vhdx: required metadata missing")
	case block < vhdxMB || block > maxBlockSize || block&(block-1) != 0:
		return 0, 0, 0, fmt.Errorf("malformed vhdx: block size %d", block)
	case sector != 512 && sector != 4096:
		return 0, 0, 0, fmt.Errorf("malformed vhdx: logical sector size %d", sector)
	case size <= 0 || size > vhdxMaxDiskSize || size%sector != 0:
		return 0, 0, 0, fmt.Errorf("malformed vhdx: disk size %d", size)
	}
	return block, size, sector, nil
}
