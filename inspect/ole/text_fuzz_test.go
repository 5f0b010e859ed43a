package ole

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// The fuzz targets call the extractors without Text's recover: a panic is
// a bug to find. Each seeds with its format's fixtures; any input may
// reach any extractor, the seeds only steer.

func fuzzText(f *testing.F, seeds [][]byte, files ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	for _, file := range files {
		if b, err := os.ReadFile(filepath.Join("testdata", file)); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p := inspect.Part{R: bytes.NewReader(in), Size: int64(len(in)), Limits: inspect.Limits{MaxOLESectors: 1 << 14}}
		for _, max := range []int{0, 100} {
			var out []byte
			var err error
			inspecttest.NoHang(t, 5*time.Second, func() { out, err = New().text(context.Background(), p, max) })
			if err != nil {
				if out != nil {
					t.Fatalf("text %q with error %v", out, err)
				}
				var le *inspect.LimitError
				if !errors.Is(err, ErrNoText) && !errors.Is(err, ErrTextEncrypted) && !errors.As(err, &le) {
					t.Fatalf("error %v is no ErrNoText, ErrTextEncrypted or limit", err)
				}
				continue
			}
			checkText(t, out, max)
		}
	})
}

func FuzzDocText(f *testing.F) {
	fuzzText(f, [][]byte{wordIntl(), wordText97(0, 0, wordPiece{"a\x13b\x14c\x15\x13\x13\x15", true}),
		cfb(storage("", stream("WordDocument", fib(fEncrypted)), stream("0Table", encHeader(4, 2))))}, "intl.doc")
}

func FuzzXLSText(f *testing.F) {
	fuzzText(f, [][]byte{xlsIntl(), velvetProtectedXLS(),
		cfb(storage("", stream("Workbook", workbook(filePass(1, 1, 1)))))}, "intl.xls")
}

func FuzzPPTText(f *testing.F) {
	fuzzText(f, [][]byte{pptIntl(), cfb(storage("", stream("PowerPoint Document", cat(textChars("x"), textBytes("y")))))})
}
