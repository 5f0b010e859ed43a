package diskimg

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// clusterOffForTest is where the entry's first cluster starts in the image.
func (e dirEntry) clusterOffForTest(v *fatVolume) int { return int(v.clusterOff(e.cluster)) }

// fatOf opens the bare FAT volume of an image, for tests that patch it.
func fatOf(t testing.TB, b []byte) *fatVolume {
	t.Helper()
	p, err := parseBPB(b)
	if err != nil {
		t.Fatal(err)
	}
	v, err := openFAT(bytes.NewReader(b), int64(len(b)), int64(len(b)), p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// entryOf finds a directory entry by path in a FAT12/16 volume.
func entryOf(t testing.TB, v *fatVolume, path string) dirEntry {
	t.Helper()
	ents, err := v.readRegion(v.rootOff, v.rootLen)
	if err != nil {
		t.Fatal(err)
	}
	elems := strings.Split(path, "/")
	for i, el := range elems {
		found := false
		for _, e := range ents {
			if e.name != el {
				continue
			}
			if i == len(elems)-1 {
				return e
			}
			if ents, err = v.readChainDir(e.cluster, clusterSet{}); err != nil {
				t.Fatal(err)
			}
			found = true
			break
		}
		if !found {
			t.Fatalf("%s not found", path)
		}
	}
	panic("unreachable")
}

// setFAT12 writes value as cluster c's entry in every FAT of a FAT12 image.
func setFAT12(b []byte, v *fatVolume, c, value uint32) {
	fats := int((v.rootOff - v.fatOff) / v.fatLen)
	for k := 0; k < fats; k++ {
		off := v.fatOff + int64(k)*v.fatLen + int64(c) + int64(c)/2
		e := uint32(binary.LittleEndian.Uint16(b[off:]))
		if c&1 == 1 {
			e = e&0x000F | value<<4
		} else {
			e = e&0xF000 | value&0xFFF
		}
		binary.LittleEndian.PutUint16(b[off:], uint16(e))
	}
}

// inspectOK runs the inspector on b and fails on a hang or a panic; it
// returns the recorder and the error.
func inspectOK(t *testing.T, fam inspect.Family, b []byte) (*recorderResult, error) {
	t.Helper()
	var rec *inspecttest.Recorder
	var err error
	inspecttest.NoHang(t, 5*time.Second, func() { rec, err = inspectRaw(fam, b, inspect.Limits{}) })
	rec.CheckInvariants(t)
	return &recorderResult{short: strings.Join(rec.Short(), "\n"), names: rec.Names(), data: rec.Data}, err
}

type recorderResult struct {
	short string
	names []string
	data  func(string) []byte
}

// TestHostileFAT: broken chains and counts become unscannable findings or
// errors, never a hang, a panic or a quietly shorter listing.
func TestHostileFAT(t *testing.T) {
	base := fixture(t, "fat12.img")
	v := fatOf(t, base)
	doc := entryOf(t, v, "Long Folder Name/Letter to the customer.doc")
	dir := entryOf(t, v, "DIR")
	exe := entryOf(t, v, "DIR/setup.exe")
	docNext, err := v.next(doc.cluster)
	if err != nil || docNext == endOfChain {
		t.Fatalf("doc chain: %v %d", err, docNext)
	}
	patch := func(f func(b []byte)) []byte {
		b := append([]byte{}, base...)
		f(b)
		return b
	}
	cases := []struct {
		name    string
		b       []byte
		finding string // in the findings, "" for none expected
		wantErr string
		names   []string // children, when they matter
	}{
		{name: "file chain loops", b: patch(func(b []byte) { setFAT12(b, v, docNext, doc.cluster) }),
			finding: "unscannable|FAT file: cluster chain loops|Long Folder Name/Letter to the customer.doc",
			names:   []string{"DIR/setup.exe"}},
		{name: "FAT points outside the volume", b: patch(func(b []byte) { setFAT12(b, v, doc.cluster, 0xFF0) }),
			finding: "unscannable|FAT file: cluster chain points outside the volume|Long Folder Name/Letter to the customer.doc"},
		{name: "free cluster in a chain", b: patch(func(b []byte) { setFAT12(b, v, doc.cluster, 0) }),
			finding: "unscannable|FAT file: cluster chain runs into a free cluster|Long Folder Name/Letter to the customer.doc"},
		{name: "chain ends early", b: patch(func(b []byte) { setFAT12(b, v, doc.cluster, 0xFFF) }),
			finding: "unscannable|FAT file: cluster chain shorter than the file|Long Folder Name/Letter to the customer.doc"},
		{name: "directory chain loops", b: patch(func(b []byte) { setFAT12(b, v, dir.cluster, dir.cluster) }),
			finding: "unscannable|FAT directory: cluster chain loops|DIR"},
		{name: "cross-linked files", b: patch(func(b []byte) {
			// setup.exe's entry points at the .doc's clusters.
			off := bytes.Index(b, []byte("SETUP   EXE"))
			binary.LittleEndian.PutUint16(b[off+26:], uint16(doc.cluster))
		}), finding: "unscannable|FAT file shares clusters with another file (cross-linked)|"},
		{name: "directory pointing at its parent", b: patch(func(b []byte) {
			off := bytes.Index(b, []byte("SETUP   EXE"))
			b[off+11] = attrDirectory
			binary.LittleEndian.PutUint16(b[off+26:], uint16(dir.cluster))
		}), finding: "unscannable|FAT directory loop or cross-linked directory|DIR/setup.exe"},
		{name: "file size over the part limit", b: patch(func(b []byte) {
			off := bytes.Index(b, []byte("SETUP   EXE"))
			binary.LittleEndian.PutUint32(b[off+28:], 0xFFFFFFFF)
		}), finding: "unscannable|limit part-size=268435456|DIR/setup.exe"},
		{name: "file larger than its chain and the image", b: patch(func(b []byte) {
			off := bytes.Index(b, []byte("SETUP   EXE"))
			binary.LittleEndian.PutUint32(b[off+28:], 100<<20)
		}), finding: "unscannable|FAT file: cluster chain shorter than the file|DIR/setup.exe"},
		{name: "huge total sectors", b: patch(func(b []byte) {
			binary.LittleEndian.PutUint16(b[19:], 0)
			binary.LittleEndian.PutUint32(b[32:], 0xFFFFFFFF)
		}), finding: "unscannable|malformed FAT volume: too many clusters for FAT16|"},
		{name: "huge root directory", b: patch(func(b []byte) { binary.LittleEndian.PutUint16(b[17:], 0xFFF0) }),
			finding: "unscannable|malformed FAT volume: no data region|"},
		{name: "huge FAT", b: patch(func(b []byte) { binary.LittleEndian.PutUint16(b[22:], 0xFFF0) }),
			finding: "unscannable|malformed FAT volume: no data region|"},
		{name: "FAT beyond the image", b: patch(func(b []byte) {
			binary.LittleEndian.PutUint16(b[19:], 0xFFF0)
			binary.LittleEndian.PutUint16(b[22:], 0x0FF0)
		}), finding: "unscannable|malformed FAT volume: file allocation table outside the image|"},
		{name: "truncated image", b: base[:len(base)/2], finding: "unscannable|FAT volume extends past the end of the image (truncated?)|"},
		{name: "truncated in a file", b: base[:doc.clusterOffForTest(v)+512], finding: "unscannable|FAT file: cluster outside the image (truncated?)|Long Folder Name/Letter to the customer.doc"},
		{name: "many files sharing one long chain", b: patch(func(b []byte) {
			// Fill the root directory with entries that all claim the
			// .doc's chain: each costs a walk of it, within a budget.
			off := bytes.Index(b, []byte("SETUP   EXE"))
			ent := append([]byte{}, b[off:off+32]...)
			binary.LittleEndian.PutUint16(ent[26:], uint16(doc.cluster))
			binary.LittleEndian.PutUint32(ent[28:], doc.size)
			root := int(v.rootOff)
			for i := 0; i < int(v.rootLen)/32; i++ {
				copy(b[root+32*i:], ent)
				b[root+32*i] = 'A' + byte(i%26)
				b[root+32*i+1] = 'A' + byte(i/26)
			}
		}), finding: "FAT file shares clusters with another file (cross-linked)"},
		{name: "deleted entries are skipped", b: patch(func(b []byte) {
			b[bytes.Index(b, []byte("SETUP   EXE"))] = 0xE5
		}), names: []string{"Long Folder Name/Letter to the customer.doc"}},
		{name: "broken long name falls back to the 8.3 name", b: patch(func(b []byte) {
			off := bytes.Index(b, []byte("LETTER~1DOC"))
			b[off-32+13]++ // the checksum of the long entry just before
		}), names: []string{"DIR/setup.exe", "Long Folder Name/LETTER~1.DOC"}},
	}
	_ = exe
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := inspectOK(t, inspect.FamilyIMG, c.b)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.finding == "" && res.short != "" {
				t.Errorf("findings %q", res.short)
			}
			if c.finding != "" && !strings.Contains(res.short, c.finding) {
				t.Errorf("findings %q, want %q", res.short, c.finding)
			}
			if c.names != nil && strings.Join(res.names, "|") != strings.Join(c.names, "|") {
				t.Errorf("children %q, want %q", res.names, c.names)
			}
		})
	}
}

