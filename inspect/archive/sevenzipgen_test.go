package archive

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// A minimal 7z writer (7-Zip DOC/7zFormat.txt) for fixtures: every file is
// its own folder with one coder (Copy unless coder is set), plain header.

type szOpts struct {
	coderID    []byte // default Copy (0x00)
	coderProps []byte
	numFiles   uint64 // declared file count; default len(files)
	packCount  uint64 // declared pack stream count; default len(files)
	subStreams uint64 // declared streams of folder 0; default 1
}

func szNum(b *bytes.Buffer, v uint64) {
	switch {
	case v < 0x80:
		b.WriteByte(byte(v))
	case v < 0x4000:
		b.WriteByte(0x80 | byte(v>>8))
		b.WriteByte(byte(v))
	default:
		b.WriteByte(0xFF)
		binary.Write(b, binary.LittleEndian, v)
	}
}

func make7z(names []string, data [][]byte, o szOpts) []byte {
	n := uint64(len(names))
	if o.numFiles == 0 {
		o.numFiles = n
	}
	if o.packCount == 0 {
		o.packCount = n
	}
	if o.subStreams == 0 {
		o.subStreams = 1
	}
	if o.coderID == nil {
		o.coderID = []byte{0x00}
	}
	var packed, h bytes.Buffer
	for _, d := range data {
		packed.Write(d)
	}
	h.WriteByte(szHeader)
	h.WriteByte(szMainStreamsInfo)
	h.WriteByte(szPackInfo)
	szNum(&h, 0)
	szNum(&h, o.packCount)
	h.WriteByte(szSize)
	for _, d := range data {
		szNum(&h, uint64(len(d)))
	}
	h.WriteByte(szEnd)
	h.WriteByte(szUnpackInfo)
	h.WriteByte(szFolderID)
	szNum(&h, n)
	h.WriteByte(0)
	for range data {
		szNum(&h, 1)
		flags := byte(len(o.coderID))
		if o.coderProps != nil {
			flags |= 0x20
		}
		h.WriteByte(flags)
		h.Write(o.coderID)
		if o.coderProps != nil {
			szNum(&h, uint64(len(o.coderProps)))
			h.Write(o.coderProps)
		}
	}
	h.WriteByte(szCodersUnpackSize)
	for _, d := range data {
		szNum(&h, uint64(len(d)))
	}
	h.WriteByte(szEnd)
	h.WriteByte(szSubStreamsInfo)
	h.WriteByte(szNumUnpackStream)
	for i := range data {
		if i == 0 {
			szNum(&h, o.subStreams)
		} else {
			szNum(&h, 1)
		}
	}
	h.WriteByte(szEnd)
	h.WriteByte(szEnd)
	h.WriteByte(szFilesInfo)
	szNum(&h, o.numFiles)
	var nm bytes.Buffer
	nm.WriteByte(0) // not external
	for _, s := range names {
		for _, c := range utf16.Encode([]rune(s + "\x00")) {
			binary.Write(&nm, binary.LittleEndian, c)
		}
	}
	h.WriteByte(0x11) // kName
	szNum(&h, uint64(nm.Len()))
	h.Write(nm.Bytes())
	h.WriteByte(szEnd)
	h.WriteByte(szEnd)

	var out bytes.Buffer
	out.Write([]byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4})
	var start [20]byte
	binary.LittleEndian.PutUint64(start[0:], uint64(packed.Len()))
	binary.LittleEndian.PutUint64(start[8:], uint64(h.Len()))
	binary.LittleEndian.PutUint32(start[16:], crc32.ChecksumIEEE(h.Bytes()))
	binary.Write(&out, binary.LittleEndian, crc32.ChecksumIEEE(start[:]))
	out.Write(start[:])
	out.Write(packed.Bytes())
	out.Write(h.Bytes())
	return out.Bytes()
}
