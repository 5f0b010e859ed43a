package zipx

import (
	"io"
	"sync"
)

// window serves the small reads of ReadViews (a 46-byte directory header
// and its name, a 30-byte local header and its name, a 28-byte data
// descriptor) from one buffered read of the file: most headers of a
// package lie within a few KiB of each other, and each read of a spooled
// attachment may be a system call. What it returns is valid until its
// next call; callers copy what they keep.
type window struct {
	r    io.ReaderAt
	size int64
	bp   *[]byte
	buf  []byte // the bytes at off
	off  int64
}

// windowLen is the size of one read; a request for more reads more.
const windowLen = 4 << 10

var windowBufs = sync.Pool{New: func() any { b := make([]byte, windowLen); return &b }}

func newWindow(r io.ReaderAt, size int64) *window {
	bp := windowBufs.Get().(*[]byte)
	return &window{r: r, size: size, bp: bp, buf: (*bp)[:0]}
}

// release returns the buffer to the pool; the window is not used after.
func (w *window) release() {
	if w.bp != nil && cap(*w.bp) == windowLen {
		windowBufs.Put(w.bp)
	}
	w.bp, w.buf = nil, nil
}

// at returns the n bytes at off; ok is false when the file does not hold
// them all (or cannot be read).
func (w *window) at(off int64, n int) ([]byte, bool) {
	b := w.upTo(off, n)
	return b, len(b) == n
}

// upTo returns the up to n bytes at off that the file holds.
func (w *window) upTo(off int64, n int) []byte {
	if off < 0 || n < 0 || off >= w.size {
		return nil
	}
	n = int(min(int64(n), w.size-off))
	if off >= w.off && off+int64(n) <= w.off+int64(len(w.buf)) {
		return w.buf[off-w.off:][:n]
	}
	want := int(min(int64(max(n, windowLen)), w.size-off))
	if cap(*w.bp) < want {
		// A long name and extra field (at most 192 KiB), inside the file.
		*w.bp = make([]byte, want)
	}
	w.buf = (*w.bp)[:want]
	k, err := w.r.ReadAt(w.buf, off)
	if err != nil && err != io.EOF {
		k = 0
	}
	w.buf, w.off = w.buf[:k], off
	return w.buf[:min(k, n)]
}
