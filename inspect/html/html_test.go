package html_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html"
	"github.com/officemilter/officemilter/inspect/html/htmltest"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// run inspects b twice: through a reader (as from a spool file) and held
// in memory (fed in place); both must see the same.
func run(t testing.TB, fam inspect.Family, name string, b []byte) *inspecttest.Recorder {
	t.Helper()
	var out *inspecttest.Recorder
	for _, ra := range []io.ReaderAt{bytes.NewReader(b), inspect.BytesReaderAt(b)} {
		r := &inspecttest.Recorder{}
		p := inspect.Part{Name: name, Size: int64(len(b)), R: ra, Family: fam, Limits: inspect.DefaultLimits}
		if err := html.New().Inspect(context.Background(), p, r); err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		r.CheckInvariants(t)
		if out == nil {
			out = r
			continue
		}
		if !reflect.DeepEqual(out.Findings, r.Findings) || out.Type != r.Type || len(out.Children) != len(r.Children) {
			t.Fatalf("in memory: %s %v, %d children; through a reader: %s %v, %d children", r.Type, r.Findings, len(r.Children), out.Type, out.Findings, len(out.Children))
		}
	}
	return out
}

func letterDoc(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "files", "letter.doc"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func details(r *inspecttest.Recorder) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, string(f.Kind)+"|"+f.Detail)
	}
	return out
}

func TestInspect(t *testing.T) {
	pe := inspecttest.PE()
	doc := letterDoc(t)
	tests := []struct {
		name     string
		data     []byte
		typ      string
		want     []string          // findings "kind|detail", in any order, exactly
		children map[string][]byte // child name → content
	}{
		{"blob.html", htmltest.BlobDownload(pe, "Rechnung.exe"), "html",
			[]string{"active-content|script", "active-content|HTML smuggling: Blob download"},
			map[string][]byte{"Rechnung.exe": pe}},
		{"mssave.htm", htmltest.MsSaveOrOpenBlob(pe, "scan.iso"), "html",
			[]string{"active-content|script", "active-content|HTML smuggling: Blob download", "active-content|HTML smuggling: msSaveOrOpenBlob"},
			map[string][]byte{"scan.iso": pe}},
		{"rechnung.html", htmltest.DataURIDownload(doc, "application/msword", "Rechnung.doc"), "html",
			[]string{"active-content|HTML smuggling: data: URI download"},
			map[string][]byte{"Rechnung.doc": doc}},
		{"bild.svg", htmltest.SVGSmuggling(pe, "Foto.zip"), "svg",
			[]string{"active-content|script", "active-content|HTML smuggling: Blob download"},
			map[string][]byte{"Foto.zip": pe}},
		{"newsletter.html", htmltest.Newsletter(), "html", nil, nil},
		{"logo.html", htmltest.ImageOnly(), "html", nil, map[string][]byte{"payload-1.png": htmltest.PNG}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, inspect.FamilyHTML, tc.name, tc.data)
			if r.Type != tc.typ {
				t.Errorf("type %q, want %q", r.Type, tc.typ)
			}
			got := details(r)
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings %q, want %q", got, want)
			}
			if len(r.Children) != len(tc.children) {
				t.Errorf("children %q, want %d", r.Names(), len(tc.children))
			}
			for n, d := range tc.children {
				if got := r.Data(n); !bytes.Equal(got, d) {
					t.Errorf("child %s: %d bytes, want %d (children %q)", n, len(got), len(d), r.Names())
				}
			}
		})
	}
}

func TestAppInstaller(t *testing.T) {
	r := run(t, inspect.FamilyAppInstaller, "Contoso.appinstaller", htmltest.AppInstaller())
	if r.Type != "appinstaller" || !slices.Equal(details(r), []string{"executable|App Installer file (ms-appinstaller)"}) {
		t.Errorf("type %s findings %q", r.Type, details(r))
	}
}

