package pdf

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// The lexer reads the PDF token syntax (ISO 32000-1 7.2, 7.3) from a window
// of bytes. It is tolerant where readers are (junk between tokens is
// skipped, an unterminated string or dictionary at the end of the data is
// taken as it is) and strict where it must be: nesting is capped and running
// off the end of a window that is not the end of the data says so (errMore)
// so that the caller can retry with a larger window.

var (
	// errMore: the window ended inside a token or an object; more data is
	// needed to parse it.
	errMore = errors.New("need more data")
	// errDeep: arrays and dictionaries nest deeper than maxDepth.
	errDeep = errors.New("nesting too deep")
)

// maxDepth caps the nesting of arrays and dictionaries. Real documents stay
// well under 20; recursion beyond this is an attack on the parser.
const maxDepth = 100

// maxArrayNumbers: numbers beyond this many in one array (glyph widths,
// coordinates) are counted but not kept; no verdict depends on them.
const maxArrayNumbers = 4096

type tokKind uint8

const (
	tEOF tokKind = iota
	tInt
	tReal
	tName
	tString
	tArrOpen
	tArrClose
	tDictOpen
	tDictClose
	tKeyword
	tJunk // a delimiter out of place: ')', '{', '}', a single '>'
)

type token struct {
	kind tokKind
	i    int64
	f    float64
	s    []byte // name (decoded), string (decoded, a copy), keyword
}

type lexer struct {
	b   []byte
	pos int
	// eof: b ends where the data ends, so running out of bytes is the end
	// of the object, not a reason to ask for more.
	eof bool
	// values counts the values parsed so far.
	values int
}

// ISO 32000-1 7.2.2 Table 1: white-space characters.
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// ISO 32000-1 7.2.2 Table 2: delimiter characters.
func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

// skipSpace skips white space and comments (ISO 32000-1 7.2.3).
func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if isSpace(c) {
			l.pos++
			continue
		}
		if c != '%' {
			return
		}
		for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
			l.pos++
		}
	}
}

func (l *lexer) short() (token, error) {
	if l.eof {
		return token{kind: tEOF}, nil
	}
	return token{}, errMore
}

// next returns the next token.
func (l *lexer) next() (token, error) {
	l.skipSpace()
	if l.pos >= len(l.b) {
		return l.short()
	}
	c := l.b[l.pos]
	switch c {
	case '[':
		l.pos++
		return token{kind: tArrOpen}, nil
	case ']':
		l.pos++
		return token{kind: tArrClose}, nil
	case '<':
		if l.pos+1 >= len(l.b) {
			if !l.eof {
				return token{}, errMore
			}
			l.pos++
			return token{kind: tJunk}, nil
		}
		if l.b[l.pos+1] == '<' {
			l.pos += 2
			return token{kind: tDictOpen}, nil
		}
		return l.hexString()
	case '>':
		if l.pos+1 >= len(l.b) && !l.eof {
			return token{}, errMore
		}
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '>' {
			l.pos += 2
			return token{kind: tDictClose}, nil
		}
		l.pos++
		return token{kind: tJunk}, nil
	case '(':
		return l.literalString()
	case '/':
		return l.name()
	case ')', '{', '}':
		l.pos++
		return token{kind: tJunk}, nil
	}
	start := l.pos
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.b) && !l.eof {
		return token{}, errMore
	}
	return word(l.b[start:l.pos]), nil
}

// word classifies a run of regular characters: an integer, a real number
// (ISO 32000-1 7.3.3) or a keyword.
func word(w []byte) token {
	digits, dot, sign := 0, 0, 0
	for i, c := range w {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot++
		case (c == '+' || c == '-') && i == 0:
			sign++
		default:
			return token{kind: tKeyword, s: w}
		}
	}
	if digits == 0 || dot > 1 {
		return token{kind: tKeyword, s: w}
	}
	if dot == 0 && digits <= 18 {
		var n int64
		for _, c := range w[sign:] {
			n = n*10 + int64(c-'0')
		}
		if sign == 1 && w[0] == '-' {
			n = -n
		}
		return token{kind: tInt, i: n}
	}
	f, err := strconv.ParseFloat(string(w), 64)
	if err != nil || math.IsInf(f, 0) {
		// Out of range: readers clamp; the value never matters here.
		f = 0
	}
	return token{kind: tReal, f: f}
}

