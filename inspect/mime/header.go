package mime

import (
	"bytes"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"

	"github.com/officemilter/officemilter/inspect"
)

// Field is one header field as it appears in the message.
type Field struct {
	// Name is the field name as written (case kept).
	Name string
	// Value is the unfolded raw value (RFC 5322 2.2.3: line breaks before
	// whitespace removed) without the leading whitespace and without the
	// final line break. It is not decoded (no RFC 2047) and may hold 8-bit
	// bytes.
	Value string
	// Start and End are the offsets of the whole field in the message,
	// continuation lines and the final line break included. (Only when a
	// header block runs into a multipart delimiter without a blank line does
	// its last field end before its line break: that line break belongs to
	// the delimiter, RFC 2046 5.1.1.)
	Start, End int64
}

// Header is a header block: its fields in order.
type Header struct {
	Fields []Field
}

// Get returns the value of the first field named name (case-insensitive),
// unfolded and trimmed; "" when there is none.
func (h Header) Get(name string) string {
	for i := range h.Fields {
		if strings.EqualFold(h.Fields[i].Name, name) {
			return strings.TrimSpace(h.Fields[i].Value)
		}
	}
	return ""
}

// Values returns the trimmed values of every field named name, in order.
func (h Header) Values(name string) []string {
	var vs []string
	for i := range h.Fields {
		if strings.EqualFold(h.Fields[i].Name, name) {
			vs = append(vs, strings.TrimSpace(h.Fields[i].Value))
		}
	}
	return vs
}

// isWSP reports RFC 5234 WSP.
func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// fieldName returns the name of a header line ("Subject: x" → "Subject")
// and the index of its colon, or ok=false when the line is not a field.
// RFC 5322 2.2 allows printable US-ASCII except ':'; the obsolete syntax
// (RFC 5322 4.5.8) allows whitespace before the colon. 8-bit bytes are
// tolerated like mail clients do.
func fieldName(line []byte) (name []byte, colon int, ok bool) {
	colon = bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, 0, false
	}
	name = line[:colon]
	end := len(name)
	for end > 0 && isWSP(name[end-1]) {
		end--
	}
	name = name[:end]
	if len(name) == 0 {
		return nil, 0, false
	}
	for _, c := range name {
		if c <= ' ' || c == 0x7f {
			return nil, 0, false
		}
	}
	return name, colon, true
}

// isTokenChar reports RFC 2045 5.1 token characters: printable US-ASCII
// except SPACE and tspecials.
func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// parseMediaType splits a Content-Type or Content-Disposition value into
// its lower-case leading token ("text/plain", "attachment") and parameters.
// It is tolerant like mail clients: unquoted values with spaces, missing
// semicolons, unterminated quotes and junk between parameters are accepted;
// ok=false only when the leading token itself is unusable.
// RFC 2045 5.1, RFC 2183 2, RFC 2231 3-5.
func parseMediaType(v string) (typ string, params map[string]string, ok bool) {
	typ, params, _ = parseMediaTypeR(v, 0)
	return typ, params, typ != ""
}

// parseMediaTypeR is parseMediaType under a reading; it also returns the
// repeated parameters.
func parseMediaTypeR(v string, rd reading) (typ string, params map[string]string, dups []paramDup) {
	v = stripLeadingComments(v)
	i := strings.IndexByte(v, ';')
	head := v
	rest := ""
	if i >= 0 {
		head, rest = v[:i], v[i+1:]
	}
	typ = strings.ToLower(strings.TrimSpace(stripComments(head)))
	params, dups = parseParamsR(rest, rd)
	return typ, params, dups
}

// validMediaType reports "type/subtype" with both halves RFC 2045 tokens.
func validMediaType(t string) bool {
	slash := strings.IndexByte(t, '/')
	if slash < 0 {
		return false
	}
	return isToken(strings.TrimSpace(t[:slash])) && isToken(strings.TrimSpace(t[slash+1:]))
}

// stripComments removes RFC 5322 3.2.2 comments "(...)" from a token.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func stripLeadingComments(s string) string {
	s = strings.TrimLeft(s, " \t")
	for strings.HasPrefix(s, "(") {
		depth := 0
		i := 0
		for ; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '(' {
				depth++
			} else if s[i] == ')' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if i >= len(s) {
			return ""
		}
		s = strings.TrimLeft(s[i+1:], " \t")
	}
	return s
}

// maxParamSections bounds RFC 2231 continuations of one parameter. Real
// names need a handful; the header size limit bounds the rest anyway.
const maxParamSections = 1000

type section struct {
	n        int
	value    string
	extended bool
}

// parseParams parses "; a=b; c="d"; e*0*=utf-8”%C3%BC; e*1=x" into a map
// with lower-case keys. RFC 2231 continuations are joined in order and
// extended values decoded from their charset to UTF-8. When a parameter
// has both a plain and an RFC 2231 form, the RFC 2231 form wins (it is
// the precise one); among plain duplicates the first wins.
func parseParams(s string) map[string]string {
	params, _ := parseParamsR(s, 0)
	return params
}

