// Package zipxtest patches zip files written by archive/zip in tests so
// that their central directory and local headers disagree, the way an
// attacker writes them (APPNOTE 4.3.6: the local headers and the central
// directory each record every entry). It is for tests only.
package zipxtest

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// Layout says where the records of a zip written by archive/zip are.
type Layout struct {
	// End is the offset of the end of central directory record, Directory
	// that of the central directory.
	End, Directory int
	// Locals and Centrals give the offset of each entry's local header and
	// central directory header by name (the central directory's names).
	Locals, Centrals map[string]int
}

// Find returns the layout of b, a zip without Zip64 records or comment.
func Find(t testing.TB, b []byte) Layout {
	t.Helper()
	l := Layout{End: bytes.LastIndex(b, []byte("PK\x05\x06")), Locals: map[string]int{}, Centrals: map[string]int{}}
	if l.End < 0 || l.End+22 > len(b) {
		t.Fatal("zipxtest: no end of central directory record")
	}
	l.Directory = int(binary.LittleEndian.Uint32(b[l.End+16:]))
	for off := l.Directory; off+46 <= l.End && string(b[off:off+4]) == "PK\x01\x02"; {
		n, m, k := int(binary.LittleEndian.Uint16(b[off+28:])), int(binary.LittleEndian.Uint16(b[off+30:])), int(binary.LittleEndian.Uint16(b[off+32:]))
		name := string(b[off+46 : off+46+n])
		l.Centrals[name] = off
		l.Locals[name] = int(binary.LittleEndian.Uint32(b[off+42:]))
		off += 46 + n + m + k
	}
	return l
}

// DropCentral rebuilds the central directory of b without the entries
// named in drop: their local headers and data stay where they are, so only
// a reader of the local headers finds them.
func DropCentral(t testing.TB, b []byte, drop ...string) []byte {
	t.Helper()
	l := Find(t, b)
	out := append([]byte{}, b[:l.Directory]...)
	kept, found := 0, 0
	for off := l.Directory; off+46 <= l.End && string(b[off:off+4]) == "PK\x01\x02"; {
		n, m, k := int(binary.LittleEndian.Uint16(b[off+28:])), int(binary.LittleEndian.Uint16(b[off+30:])), int(binary.LittleEndian.Uint16(b[off+32:]))
		end := off + 46 + n + m + k
		name := string(b[off+46 : off+46+n])
		dropped := false
		for _, d := range drop {
			dropped = dropped || d == name
		}
		if dropped {
			found++
		} else {
			out = append(out, b[off:end]...)
			kept++
		}
		off = end
	}
	if found != len(drop) {
		t.Fatalf("zipxtest: %d of %q in the central directory", found, drop)
	}
	e := append([]byte{}, b[l.End:]...)
	binary.LittleEndian.PutUint16(e[8:], uint16(kept))
	binary.LittleEndian.PutUint16(e[10:], uint16(kept))
	binary.LittleEndian.PutUint32(e[12:], uint32(len(out)-l.Directory))
	return append(out, e...)
}

// RenameLocal gives the local header of the entry named from (in the
// central directory) the name to, of the same length: the central
// directory and the local header then name the same bytes differently.
func RenameLocal(t testing.TB, b []byte, from, to string) []byte {
	t.Helper()
	if len(from) != len(to) {
		t.Fatalf("zipxtest: %q and %q differ in length", from, to)
	}
	l := Find(t, b)
	off, ok := l.Locals[from]
	if !ok {
		t.Fatalf("zipxtest: no entry %q", from)
	}
	b = append([]byte{}, b...)
	if got := string(b[off+30 : off+30+len(from)]); got != from {
		t.Fatalf("zipxtest: local header of %q names %q", from, got)
	}
	copy(b[off+30:], to)
	return b
}
