package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// [MS-OXRTFCP] 2.1.3.1.1 header COMPTYPE values.
const (
	compressedLZFu   = 0x75465A4C // "LZFu"
	uncompressedMELA = 0x414C454D // "MELA"
	rtfHeaderLen     = 16
	rtfDictSize      = 4096
)

// rtfPrebuf initialises the LZFu dictionary ([MS-OXRTFCP] 2.1.2.1).
const rtfPrebuf = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman " +
	"\\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier" +
	"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

// ErrRTFTooLarge is returned when decompressed RTF would exceed the caller's
// bound.
var ErrRTFTooLarge = errors.New("compressed RTF expands beyond the limit")

// DecompressRTF expands a PidTagRtfCompressed value ([MS-OXRTFCP] 2.2)
// read from r (size bytes), producing at most limit bytes.
func DecompressRTF(r io.ReaderAt, size, limit int64) ([]byte, error) {
	if size < rtfHeaderLen {
		return nil, errors.New("compressed RTF: truncated header")
	}
	var h [rtfHeaderLen]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("compressed RTF: %w", err)
	}
	// COMPSIZE counts the bytes after itself; RAWSIZE the expanded size.
	compSize := int64(binary.LittleEndian.Uint32(h[0:]))
	rawSize := int64(binary.LittleEndian.Uint32(h[4:]))
	if compSize+4 < size {
		// Trailing bytes are not part of the value; a COMPSIZE smaller
		// than the header leaves no data at all.
		size = max(compSize+4, rtfHeaderLen)
	}
	if rawSize > limit {
		return nil, ErrRTFTooLarge
	}
	in := make([]byte, size-rtfHeaderLen) // size is bounded by the caller's part
	if _, err := r.ReadAt(in, rtfHeaderLen); err != nil && err != io.EOF {
		return nil, fmt.Errorf("compressed RTF: %w", err)
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case uncompressedMELA:
		return in[:min(int64(len(in)), rawSize)], nil
	case compressedLZFu:
	default:
		return nil, errors.New("compressed RTF: unknown compression type")
	}
	// Each input bit yields at most 17 bytes: rawSize bounds the output.
	out := make([]byte, min(rawSize, int64(len(in))*17))
	o := 0
	var dict [rtfDictSize]byte
	copy(dict[:], rtfPrebuf)
	wpos := len(rtfPrebuf)
	for i := 0; i < len(in) && o < len(out); {
		control := in[i]
		i++
		for bit := 0; bit < 8 && i < len(in) && o < len(out); bit++ {
			if control&(1<<bit) == 0 {
				// Literal byte.
				b := in[i]
				i++
				out[o] = b
				o++
				dict[wpos] = b
				wpos = (wpos + 1) & (rtfDictSize - 1)
				continue
			}
			// Dictionary reference: 12-bit offset, 4-bit length-2, big-endian.
			if i+2 > len(in) {
				return out[:o], nil
			}
			ref := int(in[i])<<8 | int(in[i+1])
			i += 2
			off, n := ref>>4, ref&0xF+2
			if off == wpos {
				return out[:o], nil // end of stream
			}
			for j := 0; j < n && o < len(out); j++ {
				b := dict[(off+j)&(rtfDictSize-1)]
				out[o] = b
				o++
				dict[wpos] = b
				wpos = (wpos + 1) & (rtfDictSize - 1)
			}
		}
	}
	return out[:o], nil
}