// vhdFix recomputes a VHD footer checksum.
func vhdFix(f []byte) {
	var sum uint32
	for i, c := range f[:vhdFooterSize] {
		if i < 64 || i >= 68 {
			sum += uint32(c)
		}
	}
	binary.BigEndian.PutUint32(f[64:], ^sum)
}

// TestHostileVHD: differencing disks, broken headers and tables.
func TestHostileVHD(t *testing.T) {
	dyn := fixture(t, "dynamic.vhd")
	fixed := fixture(t, "fixed.vhd")
	patch := func(src []byte, f func(b []byte)) []byte {
		b := append([]byte{}, src...)
		f(b)
		return b
	}
	hoff := int64(binary.BigEndian.Uint64(dyn[16:]))
	bat := int64(binary.BigEndian.Uint64(dyn[hoff+16:]))
	cases := []struct {
		name, wantErr string
		b             []byte
	}{
		{"differencing", ErrNeedsParent.Error(), patch(dyn, func(b []byte) {
			for _, off := range []int{0, len(b) - 512} {
				binary.BigEndian.PutUint32(b[off+60:], vhdTypeDiff)
				vhdFix(b[off:])
			}
		})},
		{"dynamic header checksum", "checksum mismatch", patch(dyn, func(b []byte) { b[hoff+100]++ })},
		{"block outside the file", "outside the file", patch(dyn, func(b []byte) {
			binary.BigEndian.PutUint32(b[bat:], 0x7FFFFFF0)
		})},
		{"table larger than the file", "block allocation table", patch(dyn, func(b []byte) {
			binary.BigEndian.PutUint32(b[hoff+28:], 0xFFFFFFF0)
			binary.BigEndian.PutUint32(b[hoff+32:], 4096)
			for _, off := range []int{0, len(b) - 512} {
				binary.BigEndian.PutUint64(b[off+48:], 1<<40)
				vhdFix(b[off:])
			}
			var sum uint32
			for i, c := range b[hoff : hoff+vhdDynHeaderSize] {
				if i < 36 || i >= 40 {
					sum += uint32(c)
				}
			}
			binary.BigEndian.PutUint32(b[hoff+36:], ^sum)
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := inspectOK(t, inspect.FamilyVHD, c.b)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err %v, want %q", err, c.wantErr)
			}
		})
	}
	t.Run("truncated fixed", func(t *testing.T) {
		// A fixed VHD whose data was cut: the footer says more than the
		// file holds; what is missing is reported, never passed over.
		b := append(append([]byte{}, fixed[:len(fixed)/2]...), fixed[len(fixed)-512:]...)
		res, err := inspectOK(t, inspect.FamilyVHD, b)
		if err == nil && !strings.Contains(res.short, "unscannable") {
			t.Fatalf("no finding, children %q", res.names)
		}
	})
}