// TestScriptForms: the ways a script runs and payloads hide, one at a
// time.
func TestScriptForms(t *testing.T) {
	pe := inspecttest.PE()
	b := base64.StdEncoding.EncodeToString(pe)
	half := len(b) / 2
	tests := []struct {
		name, html string
		want       []string // findings
		child      string   // a child with the PE, "" for none
	}{
		{"script only", `<html><script>document.title = "x"</script></html>`, []string{"script"}, ""},
		{"external script", `<html><script src="https://cdn.example.org/app.js"></script></html>`, []string{"script"}, ""},
		{"event handler", `<html><body onload='alert(1)'></body></html>`, []string{"script"}, ""},
		{"javascript url with tab", "<html><a href=\" java\tscript:alert(1)\">x</a></html>", []string{"script"}, ""},
		{"entity-encoded javascript url", `<html><a href="&#106;avascript:alert(1)">x</a></html>`, []string{"script"}, ""},
		{"json-ld data block", `<html><head><script type="application/ld+json">{"@context": "http://schema.org", "@type": "EmailMessage"}</script></head></html>`, nil, ""},
		{"data block payload read by a script", `<html><script type="text/plain" id="p">"` + b + `"</script><script>var b = new Blob([atob(document.getElementById("p").textContent)]);</script></html>`,
			[]string{"script", "HTML smuggling: Blob download"}, "script-payload-1.bin"},
		{"script-free", `<html><body><p>Hallo</p></body></html>`, nil, ""},
		{"atob of concatenation", `<html><script>var x = atob("` + b[:half] + `" + '` + b[half:] + `');</script></html>`, []string{"script"}, "script-payload-1.bin"},
		{"escaped literal", `<html><script>var x = "\x` + strings.Join(hexBytes(b[:300]), `\x`) + b[300:] + `";</script></html>`, []string{"script"}, "script-payload-1.bin"},
		{"location data uri", `<html><script>window.location = 'data:application/octet-stream;base64,` + b + `';</script></html>`,
			[]string{"script", "HTML smuggling: data: URI download from script"}, "script-payload-1.bin"},
		{"download from script with data uri", `<html><script>var a=document.createElement("a");a.href="data:application/x-msdownload;base64,` + b + `";a.download="setup.exe";a.click()</script></html>`,
			[]string{"script", "HTML smuggling: data: URI download from script"}, "setup.exe"},
		{"bracketed atob", `<html><script>var f = window["at" + "ob"], d = f("` + b + `"); var u = URL["createObjectURL"](new window["Blob"]([d]));</script></html>`,
			[]string{"script", "HTML smuggling: Blob download"}, "script-payload-1.bin"},
		{"name in a variable", `<html><script>var fileName = 'Angebot.iso'; var d = atob("` + b + `"); var a = document.createElement('a'); a.href = URL.createObjectURL(new Blob([d])); a.download = fileName;</script></html>`,
			[]string{"script", "HTML smuggling: Blob download"}, "Angebot.iso"},
		{"data uri built from a variable", `<html><script>var p = btoa(x); location.href = "data:application/octet-stream;base64," + p;</script></html>`,
			[]string{"script", "HTML smuggling: data: URI download from script"}, ""},
		{"numeric array", `<html><script>var u = new Uint8Array([` + numbers(pe, false) + `]); var b = new Blob([u]);</script></html>`,
			[]string{"script", "HTML smuggling: Blob download"}, "script-payload-1.bin"},
		{"fromCharCode hex", `<html><script>var s = String.fromCharCode(` + numbers(pe, true) + `); saveAs(new Blob([s]), "x.bin");</script></html>`,
			[]string{"script", "HTML smuggling: Blob download"}, "x.bin"},
		{"short numeric array", `<html><script>var t = [1, 2, 3, 255, 0x10];</script></html>`, []string{"script"}, ""},
		{"iframe data uri", `<html><iframe src="data:application/octet-stream;base64,` + b + `"></iframe></html>`,
			[]string{"HTML smuggling: data: URI download"}, "payload-1.bin"},
		{"embed data uri", `<html><embed type="application/x-msdownload" src="data:application/x-msdownload;base64,` + b + `"></html>`,
			[]string{"HTML smuggling: data: URI download"}, "payload-1.exe"},
		{"object image data", `<html><object data="data:image/png;base64,` + b + `"></object></html>`, nil, "payload-1.png"},
		{"scheme in capitals", `<html><a href="DATA:Application/Zip;BASE64,` + b + `">x</a></html>`,
			[]string{"HTML smuggling: data: URI download"}, "payload-1.zip"},
		{"percent-encoded base64", `<html><a href="data:application/zip;base64,` + strings.NewReplacer("+", "%2B", "/", "%2f", "A", "%41").Replace(b) + `">x</a></html>`,
			[]string{"HTML smuggling: data: URI download"}, "payload-1.zip"},
		{"meta refresh", `<html><head><meta http-equiv="refresh" content="0;url=data:application/zip;base64,` + b + `"></head></html>`,
			[]string{"HTML smuggling: data: URI download"}, "payload-1.zip"},
		{"srcdoc", `<html><iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe></html>`, nil, ""},
		{"comment hides nothing", `<html><!-- <script>atob("x")</script> --><p>x</p></html>`, nil, ""},
		{"comment ends at --!>", `<html><!-- x --!><script>var b = new Blob([atob("` + b + `")]);</script></html>`,
			[]string{"script", "HTML smuggling: Blob download"}, "script-payload-1.bin"},
		{"empty comment", `<html><!--><script>alert(1)</script>--></html>`, []string{"script"}, ""},
		{"title is text", `<html><title><script>alert(1)</script></title></html>`, nil, ""},
		{"string with end tag", `<html><script>var s = "</scr" + "ipt>"; var t = "` + b + `";</script></html>`, []string{"script"}, "script-payload-1.bin"},
		{"regex with quote", `<html><script>var r = /"/g; var t = "` + b + `";</script></html>`, []string{"script"}, "script-payload-1.bin"},
		{"division is not regex", `<html><script>var r = a / 2, q = "/"; var t = "` + b + `";</script></html>`, []string{"script"}, "script-payload-1.bin"},
		{"svg foreignObject", `<svg xmlns="http://www.w3.org/2000/svg"><foreignObject width="10" height="10"><body xmlns="http://www.w3.org/1999/xhtml"><a download="x.exe" href="data:;base64,` + b + `">x</a></body></foreignObject></svg>`,
			[]string{"HTML smuggling: data: URI download"}, "x.exe"},
		{"svg animate javascript", `<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>`, []string{"script"}, ""},
		{"javascript: after controls", "<html><a href=\"\x01\x1f \tjavascript:alert(1)\">x</a></html>", []string{"script"}, ""},
		{"not javascript: after other bytes", "<html><a href=\"\x7fjavascript:alert(1)\">x</a></html>", nil, ""},
		{"utf-16", string(utf16le(`<html><script>var b = new Blob([atob("` + b + `")]);</script></html>`)), []string{"script", "HTML smuggling: Blob download"}, "script-payload-1.bin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, inspect.FamilyHTML, "x.html", []byte(tc.html))
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Detail)
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings %q, want %q", got, want)
			}
			if tc.child != "" && !bytes.Equal(r.Data(tc.child), pe) {
				t.Errorf("no child %s with the PE; children %q", tc.child, r.Names())
			}
			if tc.child == "" && tc.name != "srcdoc" && len(r.Children) > 0 {
				t.Errorf("children %q, want none", r.Names())
			}
		})
	}
}

