package replay_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/all"
	"github.com/officemilter/officemilter/milter"
	"github.com/officemilter/officemilter/milter/replay"
)

// wrapCorpus writes each file of the shared corpus as the attachment of
// its own message (an .eml stays as it is) and returns the directory.
func wrapCorpus(b *testing.B) (string, int64) {
	b.Helper()
	src := os.Getenv("OFFICEMILTER_CORPUS")
	if src == "" {
		src = "../../../shared/corpus"
	}
	files, _ := filepath.Glob(filepath.Join(src, "*", "*"))
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			b.Fatal("shared corpus missing under CI")
		}
		b.Skip("shared corpus not available")
	}
	dir := b.TempDir()
	var total int64
	for i, f := range files {
		if strings.HasSuffix(f, "manifest.tsv") || strings.HasSuffix(f, "README.md") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msg := data
		if !strings.HasSuffix(f, ".eml") {
			enc := base64.StdEncoding.EncodeToString(data)
			var body strings.Builder
			for len(enc) > 76 {
				body.WriteString(enc[:76] + "\r\n")
				enc = enc[76:]
			}
			body.WriteString(enc + "\r\n")
			msg = []byte(fmt.Sprintf("From: erika@example.com\r\nTo: anna@example.net\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"+
				"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsiehe Anhang\r\n"+
				"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"+
				"Content-Transfer-Encoding: base64\r\n\r\n%s--b--\r\n", filepath.Base(f), filepath.Base(f), body.String()))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.eml", i)), msg, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(msg))
	}
	return dir, total
}

// BenchmarkScanCorpus: scan over the shared corpus wrapped as messages,
// with the shipped configuration (strict mailbox for the rcpt given).
func BenchmarkScanCorpus(b *testing.B) {
	dir, total := wrapCorpus(b)
	for _, rcpt := range []string{"anna@example.net", "strict@example.org"} {
		b.Run(rcpt, func(b *testing.B) {
			cfg := loadConfig(b)
			filter := milter.NewFilter(cfg, all.NewEngine(cfg.InspectLimits()))
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			msgs := 0
			for i := 0; i < b.N; i++ {
				sum, err := replay.Run(context.Background(), replay.Options{Filter: filter, Rcpt: rcpt}, []string{dir}, nil, func(replay.Outcome) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				msgs += sum.Messages
			}
			b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkScanTestMessages: scan over the project's test messages
// (testdata/eml, or the directory in OFFICEMILTER_BENCH_EML, e.g. an
// older checkout's messages to compare two builds on the same input),
// each to the recipient its To: names.
func BenchmarkScanTestMessages(b *testing.B) {
	dir := os.Getenv("OFFICEMILTER_BENCH_EML")
	if dir == "" {
		dir = "../../testdata/eml"
	}
	var total int64
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".eml") {
			total += fi.Size()
		}
	}
	cfg := loadConfig(b)
	filter := milter.NewFilter(cfg, all.NewEngine(cfg.InspectLimits()))
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	msgs := 0
	for i := 0; i < b.N; i++ {
		sum, err := replay.Run(context.Background(), replay.Options{Filter: filter, Jobs: 1}, []string{dir}, nil, func(replay.Outcome) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		msgs += sum.Messages
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
}