// vhdxFixHeader recomputes a VHDX header's CRC-32C.
func vhdxFix(b []byte) {
	binary.LittleEndian.PutUint32(b[4:], 0)
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b, crc32c))
}

// TestHostileVHDX: differencing disks, logs, checksums and BAT entries.
func TestHostileVHDX(t *testing.T) {
	src := fixture(t, "disk.vhdx")
	p := inspect.Part{R: bytes.NewReader(src), Size: int64(len(src))}
	bat, meta, err := vhdxRegions(p, vhdxRegion1)
	if err != nil {
		t.Fatal(err)
	}
	patch := func(f func(b []byte)) []byte {
		b := append([]byte{}, src...)
		f(b)
		return b
	}
	// metaItem returns the offset of a metadata item's value.
	metaItem := func(b []byte, g [16]byte) int64 {
		n := int(binary.LittleEndian.Uint16(b[meta[0]+10:]))
		for i := 0; i < n; i++ {
			e := b[meta[0]+32+32*int64(i):]
			if bytes.Equal(e[:16], g[:]) {
				return meta[0] + int64(binary.LittleEndian.Uint32(e[16:]))
			}
		}
		t.Fatal("metadata item missing")
		return 0
	}
	cases := []struct {
		name, wantErr string
		b             []byte
	}{
		{"has parent", ErrNeedsParent.Error(), patch(func(b []byte) { b[metaItem(b, guidFileParameters)+4] |= 2 })},
		{"log to replay", "log to replay", patch(func(b []byte) {
			for _, off := range []int{vhdxHeader1, vhdxHeader2} {
				h := b[off : off+vhdxHeaderSize]
				h[48] = 1
				vhdxFix(h)
			}
		})},
		{"no valid header", "no valid header", patch(func(b []byte) { b[vhdxHeader1+100]++; b[vhdxHeader2+100]++ })},
		{"no valid region table", "region table", patch(func(b []byte) { b[vhdxRegion1+100]++; b[vhdxRegion2+100]++ })},
		{"payload block outside the file", "outside the file", patch(func(b []byte) {
			binary.LittleEndian.PutUint64(b[bat[0]:], 0xFFFFF<<20|vhdxStateFull)
		})},
		{"partially present block", ErrNeedsParent.Error(), patch(func(b []byte) {
			binary.LittleEndian.PutUint64(b[bat[0]:], vhdxStatePartial)
		})},
		{"huge disk", "BAT region smaller", patch(func(b []byte) {
			binary.LittleEndian.PutUint64(b[metaItem(b, guidVirtualSize):], 64<<40)
		})},
		{"odd block size", "block size", patch(func(b []byte) {
			binary.LittleEndian.PutUint32(b[metaItem(b, guidFileParameters):], 3<<20)
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := inspectOK(t, inspect.FamilyVHDX, c.b)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err %v, want %q", err, c.wantErr)
			}
		})
	}
	t.Run("second region table", func(t *testing.T) {
		// A damaged first table: the second one is read.
		b := patch(func(b []byte) { b[vhdxRegion1+100]++ })
		res, err := inspectOK(t, inspect.FamilyVHDX, b)
		if err != nil || len(res.names) != 2 {
			t.Fatalf("err %v children %q", err, res.names)
		}
	})
}

