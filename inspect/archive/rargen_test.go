package archive

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// A minimal RAR 5 writer (RAR 5.0 archive format, rarlab.com
// technote) for fixtures: stored members only, optionally with a file
// encryption record or an archive encryption header. There is no free RAR
// creator in Debian main.

func rarVint(b *bytes.Buffer, v uint64) {
	for v >= 0x80 {
		b.WriteByte(byte(v) | 0x80)
		v >>= 7
	}
	b.WriteByte(byte(v))
}

// rarBlock writes one header block: CRC32, size, then body (type, flags,
// ...), then data.
func rarBlock(out *bytes.Buffer, body []byte, data []byte) {
	var h bytes.Buffer
	rarVint(&h, uint64(len(body)))
	h.Write(body)
	binary.Write(out, binary.LittleEndian, crc32.ChecksumIEEE(h.Bytes()))
	out.Write(h.Bytes())
	out.Write(data)
}

type rarMember struct {
	name      string
	data      []byte
	encrypted bool   // add a file encryption extra record
	dictBits  uint64 // compression info dictionary bits (method 1 when set)
	unpacked  uint64 // declared unpacked size (default len(data))
	solid     bool
}

func makeRAR(archiveEncrypted bool, members ...rarMember) []byte {
	var out bytes.Buffer
	out.WriteString("Rar!\x1a\x07\x01\x00")
	if archiveEncrypted {
		var b bytes.Buffer
		rarVint(&b, 4) // archive encryption header
		rarVint(&b, 0) // flags
		rarVint(&b, 0) // version AES-256
		rarVint(&b, 0) // encryption flags
		b.WriteByte(15)
		b.Write(make([]byte, 16)) // salt
		rarBlock(&out, b.Bytes(), nil)
		out.Write(make([]byte, 64)) // what would be encrypted headers
		return out.Bytes()
	}
	var b bytes.Buffer
	rarVint(&b, 1) // main archive header
	rarVint(&b, 0)
	rarVint(&b, 0) // archive flags
	rarBlock(&out, b.Bytes(), nil)
	for _, m := range members {
		var extra bytes.Buffer
		if m.encrypted {
			var rec bytes.Buffer
			rarVint(&rec, 1) // type: file encryption
			rarVint(&rec, 0) // version
			rarVint(&rec, 0) // flags
			rec.WriteByte(15)
			rec.Write(make([]byte, 32)) // salt, IV
			rarVint(&extra, uint64(rec.Len()))
			extra.Write(rec.Bytes())
		}
		var f bytes.Buffer
		rarVint(&f, 2) // file header
		flags := uint64(0x0002)
		if extra.Len() > 0 {
			flags |= 0x0001
		}
		rarVint(&f, flags)
		if extra.Len() > 0 {
			rarVint(&f, uint64(extra.Len()))
		}
		rarVint(&f, uint64(len(m.data)))
		rarVint(&f, 0) // file flags
		unpacked := m.unpacked
		if unpacked == 0 {
			unpacked = uint64(len(m.data))
		}
		rarVint(&f, unpacked)
		rarVint(&f, 0x20) // attributes
		comp := uint64(0)
		if m.dictBits > 0 {
			comp = 1<<7 | m.dictBits<<10
		}
		if m.solid {
			comp |= 0x40
		}
		rarVint(&f, comp)
		rarVint(&f, 0) // host OS Windows
		rarVint(&f, uint64(len(m.name)))
		f.WriteString(m.name)
		f.Write(extra.Bytes())
		rarBlock(&out, f.Bytes(), m.data)
	}
	var e bytes.Buffer
	rarVint(&e, 5) // end of archive
	rarVint(&e, 0)
	rarVint(&e, 0)
	rarBlock(&out, e.Bytes(), nil)
	return out.Bytes()
}
