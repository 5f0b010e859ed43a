package inspect

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Part is one file handed to an inspector: the inspected file itself or a
// member found inside another.
type Part struct {
	// Name is the file name as the sender or the container gave it (may be
	// empty, may be a path inside an archive).
	Name string
	// Declared is the MIME type the sender declared for it, if any.
	Declared string
	// Size is the number of bytes R holds.
	Size int64
	// R gives random access to the content (zip, CFB and PDF need it).
	R io.ReaderAt
	// Depth is 0 for the inspected file, 1 for a member of it, and so on.
	Depth int
	// Family is what Sniff said.
	Family Family
	// Limits are the effective limits of this walk (defaults filled in).
	Limits Limits
	// Zip is the central directory Sniff already read for a zip-based
	// family (nil otherwise); inspectors use it instead of reading it again.
	Zip *zip.Reader
}

// Bytes returns up to n bytes of p at off, fewer when the part ends first
// (no error then); it never reads beyond p.Size. Only I/O errors are
// returned. Callers bound n by a constant or by what they checked against
// p.Size, never by a header field alone.
func (p Part) Bytes(off int64, n int) ([]byte, error) {
	if off < 0 || off >= p.Size || n <= 0 {
		return nil, nil
	}
	if rest := p.Size - off; int64(n) > rest {
		n = int(rest)
	}
	b := make([]byte, n)
	k, err := p.R.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return b[:k], err
	}
	return b[:k], nil
}

// Scope is how an inspector reports what it finds. The engine implements it.
type Scope interface {
	// SetType refines the part's type name (one of TypeNames).
	SetType(t string)
	// Emit records a finding. Its Where is relative to the part ("" for the
	// part itself); the engine prefixes the part's own path and fills Type.
	Emit(f Finding)
	// Child inspects nested content read from r (a zip member, an embedded
	// file, a decoded attachment). The engine spools it, enforcing the size
	// limits. It returns a non-nil error only when the whole walk must stop
	// (time, total size, part count): the inspector should then return it.
	// Problems of the child alone become findings and Child returns nil.
	Child(name string, r io.Reader) error
	// ChildAt is Child for content that is already random-access (a stream
	// of a compound file, a byte range of the parent).
	ChildAt(name string, r io.ReaderAt, size int64) error
}

// Inspector analyses one family of formats.
//
// Inspect returns an error only when it could not inspect the part
// completely (malformed beyond what readers tolerate, unsupported variant,
// a limit): the engine turns that into an unscannable finding. Inspectors
// must not log, must check untrusted counts against p.Size before
// allocating, and should return ctx.Err() promptly once ctx is done.
type Inspector interface {
	Inspect(ctx context.Context, p Part, s Scope) error
}

// Result is what the engine says about one inspected file.
type Result struct {
	// Type is the content type name of the file (one of TypeNames).
	Type string `json:"type"`
	// Declared is the type its name claims, set only when that differs
	// from Type (a .pdf that is really a .doc says "pdf" here).
	Declared string `json:"declared,omitempty"`
	// Findings of the file and of everything inside it, in walk order.
	Findings []Finding `json:"findings"`
	// Notes are facts about the file and everything inside it that are
	// not findings (a document's own signatures), in walk order.
	Notes []Note `json:"notes,omitempty"`
	// Parts is the number of files and members inspected; Bytes the number
	// of (expanded) bytes they held.
	Parts int   `json:"-"`
	Bytes int64 `json:"-"`
}

