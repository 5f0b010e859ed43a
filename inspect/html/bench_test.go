package html_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/html"
	"github.com/officemilter/officemilter/inspect/html/htmltest"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func bench(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := &inspecttest.Recorder{}
		p := inspect.Part{Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyHTML, Limits: inspect.DefaultLimits}
		if err := html.New().Inspect(context.Background(), p, r); err != nil {
			b.Fatal(err)
		}
	}
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
