package archive

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func TestCAB(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 5000) // 80 KB: three data blocks
	entries := []cabEntry{{"setup.inf", []byte("[Version]\r\n")}, {"bin\\payload.dll", big}, {"readme.txt", []byte("read me")}}
	absurd := makeCAB(cabCompressNone, entries...)
	binary.LittleEndian.PutUint16(absurd[26:], 60000) // folder count
	cases := []struct {
		name     string
		b        []byte
		children []string
		findings []inspect.Finding
		wantErr  string
	}{
		{name: "uncompressed", b: makeCAB(cabCompressNone, entries...), children: []string{"setup.inf", "bin/payload.dll", "readme.txt"}},
		{name: "mszip", b: makeCAB(cabCompressZip, entries...), children: []string{"setup.inf", "bin/payload.dll", "readme.txt"}},
		{name: "lzx", b: makeCAB(3, entries[:1]...), findings: []inspect.Finding{{Kind: inspect.KindUnscannable, Where: "setup.inf", Detail: "unsupported cab compression LZX"}}},
		{name: "absurd file count", b: absurd, wantErr: "more folders and files"},
		{name: "truncated", b: makeCAB(cabCompressNone, entries...)[:30], wantErr: "truncated header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := run(t, inspect.FamilyCAB, "x.cab", c.b)
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
			for _, e := range entries {
				if d := rec.Data(cleanName(e.name)); rec.Has(cleanName(e.name)) && !bytes.Equal(d, e.data) {
					t.Errorf("%s: %d bytes differ", e.name, len(d))
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

func TestCABSniffed(t *testing.T) {
	b := makeCAB(cabCompressZip, cabEntry{"a.txt", []byte("a")})
	if f := inspect.Sniff(bytes.NewReader(b), int64(len(b)), "x.cab"); f != inspect.FamilyCAB {
		t.Fatalf("sniffed %s", f)
	}
}
