package html

import (
	"bytes"
	"unicode/utf8"

	"github.com/officemilter/officemilter/inspect"
)

// The script lexer knows of ECMAScript (ECMA-262 12, lexical grammar) what
// it takes to find string literals and identifiers: comments, string and
// template literals with their escapes, regular expression literals (told
// from division by the token before the slash, as every lexer without a
// parser does). It joins adjacent literals ("ab" + "cd", ["ab", "cd"]) into
// one run, the way smuggling kits split a payload.

type jstate uint8

const (
	jCode jstate = iota
	jStr
	jLineComment
	jBlockComment
	jRegex
	jRegexClass
)

const (
	maxIdent    = 32
	maxBrackets = 64
	// nameTokens is how many tokens after "download" or msSaveOrOpenBlob
	// the download name may follow.
	nameTokens = 16
)

type jsLexer struct {
	st    *scan
	runs  bool // browsers run it (not a data block)
	state jstate
	quote byte

	// Escapes inside a literal: esc is set after a backslash; hexLeft
	// counts hex digits still to read (\xHH, \uHHHH, \u{...}).
	esc      bool
	hexLeft  int
	hexBrace bool
	hexVal   rune
	hexN     int

	slash     bool // a '/' in code, not yet known as comment, regex or division
	star      bool // a '*' in a block comment
	regexEsc  bool
	lastSig   byte // last significant code byte: 'a' for a word, '"' for a literal
	lastIdent string

	ident     []byte
	identOver bool

	run      []byte
	runOver  bool
	inRun    bool // the last token was a literal or a joining operator after one
	runSep   bool // a '+' or (inside brackets) ',' follows the run's last literal
	brackets []byte
	nameWant int

	// A list of numbers 0-255 ([77, 90, 0x90, ...] or fromCharCode(...)):
	// the bytes of a payload.
	num     []byte
	numOver bool
}

func (j *jsLexer) init(st *scan) {
	j.st = st
	j.ident = make([]byte, 0, maxIdent)
}

// start begins a script (an element's content, an event handler, a
// javascript: URL). A data block (a script element of a type browsers do
// not run, such as JSON-LD) is lexed for payloads all the same, since a
// script elsewhere may read it, but is no script itself.
func (j *jsLexer) start(runs bool) {
	run := j.run[:0]
	if cap(run) > 1<<20 {
		run = nil
	}
	num := j.num[:0]
	if cap(num) > 1<<20 {
		num = nil
	}
	*j = jsLexer{st: j.st, ident: j.ident[:0], run: run, brackets: j.brackets[:0], runs: runs, num: num}
}

// end finishes a script.
func (j *jsLexer) end() {
	if j.runs {
		j.st.script = true
	}
	switch j.state {
	case jStr:
		j.endLiteral()
	case jCode:
		j.endIdent()
	}
	j.endRun()
	j.endNum()
}

