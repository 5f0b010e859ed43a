package zipx

import (
	"archive/zip"
	"bufio"
	"errors"
	"io"
	"sync"
)

// ErrNoQuickHead is returned by MemberHead for a member it cannot read the
// start of cheaply (a compression method other than stored and deflate):
// the caller opens it the ordinary way.
var ErrNoQuickHead = errors.New("zipx: no quick head for this compression method")

// headWindow is the history MemberHead's inflater keeps: back-references
// cannot reach further than what was written, and at most len(p) bytes are.
const headWindow = 4096

var headBufs = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1024) }}

// MemberHead fills p with the first bytes of f's content (fewer when the
// member is shorter) and returns how many. compress/flate decodes up to a
// whole 32 KiB window per Read however little is asked for; sniffing every
// member of a package needs only a head, so a deflated member is decoded
// here one symbol at a time and decoding stops at len(p) (RFC 1951).
// Neither the CRC nor the size is checked: the head is for sniffing, and
// content that is handed on is read again through zip.File.Open.
func MemberHead(f *zip.File, p []byte) (int, error) {
	if len(p) > headWindow {
		p = p[:headWindow]
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return 0, err
	}
	switch f.Method {
	case zip.Store:
		return io.ReadFull(raw, p[:min(int64(len(p)), int64(f.UncompressedSize64))])
	case zip.Deflate:
		br := headBufs.Get().(*bufio.Reader)
		br.Reset(raw)
		defer func() { br.Reset(nil); headBufs.Put(br) }()
		in := &inflater{br: br, win: make([]byte, headWindow)}
		n, err := io.ReadFull(in, p)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil
		}
		return n, err
	}
	return 0, ErrNoQuickHead
}