// name reads a name object, decoding #xx escapes (ISO 32000-1 7.3.5).
func (l *lexer) name() (token, error) {
	l.pos++ // '/'
	start := l.pos
	esc := false
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		if l.b[l.pos] == '#' {
			esc = true
		}
		l.pos++
	}
	if l.pos >= len(l.b) && !l.eof {
		return token{}, errMore
	}
	raw := l.b[start:l.pos]
	if !esc {
		return token{kind: tName, s: raw}, nil
	}
	return token{kind: tName, s: inspect.HexUnescape(raw, '#')}, nil
}

// literalString reads a literal string (ISO 32000-1 7.3.4.2): balanced
// parentheses, backslash escapes, octal codes, line continuations.
func (l *lexer) literalString() (token, error) {
	l.pos++ // '('
	var out []byte
	depth := 1
	b := l.b
	for l.pos < len(b) {
		c := b[l.pos]
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.pos++
				return token{kind: tString, s: out}, nil
			}
		case '\\':
			if l.pos+1 >= len(b) {
				l.pos++
				continue
			}
			l.pos++
			e := b[l.pos]
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r':
				// Line continuation: \ CR LF or \ CR.
				if l.pos+1 < len(b) && b[l.pos+1] == '\n' {
					l.pos++
				}
			case '\n':
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos+1 < len(b) && b[l.pos+1] >= '0' && b[l.pos+1] <= '7'; k++ {
						l.pos++
						v = v*8 + int(b[l.pos]-'0')
					}
					out = append(out, byte(v))
				} else {
					// \( \) \\ and unknown escapes: the character itself.
					out = append(out, e)
				}
			}
			l.pos++
			continue
		}
		out = append(out, c)
		l.pos++
	}
	if !l.eof {
		return token{}, errMore
	}
	return token{kind: tString, s: out}, nil
}

// hexString reads a hexadecimal string (ISO 32000-1 7.3.4.3); an odd final
// digit is followed by an implied 0. Other junk is skipped.
func (l *lexer) hexString() (token, error) {
	l.pos++ // '<'
	var out []byte
	var hi byte
	half := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			if half {
				out = append(out, hi<<4)
			}
			return token{kind: tString, s: out}, nil
		}
		v, ok := inspect.HexDigit(c)
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if !l.eof {
		return token{}, errMore
	}
	if half {
		out = append(out, hi<<4)
	}
	return token{kind: tString, s: out}, nil
}

// terminator reports whether a keyword ends the object being parsed, so that
// a missing ">>" or "]" does not swallow the next object.
func terminator(k []byte) bool {
	switch string(k) {
	case "endobj", "stream", "endstream", "obj", "trailer", "xref", "startxref":
		return true
	}
	return false
}

