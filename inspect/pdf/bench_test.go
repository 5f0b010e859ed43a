package pdf

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func benchFiles(b *testing.B, paths []string) {
	var files [][]byte
	var total int64
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		total += int64(len(data))
	}
	if len(files) == 0 {
		b.Skip("no files")
	}
	lim := inspect.DefaultLimits
	in := New()
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		for _, data := range files {
			s := &inspecttest.Recorder{KeepReadErrors: true}
			p := inspect.Part{Name: "b.pdf", Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyPDF, Limits: lim}
			in.Inspect(context.Background(), p, s)
		}
	}
	reportCPU(b, cpu0, total)
}

// reportCPU adds the process CPU time per iteration (and the MB/s it
// gives) to a benchmark: on a shared machine wall time says more about
// the neighbours than about the code.
func reportCPU(b *testing.B, cpu0 time.Duration, bytes int64) {
	if cpu0 < 0 {
		return
	}
	d := cpuTime() - cpu0
	if d <= 0 || b.N == 0 {
		return
	}
	per := float64(d.Nanoseconds()) / float64(b.N)
	b.ReportMetric(per, "cpu-ns/op")
	b.ReportMetric(float64(bytes)/per*1e9/1e6, "cpu-MB/s")
}

// BenchmarkFixtures inspects every fixture under testdata/ once per
// iteration.
func BenchmarkFixtures(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pdf"))
	benchFiles(b, files)
}

// BenchmarkCorpus inspects the shared corpus's PDFs once per iteration.
func BenchmarkCorpus(b *testing.B) {
	benchFiles(b, corpusPDFs(b))
}

// BenchmarkLargeDocument is a generated 1000-page document with object
// streams' worth of dictionaries and content streams that are skipped, not
// decoded.
func BenchmarkLargeDocument(b *testing.B) {
	data := genLarge(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	lim := inspect.DefaultLimits
	cpu0 := cpuTime()
	for range b.N {
		s := &inspecttest.Recorder{KeepReadErrors: true}
		p := inspect.Part{Name: "b.pdf", Size: int64(len(data)), R: bytes.NewReader(data), Family: inspect.FamilyPDF, Limits: lim}
		if err := New().Inspect(context.Background(), p, s); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, int64(len(data)))
}

// genLarge writes a document of n pages, each with a compressed content
// stream and a font dictionary.
func genLarge(n int) []byte {
	objs := []pdfObj{{num: 1, body: "<< /Type /Catalog /Pages 2 0 R >>"}}
	kids := bytes.NewBufferString("[")
	content := deflate(bytes.Repeat([]byte("BT /F1 12 Tf 72 720 Td (Lorem ipsum dolor sit amet) Tj ET\n"), 40))
	for i := range n {
		page, cont := 3+2*i, 4+2*i
		kids.WriteString(" " + strconv.Itoa(page) + " 0 R")
		objs = append(objs,
			pdfObj{num: page, body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents " + strconv.Itoa(cont) + " 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"},
			pdfObj{num: cont, body: "<< /Filter /FlateDecode >>", data: content},
		)
	}
	kids.WriteString(" ]")
	objs = append(objs, pdfObj{num: 2, body: "<< /Type /Pages /Kids " + kids.String() + " /Count " + strconv.Itoa(n) + " >>"})
	return buildPDF(objs, "/Root 1 0 R")
}
