package inspect

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// Spool holds untrusted content of unknown size: in memory up to a
// threshold, then in a 0600 temporary file, never beyond a hard cap. It is
// written once (Write/ReadFrom), then read at random (ReadAt). Close removes
// the temporary file; it is safe to call more than once.
type Spool struct {
	mem     []byte // the content while in memory; len(mem) is drawn from the process-wide budget
	memMax  int64
	cap     int64
	dir     string
	f       *os.File
	size    int64
	capErr  error
	closed  bool
	pattern string
}

// ErrSpoolFull is wrapped by the error a Spool returns when a write would
// exceed its cap.
var ErrSpoolFull = errors.New("spool cap reached")

// NewSpool returns a spool that keeps up to memMax bytes in memory, then
// moves to a file in dir (os.TempDir() when empty) and refuses more than
// capBytes in all. capErr, when not nil, is the error returned at the cap
// (it should wrap ErrSpoolFull or ErrLimit); otherwise one wrapping
// ErrSpoolFull is used.
func NewSpool(dir string, memMax, capBytes int64, capErr error) *Spool {
	return &Spool{memMax: memMax, cap: capBytes, dir: dir, capErr: capErr, pattern: "officemilter-*.spool"}
}

// Write appends p. At the cap it writes what fits and returns the cap error.
func (s *Spool) Write(p []byte) (int, error) {
	if s.closed {
		return 0, os.ErrClosed
	}
	var capHit bool
	if s.cap > 0 && s.size+int64(len(p)) > s.cap {
		p = p[:s.cap-s.size]
		capHit = true
	}
	n, err := s.write(p)
	if err == nil && capHit {
		if s.capErr == nil { // made when needed: a spool per message and part
			s.capErr = fmt.Errorf("%w (%d bytes)", ErrSpoolFull, s.cap)
		}
		err = s.capErr
	}
	return n, err
}

func (s *Spool) write(p []byte) (int, error) {
	if s.f == nil && s.size+int64(len(p)) <= s.memMax && reserveSpoolMem(int64(len(p))) {
		s.grow(len(p))
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, s.pattern) // CreateTemp uses mode 0600
		if err != nil {
			return 0, fmt.Errorf("spool: %w", err)
		}
		if _, err := f.Write(s.mem); err != nil {
			f.Close()
			os.Remove(f.Name())
			return 0, fmt.Errorf("spool: %w", err)
		}
		s.f = f
		s.dropMem()
	}
	n, err := s.f.Write(p)
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("spool: %w", err)
	}
	return n, nil
}

// grow makes room in memory for n more bytes (within memMax, which the
// caller checked): a pooled buffer first, then doubling. append grows a
// large slice by about a quarter, which for a 4 MB spool leaves some 20 MB
// of garbage behind instead of 4.
func (s *Spool) grow(n int) {
	if s.mem == nil {
		if b, ok := memBufs.Get().(*[]byte); ok {
			if int64(cap(*b)) <= s.memMax {
				s.mem = (*b)[:0]
			} else {
				memBufs.Put(b)
			}
		}
	}
	need := len(s.mem) + n
	if need <= cap(s.mem) {
		return
	}
	c := min(max(int64(need), 2*int64(cap(s.mem)), 4<<10), s.memMax)
	grown := make([]byte, len(s.mem), c)
	copy(grown, s.mem)
	s.mem = grown
}

// dropMem lets go of the memory (after the move to the file, at Close)
// and gives its share of the budget back.
func (s *Spool) dropMem() {
	spoolMemUsed.Add(-int64(len(s.mem)))
	s.mem = nil
}

// The content all spools of the process hold in memory together, and its
// bound. Content, not capacity: buffers come from a pool and grow by
// doubling, so what is allocated for it is at most about twice as much.
var spoolMemUsed, spoolMemLimit atomic.Int64

// SetSpoolMemoryLimit bounds the content all spools of the process hold in
// memory together (n <= 0: no bound, the default). A spool that would pass it
// moves to its temporary file, as one past its own threshold does: however
// many large messages arrive at once, their content waits on disk, not in
// memory.
func SetSpoolMemoryLimit(n int64) { spoolMemLimit.Store(max(n, 0)) }

// SpoolMemory is the content all open spools hold in memory now, in bytes.
func SpoolMemory() int64 { return spoolMemUsed.Load() }

func reserveSpoolMem(n int64) bool {
	if n <= 0 {
		return true
	}
	used := spoolMemUsed.Add(n)
	if lim := spoolMemLimit.Load(); lim > 0 && used > lim {
		spoolMemUsed.Add(-n)
		return false
	}
	return true
}

// copyBufs holds the buffers ReadFrom copies through; memBufs the memory
// of closed spools, reused by new ones (inspection makes many short-lived
// spools; this keeps the garbage collector out of the hot path).
var (
	copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
	memBufs  sync.Pool
)

// maxPooledMem is the largest spool memory kept for reuse.
const maxPooledMem = 1 << 20

// ReadFrom copies r into the spool until EOF, an error or the cap.
func (s *Spool) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			w, werr := s.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// Size is the number of bytes written.
func (s *Spool) Size() int64 { return s.size }

// InMemory reports whether the content is still held in memory.
func (s *Spool) InMemory() bool { return s.f == nil }

// ReadAt reads from the spooled content.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if s.closed {
		return 0, os.ErrClosed
	}
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	if s.f != nil {
		if off >= s.size {
			return 0, io.EOF
		}
		return s.f.ReadAt(p, off)
	}
	if off >= int64(len(s.mem)) {
		return 0, io.EOF
	}
	n := copy(p, s.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Bytes returns the content when it is held in memory (nil otherwise). The
// slice must not be modified.
func (s *Spool) Bytes() []byte {
	if s.f != nil {
		return nil
	}
	return s.mem
}

// Reader returns a reader over the whole content.
func (s *Spool) Reader() *io.SectionReader { return io.NewSectionReader(s, 0, s.size) }

// Close releases memory and removes the temporary file.
func (s *Spool) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.mem != nil && cap(s.mem) <= maxPooledMem {
		b := s.mem[:0]
		memBufs.Put(&b)
	}
	s.dropMem()
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

// memReader is an io.ReaderAt over a byte slice (bytes.Reader without the
// seek state, safe for concurrent ReadAt).
type memReader []byte

// Bytes returns the slice itself.
func (m memReader) Bytes() []byte { return m }

func (m memReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// BytesReaderAt wraps b as an io.ReaderAt.
func BytesReaderAt(b []byte) io.ReaderAt { return memReader(b) }

// InMemory returns the content of r when it is held in memory (a
// BytesReaderAt, a Spool that did not move to a file), without copying;
// nil otherwise. Parsers use it to skip a copy. The slice must not be
// modified and is valid as long as r is.
func InMemory(r io.ReaderAt, size int64) []byte {
	if m, ok := r.(interface{ Bytes() []byte }); ok {
		if b := m.Bytes(); b != nil && int64(len(b)) == size {
			return b
		}
	}
	return nil
}
