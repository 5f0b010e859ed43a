package archive

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// fuzzInspect runs one inspector on b with small limits; it must neither
// panic nor hang.
func fuzzInspect(t *testing.T, fam inspect.Family, b []byte) {
	rec := recorder()
	rec.ReadCap = 1 << 20
	p := inspect.Part{Name: "fuzz", Size: int64(len(b)), R: bytes.NewReader(b), Family: fam,
		Limits: inspect.Limits{MaxParts: 100, MaxPartSize: 1 << 20}.WithDefaults()}
	inspecttest.NoHang(t, 3*time.Second, func() { New(fam).Inspect(context.Background(), p, rec) })
	rec.CheckInvariants(t)
	if len(rec.Children) > 101 {
		t.Fatalf("%d children over the parts limit", len(rec.Children))
	}
}

func FuzzZip(f *testing.F) {
	f.Add(makeZip(f, zipMember{name: "a.txt", data: []byte("hello"), method: 8}, zipMember{name: "b/", method: 0}))
	f.Add(makeZip(f, zipMember{name: "s.docx", raw: true, flags: 1, data: make([]byte, 20)},
		zipMember{name: "a.txt", raw: true, flags: 1, method: 99, extra: aesExtra(3), data: make([]byte, 20)}))
	f.Add(truncatedZip(f))
	f.Add(overlapZip(f, 3))
	f.Add(makeZip(f, zipMember{name: "META-INF/MANIFEST.MF", data: []byte("M")}))
	f.Add(dropCentral(f, makeZip(f, stored("a.txt", "alpha"), stored("evil.exe", "MZ evil")), "evil.exe"))
	f.Add(read(f, "deflate64.zip")[:2000])
	f.Add(read(f, "infozip-stdin.zip"))
	f.Add(makeZip(f, zipMember{name: "i.doc", raw: true, method: 6, usize: 5,
		data: []byte{0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0x03, 0xF5, 0xF5, 0xF5, 0xF5, 0xC3, 0x00, 0xFF, 0x0B}}))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzInspect(t, inspect.FamilyZip, b) })
}

func Fuzz7z(f *testing.F) {
	f.Add(make7z([]string{"a.txt", "b.exe"}, [][]byte{[]byte("alpha"), []byte("MZ")}, szOpts{}))
	for _, n := range []string{"plain-lzma2.7z", "encrypted-entries.7z", "encrypted-headers.7z"} {
		f.Add(read(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzInspect(t, inspect.Family7z, b) })
}

func FuzzRAR(f *testing.F) {
	f.Add(makeRAR(false, rarMember{name: "a.txt", data: []byte("alpha")}, rarMember{name: "s", data: make([]byte, 32), encrypted: true}))
	f.Add(makeRAR(true))
	f.Add(makeRAR(false, rarMember{name: "c.bin", data: make([]byte, 32), dictBits: 2}))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzInspect(t, inspect.FamilyRAR, b) })
}

func FuzzTar(f *testing.F) {
	f.Add(makeTar(f, map[string]string{"a": "alpha", "b/c": "gamma"}, "a", "b/c"))
	f.Add(makeGzip(f, "x.tar", makeTar(f, map[string]string{"a": "alpha"}, "a")))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzInspect(t, inspect.FamilyTar, b)
		fuzzInspect(t, inspect.FamilyGzip, b)
	})
}

func FuzzCAB(f *testing.F) {
	f.Add(makeCAB(cabCompressNone, cabEntry{"a.txt", []byte("alpha")}, cabEntry{"b.exe", []byte("MZ")}))
	f.Add(makeCAB(cabCompressZip, cabEntry{"a.txt", bytes.Repeat([]byte("alpha"), 10000)}))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzInspect(t, inspect.FamilyCAB, b) })
}

func FuzzISO(f *testing.F) {
	f.Add(makeISO(false, isoFile{"A.TXT", []byte("alpha")}, isoFile{"SUB/B.EXE", []byte("MZ")}))
	f.Add(makeISO(true, isoFile{"A.TXT", []byte("alpha")}))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzInspect(t, inspect.FamilyISO, b) })
}