// Has reports whether r holds a finding of kind k.
func (r *Result) Has(k Kind) bool {
	for _, f := range r.Findings {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// HasAt reports whether r holds a finding of kind k about the file itself
// (not about something inside it).
func (r *Result) HasAt(k Kind, where string) bool {
	for _, f := range r.Findings {
		if f.Kind == k && f.Where == where {
			return true
		}
	}
	return false
}

// Engine walks a file and everything nested in it, handing each part to the
// inspector registered for its family. It is safe for concurrent use.
type Engine struct {
	inspectors map[Family]Inspector
	limits     Limits
	panics     atomic.Int64
}

// NewEngine returns an engine with the given inspectors (see inspect/all for
// the full set) and limits (zero fields take DefaultLimits).
func NewEngine(inspectors map[Family]Inspector, limits Limits) *Engine {
	m := make(map[Family]Inspector, len(inspectors))
	for k, v := range inspectors {
		m[k] = v
	}
	return &Engine{inspectors: m, limits: limits.WithDefaults()}
}

// Limits returns the engine's effective limits.
func (e *Engine) Limits() Limits { return e.limits }

// Panics returns how many inspector panics the engine has recovered.
func (e *Engine) Panics() int64 { return e.panics.Load() }

// Inspect walks the file in r (size bytes) named name, with declared MIME
// type declared (may be empty). It always returns a result: what could not
// be inspected is an unscannable finding, never an error.
func (e *Engine) Inspect(ctx context.Context, name, declared string, r io.ReaderAt, size int64) *Result {
	return e.InspectAt(ctx, name, declared, r, size, 0)
}

// InspectAt is Inspect for a file that sits depth levels below the root of
// a message (an attachment of a multipart message is at 1, see
// mime.Leaf.Depth): what it contains counts on from there against
// Limits.MaxDepth.
func (e *Engine) InspectAt(ctx context.Context, name, declared string, r io.ReaderAt, size int64, depth int) *Result {
	ctx, cancel := context.WithTimeout(withBudget(ctx, e.limits), e.limits.MaxTime)
	w := &walk{e: e, ctx: ctx, seen: map[findingKey]bool{}}
	done := make(chan *Result, 1)
	go func() {
		defer cancel()
		done <- w.run(name, declared, r, size, depth)
	}()
	select {
	case res := <-done:
		return res
	case <-ctx.Done():
	}
	// The walk should stop by itself now; give it a moment.
	t := time.NewTimer(e.limits.TimeoutGrace)
	defer t.Stop()
	select {
	case res := <-done:
		return res
	case <-t.C:
		// An inspector ignores its context: answer without it. It keeps
		// running until it returns; it owns its spools and closes them then.
		f := LimitFinding(LimitTime, int64(e.limits.MaxTime/time.Second))
		f.Detail += "s (inspector did not stop)"
		w.emit(f)
		return w.snapshot(false)
	}
}

type findingKey struct {
	kind          Kind
	where, detail string
}

// walk is the state of one Inspect call.
type walk struct {
	e     *Engine
	ctx   context.Context
	parts int
	bytes int64
	mem   int64 // bytes held in in-memory spools right now

	mu        sync.Mutex
	findings  []Finding
	seen      map[findingKey]bool
	notes     []Note
	truncated bool   // MaxFindings reached
	top       string // type of the top-level file, once known
	declared  string
}

// emitOther records the unscannable finding for err about the member at
// where, which was not inspected (its type is "other").
func (w *walk) emitOther(where string, err error) {
	f := Unscannable(err)
	f.Type, f.Where = TypeOther, where
	w.emit(f)
}

func (w *walk) emit(f Finding) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := findingKey{f.Kind, f.Where, f.Detail}
	if w.seen[k] {
		return
	}
	if max := w.e.limits.MaxFindings; len(w.findings) >= max {
		if !w.truncated {
			w.truncated = true
			lf := LimitFinding(LimitFindings, int64(max))
			lf.Type = f.Type
			w.findings = append(w.findings, lf)
		}
		return
	}
	w.seen[k] = true
	w.findings = append(w.findings, f)
}

// note records a note once; like findings, there are at most MaxFindings.
func (w *walk) note(n Note) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.notes) >= w.e.limits.MaxFindings {
		return
	}
	for _, x := range w.notes {
		if x == n {
			return
		}
	}
	w.notes = append(w.notes, n)
}

// snapshot copies the result so far; counts only when the walk is over
// (they belong to the walk's goroutine).
func (w *walk) snapshot(counts bool) *Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	res := &Result{Type: w.top, Declared: w.declared, Findings: append([]Finding{}, w.findings...)}
	if len(w.notes) > 0 {
		res.Notes = append([]Note{}, w.notes...)
	}
	if counts {
		res.Parts, res.Bytes = w.parts, w.bytes
	}
	if res.Type == "" {
		res.Type = TypeOther
	}
	return res
}

