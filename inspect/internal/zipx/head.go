package zipx

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// ErrNoQuickHead is returned by MemberHead for a member it cannot read the
// start of cheaply (a compression method other than stored and deflate):
// the caller opens it the ordinary way.
var ErrNoQuickHead = errors.New("zipx: no quick head for this compression method")

// headInput bounds the compressed bytes MemberHead feeds the decoder:
// compress/flate decodes up to a whole 32 KiB window per Read however
// little is asked for, but it can decode no further than its input goes.
// A KiB of input gives about a KiB of incompressible content (enough for
// every magic number and the KiB a PDF reader searches for its header) and
// several KiB of XML or text (enough for a prolog and the root element).
const headInput = 1024 + 64

var flatePool sync.Pool

// MemberHead fills p with the first bytes of f's content (fewer when the
// member is shorter) and returns how many. Sniffing every member of a
// package needs only a head; a deflated member is decoded from its first
// headInput compressed bytes only. Neither the CRC nor the size is checked:
// the head is for sniffing, and content that is handed on is read again
// through zip.File.Open.
func MemberHead(f *zip.File, p []byte) (int, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return 0, err
	}
	want := p[:min(int64(len(p)), int64(f.UncompressedSize64))]
	switch f.Method {
	case zip.Store:
		return io.ReadFull(raw, want)
	case zip.Deflate:
		in := io.LimitReader(raw, headInput)
		fr, _ := flatePool.Get().(io.ReadCloser)
		if fr == nil {
			fr = flate.NewReader(in)
		} else if err := fr.(flate.Resetter).Reset(in, nil); err != nil {
			return 0, err
		}
		defer flatePool.Put(fr)
		n, err := io.ReadFull(fr, want)
		if err == io.ErrUnexpectedEOF && n > 0 {
			err = nil // the input was cut, not the member
		}
		return n, err
	}
	return 0, ErrNoQuickHead
}
