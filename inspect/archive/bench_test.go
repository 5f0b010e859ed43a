package archive

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func benchInspect(b *testing.B, fam inspect.Family, data []byte) {
	inspecttest.Bench(b, New(fam), inspect.Part{Name: "x", Family: fam, Limits: inspect.DefaultLimits}, data, nil)
}

// benchZip is a zip of 200 deflated text members of 4 KiB (mail-sized).
func benchZip(b testing.TB) []byte {
	var ms []zipMember
	for i := 0; i < 200; i++ {
		ms = append(ms, zipMember{name: fmt.Sprintf("dir/file%03d.txt", i), data: bytes.Repeat([]byte(fmt.Sprintf("line %d of a report\n", i)), 200), method: 8})
	}
	return makeZip(b, ms...)
}

func BenchmarkZip(b *testing.B) { benchInspect(b, inspect.FamilyZip, benchZip(b)) }

// BenchmarkZipCorpus walks the shared corpus zip with the docm (read in place).
func BenchmarkZipCorpus(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(inspecttest.CorpusPath(b), "archive", "filetype__sample.zip"))
	if err != nil {
		b.Skip(err)
	}
	benchInspect(b, inspect.FamilyZip, data)
}

func Benchmark7z(b *testing.B) { benchInspect(b, inspect.Family7z, read(b, "plain-lzma2.7z")) }

func BenchmarkRAR(b *testing.B) {
	benchInspect(b, inspect.FamilyRAR, makeRAR(false, rarMember{name: "a.txt", data: bytes.Repeat([]byte("x"), 64<<10)}, rarMember{name: "b.txt", data: bytes.Repeat([]byte("y"), 64<<10)}))
}

func BenchmarkTarGz(b *testing.B) {
	m := map[string]string{}
	var order []string
	for i := 0; i < 50; i++ {
		n := fmt.Sprintf("f%02d", i)
		m[n] = string(bytes.Repeat([]byte(n+" content\n"), 400))
		order = append(order, n)
	}
	benchInspect(b, inspect.FamilyGzip, makeGzip(b, "x.tar", makeTar(b, m, order...)))
}
