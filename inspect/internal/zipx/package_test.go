package zipx

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/internal/zipx/zipxtest"
)

// writeZip writes members (name → content) with archive/zip: deflated
// ones with a data descriptor (what zip.Writer.Create writes), stored
// ones (names ending in ".stored") too.
func writeZip(t testing.TB, names []string, body func(string) string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		m := zip.Deflate
		if strings.HasSuffix(n, ".stored") {
			m = zip.Store
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: n, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, body(n))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bodyOf(n string) string { return strings.Repeat(n+" ", 40) }

func openBytes(t testing.TB, b []byte) (*Package, error) {
	t.Helper()
	p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b)}
	return OpenPackage(context.Background(), p, inspect.Limits{}.WithDefaults())
}

func readAll(t testing.TB, f *zip.File) string {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return string(b)
}

func TestOpenPackage(t *testing.T) {
	names := []string{"[Content_Types].xml", "a.stored", "word/document.xml", "word/media/x.exe", "z.stored"}
	b := writeZip(t, names, bodyOf)

	t.Run("consistent", func(t *testing.T) {
		zp, err := openBytes(t, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(zp.Ambiguities) != 0 || len(zp.Local) != 0 || len(zp.Reader.File) != len(names) {
			t.Errorf("ambiguities %v, local %d, central %d", zp.Ambiguities, len(zp.Local), len(zp.Reader.File))
		}
	})
	t.Run("hidden in the local headers", func(t *testing.T) {
		zp, err := openBytes(t, zipxtest.DropCentral(t, b, "word/media/x.exe", "z.stored"))
		if err != nil {
			t.Fatal(err)
		}
		if len(zp.Reader.File) != 3 || len(zp.Local) != 2 {
			t.Fatalf("central %d, local %d", len(zp.Reader.File), len(zp.Local))
		}
		for _, f := range zp.Local {
			if got := readAll(t, f); got != bodyOf(f.Name) {
				t.Errorf("%s: read %q", f.Name, got)
			}
		}
		if len(zp.Ambiguities) != 2 || zp.Ambiguities[0].Where != "word/media/x.exe" || zp.Ambiguities[1].Where != "z.stored" {
			t.Errorf("ambiguities %v", zp.Ambiguities)
		}
		f := zp.Ambiguities[0].Finding()
		if f.Kind != inspect.KindAmbiguous || f.Where != "word/media/x.exe" || !strings.Contains(f.Detail, "only in the local headers") {
			t.Errorf("finding %+v", f)
		}
	})
	t.Run("renamed in the local header", func(t *testing.T) {
		zp, err := openBytes(t, zipxtest.RenameLocal(t, b, "word/media/x.exe", "word/media/y.exe"))
		if err != nil {
			t.Fatal(err)
		}
		if len(zp.Local) != 1 || zp.Local[0].Name != "word/media/y.exe" {
			t.Fatalf("local %v", zp.Local)
		}
		if got := readAll(t, zp.Local[0]); got != bodyOf("word/media/x.exe") {
			t.Errorf("read %q", got)
		}
		if len(zp.Ambiguities) != 1 || zp.Ambiguities[0].Where != "word/media/x.exe" {
			t.Errorf("ambiguities %v", zp.Ambiguities)
		}
	})
	t.Run("encrypted in the local header only", func(t *testing.T) {
		// APPNOTE 4.4.4 bit 0 in the local header: a streaming reader
		// sees an encrypted member.
		c := append([]byte{}, b...)
		c[zipxtest.Find(t, c).Locals["a.stored"]+6] |= 1
		zp, err := openBytes(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(zp.Local) != 1 || zp.Local[0].Name != "a.stored" || zp.Local[0].Flags&1 == 0 {
			t.Fatalf("local %v", zp.Local)
		}
		if len(zp.Ambiguities) != 1 || !strings.Contains(zp.Ambiguities[0].Detail, "encryption flag differs") {
			t.Errorf("ambiguities %v", zp.Ambiguities)
		}
	})
	t.Run("too many members", func(t *testing.T) {
		p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b)}
		_, err := OpenPackage(context.Background(), p, inspect.Limits{MaxParts: 2}.WithDefaults())
		if _, ok := err.(*inspect.LimitError); !ok {
			t.Errorf("error %v, want a limit", err)
		}
	})
}

// FuzzOpenPackage checks that reading both views and opening every member
// of the local view never panics or hangs, and that a member reads no more
// than it declares.
func FuzzOpenPackage(f *testing.F) {
	names := []string{"[Content_Types].xml", "a.stored", "word/document.xml", "x.exe"}
	b := writeZip(f, names, bodyOf)
	f.Add(b)
	f.Add(zipxtest.DropCentral(f, b, "x.exe", "a.stored"))
	f.Add(zipxtest.RenameLocal(f, b, "x.exe", "y.exe"))
	lim := inspect.Limits{MaxPartSize: 1 << 20, MaxParts: 200, MaxTime: 5 * time.Second}.WithDefaults()
	f.Fuzz(func(t *testing.T, b []byte) {
		inspecttest.NoHang(t, 10*time.Second, func() { readPackage(t, b, lim) })
	})
}

// readPackage opens b as a package and reads every member.
func readPackage(t *testing.T, b []byte, lim inspect.Limits) {
	p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b)}
	zp, err := OpenPackage(context.Background(), p, lim)
	if err != nil {
		return
	}
	for _, m := range zp.Local {
		rc, err := m.Open()
		if err != nil {
			continue
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(rc, 1<<21))
		rc.Close()
		if uint64(n) > m.UncompressedSize64 {
			t.Errorf("%s: read %d bytes, declares %d", m.Name, n, m.UncompressedSize64)
		}
	}
}