// runScript lexes one complete script.
func (j *jsLexer) runScript(b []byte) {
	j.start(true)
	j.feed(b)
	j.end()
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

func (j *jsLexer) feed(b []byte) {
	for i := 0; i < len(b); i++ {
		if j.st.err != nil {
			return
		}
		c := b[i]
		switch j.state {
		case jStr:
			if !j.esc && j.hexLeft == 0 {
				// Bulk-copy plain literal bytes (payloads are megabytes).
				k := i
				for k < len(b) && b[k] != j.quote && b[k] != '\\' && b[k] != '\n' && b[k] != '\r' {
					k++
				}
				j.appendRun(b[i:k])
				if i = k; i == len(b) {
					return
				}
				c = b[i]
			}
			j.strByte(c)
		case jLineComment:
			k := bytes.IndexByte(b[i:], '\n')
			if k < 0 {
				return
			}
			i += k
			j.state = jCode
		case jBlockComment:
			switch {
			case c == '/' && j.star:
				j.state = jCode
			default:
				j.star = c == '*'
			}
		case jRegex, jRegexClass:
			// A regular expression literal, in or out of a [class].
			switch {
			case j.regexEsc:
				j.regexEsc = false
			case c == '\\':
				j.regexEsc = true
			case c == '\n':
				j.state = jCode
			case j.state == jRegexClass:
				if c == ']' {
					j.state = jRegex
				}
			case c == '[':
				j.state = jRegexClass
			case c == '/':
				j.state, j.lastSig = jCode, 'a'
			}
		default:
			j.codeByte(c)
		}
	}
}

// regexKeywords are the words after which a '/' starts a regular
// expression.
var regexKeywords = map[string]bool{"return": true, "typeof": true, "case": true, "do": true, "else": true, "in": true,
	"instanceof": true, "new": true, "delete": true, "void": true, "throw": true, "yield": true, "await": true}

func (j *jsLexer) codeByte(c byte) {
	if j.slash {
		j.slash = false
		switch c {
		case '/':
			j.state = jLineComment
			return
		case '*':
			j.state, j.star = jBlockComment, false
			return
		}
		j.endRun()
		j.endNum()
		j.token()
		if j.lastSig == 0 || bytes.IndexByte([]byte("(,=:[!&|?{};+-*%<>~^"), j.lastSig) >= 0 ||
			(j.lastSig == 'a' && regexKeywords[j.lastIdent]) {
			j.state, j.regexEsc = jRegex, false
			j.feed([]byte{c})
			return
		}
		j.lastSig = '/'
	}
	if isIdentByte(c) {
		if len(j.ident) == 0 && !j.identOver {
			j.endRun()
		}
		if len(j.ident) < maxIdent {
			j.ident = append(j.ident, c)
		} else {
			j.identOver = true
		}
		return
	}
	j.endIdent()
	if c != ',' && c != '/' && !isSpace(c) && c != '\v' {
		j.endNum()
	}
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return
	case '/':
		j.slash = true
		return
	case '"', '\'', '`':
		if !j.inRun || !j.runSep {
			j.endRun()
		}
		j.inRun, j.runSep = true, false
		j.state, j.quote = jStr, c
		return
	case '+':
		if j.inRun && !j.runSep {
			j.runSep = true
			j.token()
			j.lastSig = c
			return
		}
	case ',':
		if j.inRun && !j.runSep && len(j.brackets) > 0 && j.brackets[len(j.brackets)-1] == '[' {
			j.runSep = true
			j.token()
			j.lastSig = c
			return
		}
	}
	j.endRun()
	switch c {
	case '(', '[', '{':
		if len(j.brackets) < maxBrackets {
			j.brackets = append(j.brackets, c)
		}
	case ')', ']', '}':
		if len(j.brackets) > 0 {
			j.brackets = j.brackets[:len(j.brackets)-1]
		}
	}
	j.token()
	j.lastSig = c
}

// token counts a token towards the download name window.
func (j *jsLexer) token() {
	if j.nameWant > 0 {
		j.nameWant--
	}
}

func (j *jsLexer) endIdent() {
	if len(j.ident) == 0 && !j.identOver {
		return
	}
	id := string(j.ident)
	if j.identOver {
		id = ""
	}
	j.ident, j.identOver = j.ident[:0], false
	j.token()
	if v, ok := byteNumber(id); ok && (j.lastSig == '[' || j.lastSig == '(' || j.lastSig == ',') &&
		len(j.brackets) > 0 && (j.brackets[len(j.brackets)-1] == '[' || j.brackets[len(j.brackets)-1] == '(') {
		j.appendNum(v)
	} else {
		j.endNum()
	}
	j.lastSig, j.lastIdent = 'a', id
	j.st.word(id)
}

