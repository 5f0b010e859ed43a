package archive

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
)

// A minimal cabinet writer ([MS-CAB]) for fixtures: one folder holding all
// files, uncompressed (typ 0), MSZIP (typ 1) or declared LZX (typ 3).

type cabEntry struct {
	name string
	data []byte
}

func makeCAB(typ uint16, entries ...cabEntry) []byte {
	var stream []byte
	var files bytes.Buffer
	for _, e := range entries {
		binary.Write(&files, binary.LittleEndian, uint32(len(e.data)))
		binary.Write(&files, binary.LittleEndian, uint32(len(stream)))
		binary.Write(&files, binary.LittleEndian, []uint16{0, 0, 0, 0x20})
		files.WriteString(e.name)
		files.WriteByte(0)
		stream = append(stream, e.data...)
	}
	var blocks bytes.Buffer
	nBlocks := 0
	for i := 0; i < len(stream) || i == 0; i += cabBlockMax {
		chunk := stream[i:min(i+cabBlockMax, len(stream))]
		data := chunk
		if typ == cabCompressZip {
			var z bytes.Buffer
			z.WriteString("CK")
			w, _ := flate.NewWriter(&z, flate.BestCompression)
			w.Write(chunk)
			w.Close()
			data = z.Bytes()
		}
		binary.Write(&blocks, binary.LittleEndian, uint32(0))
		binary.Write(&blocks, binary.LittleEndian, uint16(len(data)))
		binary.Write(&blocks, binary.LittleEndian, uint16(len(chunk)))
		blocks.Write(data)
		nBlocks++
		if len(stream) == 0 {
			break
		}
	}
	coffFiles := cabHeaderLen + 8
	dataStart := coffFiles + files.Len()
	total := dataStart + blocks.Len()
	var out bytes.Buffer
	out.WriteString("MSCF")
	binary.Write(&out, binary.LittleEndian, []uint32{0, uint32(total), 0, uint32(coffFiles), 0})
	out.Write([]byte{3, 1})
	binary.Write(&out, binary.LittleEndian, []uint16{1, uint16(len(entries)), 0, 0, 0})
	binary.Write(&out, binary.LittleEndian, uint32(dataStart))
	binary.Write(&out, binary.LittleEndian, uint16(nBlocks))
	binary.Write(&out, binary.LittleEndian, typ)
	out.Write(files.Bytes())
	out.Write(blocks.Bytes())
	return out.Bytes()
}
