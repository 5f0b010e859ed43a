package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// Limits bound every walk. The zero value of a field means "use the default";
// there is no "unlimited". Hitting a limit is a finding (unscannable, with the
// limit named in Detail), never a silent truncation.
type Limits struct {
	// MaxDepth is how deep containers may nest (a zip in a zip is depth 2).
	MaxDepth int
	// MaxParts is how many files and members one walk may inspect in all.
	MaxParts int
	// MaxPartSize caps the expanded size of one member (bytes).
	MaxPartSize int64
	// MaxTotalSize caps the bytes expanded over the whole walk.
	MaxTotalSize int64
	// MaxRatio caps expanded/compressed size of one compressed member once it
	// has grown past RatioGrace bytes (zip bombs).
	MaxRatio int64
	// MaxPDFObjects caps the objects parsed in one PDF.
	MaxPDFObjects int
	// MaxOLESectors caps the sectors followed in one compound file.
	MaxOLESectors int
	// MaxKeyDerivations caps the password key derivations one walk may
	// run (trying Office's default password costs about 40 ms each).
	MaxKeyDerivations int
	// MaxFindings caps the findings of one walk (a bomb of a million
	// encrypted members must not make a million findings).
	MaxFindings int
	// MaxTime is the wall time one walk may take.
	MaxTime time.Duration
	// MemSpool is how many bytes of one nested member are held in memory
	// before it is spooled to a temporary file.
	MemSpool int64
	// TempDir holds spool files (default: os.TempDir()).
	TempDir string
}

// RatioGrace is the expanded size under which the ratio limit does not apply:
// small, highly compressible members (an XML part of zeros) are normal.
const RatioGrace = 1 << 20

// DefaultLimits are safe for a mail server: generous for real documents,
// tight enough that a bomb costs little.
var DefaultLimits = Limits{
	MaxDepth:          10,
	MaxParts:          5000,
	MaxPartSize:       256 << 20,
	MaxTotalSize:      1 << 30,
	MaxRatio:          250,
	MaxPDFObjects:     500000,
	MaxOLESectors:     1 << 21,
	MaxFindings:       1000,
	MaxKeyDerivations: 16,
	MaxTime:           30 * time.Second,
	MemSpool:          2 << 20,
}

// WithDefaults returns l with every zero (or negative) field set from
// DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxPartSize <= 0 {
		l.MaxPartSize = d.MaxPartSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxPDFObjects <= 0 {
		l.MaxPDFObjects = d.MaxPDFObjects
	}
	if l.MaxOLESectors <= 0 {
		l.MaxOLESectors = d.MaxOLESectors
	}
	if l.MaxKeyDerivations <= 0 {
		l.MaxKeyDerivations = d.MaxKeyDerivations
	}
	if l.MaxFindings <= 0 {
		l.MaxFindings = d.MaxFindings
	}
	if l.MaxTime <= 0 {
		l.MaxTime = d.MaxTime
	}
	if l.MemSpool <= 0 {
		l.MemSpool = d.MemSpool
	}
	return l
}

// ErrLimit is wrapped by every LimitError.
var ErrLimit = errors.New("inspection limit reached")

// LimitError says which limit was hit. Its Error text is what lands in a
// finding's Detail: "limit depth=10".
type LimitError struct {
	Limit string // depth, parts, part-size, total-size, ratio, pdf-objects, ole-sectors, time
	Value int64  // the configured limit
}

func (e *LimitError) Error() string { return fmt.Sprintf("limit %s=%d", e.Limit, e.Value) }

// Unwrap makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Unwrap() error { return ErrLimit }

// TimedOut reports whether f says a walk ran out of time (an unscannable
// finding made from a LimitError for "time"): officemilter's problem, not
// the sender's.
func TimedOut(f Finding) bool {
	return f.Kind == KindUnscannable && strings.HasPrefix(f.Detail, "limit time=")
}

// RatioReader returns a reader that fails with a ratio LimitError once more
// than max(RatioGrace, compressed*maxRatio) bytes have been read from r.
// Archive inspectors wrap each member's decompressor in it.
func RatioReader(r io.Reader, compressed, maxRatio int64) io.Reader {
	allowed := compressed * maxRatio
	if compressed > 0 && allowed/compressed != maxRatio { // overflow
		allowed = 1<<63 - 1
	}
	if allowed < RatioGrace {
		allowed = RatioGrace
	}
	return &ratioReader{r: r, left: allowed, max: maxRatio}
}

type ratioReader struct {
	r    io.Reader
	left int64
	max  int64
}

func (r *ratioReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		// One more byte would tell whether the stream really is longer.
		var one [1]byte
		n, err := r.r.Read(one[:])
		if n > 0 {
			return 0, &LimitError{Limit: "ratio", Value: r.max}
		}
		return 0, err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.left -= int64(n)
	return n, err
}

// walkBudget counts the costly operations left to one walk.
type walkBudget struct{ keyDerivations atomic.Int64 }

type budgetKey struct{}

// TakeKeyDerivation reports whether the walk ctx belongs to may run one
// more password key derivation (Limits.MaxKeyDerivations), and counts it.
// Outside a walk it always allows.
func TakeKeyDerivation(ctx context.Context) bool {
	b, ok := ctx.Value(budgetKey{}).(*walkBudget)
	if !ok {
		return true
	}
	return b.keyDerivations.Add(-1) >= 0
}

func withBudget(ctx context.Context, l Limits) context.Context {
	b := &walkBudget{}
	b.keyDerivations.Store(int64(l.MaxKeyDerivations))
	return context.WithValue(ctx, budgetKey{}, b)
}