// value parses the value that starts with token t.
func (l *lexer) value(t token, depth int) (object, error) {
	l.values++
	switch t.kind {
	case tInt:
		// "num gen R" is an indirect reference (ISO 32000-1 7.3.10).
		if t.i < 0 || t.i > math.MaxInt32 {
			return t.i, nil
		}
		switch r, st := l.quickRef(t.i); st {
		case refYes:
			return r, nil
		case refNo:
			return t.i, nil
		case refMore:
			return nil, errMore
		}
		save := l.pos
		t2, err := l.next()
		if err != nil {
			return nil, err
		}
		if t2.kind == tInt && t2.i >= 0 && t2.i <= math.MaxInt32 {
			t3, err := l.next()
			if err != nil {
				return nil, err
			}
			if t3.kind == tKeyword && string(t3.s) == "R" {
				return ref{num: int32(t.i), gen: int32(t2.i)}, nil
			}
		}
		l.pos = save
		return t.i, nil
	case tReal:
		return t.f, nil
	case tName:
		return intern(t.s), nil
	case tString:
		return str(t.s), nil
	case tArrOpen:
		return l.array(depth + 1)
	case tDictOpen:
		return l.dict(depth + 1)
	case tKeyword:
		switch string(t.s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return kw(t.s), nil
	}
	return nil, nil
}

type refState uint8

const (
	refNo refState = iota
	refYes
	refMore // the window ends before it can tell
	refSlow // a comment is in the way: use the tokenizer
)

// quickRef tells whether "gen R" follows an integer without tokenizing:
// most integers in a document are not object numbers, and looking ahead
// two tokens for each would triple the work on number arrays.
func (l *lexer) quickRef(num int64) (ref, refState) {
	b := l.b
	i := l.pos
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	switch {
	case j == len(b) && !l.eof:
		return ref{}, refMore
	case i < len(b) && b[i] == '%':
		return ref{}, refSlow
	case j == i || j-i > 10 || (j < len(b) && !isSpace(b[j])):
		return ref{}, refNo
	}
	k := j
	for k < len(b) && isSpace(b[k]) {
		k++
	}
	switch {
	case k+1 >= len(b) && !l.eof:
		return ref{}, refMore
	case k >= len(b):
		return ref{}, refNo
	case b[k] == '%':
		return ref{}, refSlow
	case b[k] != 'R' || (k+1 < len(b) && isRegular(b[k+1])):
		return ref{}, refNo
	}
	var gen int64
	for _, c := range b[i:j] {
		gen = gen*10 + int64(c-'0')
	}
	if gen > math.MaxInt32 {
		return ref{}, refNo
	}
	l.pos = k + 1
	return ref{num: int32(num), gen: int32(gen)}, refYes
}

// array parses the rest of an array after "[".
func (l *lexer) array(depth int) (object, error) {
	if depth > maxDepth {
		return nil, errDeep
	}
	var a array
	numbers := 0
	for {
		start := l.pos
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEOF, tArrClose:
			return a, nil
		case tDictClose:
			// A missing "]": leave ">>" to the dictionary around it.
			l.pos = start
			return a, nil
		case tJunk:
			continue
		case tKeyword:
			if terminator(t.s) {
				l.pos = start
				return a, nil
			}
		}
		v, err := l.value(t, depth)
		if err != nil {
			return nil, err
		}
		switch v.(type) {
		case kw:
			continue
		case int64, float64:
			numbers++
			if numbers > maxArrayNumbers {
				continue
			}
		}
		a = append(a, v)
	}
}

// common names are shared instead of allocated for every occurrence.
var common = func() map[string]name {
	m := map[string]name{}
	for _, n := range strings.Fields(`Type Subtype Length Filter DecodeParms FlateDecode
		Page Pages Parent Kids Count MediaBox CropBox Contents Resources Font
		Type1 TrueType Type0 BaseFont FirstChar LastChar Widths FontDescriptor
		Encoding WinAnsiEncoding ProcSet PDF Text ImageB ImageC XObject Image
		Width Height BitsPerComponent ColorSpace DeviceRGB DeviceGray DCTDecode
		ExtGState Annots Annot Link Rect Border A S D URI GoTo Dest XYZ Fit
		Catalog Root Info Size Prev ID ObjStm XRef N First W Index Outlines
		Names Dests Title Producer Creator CreationDate ModDate Metadata XML
		FontName Flags FontBBox ItalicAngle Ascent Descent CapHeight StemV
		FontFile FontFile2 FontFile3 ToUnicode CIDSystemInfo DW CIDFontType2
		Identity Identity-H DescendantFonts Columns Predictor Lang StructParents
		Group Transparency CS I K P Tabs BM CA ca Normal AIS`) {
		m[n] = name(n)
	}
	return m
}()

func intern(b []byte) name {
	if n, ok := common[string(b)]; ok {
		return n
	}
	return name(b)
}

