package html

import (
	"bytes"
	"strings"
)

// The markup tokenizer follows the HTML tokenizer's states (WHATWG HTML
// 13.2.5) as far as they decide where script and attribute values are:
// comments (ended by "-->", "--!>", and "<!-->" / "<!--->" at once),
// bogus comments "<?...>" and "<!...>", start tags with attributes
// (quoted, unquoted), end tags, and raw text elements whose content ends
// only at their end tag (script, style; title, textarea, xmp, iframe,
// noembed, noframes in HTML). An SVG document is XML: only script and
// style are raw, CDATA sections are text.

type mstate uint8

const (
	mText mstate = iota
	mLt
	mBang
	mBangDash
	mComment
	mCDATAOpen
	mCDATA
	mBogus
	mEndTag
	mTagName
	mAttrs
	mAttrName
	mAfterAttrName
	mBeforeVal
	mValDQ
	mValSQ
	mValUnq
	mRaw
)

const (
	maxTagName  = 32
	maxAttrName = 64
	maxAttrs    = 256
)

type attr struct {
	name  string
	value []byte
	over  bool // value over maxLiteral
}

type markup struct {
	st    *scan
	state mstate

	// comment: consecutive dashes, "--!" seen, bytes since "<!--".
	dashes  int
	bang    bool
	clen    int
	cdataN  int // bytes of "CDATA[" matched; in a CDATA section: "]" run
	name    []byte
	self    bool
	attrs   []attr
	aname   []byte
	val     []byte
	valOver bool
	tagLen  int // attribute bytes kept for this tag

	raw      string // raw text element whose end tag is awaited
	rawHeld  []byte // bytes of "</"+raw or "<![CDATA[" matched, not yet handed on
	xml      bool   // the raw element is in an SVG (XML) document
	cdata    bool   // in a CDATA section of an XML raw element
	brackets int    // "]" held in a CDATA section
	ent      []byte // an entity reference being read in XML raw text
	style    []byte
	styleOv  bool
}

func (m *markup) init(st *scan) {
	m.st = st
	m.name = make([]byte, 0, maxTagName)
	m.aname = make([]byte, 0, maxAttrName)
}

