package archive

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// zipLayout finds the parts of a zip written by makeZip.
type zipLayout struct {
	eocd, cd int
	locals   map[string]int // name -> offset of its local header
	centrals map[string]int // name -> offset of its central header
}

func layout(t testing.TB, b []byte) zipLayout {
	t.Helper()
	l := zipLayout{eocd: bytes.LastIndex(b, []byte("PK\x05\x06")), locals: map[string]int{}, centrals: map[string]int{}}
	l.cd = int(binary.LittleEndian.Uint32(b[l.eocd+16:]))
	for off := l.cd; off+46 <= l.eocd && string(b[off:off+4]) == "PK\x01\x02"; {
		n, m, k := int(binary.LittleEndian.Uint16(b[off+28:])), int(binary.LittleEndian.Uint16(b[off+30:])), int(binary.LittleEndian.Uint16(b[off+32:]))
		name := string(b[off+46 : off+46+n])
		l.centrals[name] = off
		l.locals[name] = int(binary.LittleEndian.Uint32(b[off+42:]))
		off += 46 + n + m + k
	}
	return l
}

// dropCentral rebuilds the central directory of b without the entries
// named in drop: their local headers and data stay where they are.
func dropCentral(t testing.TB, b []byte, drop ...string) []byte {
	l := layout(t, b)
	out := append([]byte{}, b[:l.cd]...)
	kept := 0
	for off := l.cd; off < l.eocd && string(b[off:off+4]) == "PK\x01\x02"; {
		n, m, k := int(binary.LittleEndian.Uint16(b[off+28:])), int(binary.LittleEndian.Uint16(b[off+30:])), int(binary.LittleEndian.Uint16(b[off+32:]))
		end := off + 46 + n + m + k
		name := string(b[off+46 : off+46+n])
		dropped := false
		for _, d := range drop {
			dropped = dropped || d == name
		}
		if !dropped {
			out = append(out, b[off:end]...)
			kept++
		}
		off = end
	}
	e := append([]byte{}, b[l.eocd:]...)
	binary.LittleEndian.PutUint16(e[8:], uint16(kept))
	binary.LittleEndian.PutUint16(e[10:], uint16(kept))
	binary.LittleEndian.PutUint32(e[12:], uint32(len(out)-l.cd))
	return append(out, e...)
}

func put16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }

// stored returns a raw stored member (sizes in the headers, no descriptor).
func stored(name, data string) zipMember {
	return zipMember{name: name, raw: true, method: zip.Store, data: []byte(data), crc: crc32.ChecksumIEEE([]byte(data))}
}

func ambiguities(rec *inspecttest.Recorder) []inspect.Finding {
	var out []inspect.Finding
	for _, f := range rec.Findings {
		if f.Kind == inspect.KindAmbiguous {
			out = append(out, f)
		}
	}
	return out
}

