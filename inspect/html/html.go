package html

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector inspects HTML, SVG and App Installer files. It is stateless and
// safe for concurrent use.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns an HTML inspector.
func New() *Inspector { return &Inspector{} }

// Families are the families Inspector handles.
var Families = []inspect.Family{inspect.FamilyHTML, inspect.FamilyAppInstaller}

// Bounds. Every buffer the tokenizer keeps is capped; a literal or an
// attribute value over its cap that could have held a payload is an
// unscannable finding, never silently cut.
const (
	chunk = 64 << 10
	// maxPayloads caps the distinct payloads one file hands on.
	maxPayloads = 256
	// maxPending caps the decoded script payloads held until the end of
	// the file (where the download names are known).
	maxPending = 32 << 20
	// minB64Literal is the shortest script literal decoded as base64 (a
	// hash or a token is shorter; a file is longer).
	minB64Literal = 200
	// minNumbers is the shortest list of byte values decoded as a payload.
	minNumbers = 256
	// largeB64 is a base64 literal that counts as a smuggled payload.
	largeB64 = 1024
	// maxFileLiterals caps the file-name-like literals kept as download
	// names of last resort.
	maxFileLiterals = 16
	// maxName caps a download name.
	maxName = 128
)

// maxLiteral caps one attribute value, one run of script string literals,
// one list of byte values or one style sheet kept for decoding, and the
// attribute values of one tag together. A variable only so that tests can
// lower it.
var maxLiteral = 32 << 20

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	switch p.Family {
	case inspect.FamilyAppInstaller:
		s.SetType(inspect.TypeAppInstaller)
		// The App Installer schema (2017/2 ... 2021) has no variant that
		// does not install: a MainPackage or MainBundle from a URI.
		s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "App Installer file (ms-appinstaller)"})
		return nil
	case inspect.FamilyHTML:
		return inspectMarkup(ctx, p, s)
	}
	return fmt.Errorf("html: family %s not handled", p.Family)
}

// scan is the state of one file's inspection.
type scan struct {
	ctx    context.Context
	s      inspect.Scope
	limits inspect.Limits
	err    error // a Child error that stops the walk

	m  markup
	js jsLexer

	root    string // first element
	script  bool   // any script at all
	seed    maphash.Seed
	seen    map[uint64]bool
	nPay    int
	limited map[inspect.Limit]bool

	// Script signals.
	blob, msSave, atob, downloadProp bool
	b64Large, scriptPayload          bool
	dataNav                          bool
	dataDownload                     bool // markup: <a download href=data:...> or a non-displayable data: navigation

	names        []string // download names the script sets, in order
	fileLits     []string // literals that look like file names (a.download = fileName)
	pending      []payload
	pendingBytes int
}

type payload struct {
	name string // "" until named
	ext  string
	data []byte
}

func inspectMarkup(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	st := &scan{ctx: ctx, s: s, limits: p.Limits, seed: maphash.MakeSeed(), seen: map[uint64]bool{}, limited: map[inspect.Limit]bool{}}
	st.m.init(st)
	st.js.init(st)
	err := feedPart(ctx, p, st.m.feed, func() bool { return st.err == nil })
	if err == nil {
		st.m.end()
	}
	if st.root == "svg" {
		s.SetType(inspect.TypeSVG)
	} else {
		s.SetType(inspect.TypeHTML)
	}
	// What was seen is reported even when the walk must stop or the file
	// could not be read to its end: findings only add strictness.
	st.findings()
	if st.err != nil {
		return st.err
	}
	if err != nil {
		return err
	}
	return st.flush()
}

