package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Limits bound every walk: the engine, every inspector and the message
// parser (inspect/mime, also for the top-level message of the milter) take
// theirs from here, and milter's `limits:` configuration section sets them
// all. The zero value of a field means "use the default" (DefaultLimits);
// there is no "unlimited". Hitting a limit is a finding (unscannable, with
// the limit named in Detail and Finding.Limit), never a silent truncation.
type Limits struct {
	// MaxDepth is how deep anything may nest, counted from the message
	// root through MIME levels and containers alike: every multipart and
	// message/rfc822 level of a message (inspect/mime) and every container
	// (a zip, an attached message, a compound file) is one level. A zip
	// attached to a multipart message is at depth 1 and its members at 2;
	// a file inspected on its own is at depth 0. It is the only depth.
	// Past it, a MIME entity is a LimitMessageNesting finding, a container
	// member a LimitDepth finding (both "limit depth=N").
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
	// TimeoutGrace is how long a walk past MaxTime waits for an inspector
	// that does not notice its context before it answers without it.
	TimeoutGrace time.Duration
	// MemSpool is how many bytes of one nested member are held in memory
	// before it is spooled to a temporary file.
	MemSpool int64
	// MemBudget is how many bytes all in-memory spools of one walk may hold
	// together; beyond it members go to temporary files at once.
	MemBudget int64

	// The message parser (inspect/mime) of every message, attached or not:
	//
	// MaxMessageParts caps the entities (parts) of one message.
	MaxMessageParts int
	// MaxHeaderBytes caps one header block.
	MaxHeaderBytes int64
	// MaxHeaderFields caps the header fields of all header blocks of one
	// message together: a megabyte of "a:\n" lines would otherwise cost
	// far more memory than the message itself.
	MaxHeaderFields int
	// TempDir holds spool files (default: os.TempDir()).
	TempDir string
}

// RatioGrace is the expanded size under which the ratio limit does not apply:
// small, highly compressible members (an XML part of zeros) are normal.
const RatioGrace = 1 << 20

