package text

import (
	"context"
	"fmt"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// SYLK (Microsoft's Symbolic Link format; no formal specification — the
// record layout below is the one Excel reads and writes): one record per
// line, a record type ("ID", "C", "F", "O", "NN", ...) then fields, each
// ";" + a letter + a value; ";;" is a literal semicolon inside a value.
//
//	C;X1;Y1;K0;EEXEC("calc.exe")   a cell whose expression (E) is a formula
//	O;L;E                          options; E marks an Excel 4 macro sheet
//	NN;NAuto_open;ER1C1            a name; Auto_Open runs on opening

// macroFuncs are the Excel 4 functions that run code or call into DLLs.
var macroFuncs = map[string]bool{"EXEC": true, "CALL": true, "REGISTER": true, "RUN": true}

// autoNames run a macro sheet's code without a click.
var autoNames = map[string]bool{"auto_open": true, "auto_activate": true, "auto_close": true, "auto_deactivate": true}

const (
	maxWord  = 16  // longest function name tracked
	maxKeep  = 160 // bytes of an expression or name kept for a Detail
	maxRecID = 2   // record types are one or two letters
)

// slk is the streaming state of the SYLK scanner.
type slk struct {
	s    inspect.Scope
	seen map[string]bool

	rec    [maxRecID]byte
	recLen int
	inType bool // reading the record type
	field  byte // letter of the current field, 0 before it is read
	semi   bool // a ";" was read; the next byte says separator or literal

	// Expression (E field) state.
	word    [maxWord]byte
	wordLen int  // > maxWord: the identifier was too long to match
	spaced  bool // blanks after the identifier, before a possible "("
	inStr   bool
	pipe    bool // "|" outside a string: DDE syntax app|topic!item
	bang    bool
	keep    []byte // start of the value, for a Detail
	// kind of the record, set when its type ends
	optRec  bool // "O"
	exprRec bool // a record whose E field is an expression
	expr    bool // the current field is an expression to scan
}

func scanSLK(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	st := &slk{s: s, seen: map[string]bool{}, inType: true, keep: make([]byte, 0, maxKeep)}
	err := each(ctx, p, 0, func(b []byte, off int64) bool {
		if off == 0 {
			b = trimBOM(b)
		}
		st.feed(b)
		return true
	})
	st.endLine()
	return err
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

// feed scans b. Bytes of a value that matters neither as an expression nor
// for a Detail are skipped up to the next separator at once.
func (st *slk) feed(b []byte) {
	for i := 0; i < len(b); i++ {
		if !st.semi && !st.inType && !st.expr && len(st.keep) == maxKeep {
			j := i
			for j < len(b) && b[j] != ';' && b[j] != '\n' && b[j] != '\r' {
				j++
			}
			if i = j; i == len(b) {
				return
			}
		}
		st.byte(b[i])
	}
}

func (st *slk) byte(c byte) {
	if c == '\n' || c == '\r' {
		st.endLine()
		return
	}
	if st.semi {
		st.semi = false
		if c == ';' { // ";;": a literal semicolon in the value
			st.value(';')
			return
		}
		st.endField()
		if st.inType {
			t := st.recType()
			st.optRec, st.exprRec = t == "O", t != "O" && t != "ID"
		}
		st.field, st.inType = c, false
		st.startField()
		return
	}
	if c == ';' {
		st.semi = true
		return
	}
	if st.inType {
		if st.recLen < maxRecID {
			st.rec[st.recLen] = c
		}
		st.recLen++
		return
	}
	st.value(c)
}

func (st *slk) recType() string {
	if st.recLen > maxRecID {
		return ""
	}
	return string(st.rec[:st.recLen])
}

func (st *slk) startField() {
	st.wordLen, st.spaced, st.inStr, st.pipe, st.bang = 0, false, false, false, false
	st.keep = st.keep[:0]
	st.expr = st.field == 'E' && st.exprRec
	if st.field == 'E' && st.optRec {
		st.emit(inspect.KindMacro, "SYLK Excel 4 macro (O;E macro sheet)")
	}
}

// value takes one byte of the current field's value.
func (st *slk) value(c byte) {
	if len(st.keep) < maxKeep {
		st.keep = append(st.keep, c)
	}
	if !st.expr {
		return
	}
	// An expression: find FUNC( outside string literals, and DDE's "|".
	if st.inStr {
		if c == '"' {
			st.inStr = false
		}
		return
	}
	switch {
	case c == '"':
		st.inStr, st.wordLen = true, 0
	case isIdent(c):
		if st.spaced {
			st.wordLen, st.spaced = 0, false
		}
		if st.wordLen < maxWord {
			st.word[st.wordLen] = upper(c)
		}
		st.wordLen++
	case c == ' ' || c == '\t':
		st.spaced = st.wordLen > 0
	case c == '(':
		if st.wordLen <= maxWord && macroFuncs[string(st.word[:st.wordLen])] {
			st.emit(inspect.KindMacro, "SYLK Excel 4 macro ("+string(st.word[:st.wordLen])+")")
		}
		st.wordLen, st.spaced = 0, false
	case c == '|':
		st.pipe = true
		st.wordLen, st.spaced = 0, false
	case c == '!':
		st.bang = st.pipe
		st.wordLen, st.spaced = 0, false
	default:
		st.wordLen, st.spaced = 0, false
	}
}

func (st *slk) endField() {
	switch {
	case st.field == 'E' && st.pipe && st.bang:
		st.emit(inspect.KindActiveContent, "SYLK DDE formula: "+inspect.Clean(string(st.keep), 100))
	case st.field == 'N' && st.recType() == "NN" && autoNames[strings.ToLower(strings.TrimSpace(string(st.keep)))]:
		st.emit(inspect.KindMacro, "SYLK Excel 4 macro ("+inspect.Clean(string(st.keep), 40)+")")
	}
	st.field, st.expr = 0, false
}

func (st *slk) endLine() {
	st.semi = false
	st.endField()
	st.recLen, st.inType, st.optRec, st.exprRec = 0, true, false, false
	st.keep = st.keep[:0]
}

// maxFindings caps the distinct findings of one file (DDE details carry
// the formula, so they could be as many as the cells).
const maxFindings = 100

func (st *slk) emit(k inspect.Kind, detail string) {
	if st.seen[detail] {
		return
	}
	switch n := len(st.seen); {
	case n < maxFindings:
		st.s.Emit(inspect.Finding{Kind: k, Detail: detail})
	case n == maxFindings:
		st.s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Detail: fmt.Sprintf("more than %d SYLK findings", maxFindings)})
	default:
		return
	}
	st.seen[detail] = true
}

func isIdent(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_'
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}