func (m *markup) feed(b []byte) {
	for i := 0; i < len(b); i++ {
		if m.st.err != nil {
			return
		}
		switch m.state {
		case mText:
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				return
			}
			i += j
			m.state = mLt
		case mRaw:
			if m.cdata {
				j := bytes.IndexByte(b[i:], ']')
				if m.brackets == 0 && j < 0 {
					m.rawText(b[i:])
					return
				}
				if m.brackets == 0 {
					m.rawText(b[i : i+j])
					i += j
				}
				m.cdataByte(b[i])
				continue
			}
			// Hand on everything up to a possible end tag at once.
			if len(m.rawHeld) == 0 && m.ent == nil {
				j := bytes.IndexByte(b[i:], '<')
				k := -1
				if m.xml {
					k = bytes.IndexByte(b[i:], '&')
				}
				if k >= 0 && (j < 0 || k < j) {
					j = k
				}
				if j < 0 {
					m.rawText(b[i:])
					return
				}
				m.rawText(b[i : i+j])
				i += j
			}
			m.rawByte(b[i])
		case mValDQ, mValSQ:
			q := byte('"')
			if m.state == mValSQ {
				q = '\''
			}
			j := bytes.IndexByte(b[i:], q)
			if j < 0 {
				m.value(b[i:])
				return
			}
			m.value(b[i : i+j])
			i += j
			m.endAttr()
			m.state = mAttrs
		default:
			m.byte(b[i])
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (m *markup) byte(c byte) {
	switch m.state {
	case mLt:
		switch {
		case c == '!':
			m.state = mBang
		case c == '?':
			m.state = mBogus
		case c == '/':
			m.state = mEndTag
		case isAlpha(c):
			m.name = append(m.name[:0], lower(c))
			m.self, m.attrs, m.tagLen = false, m.attrs[:0], 0
			m.state = mTagName
		default:
			m.state = mText
			if c == '<' {
				m.state = mLt
			}
		}
	case mBang:
		switch {
		case c == '-':
			m.state = mBangDash
		case c == '[' && m.st.root == "svg":
			m.cdataN, m.state = 0, mCDATAOpen
		case c == '>':
			m.state = mText
		default:
			m.state = mBogus
		}
	case mBangDash:
		if c == '-' {
			m.dashes, m.bang, m.clen, m.state = 0, false, 0, mComment
		} else if c == '>' {
			m.state = mText
		} else {
			m.state = mBogus
		}
	case mComment:
		m.clen++
		switch c {
		case '-':
			m.dashes++
			m.bang = false
		case '!':
			m.bang = m.dashes >= 2
			if !m.bang {
				m.dashes = 0
			}
		case '>':
			// "<!-->", "<!--->", "-->", "--!>" end a comment.
			if m.dashes >= 2 || m.bang || m.clen == 1 || (m.clen == 2 && m.dashes == 1) {
				m.state = mText
			}
			m.dashes, m.bang = 0, false
		default:
			m.dashes, m.bang = 0, false
		}
	case mCDATAOpen:
		if c == "CDATA["[m.cdataN] {
			m.cdataN++
			if m.cdataN == 6 {
				m.cdataN, m.state = 0, mCDATA
			}
		} else {
			m.state = mBogus
			if c == '>' {
				m.state = mText
			}
		}
	case mCDATA:
		switch {
		case c == ']':
			m.cdataN++
		case c == '>' && m.cdataN >= 2:
			m.state = mText
		default:
			m.cdataN = 0
		}
	case mBogus, mEndTag:
		if c == '>' {
			m.state = mText
		}
	case mTagName:
		switch {
		case isSpace(c):
			m.state = mAttrs
		case c == '/':
			m.self = true
			m.state = mAttrs
		case c == '>':
			m.endTag()
		default:
			if len(m.name) < maxTagName {
				m.name = append(m.name, lower(c))
			}
		}
	case mAttrs:
		switch {
		case isSpace(c):
		case c == '/':
			m.self = true
		case c == '>':
			m.endTag()
		default:
			m.self = false
			m.startAttr(c)
		}
	case mAttrName, mAfterAttrName:
		// In or after a name: "=" starts its value, ">" and "/" end it;
		// another character continues the name, or after spaces starts
		// the next attribute.
		switch {
		case isSpace(c):
			m.state = mAfterAttrName
		case c == '=':
			m.state = mBeforeVal
		case c == '>':
			m.endAttr()
			m.endTag()
		case c == '/':
			m.endAttr()
			m.self = true
			m.state = mAttrs
		case m.state == mAttrName:
			if len(m.aname) < maxAttrName {
				m.aname = append(m.aname, lower(c))
			}
		default:
			m.endAttr()
			m.startAttr(c)
		}
	case mBeforeVal:
		switch {
		case isSpace(c):
		case c == '"':
			m.state = mValDQ
		case c == '\'':
			m.state = mValSQ
		case c == '>':
			m.endAttr()
			m.endTag()
		default:
			m.state = mValUnq
			m.value([]byte{c})
		}
	case mValUnq:
		switch {
		case isSpace(c):
			m.endAttr()
			m.state = mAttrs
		case c == '>':
			m.endAttr()
			m.endTag()
		default:
			m.value([]byte{c})
		}
	}
}

func (m *markup) startAttr(c byte) {
	m.aname = append(m.aname[:0], lower(c))
	m.val, m.valOver = m.val[:0], false
	m.state = mAttrName
}

func (m *markup) value(b []byte) {
	if m.valOver {
		return
	}
	room := maxLiteral - max(len(m.val), m.tagLen)
	if len(b) > room {
		// Keep what fits: its head tells whether a payload was cut.
		b, m.valOver = b[:max(room, 0)], true
	}
	m.val = append(m.val, b...)
	m.tagLen += len(b)
}

func (m *markup) endAttr() {
	if len(m.attrs) < maxAttrs {
		m.attrs = append(m.attrs, attr{name: string(m.aname), value: bytes.Clone(m.val), over: m.valOver})
	}
	m.val, m.valOver = m.val[:0], false
	if cap(m.val) > 1<<20 {
		m.val = nil // do not keep a large buffer for the rest of the file
	}
}

// rawElements are the HTML elements whose content is text up to their end
// tag.
var rawElements = map[string]bool{"script": true, "style": true, "title": true, "textarea": true, "xmp": true, "iframe": true, "noembed": true, "noframes": true, "plaintext": true}

func (m *markup) endTag() {
	m.state = mText
	name := string(m.name)
	if m.st.root == "" {
		m.st.root = name
		if i := strings.IndexByte(name, ':'); i >= 0 && (name[:i] == "svg" || name[:i] == "html") {
			m.st.root = name[i+1:]
		}
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:] // svg:script
	}
	m.st.tag(name, m.attrs)
	runs := name == "script" && scriptRuns(m.attrs)
	for i := range m.attrs {
		m.attrs[i].value = nil
	}
	svg := m.st.root == "svg"
	if !rawElements[name] || (svg && name != "script" && name != "style") || (svg && m.self) {
		return
	}
	m.raw, m.rawHeld, m.xml, m.cdata, m.brackets, m.ent = name, m.rawHeld[:0], svg, false, 0, nil
	m.state = mRaw
	switch name {
	case "script":
		m.st.js.start(runs)
	case "style":
		m.style, m.styleOv = m.style[:0], false
	}
}

// rawByte matches "</name" followed by a tag end, case-insensitively, and
// in XML a CDATA section's start and entity references.
func (m *markup) rawByte(c byte) {
	if m.ent != nil {
		m.entByte(c)
		return
	}
	if len(m.rawHeld) == 0 && c == '&' && m.xml {
		m.ent = append(m.ent, '&')
		return
	}
	end := "</" + m.raw
	h := append(m.rawHeld, c)
	switch n := len(h); {
	case n == len(end)+1 && foldPrefix(h, end):
		if isSpace(c) || c == '/' || c == '>' {
			m.endRaw()
			m.state = mEndTag
			if c == '>' {
				m.state = mText
			}
			return
		}
	case n <= len(end) && foldPrefix(end, string(h)):
		m.rawHeld = h
		return
	case m.xml && n <= len(cdataOpen) && cdataOpen[:n] == string(h):
		m.rawHeld = h
		if n == len(cdataOpen) {
			m.rawHeld, m.cdata, m.brackets = h[:0], true, 0
		}
		return
	}
	// No match: hand the bytes on; a '<' may start a match again.
	m.rawHeld = h[:0]
	if c == '<' || (c == '&' && m.xml) {
		m.rawText(h[:len(h)-1])
		m.rawByte(c)
		return
	}
	m.rawText(h)
}

const cdataOpen = "<![CDATA["

// foldPrefix reports whether h starts with p, ignoring ASCII case.
func foldPrefix[T string | []byte](h T, p string) bool {
	if len(h) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lower(h[i]) != lower(p[i]) {
			return false
		}
	}
	return true
}