func (w *walk) run(name, declared string, r io.ReaderAt, size int64, depth int) *Result {
	w.bytes = size
	typ, decl, err := w.node("", name, declared, r, size, depth)
	if err != nil {
		f := Unscannable(err)
		f.Type = typ
		w.emit(f)
	}
	w.mu.Lock()
	w.top, w.declared = typ, decl
	w.mu.Unlock()
	return w.snapshot(true)
}

// node inspects one part at path where and returns its type and, when its
// name claims another type, that one. A returned error stops the whole walk.
func (w *walk) node(where, name, declared string, r io.ReaderAt, size int64, depth int) (typ, decl string, stop error) {
	w.parts++
	if w.parts > w.e.limits.MaxParts {
		return TypeOther, "", &LimitError{Limit: LimitParts, Value: int64(w.e.limits.MaxParts)}
	}
	fam, zr, alts := sniffReadings(r, size, name)
	sc := &scope{w: w, where: where, depth: depth, typ: DefaultType(fam)}
	for _, a := range alts {
		sc.emitOwn(Finding{Kind: KindAmbiguous, Detail: a.detail})
	}
	p := Part{Name: name, Declared: declared, Size: size, R: r, Depth: depth, Family: fam, Limits: w.e.limits, Zip: zr}
	var err error
	if ins := w.e.inspectors[fam]; ins != nil {
		err = w.call(ins, p, sc)
	} else if fam != FamilyOther && fam != FamilyText {
		err = fmt.Errorf("no inspector for %s content", fam)
	}
	typ = sc.typ
	// The name may pick a member of the family content cannot tell apart
	// (a PowerPoint binary named .pps), or claim something else entirely.
	if nt := TypeFromName(name); nt != "" && nt != typ {
		if SameFamily(nt, typ) {
			typ = nt
		} else {
			decl = nt
		}
	}
	if LegacyOffice(typ) {
		sc.emitOwn(Finding{Kind: KindLegacyOffice, Detail: legacyDetail[typ]})
	} else if LegacyOffice(decl) {
		// Whichever is stricter wins: a name is enough for the policy.
		sc.emitOwn(Finding{Kind: KindLegacyOffice, Detail: fmt.Sprintf("by name: .%s (content: %s)", Ext(name), typ)})
	}
	// Another reading of the same bytes (AlsoType) counts like the type:
	// a Word 97 decoy beside an encrypted package is still legacy Office.
	for _, t := range sc.also {
		if t != typ && LegacyOffice(t) {
			sc.emitOwn(Finding{Kind: KindLegacyOffice, Detail: legacyDetail[t]})
		}
	}
	for i := range sc.own {
		if sc.own[i].Type == "" {
			sc.own[i].Type = typ
		}
		w.emit(sc.own[i])
	}
	if err := w.failed(err, typ, where); err != nil {
		return typ, decl, err
	}
	// Every other reading of the same bytes (a polyglot) is inspected too.
	for _, a := range alts {
		if err := w.reading(where, name, declared, r, size, depth, a); err != nil {
			return typ, decl, err
		}
	}
	return typ, decl, nil
}

// failed turns an inspector's error about the part at where (type typ)
// into an unscannable finding, or returns it when the whole walk must stop.
func (w *walk) failed(err error, typ, where string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || w.ctx.Err() != nil {
		return &LimitError{Limit: LimitTime, Value: int64(w.e.limits.MaxTime / time.Second)}
	}
	var le *LimitError
	if errors.As(err, &le) && le.Limit.StopsWalk() {
		return err
	}
	f := Unscannable(err)
	f.Type, f.Where = typ, where
	w.emit(f)
	return nil
}

