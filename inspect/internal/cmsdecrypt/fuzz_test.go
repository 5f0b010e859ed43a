package cmsdecrypt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecrypt feeds arbitrary bytes to Decrypt with all test keys. It must
// never panic or hang, must return one of the package's errors, and on
// success must have written exactly what Info says.
//
//	go test -run '^$' -fuzz FuzzDecrypt -fuzztime 30s -fuzzminimizetime 2s ./inspect/internal/cmsdecrypt/
//
// (without -fuzzminimizetime, minimizing an input that reaches the RSA
// operation takes long enough to look like a stall.)
func FuzzDecrypt(f *testing.F) {
	keys := allKeys(f)
	names, _ := filepath.Glob("testdata/*.der")
	for _, n := range names {
		if strings.HasPrefix(filepath.Base(n), "big-") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(readFile(f, "rsa-default.der")[:40])
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03, 0xa0, 0x80, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		info, err := Decrypt(bytes.NewReader(data), int64(len(data)), keys, &out, Limits{MaxBuffered: 1 << 20})
		if err != nil {
			for _, s := range []error{ErrNotForUs, ErrUnsupported, ErrMalformed, ErrDecrypt, ErrLimit} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		if info.Written != int64(out.Len()) {
			t.Fatalf("Written %d, out has %d", info.Written, out.Len())
		}
	})
}