func (j *jsLexer) strByte(c byte) {
	if j.hexLeft > 0 {
		j.hexByte(c)
		return
	}
	if j.esc {
		j.esc = false
		switch c {
		case 'x':
			j.hexLeft, j.hexBrace, j.hexVal, j.hexN = 2, false, 0, 0
		case 'u':
			j.hexLeft, j.hexBrace, j.hexVal, j.hexN = 4, false, 0, 0
		case '\n', '\r': // line continuation
		case 'n':
			j.appendRun([]byte{'\n'})
		case 't':
			j.appendRun([]byte{'\t'})
		case 'r':
			j.appendRun([]byte{'\r'})
		default:
			j.appendRun([]byte{c})
		}
		return
	}
	switch {
	case c == '\\':
		j.esc = true
	case c == j.quote:
		j.endLiteral()
	case (c == '\n' || c == '\r') && j.quote != '`':
		j.endLiteral() // unterminated: a syntax error, the literal ends here
	default:
		j.appendRun([]byte{c})
	}
}

// hexByte reads the digits of \xHH, \uHHHH and \u{H...}.
func (j *jsLexer) hexByte(c byte) {
	if c == '{' && j.hexLeft == 4 && j.hexN == 0 && !j.hexBrace {
		j.hexBrace = true
		return
	}
	if j.hexBrace && c == '}' {
		j.hexLeft = 0
		j.appendRun(utf8.AppendRune(nil, j.hexVal))
		return
	}
	v, ok := inspect.HexDigit(c)
	if !ok || j.hexN >= 8 {
		// Malformed: keep what was read, then the byte itself.
		j.hexLeft = 0
		if j.hexN > 0 {
			j.appendRun(utf8.AppendRune(nil, j.hexVal))
		}
		j.strByte(c)
		return
	}
	j.hexN++
	j.hexVal = j.hexVal<<4 | rune(v)
	if j.hexVal > utf8.MaxRune {
		j.hexVal = utf8.RuneError
	}
	if !j.hexBrace {
		if j.hexLeft--; j.hexLeft == 0 {
			j.appendRun(utf8.AppendRune(nil, j.hexVal))
		}
	}
}

func (j *jsLexer) endLiteral() {
	j.state = jCode
	j.lastSig = '"'
	j.token()
}

func (j *jsLexer) appendRun(b []byte) {
	if j.runOver || len(b) == 0 {
		return
	}
	if room := maxLiteral - len(j.run); len(b) > room {
		b, j.runOver = b[:room], true
	}
	j.run = append(j.run, b...)
}

// endRun hands a finished run of literals to the scan.
func (j *jsLexer) endRun() {
	if !j.inRun {
		return
	}
	j.inRun, j.runSep = false, false
	j.st.literal(j.run, j.runOver)
	j.run, j.runOver = j.run[:0], false
	if cap(j.run) > 1<<20 {
		j.run = nil
	}
}

// byteNumber reads a decimal or hexadecimal numeric literal of 0-255.
func byteNumber(id string) (byte, bool) {
	if len(id) > 2 && id[0] == '0' && (id[1] == 'x' || id[1] == 'X') && len(id) <= 4 {
		v := 0
		for i := 2; i < len(id); i++ {
			d, ok := inspect.HexDigit(id[i])
			if !ok {
				return 0, false
			}
			v = v<<4 | int(d)
		}
		return byte(v), true
	}
	if len(id) == 0 || len(id) > 3 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return 0, false
		}
		v = v*10 + int(id[i]-'0')
	}
	return byte(v), v <= 255
}

func (j *jsLexer) appendNum(v byte) {
	if j.numOver {
		return
	}
	if len(j.num) >= maxLiteral {
		j.numOver = true
		return
	}
	j.num = append(j.num, v)
}

// endNum hands a finished list of byte values to the scan.
func (j *jsLexer) endNum() {
	if len(j.num) == 0 && !j.numOver {
		return
	}
	j.st.numbers(j.num, j.numOver)
	j.num, j.numOver = j.num[:0], false
	if cap(j.num) > 1<<20 {
		j.num = nil
	}
}