// reading inspects another reading a of the part at where (the second
// format of a polyglot: its bytes, or the prefix or suffix that forms the
// second file) with the inspector of its family. Its findings carry its
// type; the part keeps the type of its first reading. A reading is not
// sniffed again, so it cannot lead back to itself.
func (w *walk) reading(where, name, declared string, r io.ReaderAt, size int64, depth int, a reading) error {
	ins := w.e.inspectors[a.fam]
	if ins == nil {
		return nil // nothing to inspect in it (an image): the ambiguity is reported
	}
	w.parts++
	if w.parts > w.e.limits.MaxParts {
		return &LimitError{Limit: LimitParts, Value: int64(w.e.limits.MaxParts)}
	}
	sc := &scope{w: w, where: where, depth: depth, typ: DefaultType(a.fam)}
	p := Part{Name: name, Declared: declared, Size: a.n, R: sectionOf(r, size, a.off, a.n), Depth: depth, Family: a.fam, Limits: w.e.limits, Zip: a.zr}
	err := w.call(ins, p, sc)
	for _, t := range append([]string{sc.typ}, sc.also...) {
		if LegacyOffice(t) {
			sc.emitOwn(Finding{Kind: KindLegacyOffice, Detail: legacyDetail[t]})
		}
	}
	for i := range sc.own {
		if sc.own[i].Type == "" {
			sc.own[i].Type = sc.typ
		}
		w.emit(sc.own[i])
	}
	return w.failed(err, sc.typ, where)
}

var legacyDetail = map[string]string{
	TypeDoc: "Word 97-2003 document", TypeDot: "Word 97-2003 template",
	TypeXLS: "Excel 97-2003 workbook", TypeXLT: "Excel 97-2003 template",
	TypePPT: "PowerPoint 97-2003 presentation", TypePOT: "PowerPoint 97-2003 template",
	TypePPS: "PowerPoint 97-2003 slide show",
}

// call runs one inspector, turning a panic into an error.
func (w *walk) call(ins Inspector, p Part, sc *scope) (err error) {
	defer func() {
		if v := recover(); v != nil {
			w.e.panics.Add(1)
			err = fmt.Errorf("inspector failure on %s content: %v", p.Family, v)
		}
	}()
	return ins.Inspect(w.ctx, p, sc)
}

// scope implements Scope for one part.
type scope struct {
	w     *walk
	where string
	depth int
	typ   string
	also  []string // types of the part's other readings (AlsoType)
	own   []Finding
	kids  int
}

// AlsoType tells the engine, through the scope s it gave an inspector,
// that the part reads as type t as well as the type SetType gave it (a
// compound file with the main streams of two documents: the inspector sets
// the most dangerous reading's type and names the others). The engine
// applies what it derives from a type, legacy-office, to every reading.
// Scopes not made by the engine ignore it.
func AlsoType(s Scope, t string) {
	if a, ok := s.(*scope); ok && ValidType(t) {
		a.also = append(a.also, t)
	}
}

// Noter is implemented by scopes that keep notes (the engine's): facts
// about a part that are not findings. Inspectors call AddNote.
type Noter interface {
	// Note records n; its Where is relative to the part, as a Finding's.
	Note(n Note)
}

// AddNote records the note n about the part of scope s (Where relative to
// it) when s keeps notes; scopes that do not (test recorders) ignore it.
func AddNote(s Scope, n Note) {
	if x, ok := s.(Noter); ok {
		x.Note(n)
	}
}

// Note implements Noter.
func (s *scope) Note(n Note) {
	n.Where = JoinWhere(s.where, n.Where)
	s.w.note(n)
}

func (s *scope) SetType(t string) {
	if ValidType(t) {
		s.typ = t
	}
}

func (s *scope) Emit(f Finding) {
	f.Where = JoinWhere(s.where, f.Where)
	s.own = append(s.own, f)
}

// emitOwn records a finding about the part itself.
func (s *scope) emitOwn(f Finding) {
	f.Where = s.where
	s.own = append(s.own, f)
}

// JoinWhere is the Where path of name inside parent (either may be
// empty; a leading "/" of name is dropped).
func JoinWhere(parent, name string) string {
	name = strings.TrimPrefix(name, "/")
	switch {
	case name == "":
		return parent
	case parent == "":
		return name
	}
	return parent + "/" + name
}

func (s *scope) childWhere(name string) string {
	s.kids++
	if name == "" {
		name = fmt.Sprintf("part%d", s.kids)
	}
	return JoinWhere(s.where, name)
}

