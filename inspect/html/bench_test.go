package html_test

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html"
	"github.com/officemilter/officemilter/inspect/html/htmltest"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func bench(b *testing.B, data []byte) {
	inspecttest.Bench(b, html.New(), inspect.Part{Family: inspect.FamilyHTML, Limits: inspect.DefaultLimits}, data,
		func() inspect.Scope { return &inspecttest.Recorder{} })
}

// BenchmarkSmuggling: a page smuggling 8 MiB (an ISO's size) in
// concatenated literals.
func BenchmarkSmuggling(b *testing.B) {
	payload := make([]byte, 8<<20)
	rand.Read(payload)
	bench(b, htmltest.BlobDownload(payload, "a.iso"))
}

// BenchmarkNewsletter: ordinary HTML mail, about 4 MiB of it.
func BenchmarkNewsletter(b *testing.B) {
	bench(b, bytes.Repeat(htmltest.Newsletter(), 4<<20/len(htmltest.Newsletter())))
}