// TestParentSentinel: callers can tell a differencing disk.
func TestParentSentinel(t *testing.T) {
	dyn := fixture(t, "dynamic.vhd")
	for _, off := range []int{0, len(dyn) - 512} {
		binary.BigEndian.PutUint32(dyn[off+60:], vhdTypeDiff)
		vhdFix(dyn[off:])
	}
	p := inspect.Part{R: bytes.NewReader(dyn), Size: int64(len(dyn)), Limits: inspect.DefaultLimits}
	if err := New(inspect.FamilyVHD).Inspect(context.Background(), p, &inspecttest.Recorder{}); !errors.Is(err, ErrNeedsParent) {
		t.Fatalf("err %v", err)
	}
}

// TestStepBudget: once the chain steps of a volume are spent (cross-linked
// chains walked again and again), the listing stops with a finding.
func TestStepBudget(t *testing.T) {
	b := fixture(t, "fat12.img")
	v := fatOf(t, b)
	v.steps = 5 // the .doc alone needs 9
	rec := &inspecttest.Recorder{}
	w := &walker{ctx: context.Background(), s: rec, limits: inspect.DefaultLimits, backing: int64(len(b))}
	if err := w.fat(v, ""); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.Short(), "\n"); !strings.Contains(got, "cross-linked cluster chains: listing stopped") {
		t.Fatalf("findings %q", got)
	}
}

// TestVHDTwoFooters: a file whose end footer says fixed while the copy at
// the start says dynamic is read both ways (Hyper-V trusts the end, qemu
// the start) and reported ambiguous.
func TestVHDTwoFooters(t *testing.T) {
	b := fixture(t, "dynamic.vhd")
	end := b[len(b)-512:]
	binary.BigEndian.PutUint32(end[60:], vhdTypeFixed)
	binary.BigEndian.PutUint64(end[16:], ^uint64(0))
	binary.BigEndian.PutUint64(end[48:], uint64(len(b)-512))
	vhdFix(end)
	if f := inspect.Sniff(bytes.NewReader(b), int64(len(b)), "x.vhd"); f != inspect.FamilyVHD {
		t.Fatalf("sniffed %q", f)
	}
	res, err := inspectOK(t, inspect.FamilyVHD, b)
	if err != nil {
		t.Fatal(err)
	}
	want := "ambiguous|VHD footer and its copy at the start disagree: both readings inspected|\n" +
		"unscannable|unknown file system: files not listed|"
	if res.short != want {
		t.Errorf("findings %q, want %q", res.short, want)
	}
	if names := strings.Join(res.names, "|"); names != "footer-copy/DIR/setup.exe|footer-copy/Long Folder Name/Letter to the customer.doc" {
		t.Errorf("children %q", names)
	}
}