// parseParamsR is parseParams under a reading (rdLastParam: the last of
// duplicates wins; rdPlainParam: the plain form wins over RFC 2231). It
// also returns the duplicates it saw.
func parseParamsR(s string, rd reading) (map[string]string, []paramDup) {
	params := map[string]string{}
	var dups []paramDup
	var sections map[string][]section
	for len(s) > 0 {
		// Skip separators and whitespace.
		s = strings.TrimLeft(s, " \t\r\n;")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		semi := strings.IndexByte(s, ';')
		if eq < 0 || (semi >= 0 && semi < eq) {
			// An attribute without a value: skip it.
			if semi < 0 {
				break
			}
			s = s[semi+1:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(stripComments(s[:eq])))
		s = strings.TrimLeft(s[eq+1:], " \t\r\n")
		var value string
		if strings.HasPrefix(s, `"`) {
			value, s = readQuoted(s[1:])
			// Whatever follows the closing quote up to ';' is junk.
			if semi := strings.IndexByte(s, ';'); semi >= 0 {
				s = s[semi:]
			} else {
				s = ""
			}
		} else {
			end := strings.IndexByte(s, ';')
			if end < 0 {
				end = len(s)
			}
			value = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		if name == "" {
			continue
		}
		base, n, extended, isSection := splitSection(name)
		if isSection {
			if sections == nil {
				sections = map[string][]section{}
			}
			if len(sections[base]) < maxParamSections {
				sections[base] = append(sections[base], section{n: n, value: value, extended: extended})
			}
			continue
		}
		if old, dup := params[name]; dup {
			dups = addDup(dups, name, dupPlain, old, value)
			if rd&rdLastParam == 0 {
				continue
			}
		}
		params[name] = value
	}
	for base, secs := range sections {
		v, ok, dup := joinSections(secs, rd&rdLastParam != 0)
		if !ok {
			continue
		}
		if dup {
			first, _, _ := joinSections(secs, rd&rdLastParam == 0)
			dups = addDup(dups, base, dup2231, first, v)
		}
		if plain, has := params[base]; has {
			dups = addDup(dups, base, dupMixed, plain, v)
			if rd&rdPlainParam != 0 {
				continue
			}
		}
		params[base] = v
	}
	return params, dups
}

// splitSection recognises RFC 2231 parameter names: "name*" (extended,
// one section), "name*N" and "name*N*" (continuations).
func splitSection(name string) (base string, n int, extended, ok bool) {
	star := strings.IndexByte(name, '*')
	if star <= 0 {
		return "", 0, false, false
	}
	base, rest := name[:star], name[star+1:]
	if rest == "" {
		return base, 0, true, true // name*=charset'lang'value
	}
	if strings.HasSuffix(rest, "*") {
		extended = true
		rest = rest[:len(rest)-1]
	}
	if rest == "" || len(rest) > 4 || (len(rest) > 1 && rest[0] == '0') {
		return "", 0, false, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return "", 0, false, false
	}
	return base, n, extended, true
}

// joinSections assembles RFC 2231 3 continuations 0, 1, 2 ... (stopping at
// the first gap) and decodes RFC 2231 4 extended sections. Of two
// sections with the same number the first counts (the last with last);
// dup reports such a pair ("name*" and "name*0" are both section 0).
func joinSections(secs []section, last bool) (v string, ok, dup bool) {
	byN := make(map[int]section, len(secs))
	for _, s := range secs {
		if old, seen := byN[s.n]; seen {
			dup = dup || old.value != s.value || old.extended != s.extended
			if !last {
				continue
			}
		}
		byN[s.n] = s
	}
	first, ok := byN[0]
	if !ok {
		return "", false, dup
	}
	var raw []byte
	cs := ""
	for i := 0; i < len(byN); i++ {
		s, ok := byN[i]
		if !ok {
			break
		}
		v := s.value
		if s.extended {
			if i == 0 {
				// charset'language'value
				if q := strings.IndexByte(v, '\''); q >= 0 {
					if q2 := strings.IndexByte(v[q+1:], '\''); q2 >= 0 {
						cs = v[:q]
						v = v[q+1+q2+1:]
					}
				}
			}
			raw = append(raw, inspect.HexUnescape(v, '%')...)
		} else {
			raw = append(raw, v...)
		}
	}
	if first.extended && cs != "" {
		return toUTF8(cs, raw), true, dup
	}
	return string(raw), true, dup
}

// readQuoted reads an RFC 5322 quoted-string body (after the opening quote)
// and returns its unescaped content and what follows the closing quote.
// An unterminated string runs to the end.
func readQuoted(s string) (value, rest string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			// RFC 5322 3.2.4 quoted-pair. Mailers write Windows paths
			// ("C:\TEMP\a.png") unescaped: a backslash that escapes
			// nothing special is kept, as mail clients do.
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
			}
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:]
		case '\r', '\n':
			// Left over from folding: drop.
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

// lookupCharset finds a decoder for a MIME charset name: WHATWG labels
// first (what mail clients use: "iso-8859-1" decodes as windows-1252),
// then the IANA registry. nil when unknown.
func lookupCharset(name string) encoding.Encoding {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	if e, err := htmlindex.Get(name); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding(name); err == nil && e != nil {
		return e
	}
	return nil
}

// toUTF8 converts b from charset cs to UTF-8. Unknown charsets and bytes
// that do not decode fall back to fixUTF8.
func toUTF8(cs string, b []byte) string {
	switch strings.ToLower(cs) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return fixUTF8(string(b))
	}
	if e := lookupCharset(cs); e != nil {
		if out, err := e.NewDecoder().Bytes(b); err == nil {
			return string(out)
		}
	}
	return fixUTF8(string(b))
}

// fixUTF8 returns s unchanged when it is valid UTF-8, else decodes it as
// windows-1252: a raw 8-bit file name is almost always Latin-1/cp1252.
func fixUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(cs string, input io.Reader) (io.Reader, error) {
		e := lookupCharset(cs)
		if e == nil {
			// Keep the bytes; fixUTF8 makes them valid later.
			return input, nil
		}
		return e.NewDecoder().Reader(input), nil
	},
}

// decodeName turns a raw parameter value into a file name for humans:
// RFC 2047 encoded-words decoded (also inside quoted strings and across
// folded continuations, as mailers write them), any charset to UTF-8,
// control characters removed.
func decodeName(s string) string {
	if strings.Contains(s, "=?") {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			s = d
		}
	}
	s = fixUTF8(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
