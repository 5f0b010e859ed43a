package archive

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func read(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func Test7z(t *testing.T) {
	names := []string{"docs/a.txt", "b.exe"}
	data := [][]byte{[]byte("alpha"), []byte("MZ beta")}
	cases := []struct {
		name     string
		b        []byte
		children []string
		content  map[string]string
		findings []inspect.Finding
		wantErr  string
	}{
		{name: "copy, generated", b: make7z(names, data, szOpts{}), children: names,
			content: map[string]string{"docs/a.txt": "alpha", "b.exe": "MZ beta"}},
		{name: "lzma2 with compressed header", b: read(t, "plain-lzma2.7z"), children: []string{"a.txt", "b.exe"},
			content: map[string]string{"a.txt": "hello 7z\n", "b.exe": "MZ fake\n"}},
		{name: "encrypted entries", b: read(t, "encrypted-entries.7z"), findings: []inspect.Finding{
			{Kind: inspect.KindEncrypted, Where: "a.txt", Detail: "7z encrypted entry"},
			{Kind: inspect.KindEncrypted, Where: "b.exe", Detail: "7z encrypted entry"}}},
		{name: "encrypted headers", b: read(t, "encrypted-headers.7z"), findings: []inspect.Finding{
			{Kind: inspect.KindEncrypted, Detail: "7z encrypted headers"}}},
		{name: "AES coder, generated", b: make7z(names, data, szOpts{coderID: []byte{0x06, 0xF1, 0x07, 0x01}, coderProps: []byte{0x13, 0}}),
			findings: []inspect.Finding{
				{Kind: inspect.KindEncrypted, Where: "docs/a.txt", Detail: "7z encrypted entry"},
				{Kind: inspect.KindEncrypted, Where: "b.exe", Detail: "7z encrypted entry"}}},
		// Hostile headers: the library would allocate from these counts.
		{name: "4 billion files", b: make7z(names, data, szOpts{numFiles: 0xFFFFFFFF}), wantErr: "4294967295 files"},
		{name: "4 billion pack streams", b: make7z(names, data, szOpts{packCount: 0xFFFFFFFF}), wantErr: "pack streams"},
		{name: "4 billion substreams", b: make7z(names, data, szOpts{subStreams: 0xFFFFFFFF}), wantErr: "streams in a folder"},
		{name: "4 GiB LZMA dictionary", b: make7z(names, data, szOpts{coderID: []byte{3, 1, 1}, coderProps: []byte{0x5D, 0xFF, 0xFF, 0xFF, 0xFF}}),
			wantErr: "MiB of memory"},
		{name: "4 GiB LZMA2 dictionary", b: make7z(names, data, szOpts{coderID: []byte{0x21}, coderProps: []byte{40}}),
			wantErr: "MiB of memory"},
		{name: "truncated", b: read(t, "plain-lzma2.7z")[:100], wantErr: "header outside the file"},
		{name: "bad start crc", b: append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), make([]byte, 40)...), wantErr: "checksum"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rec *inspecttest.Recorder
			var err error
			inspecttest.NoHang(t, time.Second, func() { rec, err = run(t, inspect.Family7z, "x.7z", c.b) })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(rec.Names(), c.children) {
				t.Errorf("children %q, want %q", rec.Names(), c.children)
			}
			for n, want := range c.content {
				if string(rec.Data(n)) != want {
					t.Errorf("%s = %q, want %q", n, rec.Data(n), want)
				}
			}
			if len(rec.Findings) != len(c.findings) {
				t.Errorf("findings %+v, want %+v", rec.Findings, c.findings)
			}
			for _, f := range c.findings {
				if !has(rec, f.Kind, f.Where, f.Detail) {
					t.Errorf("missing %+v in %+v", f, rec.Findings)
				}
			}
		})
	}
}
