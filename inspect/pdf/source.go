package pdf

import (
	"bytes"
	"github.com/officemilter/officemilter/inspect"
	"io"
)

// source gives byte windows of the file. A small file is read once and
// sliced; a large one is read window by window so that memory stays bounded
// whatever the file's size.
type source struct {
	r    io.ReaderAt
	size int64
	all  []byte // the whole file when it is small
	// lexed counts the bytes handed out for parsing (see budget).
	lexed int64
}

// wholeFileMax: files up to this size are held in memory while inspected.
// scanChunk is how much of a larger file is read at once when scanning.
// (Variables so that the tests can exercise the windowed reads and the
// chunk boundaries with small files.)
var (
	wholeFileMax int64 = 8 << 20
	scanChunk    int64 = 1 << 20
)

func newSource(r io.ReaderAt, size int64) (*source, error) {
	s := &source{r: r, size: size}
	if b := inspect.InMemory(r, size); b != nil {
		s.all = b // already in memory: no copy
		return s, nil
	}
	if size <= wholeFileMax {
		b := make([]byte, size)
		n, err := r.ReadAt(b, 0)
		if err != nil && err != io.EOF {
			return nil, err
		}
		s.all = b[:n]
		s.size = int64(n)
	}
	return s, nil
}

// window returns up to n bytes at off and whether they reach the end of the
// file.
func (s *source) window(off int64, n int) ([]byte, bool) { return s.scanWindow(nil, off, n) }

// scanWindow is window for a sequential scan that keeps nothing of the
// previous window: a large file's window is read into *buf (when buf is not
// nil), which is reused (a 17 MB PDF otherwise leaves 17 MB of garbage per
// pass).
func (s *source) scanWindow(buf *[]byte, off int64, n int) ([]byte, bool) {
	if off < 0 || off >= s.size {
		return nil, true
	}
	end := off + int64(n)
	if end >= s.size || end < off {
		end = s.size
	}
	if s.all != nil {
		return s.all[off:end], end == s.size
	}
	if buf == nil {
		return s.read(make([]byte, end-off), off, end)
	}
	if int64(cap(*buf)) < end-off {
		*buf = make([]byte, end-off)
	}
	return s.read((*buf)[:end-off], off, end)
}

func (s *source) read(b []byte, off, end int64) ([]byte, bool) {
	k, err := s.r.ReadAt(b, off)
	if k < len(b) {
		return b[:k], err != nil
	}
	return b, end == s.size
}

// index returns the offset of the first pat at or after off and before
// limit, or -1.
func (s *source) index(off, limit int64, pat []byte) int64 {
	if limit > s.size {
		limit = s.size
	}
	if s.all != nil {
		if off < 0 || off >= limit {
			return -1
		}
		if i := bytes.Index(s.all[off:limit], pat); i >= 0 {
			return off + int64(i)
		}
		return -1
	}
	chunk := scanChunk
	var buf []byte
	for off < limit {
		n := min(chunk+int64(len(pat)), limit-off)
		b, _ := s.scanWindow(&buf, off, int(n))
		if len(b) == 0 {
			return -1
		}
		if i := bytes.Index(b, pat); i >= 0 {
			return off + int64(i)
		}
		if int64(len(b)) < n || off+n >= limit {
			return -1
		}
		off += chunk
	}
	return -1
}