// cdataByte ends a CDATA section at "]]>".
func (m *markup) cdataByte(c byte) {
	switch {
	case c == ']':
		m.brackets++
	case c == '>' && m.brackets >= 2:
		m.rawText(bytes.Repeat([]byte{']'}, m.brackets-2))
		m.cdata, m.brackets = false, 0
	default:
		m.rawText(bytes.Repeat([]byte{']'}, m.brackets))
		m.brackets = 0
		m.rawText([]byte{c})
	}
}

// entByte reads an entity reference in XML raw text (an SVG script outside
// CDATA: the XML parser decodes &quot; before the script engine sees it).
func (m *markup) entByte(c byte) {
	if c == ';' || len(m.ent) >= 12 || !(isNameByte(c) || c == '#') {
		ent := m.ent
		m.ent = nil
		if c == ';' {
			m.rawText(entities(append(ent, ';')))
			return
		}
		m.rawText(ent)
		m.rawByte(c)
		return
	}
	m.ent = append(m.ent, c)
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (m *markup) rawText(b []byte) {
	if len(b) == 0 {
		return
	}
	switch m.raw {
	case "script":
		m.st.js.feed(b)
	case "style":
		if m.styleOv {
			return
		}
		if room := maxLiteral - len(m.style); len(b) > room {
			b, m.styleOv = b[:room], true
		}
		m.style = append(m.style, b...)
	}
}

func (m *markup) endRaw() {
	switch m.raw {
	case "script":
		m.st.js.end()
	case "style":
		m.st.style(m.style, m.styleOv)
		m.style = nil
	}
	m.raw, m.rawHeld, m.cdata, m.brackets, m.ent = "", m.rawHeld[:0], false, 0, nil
}

// end finishes the file: an unterminated script or style is still
// inspected (browsers run a script cut off at the end of the file).
func (m *markup) end() {
	if m.state == mRaw {
		m.rawText(bytes.Repeat([]byte{']'}, m.brackets))
		m.rawText(m.rawHeld)
		m.rawText(m.ent)
		m.endRaw()
	}
	if m.state == mValDQ || m.state == mValSQ || m.state == mValUnq {
		m.endAttr()
		m.st.tag(string(m.name), m.attrs)
	}
}
