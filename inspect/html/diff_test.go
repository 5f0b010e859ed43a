package html_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html/htmltest"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// xmlView is what encoding/xml, an independent reader, sees in an SVG
// document that a browser's XML parser would run or load: script elements
// (with their decoded text), event handler attributes, javascript: URLs,
// base64 data: URIs in attributes.
type xmlView struct {
	script   bool
	payloads [][]byte
}

// readXML returns ok=false when encoding/xml does not read the whole input
// as one well-formed document with an svg root.
func readXML(b []byte) (v xmlView, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	depth, inScript, root := 0, 0, ""
	var text strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return v, depth == 0 && root == "svg"
		}
		if err != nil {
			return v, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if root != "" {
					return v, false
				}
				root = t.Name.Local
			}
			depth++
			runs := true
			for _, a := range t.Attr {
				val := strings.TrimSpace(a.Value)
				switch {
				case a.Name.Space == "" && len(a.Name.Local) > 2 && strings.HasPrefix(strings.ToLower(a.Name.Local), "on") && val != "":
					v.script = true
				case strings.HasPrefix(strings.ToLower(val), "javascript:"):
					v.script = true
				case a.Name.Local == "type" && t.Name.Local == "script":
					lt := strings.ToLower(val)
					runs = lt == "" || lt == "module" || strings.Contains(lt, "javascript") || strings.Contains(lt, "ecmascript")
				}
				if _, rest, found := strings.Cut(val, ";base64,"); found && strings.HasPrefix(strings.ToLower(val), "data:") {
					if p, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(rest), "")); err == nil && len(p) > 0 {
						v.payloads = append(v.payloads, p)
					}
				}
			}
			if t.Name.Local == "script" {
				if runs {
					v.script = true
				}
				inScript++
				text.Reset()
			}
		case xml.EndElement:
			depth--
			if t.Name.Local == "script" && inScript > 0 {
				inScript--
				v.payloads = append(v.payloads, atobLiterals(text.String())...)
			}
		case xml.CharData:
			if inScript > 0 {
				text.Write(t)
			}
		}
	}
}

// atobLiterals decodes the literals of atob("...") calls in script text.
func atobLiterals(s string) [][]byte {
	var out [][]byte
	for {
		_, rest, ok := strings.Cut(s, `atob("`)
		if !ok {
			return out
		}
		lit, after, ok := strings.Cut(rest, `"`)
		if !ok {
			return out
		}
		s = after
		if p, err := base64.StdEncoding.DecodeString(lit); err == nil && len(lit) >= 200 {
			out = append(out, p)
		}
	}
}

// checkAgainstXML fails when encoding/xml sees a script or a payload in an
// SVG document that the inspector does not.
func checkAgainstXML(t *testing.T, b []byte) {
	v, ok := readXML(b)
	if !ok {
		return
	}
	r := run(t, inspect.FamilyHTML, "x.svg", b)
	got := false
	for _, f := range r.Findings {
		got = got || f.Detail == "script"
	}
	if v.script && !got {
		t.Errorf("encoding/xml sees a script, the inspector does not: %q", details(r))
	}
	for _, p := range v.payloads {
		found := false
		for _, c := range r.Children {
			found = found || bytes.Equal(c.Data, p)
		}
		if !found {
			t.Errorf("encoding/xml sees a payload of %d bytes the inspector did not hand on (children %q)", len(p), r.Names())
		}
	}
}

func svgSeeds() [][]byte {
	pe := inspecttest.PE()
	b := base64.StdEncoding.EncodeToString(pe)
	return [][]byte{
		htmltest.SVGSmuggling(pe, "a.zip"),
		// The end tag inside CDATA is text to an XML parser.
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script><![CDATA[ var s = "</script>"; var d = atob("` + b + `"); ]]></script></svg>`),
		// Entities in script text are decoded before the script runs.
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>var d = atob(&quot;` + b + `&quot;); if (1 &lt; 2) {}</script></svg>`),
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="x()"><image href="data:image/png;base64,` + base64.StdEncoding.EncodeToString(htmltest.PNG) + `"/></svg>`),
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a><script type="text/plain">"` + b + `"</script></svg>`),
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script/><script href="data:text/javascript;base64,YWxlcnQoMSk="/></svg>`),
	}
}

// TestAgainstXML: on SVG documents encoding/xml reads, the inspector sees
// every script and payload encoding/xml sees.
func TestAgainstXML(t *testing.T) {
	for i, s := range svgSeeds() {
		if _, ok := readXML(s); !ok {
			t.Fatalf("seed %d: encoding/xml does not read it", i)
		}
		checkAgainstXML(t, s)
	}
}

func FuzzAgainstXML(f *testing.F) {
	for _, s := range svgSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkAgainstXML)
}