// feedPart reads the part in chunks and hands them to feed, decoding
// UTF-16 (with a byte order mark) to bytes that keep ASCII: markup and
// script syntax are ASCII, other characters become '?'.
func feedPart(ctx context.Context, p inspect.Part, feed func([]byte), ok func() bool) error {
	// A part held in memory is fed in place; others are read into buf.
	mem := inspect.InMemory(p.R, p.Size)
	var buf []byte
	if mem == nil {
		buf = make([]byte, min(p.Size, chunk))
	}
	var narrow []byte
	utf16 := 0 // 0 no, 1 little endian, 2 big endian
	for pos := int64(0); pos < p.Size && ok(); {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(int64(chunk), p.Size-pos))
		var b []byte
		if mem != nil {
			b = mem[pos : pos+int64(n)]
		} else {
			k, err := p.R.ReadAt(buf[:n], pos)
			if k == 0 {
				if err == nil || errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("read: %w", err)
			}
			b = buf[:k]
		}
		k := len(b)
		if pos == 0 {
			switch {
			case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
				b = b[3:]
			case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
				utf16, b = 1, b[2:]
			case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
				utf16, b = 2, b[2:]
			}
		}
		pos += int64(k)
		if utf16 != 0 {
			// chunk is even and so is the BOM: units never straddle reads
			// except at a truncated end.
			narrow = narrow[:0]
			for i := 0; i+1 < len(b); i += 2 {
				lo, hi := b[i], b[i+1]
				if utf16 == 2 {
					lo, hi = hi, lo
				}
				if hi != 0 || lo >= 0x80 {
					lo = '?'
				}
				narrow = append(narrow, lo)
			}
			b = narrow
		}
		feed(b)
	}
	return nil
}

// findings reports what the whole file showed.
func (st *scan) findings() {
	emit := func(d string) {
		st.s.Emit(inspect.Finding{Kind: inspect.KindActiveContent, Detail: d})
	}
	if st.script {
		emit("script")
	}
	evidence := st.atob || st.b64Large || st.scriptPayload
	blobDone := false
	if st.blob && evidence {
		emit("HTML smuggling: Blob download")
		blobDone = true
	}
	if st.msSave && (evidence || st.blob) {
		emit("HTML smuggling: msSaveOrOpenBlob")
		blobDone = true
	}
	if st.dataNav {
		emit("HTML smuggling: data: URI download from script")
	}
	if st.downloadProp && evidence && !blobDone && !st.dataNav {
		emit("HTML smuggling: download attribute set from script")
	}
	if st.dataDownload {
		emit("HTML smuggling: data: URI download")
	}
}

// limit reports a hit bound once per file.
func (st *scan) limit(l inspect.Limit, v int64) {
	if st.limited[l] {
		return
	}
	st.limited[l] = true
	st.s.Emit(inspect.LimitFinding(l, v))
}

// hand gives one decoded payload to the engine, or holds it (script
// payloads wait for the download names the script sets later).
func (st *scan) hand(name, ext string, data []byte, hold bool) {
	if st.err != nil || len(data) == 0 {
		return
	}
	h := maphash.Bytes(st.seed, data)
	if st.seen[h] {
		return
	}
	if st.nPay >= maxPayloads {
		st.limit(inspect.LimitHTMLPayloads, maxPayloads)
		return
	}
	if int64(len(data)) > st.limits.MaxPartSize {
		st.limit(inspect.LimitPartSize, st.limits.MaxPartSize)
		return
	}
	st.seen[h] = true
	st.nPay++
	if hold && st.pendingBytes+len(data) <= maxPending {
		st.pending = append(st.pending, payload{name: name, ext: ext, data: data})
		st.pendingBytes += len(data)
		return
	}
	st.child(name, ext, data)
}

func (st *scan) child(name, ext string, data []byte) {
	if name == "" {
		name = "payload-" + strconv.Itoa(st.nPay) + ext
	}
	if err := st.s.ChildAt(name, inspect.BytesReaderAt(data), int64(len(data))); err != nil && st.err == nil {
		st.err = err
	}
}

// flush hands on the held script payloads, the first ones named by the
// download names the script set, in order; failing those, by the literals
// that look like file names (the name is often a variable set earlier).
func (st *scan) flush() error {
	names := st.names
	if len(names) == 0 {
		names = st.fileLits
	}
	for i, p := range st.pending {
		if st.err != nil {
			break
		}
		name := p.name
		if name == "" && i < len(names) {
			name = names[i]
		}
		if name == "" {
			name = "script-payload-" + strconv.Itoa(i+1) + p.ext
		}
		st.child(name, "", p.data)
		st.pending[i].data = nil
	}
	st.pending = nil
	return st.err
}
