package ole

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/richardlehane/mscfb"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// walkStreams lists every stream of f as path → content.
func walkStreams(t testing.TB, f *cfbFile) map[string][]byte {
	out := map[string][]byte{}
	var walk func(n *node, prefix string)
	walk = func(n *node, prefix string) {
		for _, k := range n.kids {
			p := strings.TrimPrefix(prefix+"/"+k.name, "/")
			if k.isStorage() {
				out[p+"/"] = nil
				walk(k, p)
				continue
			}
			sr, err := f.open(k, p)
			if err != nil {
				t.Fatalf("open %s: %v", p, err)
			}
			b, err := io.ReadAll(sr)
			if err != nil {
				t.Fatalf("read %s: %v", p, err)
			}
			out[p] = b
		}
	}
	walk(f.root, "")
	return out
}

func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func TestCFBRoundTrip(t *testing.T) {
	tree := storage("",
		stream("small", fill(100, 1)),
		stream("exactly4095", fill(4095, 2)),
		stream("big4096", fill(4096, 3)),
		stream("bigger", fill(70000, 4)),
		stream("empty", nil),
		storage("Sub",
			stream("\x01CompObj", fill(76, 5)),
			storage("Deeper", stream("x", fill(9000, 6))),
		),
	)
	for _, shift := range []uint{9, 12} {
		b, _ := buildCFB(tree, shift)
		f, err := openCFB(context.Background(), bytes.NewReader(b), int64(len(b)), 0)
		if err != nil {
			t.Fatalf("shift %d: %v", shift, err)
		}
		got := walkStreams(t, f)
		want := map[string][]byte{
			"small": fill(100, 1), "exactly4095": fill(4095, 2), "big4096": fill(4096, 3),
			"bigger": fill(70000, 4), "empty": {}, "Sub/": nil, "Sub/\x01CompObj": fill(76, 5),
			"Sub/Deeper/": nil, "Sub/Deeper/x": fill(9000, 6),
		}
		if len(got) != len(want) {
			t.Errorf("shift %d: %d entries, want %d: %v", shift, len(got), len(want), keys(got))
		}
		for k, v := range want {
			g, ok := got[k]
			if !ok {
				t.Errorf("shift %d: %q missing", shift, k)
				continue
			}
			if !bytes.Equal(g, v) {
				t.Errorf("shift %d: %q differs (%d bytes, want %d)", shift, k, len(g), len(v))
			}
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestCFBDIFAT reads files whose FAT sectors are listed in DIFAT sectors:
// a small one with a single header slot and an 8 MB one past the 109
// header slots.
func TestCFBDIFAT(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		slots int
	}{{"one header slot", 300 << 10, 1}, {"beyond 109 FAT sectors", 8 << 20, 109}} {
		t.Run(tc.name, func(t *testing.T) {
			data := fill(tc.size, 7)
			b, l := buildCFBSlots(storage("", stream("big", data), stream("small", fill(10, 1))), 9, tc.slots)
			if len(l.FATSectors) <= tc.slots {
				t.Fatalf("fixture has %d FAT sectors, no DIFAT needed", len(l.FATSectors))
			}
			f, err := openCFB(context.Background(), bytes.NewReader(b), int64(len(b)), 0)
			if err != nil {
				t.Fatal(err)
			}
			got := walkStreams(t, f)
			if !bytes.Equal(got["big"], data) || !bytes.Equal(got["small"], fill(10, 1)) {
				t.Error("stream content differs")
			}
		})
	}
}

// TestCFBRandomAccess reads a multi-sector stream at odd offsets.
func TestCFBRandomAccess(t *testing.T) {
	data := fill(20000, 9)
	b, _ := buildCFB(storage("", stream("s", data)), 9)
	f, err := openCFB(context.Background(), bytes.NewReader(b), int64(len(b)), 0)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := f.open(f.root.stream("s"), "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ off, n int }{{0, 1}, {511, 2}, {512, 512}, {1000, 5000}, {19990, 10}, {19999, 1}} {
		p := make([]byte, c.n)
		if _, err := sr.ReadAt(p, int64(c.off)); err != nil {
			t.Fatalf("ReadAt(%d,%d): %v", c.off, c.n, err)
		}
		if !bytes.Equal(p, data[c.off:c.off+c.n]) {
			t.Errorf("ReadAt(%d,%d) wrong bytes", c.off, c.n)
		}
	}
	p := make([]byte, 20)
	if n, err := sr.ReadAt(p, 19990); n != 10 || err != io.EOF {
		t.Errorf("read past end: n=%d err=%v", n, err)
	}
}

// TestCFBHostile checks that corrupt files fail fast with a useful error.
func TestCFBHostile(t *testing.T) {
	base := storage("",
		stream("big", fill(5000, 1)),
		stream("small", fill(300, 2)),
		storage("S", stream("x", fill(10, 3))),
	)
	type mut func(b []byte, l *cfbLayout) []byte
	le := binary.LittleEndian
	tests := []struct {
		name    string
		mutate  mut
		limit   int
		wantErr string // substring; "" = opens and reads fine
		stream  string // stream to open after a successful openCFB
	}{
		{name: "intact", mutate: func(b []byte, l *cfbLayout) []byte { return b }, stream: "big"},
		{name: "truncated header", mutate: func(b []byte, l *cfbLayout) []byte { return b[:300] }, wantErr: "truncated header"},
		{name: "bad signature", mutate: func(b []byte, l *cfbLayout) []byte { b[0] = 0; return b }, wantErr: "bad signature"},
		{name: "bad sector shift", mutate: func(b []byte, l *cfbLayout) []byte { le.PutUint16(b[30:], 20); return b }, wantErr: "sector shift"},
		{name: "huge FAT count", mutate: func(b []byte, l *cfbLayout) []byte { le.PutUint32(b[44:], 0xFFFFFFF0); return b }, wantErr: "FAT sectors"},
		{name: "huge DIFAT count", mutate: func(b []byte, l *cfbLayout) []byte { le.PutUint32(b[72:], 0x7FFFFFFF); return b }, wantErr: "DIFAT sectors"},
		{name: "DIFAT loop", mutate: func(b []byte, l *cfbLayout) []byte {
			// Claim more FAT sectors than the header holds so the DIFAT
			// chain is followed; make its sector point at itself.
			le.PutUint32(b[44:], 12)
			le.PutUint32(b[68:], 1)
			le.PutUint32(b[72:], 3)
			s := b[l.SectorSize+1*l.SectorSize : l.SectorSize+2*l.SectorSize]
			for i := 0; i < int(l.SectorSize/4); i++ {
				le.PutUint32(s[4*i:], freeSect)
			}
			le.PutUint32(s[l.SectorSize-4:], 1)
			return b
		}, wantErr: "DIFAT chain loops"},
		{name: "directory chain loop", mutate: func(b []byte, l *cfbLayout) []byte {
			l.SetFAT(b, l.DirStart, l.DirStart)
			return b
		}, wantErr: "directory: sector chain loops"},
		{name: "directory start outside", mutate: func(b []byte, l *cfbLayout) []byte { le.PutUint32(b[48:], 99999); return b }, wantErr: "outside the file"},
		{name: "directory tree loop", mutate: func(b []byte, l *cfbLayout) []byte {
			// The storage S points back at the root's first child.
			e := l.DirEntry(b, l.Entries["S"])
			first := le.Uint32(l.DirEntry(b, 0)[76:])
			le.PutUint32(e[76:], first)
			return b
		}, wantErr: "directory tree loops"},
		{name: "sibling points to itself", mutate: func(b []byte, l *cfbLayout) []byte {
			id := l.Entries["small"]
			le.PutUint32(l.DirEntry(b, id)[68:], id)
			return b
		}, wantErr: "directory tree loops"},
		{name: "child out of range", mutate: func(b []byte, l *cfbLayout) []byte {
			le.PutUint32(l.DirEntry(b, l.Entries["S"])[76:], 5000)
			return b
		}, wantErr: "refers to entry"},
		{name: "root not first", mutate: func(b []byte, l *cfbLayout) []byte { l.DirEntry(b, 0)[66] = objStorage; return b }, wantErr: "not the root"},
		{name: "stream chain loop", mutate: func(b []byte, l *cfbLayout) []byte {
			s := l.Starts["big"]
			l.SetFAT(b, s+1, s)
			return b
		}, stream: "big", wantErr: "sector chain loops"},
		{name: "stream chain too short", mutate: func(b []byte, l *cfbLayout) []byte {
			l.SetFAT(b, l.Starts["big"], endOfChain)
			return b
		}, stream: "big", wantErr: "chain ends after 1 of 10"},
		{name: "stream size huge", mutate: func(b []byte, l *cfbLayout) []byte {
			le.PutUint32(l.DirEntry(b, l.Entries["big"])[120:], 0xFFFFFFF0)
			return b
		}, stream: "big", wantErr: "exceeds the file"},
		{name: "mini chain loop", mutate: func(b []byte, l *cfbLayout) []byte {
			// small starts at mini sector 0 (first mini stream entry);
			// make its second mini sector point back to the first.
			le.PutUint32(b[l.SectorSize+int64(le.Uint32(b[60:]))*l.SectorSize+4*int64(l.Starts["small"]+1):], l.Starts["small"])
			return b
		}, stream: "small", wantErr: "mini sector chain loops"},
		{name: "sector budget", mutate: func(b []byte, l *cfbLayout) []byte { return b }, limit: 5, stream: "big", wantErr: "limit ole-sectors=5"},
		{name: "short last sector", mutate: func(b []byte, l *cfbLayout) []byte { return b[:len(b)-100] }, stream: "small"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, l := buildCFB(base, 9)
			b = tc.mutate(b, l)
			f, err := openCFB(context.Background(), bytes.NewReader(b), int64(len(b)), tc.limit)
			if err == nil && tc.stream != "" {
				n := f.root.stream(tc.stream)
				if n == nil {
					t.Fatalf("stream %q not found", tc.stream)
				}
				var sr *io.SectionReader
				if sr, err = f.open(n, tc.stream); err == nil {
					_, err = io.ReadAll(sr)
				}
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tc.wantErr)
			}
			var le *inspect.LimitError
			if !errors.Is(err, errCFB) && !errors.As(err, &le) {
				t.Errorf("error %v is neither malformed nor a limit", err)
			}
		})
	}
}