// DefaultLimits are safe for a mail server: generous for real documents,
// tight enough that a bomb costs little.
var DefaultLimits = Limits{
	MaxDepth:          32,
	MaxParts:          5000,
	MaxPartSize:       256 << 20,
	MaxTotalSize:      1 << 30,
	MaxRatio:          250,
	MaxPDFObjects:     500000,
	MaxOLESectors:     1 << 21,
	MaxFindings:       1000,
	MaxKeyDerivations: 16,
	MaxTime:           30 * time.Second,
	TimeoutGrace:      2 * time.Second,
	MemSpool:          2 << 20,
	MemBudget:         32 << 20,
	MaxMessageParts:   10000,
	MaxHeaderBytes:    1 << 20,
	MaxHeaderFields:   200000,
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
	if l.TimeoutGrace <= 0 {
		l.TimeoutGrace = d.TimeoutGrace
	}
	if l.MemSpool <= 0 {
		l.MemSpool = d.MemSpool
	}
	if l.MemBudget <= 0 {
		l.MemBudget = d.MemBudget
	}
	if l.MaxMessageParts <= 0 {
		l.MaxMessageParts = d.MaxMessageParts
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxHeaderFields <= 0 {
		l.MaxHeaderFields = d.MaxHeaderFields
	}
	return l
}

// ErrLimit is wrapped by every LimitError.
var ErrLimit = errors.New("inspection limit reached")

// Limit names a bound. Its String is the word in a finding's Detail
// ("limit depth=10"); the text is stable, never rename one. Two limits may
// share a word (the message parser's parts and depth against the engine's):
// they are still different limits, and callers compare Limit values, never
// the Detail text.
type Limit uint8

const (
	// LimitNone is the zero Limit: the finding or error is not a limit.
	LimitNone Limit = iota
	// LimitDepth: Limits.MaxDepth reached by a container's member.
	LimitDepth
	// LimitParts: Limits.MaxParts, parts inspected in one walk.
	LimitParts
	// LimitPartSize: Limits.MaxPartSize, the expanded size of one member.
	LimitPartSize
	// LimitTotalSize: Limits.MaxTotalSize, bytes expanded in one walk.
	LimitTotalSize
	// LimitRatio: Limits.MaxRatio, expanded/compressed of one member.
	LimitRatio
	// LimitPDFObjects: Limits.MaxPDFObjects.
	LimitPDFObjects
	// LimitOLESectors: Limits.MaxOLESectors.
	LimitOLESectors
	// LimitTime: Limits.MaxTime, the wall time of one walk.
	LimitTime
	// LimitFindings: Limits.MaxFindings.
	LimitFindings
	// LimitMessageParts: Limits.MaxMessageParts, the entities the message
	// parser reads in one message (the word is "parts").
	LimitMessageParts
	// LimitMessageNesting: Limits.MaxDepth reached by a multipart or
	// message/rfc822 entity inside a message (the word is "depth").
	LimitMessageNesting
	// LimitHeaderSize: Limits.MaxHeaderBytes, one header block.
	LimitHeaderSize
	// LimitHeaderFields: Limits.MaxHeaderFields, the fields of one message.
	LimitHeaderFields
	// LimitXMLElements and LimitXMLDepth bound one Office XML document.
	LimitXMLElements
	LimitXMLDepth
	// LimitHTMLPayloads, LimitHTMLLiteral, LimitHTMLStyle and
	// LimitHTMLAttribute bound what one HTML file may hand on or hold.
	LimitHTMLPayloads
	LimitHTMLLiteral
	LimitHTMLStyle
	LimitHTMLAttribute
)

var limitWords = [...]string{
	LimitNone: "none", LimitDepth: "depth", LimitParts: "parts",
	LimitPartSize: "part-size", LimitTotalSize: "total-size",
	LimitRatio: "ratio", LimitPDFObjects: "pdf-objects",
	LimitOLESectors: "ole-sectors", LimitTime: "time",
	LimitFindings: "findings", LimitMessageParts: "parts",
	LimitMessageNesting: "depth", LimitHeaderSize: "header-size",
	LimitHeaderFields: "header-fields", LimitXMLElements: "xml-elements",
	LimitXMLDepth: "xml-depth", LimitHTMLPayloads: "html-payloads",
	LimitHTMLLiteral: "html-literal", LimitHTMLStyle: "html-style",
	LimitHTMLAttribute: "html-attribute",
}

// String is the limit's word in a Detail.
func (l Limit) String() string {
	if int(l) < len(limitWords) {
		return limitWords[l]
	}
	return fmt.Sprintf("limit(%d)", uint8(l))
}

// StopsWalk reports whether reaching l ends the whole walk (it is a bound
// of the walk, not of one part).
func (l Limit) StopsWalk() bool {
	return l == LimitParts || l == LimitTotalSize || l == LimitTime
}

// LimitError says which limit was hit. Its Error text is what lands in a
// finding's Detail: "limit depth=10".
type LimitError struct {
	Limit Limit
	Value int64 // the configured limit
}

func (e *LimitError) Error() string { return fmt.Sprintf("limit %s=%d", e.Limit, e.Value) }

// Unwrap makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Unwrap() error { return ErrLimit }

// Finding is the unscannable finding that reports e: Detail is e's text,
// Limit names the limit.
func (e *LimitError) Finding() Finding {
	return Finding{Kind: KindUnscannable, Detail: e.Error(), Limit: e.Limit}
}

// LimitFinding is the unscannable finding for limit l at value v.
func LimitFinding(l Limit, v int64) Finding { return (&LimitError{Limit: l, Value: v}).Finding() }

// Unscannable is the unscannable finding for err: its text is the Detail,
// and when err is a *LimitError itself (not one wrapped in more text) the
// finding names its limit.
func Unscannable(err error) Finding {
	if le, ok := err.(*LimitError); ok {
		return le.Finding()
	}
	return Finding{Kind: KindUnscannable, Detail: err.Error()}
}

// TimedOut reports whether f says a walk ran out of time (an unscannable
// finding made from a LimitError for LimitTime): officemilter's problem,
// not the sender's.
func TimedOut(f Finding) bool {
	return f.Kind == KindUnscannable && f.Limit == LimitTime
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
			return 0, &LimitError{Limit: LimitRatio, Value: r.max}
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
