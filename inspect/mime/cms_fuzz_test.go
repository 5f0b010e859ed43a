package mime

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// FuzzCMSInspector reads any bytes as a .p7m: it never panics or hangs,
// reports a CMS type, and hands on no more than the input holds.
func FuzzCMSInspector(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "cms", "*"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(cmsSignedDER([]byte(innerSigned())))
	f.Add(cmsSignedBER([]byte("Content-Type: text/plain\r\n\r\n%PDF-1.4"), 3))
	f.Add(cmsSignedDER(cmsSignedBER([]byte("MZ"), 1)))
	f.Add(cmsEnvelopedDER(oidAuthEnvelopedData))
	f.Add(cmsSignedDER(nil))
	f.Add(pemArmor("PKCS7", cmsSignedDER([]byte("MZ")), "\r\n"))
	f.Add([]byte(b64(cmsSignedDER([]byte("MZ")))))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &inspecttest.Recorder{ReadCap: 4 << 20}
		p := inspect.Part{Name: "f.p7m", Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyCMS, Limits: inspecttest.FuzzLimits.WithDefaults()}
		var err error
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { err = NewCMS(Limits{MaxParts: 100, MaxDepth: 10}).Inspect(context.Background(), p, rec) })
		rec.CheckInvariants(t)
		if rec.Type != inspect.TypeP7M && rec.Type != inspect.TypeP7S {
			t.Fatalf("type %q", rec.Type)
		}
		var n int
		for _, c := range rec.Children {
			n += len(c.Data)
		}
		if n > 2*len(data)+uuSlack {
			t.Fatalf("%d bytes of children from %d (err %v)", n, len(data), err)
		}
		if err == nil && rec.Type == inspect.TypeP7M && len(rec.Children) == 0 && len(rec.Findings) == 0 && !bytes.Contains(data, []byte{0x30}) {
			t.Fatalf("clean p7m without content from %q", data)
		}
	})
}
