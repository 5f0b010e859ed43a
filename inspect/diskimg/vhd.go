package diskimg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// Reference: Microsoft Virtual Hard Disk Image Format Specification,
// version 1.0 (2006), cited as [VHD] with its section names. All fields are
// big endian.

const (
	vhdFooterSize    = 512
	vhdDynHeaderSize = 1024
	vhdTypeFixed     = 2
	vhdTypeDynamic   = 3
	vhdTypeDiff      = 4
	vhdUnallocated   = 0xFFFFFFFF
	maxBlockSize     = 256 << 20
)

// openVHD presents the virtual disk of a VHD: a fixed disk is the file
// before its footer; a dynamic disk is read through its block allocation
// table; a differencing disk needs its parent.
//
// Hyper-V reads the footer at the end of the file, the copy at the start
// only when that one is damaged; qemu reads the start first. When both are
// valid and differ, the file has two readings: the second one is returned
// as alt (nil otherwise), with the error that opening it met.
func openVHD(p inspect.Part) (d disk, alt *disk, altErr error, err error) {
	var end, head []byte
	if p.Size >= 2*vhdFooterSize {
		end, head = make([]byte, vhdFooterSize), make([]byte, vhdFooterSize)
		if _, err := p.R.ReadAt(end, p.Size-vhdFooterSize); err != nil || !inspect.VHDFooter(end) {
			end = nil
		}
		if _, err := p.R.ReadAt(head, 0); err != nil || !inspect.VHDFooter(head) {
			head = nil
		}
	}
	switch {
	case end != nil:
		d, err = vhdDisk(p, end)
		if head != nil && !bytes.Equal(head, end) {
			a, aerr := vhdDisk(p, head)
			alt, altErr = &a, aerr
		}
		return d, alt, altErr, err
	case head != nil:
		d, err = vhdDisk(p, head)
		return d, nil, nil, err
	}
	return disk{}, nil, nil, errors.New("malformed vhd: no valid footer")
}

// vhdDisk opens the disk a footer describes ([VHD] "Hard Disk Footer
// Format": Data Offset at 16, Current Size at 48, Disk Type at 60).
func vhdDisk(p inspect.Part, foot []byte) (disk, error) {
	size := int64(binary.BigEndian.Uint64(foot[48:])) // Current Size
	if size < 0 {
		return disk{}, errors.New("malformed vhd: disk size out of range")
	}
	switch t := binary.BigEndian.Uint32(foot[60:]); t {
	case vhdTypeFixed:
		if size > p.Size-vhdFooterSize {
			// A truncated image: what is missing cannot be read.
			size = p.Size - vhdFooterSize
		}
		return disk{r: io.NewSectionReader(p.R, 0, size), size: size, sector: 512}, nil
	case vhdTypeDiff:
		return disk{}, ErrNeedsParent
	case vhdTypeDynamic:
		return openDynamicVHD(p, foot, size)
	default:
		return disk{}, fmt.Errorf("malformed vhd: disk type %d", t)
	}
}