// begin names a child of the part, to be inspected at depth, and checks
// the walk's time and depth: ok is false when the child is not to be
// inspected, and stop then says whether the whole walk ends.
func (s *scope) begin(name string, depth int) (where string, ok bool, stop error) {
	w := s.w
	where = s.childWhere(name)
	if err := w.ctx.Err(); err != nil {
		return where, false, &LimitError{Limit: LimitTime, Value: int64(w.e.limits.MaxTime / time.Second)}
	}
	if depth > w.e.limits.MaxDepth {
		w.emitOther(where, &LimitError{Limit: LimitDepth, Value: int64(w.e.limits.MaxDepth)})
		return where, false, nil
	}
	return where, true, nil
}

// inspectChild walks the child at where, named name in its container.
func (s *scope) inspectChild(where, name string, r io.ReaderAt, size int64, depth int) error {
	_, _, stop := s.w.node(where, path.Base(strings.ReplaceAll(name, "\\", "/")), "", r, size, depth)
	return stop
}

// ChildBelow is s.Child for content that sits levels levels below the
// part rather than one (an attachment of a message forwarded inside the
// message: every multipart and message/rfc822 level counts against
// Limits.MaxDepth). Scopes not made by the engine take it as Child.
func ChildBelow(s Scope, name string, r io.Reader, levels int) error {
	if a, ok := s.(*scope); ok {
		return a.child(name, r, a.depth+max(levels, 1))
	}
	return s.Child(name, r)
}

func (s *scope) Child(name string, r io.Reader) error { return s.child(name, r, s.depth+1) }

func (s *scope) child(name string, r io.Reader, depth int) error {
	where, ok, stop := s.begin(name, depth)
	if !ok {
		return stop
	}
	w, lim := s.w, s.w.e.limits
	capBytes := lim.MaxPartSize
	totalLeft := lim.MaxTotalSize - w.bytes
	totalCap := false
	if totalLeft < capBytes {
		capBytes, totalCap = totalLeft, true
	}
	if capBytes <= 0 {
		return &LimitError{Limit: LimitTotalSize, Value: lim.MaxTotalSize}
	}
	memMax := lim.MemSpool
	if w.mem+memMax > lim.MemBudget {
		memMax = 0
	}
	capErr := &LimitError{Limit: LimitPartSize, Value: lim.MaxPartSize}
	if totalCap {
		capErr = &LimitError{Limit: LimitTotalSize, Value: lim.MaxTotalSize}
	}
	sp := NewSpool(lim.TempDir, memMax, capBytes, capErr)
	defer sp.Close()
	_, rerr := sp.ReadFrom(ContextReader(w.ctx, r))
	w.bytes += sp.Size()
	if sp.InMemory() {
		w.mem += sp.Size()
		defer func() { w.mem -= sp.Size() }()
	}
	if rerr != nil {
		var le *LimitError
		switch {
		case w.ctx.Err() != nil:
			return &LimitError{Limit: LimitTime, Value: int64(lim.MaxTime / time.Second)}
		case errors.As(rerr, &le) && le.Limit == LimitTotalSize:
			w.emitOther(where, rerr)
			return rerr
		case errors.As(rerr, &le):
			w.emitOther(where, rerr)
		default:
			w.emit(Finding{Kind: KindUnscannable, Type: TypeOther, Where: where, Detail: "read: " + rerr.Error()})
		}
		// Inspect what could be read: a truncated member may still show
		// what it is; findings only add strictness.
	}
	return s.inspectChild(where, name, sp, sp.Size(), depth)
}

func (s *scope) ChildAt(name string, r io.ReaderAt, size int64) error {
	where, ok, stop := s.begin(name, s.depth+1)
	if !ok {
		return stop
	}
	w, lim := s.w, s.w.e.limits
	if size > lim.MaxPartSize {
		w.emitOther(where, &LimitError{Limit: LimitPartSize, Value: lim.MaxPartSize})
		return nil
	}
	if w.bytes+size > lim.MaxTotalSize {
		w.emitOther(where, &LimitError{Limit: LimitTotalSize, Value: lim.MaxTotalSize})
		return &LimitError{Limit: LimitTotalSize, Value: lim.MaxTotalSize}
	}
	w.bytes += size
	return s.inspectChild(where, name, r, size, s.depth+1)
}
