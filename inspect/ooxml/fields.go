package ooxml

import (
	"context"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Field instructions are gathered only up to this many bytes: a verdict
// needs the field code (the first word), not the arguments.
const maxInstr = 512

// maxFieldDepth bounds the nesting of complex fields that is tracked; deeper
// fields are counted but not gathered.
const maxFieldDepth = 32

// fieldNeedle is the only byte string a part must contain to hold a field
// instruction: the local names w:instrText and w:fldSimple/@w:instr. XML
// names cannot be written with character references, so a part without it
// has no fields and need not be parsed.
var fieldNeedles = [][]byte{[]byte("instr")}

type field struct {
	instr     strings.Builder
	separated bool // past w:fldChar fldCharType="separate": result, not code
}

func (f *field) add(s string) {
	if f.separated {
		return
	}
	if room := maxInstr - f.instr.Len(); room > 0 {
		if len(s) > room {
			s = s[:room]
		}
		f.instr.WriteString(s)
	}
}

// scanDDE reports whether the WordprocessingML part in r holds a DDE or
// DDEAUTO field ([ECMA-376] Part 1, 17.16.5 field definitions): a simple
// field (17.16.19 fldSimple, @instr) or a complex field (17.16.18 fldChar
// begin/separate/end around 17.16.23 instrText runs) whose instruction,
// with the runs of one field concatenated, starts with DDE or DDEAUTO. A
// nested QUOTE field whose arguments are character codes (17.16.5, the
// usual obfuscation "{ {QUOTE 68 68 69 ...} ... }") contributes its result
// to the enclosing instruction.
func scanDDE(ctx context.Context, r io.Reader) (bool, error) {
	var stack []*field
	overflow := 0 // fields nested deeper than maxFieldDepth
	inInstr := false
	var loose strings.Builder // instrText outside any field
	found := false
	dde := func() error { found = true; return zipx.ErrDone }
	err := zipx.Tokens(ctx, r, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "fldSimple":
				if v, ok := zipx.Attr(t, "instr"); ok && isDDE(v) {
					return dde()
				}
			case "fldChar":
				typ, _ := zipx.Attr(t, "fldCharType")
				switch typ {
				case "begin":
					if len(stack) >= maxFieldDepth {
						overflow++
					} else {
						stack = append(stack, &field{})
					}
				case "separate":
					if overflow == 0 && len(stack) > 0 {
						stack[len(stack)-1].separated = true
					}
				case "end":
					if overflow > 0 {
						overflow--
						return nil
					}
					if len(stack) == 0 {
						return nil
					}
					f := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					instr := f.instr.String()
					if isDDE(instr) {
						return dde()
					}
					if q, ok := quoteResult(instr); ok {
						if isDDE(q) {
							return dde()
						}
						if len(stack) > 0 {
							stack[len(stack)-1].add(q)
						}
					}
				}
			case "instrText":
				inInstr = true
				loose.Reset()
			}
		case xml.EndElement:
			if t.Name.Local == "instrText" {
				inInstr = false
				if len(stack) == 0 && isDDE(loose.String()) {
					return dde()
				}
			}
		case xml.CharData:
			if !inInstr {
				return nil
			}
			if overflow == 0 && len(stack) > 0 {
				stack[len(stack)-1].add(string(t))
			} else if room := maxInstr - loose.Len(); room > 0 {
				loose.Write(t[:min(len(t), room)])
			}
		}
		return nil
	})
	return found, err
}

// isDDE reports whether a field instruction's field code is DDE or DDEAUTO
// (Word compares field codes case-insensitively and skips leading blanks).
func isDDE(instr string) bool {
	code := firstWord(instr)
	return strings.EqualFold(code, "DDE") || strings.EqualFold(code, "DDEAUTO")
}

func firstWord(s string) string {
	s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
	end := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\\' })
	if end < 0 {
		return s
	}
	return s[:end]
}

// quoteResult evaluates "QUOTE n n n ..." with decimal character codes to
// the text it displays.
func quoteResult(instr string) (string, bool) {
	f := strings.Fields(instr)
	if len(f) < 2 || !strings.EqualFold(f[0], "QUOTE") {
		return "", false
	}
	var b strings.Builder
	for _, n := range f[1:] {
		v, err := strconv.ParseUint(strings.Trim(n, `"`), 10, 21)
		if err != nil || v > unicode.MaxRune {
			return "", false
		}
		b.WriteRune(rune(v))
	}
	return b.String(), true
}

// scanDDELink reports whether a SpreadsheetML external link part holds a
// DDE link ([ECMA-376] Part 1, 18.14 External Workbooks, ddeLink).
func scanDDELink(ctx context.Context, r io.Reader) (bool, error) {
	found := false
	err := zipx.StartElements(ctx, r, func(se xml.StartElement) error {
		if se.Name.Local == "ddeLink" {
			found = true
			return zipx.ErrDone
		}
		return nil
	})
	return found, err
}