func TestSrcdocIsChild(t *testing.T) {
	r := run(t, inspect.FamilyHTML, "x.html", []byte(`<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>`))
	if got := string(r.Data("srcdoc.html")); got != "<script>alert(1)</script>" {
		t.Errorf("srcdoc child %q (children %q)", got, r.Names())
	}
}

// TestLimits: a literal, attribute or list of bytes over the bound that
// could hold a payload is unscannable; prose over the bound is not.
func TestLimits(t *testing.T) {
	defer html.SetMaxLiteral(1000)()
	long := strings.Repeat("QUJD", 300)
	tests := []struct {
		name, html string
		limited    bool
	}{
		{"literal", `<script>var x = "` + long + `";</script>`, true},
		{"concatenation", `<script>var x = "` + long[:800] + `" + "` + long[:800] + `";</script>`, true},
		{"attribute", `<a href="data:application/zip;base64,` + long + `">`, true},
		{"numbers", `<script>var x = [` + strings.Repeat("1, ", 1200) + `1];</script>`, true},
		{"style", `<style>b { background: url(data:image/png;base64,` + long + `) }</style>`, true},
		{"prose literal", `<script>var x = "` + strings.Repeat("Hallo Welt. ", 200) + `";</script>`, false},
		{"prose attribute", `<img alt="` + strings.Repeat("Hallo Welt. ", 200) + `">`, false},
	}
	for _, tc := range tests {
		r := run(t, inspect.FamilyHTML, "x.html", []byte(tc.html))
		got := false
		for _, f := range r.Findings {
			if f.Kind == inspect.KindUnscannable && strings.HasPrefix(f.Detail, "limit html-") {
				got = true
			}
		}
		if got != tc.limited {
			t.Errorf("%s: findings %q", tc.name, details(r))
		}
	}
}

// TestLimitKeepsHead: a payload cut at the bound is still handed on, cut:
// its head says what it is.
func TestLimitKeepsHead(t *testing.T) {
	defer html.SetMaxLiteral(1000)()
	pe := inspecttest.PE()
	r := run(t, inspect.FamilyHTML, "x.html", []byte(`<script>var x = atob("`+base64.StdEncoding.EncodeToString(pe)+`");</script>`))
	if len(r.Children) != 1 || len(r.Children[0].Data) < 700 || !bytes.HasPrefix(pe, r.Children[0].Data) {
		t.Errorf("children %q", r.Names())
	}
}

// TestPayloadDedup: repeated payloads are handed on once.
func TestPayloadDedup(t *testing.T) {
	img := `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(htmltest.PNG) + `">`
	r := run(t, inspect.FamilyHTML, "x.html", []byte("<html>"+strings.Repeat(img, 500)+"</html>"))
	if len(r.Children) != 1 || len(r.Findings) != 0 {
		t.Errorf("children %q findings %q", r.Names(), details(r))
	}
}

func numbers(b []byte, hex bool) string {
	var out []string
	for _, c := range b {
		if hex {
			out = append(out, fmt.Sprintf("0x%02x", c))
		} else {
			out = append(out, strconv.Itoa(int(c)))
		}
	}
	return strings.Join(out, ", ")
}

func hexBytes(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		out = append(out, strings.ToUpper(string("0123456789abcdef"[s[i]>>4]))+string("0123456789abcdef"[s[i]&15]))
	}
	return out
}

func utf16le(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}
