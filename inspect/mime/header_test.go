package mime

import (
	"reflect"
	"testing"
)

func TestParseMediaType(t *testing.T) {
	tests := []struct {
		in     string
		typ    string
		params map[string]string
	}{
		{"text/plain", "text/plain", map[string]string{}},
		{"Text/Plain; CHARSET=us-ascii", "text/plain", map[string]string{"charset": "us-ascii"}},
		{`multipart/mixed; boundary="a;b=c"; x=y`, "multipart/mixed", map[string]string{"boundary": "a;b=c", "x": "y"}},
		{`multipart/mixed;boundary=----=_Part_1`, "multipart/mixed", map[string]string{"boundary": "----=_Part_1"}},
		{`a/b; q="esc\"aped\\"`, "a/b", map[string]string{"q": `esc"aped\`}},
		{`a/b; path="C:\TEMP\x"`, "a/b", map[string]string{"path": `C:\TEMP\x`}},
		{`a/b; unterminated="abc`, "a/b", map[string]string{"unterminated": "abc"}},
		{`a/b; novalue; k=v`, "a/b", map[string]string{"k": "v"}},
		{`a/b; k="v" junk; l=w`, "a/b", map[string]string{"k": "v", "l": "w"}},
		{`a/b; k=first; k=second`, "a/b", map[string]string{"k": "first"}},
		{`a/b; k = spaced `, "a/b", map[string]string{"k": "spaced"}},
		// RFC 2231 3: continuations, out of order, with a gap.
		{`a/b; n*1=B; n*0=A; n*3=D`, "a/b", map[string]string{"n": "AB"}},
		// RFC 2231 4: charsets and languages.
		{`a/b; n*=iso-8859-1'de'%FCber.txt`, "a/b", map[string]string{"n": "über.txt"}},
		{`a/b; n*=UTF-8''%e2%82%ac`, "a/b", map[string]string{"n": "€"}},
		{`a/b; n*0*=utf-8''%C3; n*1*=%BC; n*2=x`, "a/b", map[string]string{"n": "üx"}},
		{`a/b; n*=''plain`, "a/b", map[string]string{"n": "plain"}},
		{`a/b; n*=no-quotes`, "a/b", map[string]string{"n": "no-quotes"}},
		{`a/b; n*=bogus-charset''%41`, "a/b", map[string]string{"n": "A"}},
		{`a/b; n="plain"; n*=utf-8''pr%C3%A4zise`, "a/b", map[string]string{"n": "präzise"}},
		{`a/b; n*99999999=x`, "a/b", map[string]string{"n*99999999": "x"}},
	}
	for _, tt := range tests {
		typ, params, _ := parseMediaType(tt.in)
		if typ != tt.typ || !reflect.DeepEqual(params, tt.params) {
			t.Errorf("%q: %q %q, want %q %q", tt.in, typ, params, tt.typ, tt.params)
		}
	}
}

func TestDecodeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain.pdf", "plain.pdf"},
		{"=?utf-8?B?w4RyZ2VyLmRvYw==?=", "Ärger.doc"},
		{"=?utf-8?q?a_b.doc?=", "a b.doc"},
		// Words split across a folded continuation, a UTF-8 sequence split
		// between two words.
		{"=?UTF-8?B?w4Ry?= =?UTF-8?B?Z2Vy?=", "Ärger"},
		{"=?utf-8?q?=C3?= =?utf-8?q?=84.doc?=", "Ä.doc"},
		{"=?iso-8859-1?q?R=E9sum=E9.pdf?=", "Résumé.pdf"},
		{"=?windows-1252?q?=80.txt?=", "€.txt"},
		{"=?koi8-r?b?8NLJ18XU?=", "Привет"},
		{"=?x-unknown?q?abc?=", "abc"},
		{"Fr\xf6sche.txt", "Frösche.txt"},
		{"\xe6\x97\xa5\xe6\x9c\xac.txt", "日本.txt"},
		{"evil\r\n.exe\x00", "evil.exe"},
		{"  spaced.doc  ", "spaced.doc"},
	}
	for _, tt := range tests {
		if got := decodeName(tt.in); got != tt.want {
			t.Errorf("decodeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFieldName(t *testing.T) {
	tests := []struct {
		line string
		name string
		ok   bool
	}{
		{"Subject: x", "Subject", true},
		{"Subject : x", "Subject", true},
		{"X-\xfc: x", "X-\xfc", true},
		{": x", "", false},
		{"no colon", "", false},
		{"two words: x", "", false},
		{"--boundary", "", false},
	}
	for _, tt := range tests {
		name, _, ok := fieldName([]byte(tt.line))
		if ok != tt.ok || string(name) != tt.name {
			t.Errorf("fieldName(%q) = %q %v", tt.line, name, ok)
		}
	}
}