func TestZipViews(t *testing.T) {
	two := func() []byte { return makeZip(t, stored("a.txt", "alpha"), stored("b.txt", "bravo")) }
	cases := []struct {
		name     string
		zip      func() []byte
		want     []inspect.Finding // the ambiguous findings, all of them
		children []string
		data     map[string]string
		wantErr  string
	}{
		{
			name:     "consistent",
			zip:      two,
			children: []string{"a.txt", "b.txt"},
		},
		{
			name: "end record counts",
			zip: func() []byte {
				b := two()
				e := layout(t, b).eocd
				put16(b, e+8, 3)
				put16(b, e+10, 3)
				return b
			},
			want:     []inspect.Finding{{Detail: "central directory holds 2 entries, end of central directory record says 3"}},
			children: []string{"a.txt", "b.txt"},
		},
		{
			name: "central directory size",
			zip: func() []byte {
				b := two()
				e := layout(t, b).eocd
				put32(b, e+12, binary.LittleEndian.Uint32(b[e+12:])-10)
				return b
			},
			want: []inspect.Finding{{Detail: "central directory is 102 bytes, end of central directory record says 92"}},
			// The base offset archive/zip would use is overruled by a
			// directory header at the recorded offset: entries stay.
			children: []string{"a.txt", "b.txt"},
		},
		{
			name: "name differs",
			zip: func() []byte {
				b := two()
				copy(b[layout(t, b).locals["a.txt"]+30:], "a.exe")
				return b
			},
			want:     []inspect.Finding{{Where: "a.txt", Detail: `name differs between central directory and local header: "a.txt" vs "a.exe"`}},
			children: []string{"a.txt", "b.txt"}, // the same bytes: inspected once
		},
		{
			name: "crc differs",
			zip: func() []byte {
				b := two()
				put32(b, layout(t, b).locals["b.txt"]+14, 0xdeadbeef)
				return b
			},
			want:     []inspect.Finding{{Where: "b.txt", Detail: "CRC-32 differs between central directory and local header: " + hex32(crc32.ChecksumIEEE([]byte("bravo"))) + " vs deadbeef"}},
			children: []string{"a.txt", "b.txt"},
		},
		{
			name: "method differs",
			zip: func() []byte {
				b := two()
				put16(b, layout(t, b).locals["a.txt"]+8, 8)
				return b
			},
			want: []inspect.Finding{{Where: "a.txt", Detail: "compression method differs between central directory and local header: 0 vs 8"}},
			// The local view reads "alpha" as deflate: another reading,
			// inspected (and unreadable).
			children: []string{"a.txt", "b.txt", "a.txt"},
		},
		{
			name: "hidden member only in local headers",
			zip: func() []byte {
				return dropCentral(t, makeZip(t, stored("a.txt", "alpha"), stored("evil.exe", "MZ evil")), "evil.exe")
			},
			want:     []inspect.Finding{{Where: "evil.exe", Detail: "entry only in the local headers at offset 40 (local header view)"}},
			children: []string{"a.txt", "evil.exe"},
			data:     map[string]string{"evil.exe": "MZ evil"},
		},
		{
			name: "entry only in the central directory",
			zip: func() []byte {
				// a.txt's local sizes swallow b.txt: a streaming reader
				// reads one member "alpha" + b.txt's header and data.
				b := two()
				l := layout(t, b)
				n := uint32(l.locals["b.txt"] - l.locals["a.txt"] - 30 - 5 + 35 + 5)
				put32(b, l.locals["a.txt"]+18, n)
				put32(b, l.locals["a.txt"]+22, n)
				return b
			},
			want: []inspect.Finding{
				{Where: "a.txt", Detail: "sizes differ between central directory and local header: 5/5 vs 45/45 bytes (compressed/uncompressed)"},
				{Where: "b.txt", Detail: "entry only in the central directory (streaming readers do not reach it)"},
			},
			children: []string{"a.txt", "b.txt", "a.txt"},
			data:     map[string]string{"b.txt": "bravo"},
		},
		{
			name: "data before the first entry",
			zip: func() []byte {
				return append([]byte("%PDF-1.7 a polyglot prefix\n"), two()...)
			},
			want: []inspect.Finding{
				{Detail: "entry offsets are relative to offset 27, not to the start of the file"},
				{Detail: "data before the first entry (27 bytes)"},
			},
			children: []string{"[data before the first entry]", "a.txt", "b.txt"},
			data:     map[string]string{"[data before the first entry]": "%PDF-1.7 a polyglot prefix\n"},
		},
		{
			name: "self-extractor stub",
			zip: func() []byte {
				return append([]byte("MZ\x90\x00 stub"), two()...)
			},
			want:     []inspect.Finding{{Detail: "entry offsets are relative to offset 9, not to the start of the file"}},
			children: []string{"[data before the first entry]", "a.txt", "b.txt"},
		},
		{
			name: "second end record in the comment",
			zip: func() []byte {
				var buf bytes.Buffer
				w := zip.NewWriter(&buf)
				fw, _ := w.CreateRaw(&zip.FileHeader{Name: "evil.exe", CRC32: crc32.ChecksumIEEE([]byte("MZ")), CompressedSize64: 2, UncompressedSize64: 2})
				fw.Write([]byte("MZ"))
				// An empty end record as the comment: archive/zip takes
				// it (the last one) and sees no entries.
				w.SetComment("PK\x05\x06" + strings.Repeat("\x00", 18))
				w.Close()
				return buf.Bytes()
			},
			want: []inspect.Finding{
				{Detail: "entry offsets are relative to offset 116, not to the start of the file"},
				{Detail: "second end of central directory record at offset 94 (before the one at 116)"},
				{Detail: "another central directory at offset 40, before the one in use at 116"},
				{Where: "evil.exe", Detail: "entry only in the local headers at offset 0 (local header view)"},
			},
			children: []string{"evil.exe"},
		},
		{
			name: "zip64 record disagrees",
			zip: func() []byte {
				b := two()
				l := layout(t, b)
				rec := make([]byte, 56+20)
				copy(rec, "PK\x06\x06")
				binary.LittleEndian.PutUint64(rec[4:], 44)
				binary.LittleEndian.PutUint64(rec[24:], 5)
				binary.LittleEndian.PutUint64(rec[32:], 5)
				binary.LittleEndian.PutUint64(rec[40:], uint64(l.eocd-l.cd))
				binary.LittleEndian.PutUint64(rec[48:], uint64(l.cd))
				copy(rec[56:], "PK\x06\x07")
				binary.LittleEndian.PutUint64(rec[56+8:], uint64(l.eocd))
				binary.LittleEndian.PutUint32(rec[56+16:], 1)
				return append(append(append([]byte{}, b[:l.eocd]...), rec...), b[l.eocd:]...)
			},
			want: []inspect.Finding{
				{Detail: "Zip64 end of central directory record (5 entries, 102 bytes at 80) disagrees with the plain one (2 entries, 102 bytes at 80)"},
			},
			children: []string{"a.txt", "b.txt"},
		},
		{
			name: "hidden after the deflate data",
			zip: func() []byte {
				hidden := makeZip(t, stored("evil.exe", "MZ evil"))
				hidden = hidden[:layout(t, hidden).cd]
				d := append(deflate(t, []byte("harmless")), hidden...)
				return makeZip(t, zipMember{name: "a.txt", raw: true, method: zip.Deflate, data: d, usize: 8, crc: crc32.ChecksumIEEE([]byte("harmless"))})
			},
			want:     []inspect.Finding{{Where: "a.txt", Detail: "45 bytes after the end of the deflate data (local header view)"}},
			children: []string{"a.txt", "a.txt [after deflate data]"},
			data:     map[string]string{"a.txt": "harmless"},
		},
		{
			name: "overlapping entries",
			zip:  func() []byte { return overlapZip(t, 3) },
			want: []inspect.Finding{
				{Where: "kernelaa", Detail: `name differs between central directory and local header: "kernelaa" vs "kernel"`},
				{Where: "kernelba", Detail: "entry only in the central directory (streaming readers do not reach it)"},
				{Where: "kernelca", Detail: "entry only in the central directory (streaming readers do not reach it)"},
				{Where: "kernelba", Detail: `entry overlaps "kernelaa" (offsets 0-1073 and 0-1073)`},
			},
			wantErr: "overlapping zip entries (zip bomb)",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := run(t, inspect.FamilyZip, "x.zip", c.zip())
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			}
			got := ambiguities(rec)
			if len(got) != len(c.want) {
				t.Errorf("ambiguous findings\n got %+v\nwant %+v", got, c.want)
			}
			for _, f := range c.want {
				if !has(rec, inspect.KindAmbiguous, f.Where, f.Detail) {
					t.Errorf("missing %+v in %+v", f, got)
				}
			}
			if c.wantErr == "" && !equalStrings(rec.Names(), c.children) {
				t.Errorf("children %q, want %q", rec.Names(), c.children)
			}
			for n, d := range c.data {
				if string(rec.Data(n)) != d {
					t.Errorf("child %s = %q, want %q", n, rec.Data(n), d)
				}
			}
		})
	}
}