// openDynamicVHD reads the dynamic disk header ([VHD] "Dynamic Disk Header
// Format": Cookie "cxsparse", Table Offset at 16, Max Table Entries at 28,
// Block Size at 32, Checksum at 36) and its block allocation table.
func openDynamicVHD(p inspect.Part, foot []byte, size int64) (disk, error) {
	hoff := int64(binary.BigEndian.Uint64(foot[16:])) // Data Offset
	if hoff < 0 || hoff > p.Size-vhdDynHeaderSize {
		return disk{}, errors.New("malformed vhd: dynamic disk header outside the file")
	}
	h := make([]byte, vhdDynHeaderSize)
	if _, err := p.R.ReadAt(h, hoff); err != nil {
		return disk{}, fmt.Errorf("malformed vhd: %w", err)
	}
	if !bytes.HasPrefix(h, []byte("cxsparse")) {
		return disk{}, errors.New("malformed vhd: no dynamic disk header")
	}
	var sum uint32
	for i, c := range h {
		if i < 36 || i >= 40 {
			sum += uint32(c)
		}
	}
	if ^sum != binary.BigEndian.Uint32(h[36:]) {
		return disk{}, errors.New("malformed vhd: dynamic disk header checksum mismatch")
	}
	bat := int64(binary.BigEndian.Uint64(h[16:]))
	entries := int64(binary.BigEndian.Uint32(h[28:]))
	block := int64(binary.BigEndian.Uint32(h[32:]))
	if block < 512 || block > maxBlockSize || block&(block-1) != 0 {
		return disk{}, fmt.Errorf("malformed vhd: block size %d", block)
	}
	if entries*block < size {
		return disk{}, errors.New("malformed vhd: block allocation table smaller than the disk")
	}
	entries = min(entries, (size+block-1)/block) // entries past the disk's end are never read
	if bat < 0 || bat > p.Size || entries > (p.Size-bat)/4 {
		return disk{}, errors.New("malformed vhd: block allocation table outside the file")
	}
	// Each block is a sector bitmap (one bit per 512-byte sector, padded to
	// a sector) followed by the data.
	bitmap := (block/512/8 + 511) / 512 * 512
	locate := func(e uint32, i int64) (int64, error) {
		if e == vhdUnallocated {
			return -1, nil
		}
		off := int64(e)*512 + bitmap
		if off+block > p.Size {
			return 0, fmt.Errorf("malformed vhd: block %d outside the file", i)
		}
		return off, nil
	}
	// Check every entry now, so that a read never meets a bad one.
	if err := scanTable(p.R, bat, entries, 4, func(b []byte, i int64) error {
		_, err := locate(binary.BigEndian.Uint32(b), i)
		return err
	}); err != nil {
		return disk{}, err
	}
	// The sector bitmap is not consulted: like qemu, read an allocated
	// block's data as it is (a sector marked unused holds zeros when
	// written by Windows; whatever else is there is inspected too).
	sd := &sparseDisk{r: p.R, size: size, block: block, locate: func(i int64) (int64, error) {
		var b [4]byte
		if _, err := p.R.ReadAt(b[:], bat+4*i); err != nil {
			return 0, err
		}
		return locate(binary.BigEndian.Uint32(b[:]), i)
	}}
	return disk{r: sd, size: size, sector: 512}, nil
}

// scanTable calls check for each of n entries of size esz at off, reading
// the table in chunks rather than allocating it whole.
func scanTable(r io.ReaderAt, off, n, esz int64, check func(e []byte, i int64) error) error {
	buf := make([]byte, 64<<10)
	per := int64(len(buf)) / esz
	for i := int64(0); i < n; i += per {
		k := min(per, n-i)
		if _, err := r.ReadAt(buf[:k*esz], off+i*esz); err != nil {
			return fmt.Errorf("block allocation table unreadable: %w", err)
		}
		for j := int64(0); j < k; j++ {
			if err := check(buf[j*esz:(j+1)*esz], i+j); err != nil {
				return err
			}
		}
	}
	return nil
}

// sparseDisk is a virtual disk made of fixed-size blocks, each stored at an
// offset of the file or not allocated (reads as zeros).
type sparseDisk struct {
	r     io.ReaderAt
	size  int64
	block int64
	// locate returns the file offset of block i's data, -1 when the block
	// is not allocated.
	locate func(i int64) (int64, error)
}

func (d *sparseDisk) ReadAt(p []byte, off int64) (int, error) {
	return readMapped(d.r, p, off, d.size, func(off, room int64) (int64, int64, error) {
		within := off % d.block
		at, err := d.locate(off / d.block)
		if at >= 0 {
			at += within
		}
		return at, min(room, d.block-within), err
	})
}

// readMapped is ReadAt at off of an image of size bytes that lies in r
// piece by piece: piece returns, for an offset, where the piece that
// starts there lies in r (-1: not stored, it reads as zeros) and how many
// of at most room bytes it holds.
func readMapped(r io.ReaderAt, p []byte, off, size int64, piece func(off, room int64) (at, m int64, err error)) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for len(p) > 0 && off < size {
		at, m, err := piece(off, min(int64(len(p)), size-off))
		if err != nil {
			return n, err
		}
		if at < 0 {
			clear(p[:m])
		} else if k, err := r.ReadAt(p[:m], at); k < int(m) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n + k, err
		}
		n += int(m)
		p, off = p[m:], off+m
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}
