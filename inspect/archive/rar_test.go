package archive

import (
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func TestRAR(t *testing.T) {
	cases := []struct {
		name     string
		b        []byte
		children []string
		content  map[string]string
		findings []inspect.Finding
		wantErr  string
	}{
		{name: "stored", b: makeRAR(false, rarMember{name: "docs/a.txt", data: []byte("alpha")}, rarMember{name: "b.exe", data: []byte("MZ beta")}),
			children: []string{"docs/a.txt", "b.exe"}, content: map[string]string{"docs/a.txt": "alpha", "b.exe": "MZ beta"}},
		{name: "encrypted entry", b: makeRAR(false, rarMember{name: "secret.doc", data: make([]byte, 32), encrypted: true}, rarMember{name: "plain.txt", data: []byte("p")}),
			children: []string{"plain.txt"}, findings: []inspect.Finding{{Kind: inspect.KindEncrypted, Where: "secret.doc", Detail: "rar encrypted entry"}}},
		{name: "encrypted headers", b: makeRAR(true),
			findings: []inspect.Finding{{Kind: inspect.KindEncrypted, Detail: "rar encrypted headers"}}},
		// rardecode shrinks the window of a non-solid member to its size; a solid
		// member keeps the 4 GiB it claims.
		{name: "4 GiB dictionary", b: makeRAR(false, rarMember{name: "a.bin", data: make([]byte, 16), dictBits: 15, solid: true}), wantErr: "dictionary over 64 MiB"},
		{name: "declared 10 GiB", b: makeRAR(false, rarMember{name: "big.bin", data: make([]byte, 16), unpacked: 10 << 30}, rarMember{name: "next.txt", data: []byte("n")}),
			children: []string{"next.txt"}, findings: []inspect.Finding{{Kind: inspect.KindUnscannable, Where: "big.bin", Detail: "limit part-size=268435456"}}},
		{name: "solid with a skipped member", b: makeRAR(false, rarMember{name: "big.bin", data: make([]byte, 16), unpacked: 10 << 30, solid: true}),
			findings: []inspect.Finding{{Kind: inspect.KindUnscannable, Where: "big.bin", Detail: "limit part-size=268435456"}}, wantErr: "solid rar"},
		{name: "bad header crc", b: append([]byte("Rar!\x1a\x07\x01\x00"), 0, 0, 0, 0, 3, 1, 0, 0), wantErr: "rar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := run(t, inspect.FamilyRAR, "x.rar", c.b)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
			} else if err != nil {
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
