package archive

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"
)

func TestZeroBombDeflate(t *testing.T) {
	d := zeroBombDeflate(1000)
	n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(d)))
	if err != nil || n < 1+1032*1000 || n > 1+1032*1000+3*258 {
		t.Fatalf("expanded %d bytes, err %v; want %d", n, err, 1+1032*1000)
	}
}