// dict parses the rest of a dictionary after "<<".
func (l *lexer) dict(depth int) (object, error) {
	if depth > maxDepth {
		return nil, errDeep
	}
	d := make(dict, 0, 8)
	for {
		start := l.pos
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEOF, tDictClose:
			return d, nil
		case tName:
		case tKeyword:
			if terminator(t.s) {
				l.pos = start
				return d, nil
			}
			continue
		case tArrOpen, tDictOpen:
			// A value where a key should be: parse it to stay in step.
			if _, err := l.value(t, depth); err != nil {
				return nil, err
			}
			continue
		default:
			continue
		}
		k := intern(t.s)
		vstart := l.pos
		t2, err := l.next()
		if err != nil {
			return nil, err
		}
		switch t2.kind {
		case tEOF, tDictClose:
			d = append(d, kv{k: k})
			return d, nil
		case tArrClose, tJunk:
			d = append(d, kv{k: k})
			continue
		case tKeyword:
			if terminator(t2.s) {
				l.pos = vstart
				d = append(d, kv{k: k})
				return d, nil
			}
		}
		v, err := l.value(t2, depth)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(kw); ok {
			v = nil
		}
		d = append(d, kv{k: k, v: v})
	}
}

// parseValue parses one value at the lexer's position (an object stream
// member, a trailer dictionary). A keyword is returned as kw.
func (l *lexer) parseValue() (object, error) {
	t, err := l.next()
	if err != nil {
		return nil, err
	}
	if t.kind == tEOF {
		return nil, nil
	}
	return l.value(t, 0)
}

// indirect is an indirect object definition as parsed from "num gen obj".
type indirect struct {
	num, gen int32
	v        object
	// dataOff is where the stream data starts (relative to the window),
	// or -1 when the object is not a stream.
	dataOff int
	// end is where a well-formed object ends: just after its "endobj"
	// (0 when the object is a stream or has none).
	end int
}

var errNotObject = errors.New("not an indirect object")

// parseIndirect parses "num gen obj value [stream]" (ISO 32000-1 7.3.10)
// at the start of the lexer's window.
func (l *lexer) parseIndirect() (indirect, error) {
	var ob indirect
	t1, err := l.next()
	if err != nil {
		return ob, err
	}
	t2, err := l.next()
	if err != nil {
		return ob, err
	}
	t3, err := l.next()
	if err != nil {
		return ob, err
	}
	if t1.kind != tInt || t2.kind != tInt || t3.kind != tKeyword || string(t3.s) != "obj" ||
		t1.i < 0 || t2.i < 0 {
		return ob, errNotObject
	}
	ob.num, ob.gen, ob.dataOff = int32(t1.i), int32(t2.i), -1
	if t1.i > math.MaxInt32 || t2.i > 65535 {
		// Object number overflow: no reference can reach it, but its
		// keys are still looked at.
		ob.num, ob.gen = -1, 0
	}
	start := l.pos
	t, err := l.next()
	if err != nil {
		return ob, err
	}
	if t.kind == tEOF || (t.kind == tKeyword && terminator(t.s)) {
		l.pos = start
		return ob, nil // an empty object is null
	}
	v, err := l.value(t, 0)
	if err != nil {
		return ob, err
	}
	if _, ok := v.(kw); ok {
		v = nil
	}
	ob.v = v
	l.skipSpace()
	if hasWordAt(l.b, l.pos, "endobj") {
		ob.end = l.pos + len("endobj")
		return ob, nil
	}
	d, isDict := v.(dict)
	if !isDict {
		return ob, nil
	}
	// ISO 32000-1 7.3.8.1: "stream" then CRLF or LF (a lone CR is
	// tolerated, as readers do).
	l.skipSpace()
	if len(l.b)-l.pos < len("stream")+2 && !l.eof {
		return ob, errMore
	}
	if !hasWordAt(l.b, l.pos, "stream") {
		return ob, nil
	}
	p := l.pos + len("stream")
	if p < len(l.b) && l.b[p] == '\r' {
		p++
	}
	if p < len(l.b) && l.b[p] == '\n' {
		p++
	}
	ob.v = &stream{d: d, num: ob.num, gen: ob.gen}
	ob.dataOff = p
	return ob, nil
}

// hasWordAt reports whether b holds keyword w at i, not followed by another
// regular character.
func hasWordAt(b []byte, i int, w string) bool {
	if i < 0 || len(b)-i < len(w) || string(b[i:i+len(w)]) != w {
		return false
	}
	j := i + len(w)
	return j == len(b) || !isRegular(b[j])
}