// TestCFBContext: a cancelled context stops a long walk.
func TestCFBContext(t *testing.T) {
	b, _ := buildCFB(storage("", stream("big", fill(3<<20, 1))), 9)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, err := openCFB(ctx, bytes.NewReader(b), int64(len(b)), 0)
	if err == nil {
		_, err = f.open(f.root.stream("big"), "big")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestCFBMatchesMscfb cross-checks the reader against
// github.com/richardlehane/mscfb on the real files of the shared corpus.
func TestCFBMatchesMscfb(t *testing.T) {
	files := corpusOLEFiles(t)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := inspecttest.ReadFile(t, path)
			f, err := openCFB(context.Background(), bytes.NewReader(data), int64(len(data)), 0)
			if err != nil {
				t.Fatal(err)
			}
			mine := walkStreams(t, f)
			doc, err := mscfb.New(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for e, err := doc.Next(); err == nil; e, err = doc.Next() {
				name := e.Name
				if e.Initial != 0 && name != "" && rune(e.Initial) != []rune(name)[0] {
					name = string(rune(e.Initial)) + name
				}
				p := strings.Join(append(append([]string{}, e.Path...), name), "/")
				if e.FileInfo().IsDir() {
					continue
				}
				n++
				want := make([]byte, e.Size)
				if e.Size > 0 {
					if _, err := io.ReadFull(e, want); err != nil {
						t.Fatalf("mscfb read %s: %v", p, err)
					}
				}
				got, ok := mine[p]
				if !ok {
					// mscfb drops the leading control character of
					// storage names in paths ("\x06DataSpaces").
					for k, v := range mine {
						if stripControl(k) == stripControl(p) {
							got, ok = v, true
						}
					}
				}
				if !ok {
					t.Errorf("stream %q (mscfb) not found", p)
					continue
				}
				if !bytes.Equal(got, want) {
					t.Errorf("stream %q differs", p)
				}
			}
			if n == 0 {
				t.Error("mscfb listed no streams")
			}
		})
	}
}

// corpusOLEFiles returns the compound files of the shared corpus (read in
// place, never copied), or skips when it is absent.
func corpusOLEFiles(t testing.TB) []string {
	dir := inspecttest.CorpusPath(t)
	var out []string
	for _, g := range []string{"office-legacy/*", "ooxml/*"} {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		for _, p := range m {
			b := make([]byte, 8)
			fh, err := os.Open(p)
			if err != nil {
				continue
			}
			_, err = io.ReadFull(fh, b)
			fh.Close()
			if err == nil && bytes.Equal(b, cfbSignature) {
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("shared corpus missing under CI")
		}
		t.Skip("shared corpus not available")
	}
	return out
}

func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 {
			return -1
		}
		return r
	}, s)
}
