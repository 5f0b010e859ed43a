package archive

import (
	"encoding/binary"
	"unicode/utf16"
)

// A minimal ISO 9660 (ECMA-119) writer for fixtures: a root directory with
// files and one subdirectory, optionally with a Joliet tree.

type isoFile struct {
	name string // "SUB/NAME.EXT" puts it into the subdirectory
	data []byte
}

func isoRecord(lba, size uint32, dir bool, name []byte) []byte {
	n := 33 + len(name)
	if n%2 == 1 {
		n++
	}
	r := make([]byte, n)
	r[0] = byte(n)
	binary.LittleEndian.PutUint32(r[2:], lba)
	binary.BigEndian.PutUint32(r[6:], lba)
	binary.LittleEndian.PutUint32(r[10:], size)
	binary.BigEndian.PutUint32(r[14:], size)
	if dir {
		r[25] = 2
	}
	binary.LittleEndian.PutUint16(r[28:], 1)
	binary.BigEndian.PutUint16(r[30:], 1)
	r[32] = byte(len(name))
	copy(r[33:], name)
	return r
}

func ucs2(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, c)
	}
	return b
}

func makeISO(joliet bool, files ...isoFile) []byte {
	const (
		rootLBA  = 20
		subLBA   = 21
		jRootLBA = 22
		jSubLBA  = 23
		dataLBA  = 24
	)
	img := make([]byte, dataLBA*isoSector)
	lba := uint32(dataLBA)
	type placed struct {
		f   isoFile
		lba uint32
	}
	var ps []placed
	for _, f := range files {
		ps = append(ps, placed{f, lba})
		sectors := (len(f.data) + isoSector - 1) / isoSector
		img = append(img, make([]byte, max(sectors, 1)*isoSector)...)
		copy(img[int(lba)*isoSector:], f.data)
		lba += uint32(max(sectors, 1))
	}
	writeDir := func(at, self, parent uint32, sub bool, j bool) {
		d := img[at*isoSector : (at+1)*isoSector]
		o := 0
		o += copy(d[o:], isoRecord(self, isoSector, true, []byte{0}))
		o += copy(d[o:], isoRecord(parent, isoSector, true, []byte{1}))
		if !sub {
			name := []byte("SUB")
			subAt := uint32(subLBA)
			if j {
				name, subAt = ucs2("Sub folder"), jSubLBA
			}
			o += copy(d[o:], isoRecord(subAt, isoSector, true, name))
		}
		for _, p := range ps {
			inSub := len(p.f.name) > 4 && p.f.name[:4] == "SUB/"
			if inSub != sub {
				continue
			}
			base := p.f.name
			if inSub {
				base = base[4:]
			}
			name := []byte(base + ";1")
			if j {
				name = ucs2(base + " (joliet)")
			}
			o += copy(d[o:], isoRecord(p.lba, uint32(len(p.f.data)), false, name))
		}
	}
	writeDir(rootLBA, rootLBA, rootLBA, false, false)
	writeDir(subLBA, subLBA, rootLBA, true, false)
	vd := func(sector int, typ byte, root uint32, esc string) {
		v := img[sector*isoSector : (sector+1)*isoSector]
		v[0] = typ
		copy(v[1:], "CD001")
		v[6] = 1
		copy(v[88:], esc)
		binary.LittleEndian.PutUint16(v[128:], isoSector)
		binary.BigEndian.PutUint16(v[130:], isoSector)
		copy(v[156:], isoRecord(root, isoSector, true, []byte{0}))
	}
	vd(16, 1, rootLBA, "")
	next := 17
	if joliet {
		writeDir(jRootLBA, jRootLBA, jRootLBA, false, true)
		writeDir(jSubLBA, jSubLBA, jRootLBA, true, true)
		vd(17, 2, jRootLBA, "%/E")
		next = 18
	}
	t := img[next*isoSector:]
	t[0] = 255
	copy(t[1:], "CD001")
	t[6] = 1
	return img
}
