package html_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"
	"unicode/utf8"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html"
	"github.com/officemilter/officemilter/inspect/html/htmltest"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// FuzzHTML: no panic, no error on in-memory input, valid findings, and
// bounded output: decoded payloads are never larger than the input and
// there are never more of them than the bound.
func FuzzHTML(f *testing.F) {
	pe := inspecttest.PE()
	b := base64.StdEncoding.EncodeToString(pe[:64])
	for _, s := range [][]byte{
		htmltest.BlobDownload(pe[:96], "a.exe"),
		htmltest.MsSaveOrOpenBlob(pe[:96], "a.iso"),
		htmltest.DataURIDownload(pe[:64], "application/msword", "R.doc"),
		htmltest.SVGSmuggling(pe[:96], "a.zip"),
		htmltest.ImageOnly(),
		[]byte(`<html><!-- x --!><script>var s = "\x41\u0042\u{43}" + '` + b + `'; location = "data:,%41"</script>`),
		[]byte(`<a href="&#106;ava&#x09;script:atob('QQ==')" onclick=x download=y.exe>`),
		[]byte(`<iframe srcdoc="&lt;script&gt;" src='data:text/html;base64,PHNjcmlwdD4='></iframe><style>a{b:url(data:x/y;base64,QUJD)}</style>`),
		[]byte(`<svg><![CDATA[<script>]]><script><![CDATA[ var r = /"[/]/g; ]]></script></svg>`),
		utf16le(`<html><script>atob("QUJD")</script>`),
		[]byte(`<script><&<</scrip</script <svg><script>&amp;&#x41;&bogus <![CDATA[ ]] ]]]> &quot;`),
		[]byte(`<script>var a = ["` + b + `", "` + b + `"].join(""); /* "*/ // '` + "\n" + `</script`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &inspecttest.Recorder{}
		p := inspect.Part{Name: "f.html", Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyHTML, Limits: inspecttest.FuzzLimits.WithDefaults()}
		var err error
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { err = html.New().Inspect(context.Background(), p, r) })
		if err != nil {
			t.Fatalf("error on in-memory input: %v", err)
		}
		r.CheckInvariants(t)
		for _, fd := range r.Findings {
			if !utf8.ValidString(fd.Detail) || len(fd.Detail) > 200 {
				t.Fatalf("detail %q", fd.Detail)
			}
		}
		if len(r.Children) > 256 {
			t.Fatalf("%d children", len(r.Children))
		}
		for _, c := range r.Children {
			// Percent-decoding and base64 only shrink; a UTF-16 file's
			// literals are narrowed first.
			if len(c.Data) > len(data) || len(c.Name) > 3*128 || c.Name == "" {
				t.Fatalf("child %q of %d bytes from %d", c.Name, len(c.Data), len(data))
			}
		}
	})
}

// FuzzSniffMarkup: sniffing text never panics and an HTML family always
// inspects without error.
func FuzzSniffMarkup(f *testing.F) {
	f.Add([]byte("<!doctype html>"), "x")
	f.Add([]byte("\xEF\xBB\xBF<?xml version='1.0'?><!-- a --><svg/>"), "a.svg")
	f.Add(htmltest.AppInstaller(), "a.appinstaller")
	f.Add([]byte("<!--"), "a.html")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fam := inspect.Sniff(bytes.NewReader(data), int64(len(data)), name)
		if fam != inspect.FamilyHTML && fam != inspect.FamilyAppInstaller {
			return
		}
		r := &inspecttest.Recorder{}
		p := inspect.Part{Name: name, Size: int64(len(data)), R: bytes.NewReader(data), Family: fam, Limits: inspecttest.FuzzLimits.WithDefaults()}
		var err error
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { err = html.New().Inspect(context.Background(), p, r) })
		if err != nil {
			t.Fatal(err)
		}
		r.CheckInvariants(t)
	})
}