func hex32(v uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return hex.EncodeToString(b[:])
}

// TestZipToolsNotAmbiguous: archives written by real tools, streaming
// ones included, are read the same way by both views.
func TestZipToolsNotAmbiguous(t *testing.T) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range []string{"one.txt", "dir/", "two.txt"} {
		fw, _ := w.Create(n) // deflate, sizes in data descriptors
		fw.Write([]byte(strings.Repeat(n, 300)))
	}
	w.Close()
	for name, b := range map[string][]byte{
		"archive/zip streaming": buf.Bytes(),
		"bench":                 benchZip(t),
		"infozip-stdin.zip":     read(t, "infozip-stdin.zip"),
		"deflate64.zip":         read(t, "deflate64.zip"),
	} {
		rec, err := run(t, inspect.FamilyZip, "x.zip", b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if a := ambiguities(rec); len(a) != 0 {
			t.Errorf("%s: %+v", name, a)
		}
		for _, f := range rec.Findings {
			t.Errorf("%s: finding %+v", name, f)
		}
	}
}

// TestZipDeflate64 reads a member 7-Zip compressed with Deflate64 (see
// testdata/README.md): two copies of a 33000-byte block, so the second is
// matched at distances only deflate64 has.
func TestZipDeflate64(t *testing.T) {
	rec, err := run(t, inspect.FamilyZip, "x.zip", read(t, "deflate64.zip"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(rec.Data("genome.txt"))
	if got := hex.EncodeToString(sum[:]); got != "99169eddd7f2555297d2e49981a451b7e3525361e9140ba99c4f50ca1114bf6b" || len(rec.Findings) != 0 {
		t.Fatalf("genome.txt: %d bytes, sha256 %s, findings %+v", len(rec.Data("genome.txt")), got, rec.Findings)
	}
}

// TestZipImplode: a member compressed with implode (method 6) is expanded
// and inspected, not reported unscannable. The data is the hand-checked
// vector of zipx's TestImplodeHandVector ("aaaaa", two trees, 4K).
func TestZipImplode(t *testing.T) {
	data := []byte{0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0xC3, 0x00, 0xFF, 0x0B}
	b := makeZip(t, zipMember{name: "old.doc", raw: true, method: 6, data: data, usize: 5, crc: crc32.ChecksumIEEE([]byte("aaaaa"))})
	rec, err := run(t, inspect.FamilyZip, "x.zip", b)
	if err != nil || string(rec.Data("old.doc")) != "aaaaa" || len(rec.Findings) != 0 {
		t.Fatalf("err %v, old.doc %q, findings %+v", err, rec.Data("old.doc"), rec.Findings)
	}
	// A wrong CRC is a read error of the member.
	b = makeZip(t, zipMember{name: "old.doc", raw: true, method: 6, data: data, usize: 5, crc: 1})
	rec, _ = run(t, inspect.FamilyZip, "x.zip", b)
	if !has(rec, inspect.KindUnscannable, "old.doc", "read: zip: checksum error") {
		t.Fatalf("findings %+v", rec.Findings)
	}
}
