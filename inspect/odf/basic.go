package odf

import (
	"context"
	"encoding/xml"
	"io"

	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// basicCode tells whether StarBasic source text holds code: a line that is
// neither blank nor a comment. Comments are lines starting with "'" or
// with the keyword REM (any case) followed by a non-identifier character
// or the end of the line ("REMARK = 1" is code). It is fed the source in
// pieces and keeps only the first few characters of the current line.
type basicCode struct {
	found   bool
	head    [4]byte
	n       int  // characters of head in use
	decided bool // the current line is known to be a comment
}

func (b *basicCode) Write(p []byte) (int, error) {
	for _, c := range p {
		if b.found {
			break
		}
		if c == '\n' || c == '\r' {
			b.endLine()
			continue
		}
		if b.decided {
			continue
		}
		if b.n == 0 && (c == ' ' || c == '\t' || c == ':' || c == '\f' || c == '\v') {
			continue
		}
		b.head[b.n] = c
		b.n++
		b.decide(false)
	}
	return len(p), nil
}

// decide classifies the current line once enough of it is known.
func (b *basicCode) decide(eol bool) {
	h := b.head[:b.n]
	if len(h) == 0 {
		return
	}
	if h[0] == '\'' {
		b.decided = true
		return
	}
	const rem = "rem"
	for i := 0; i < len(h) && i < 3; i++ {
		if lower(h[i]) != rem[i] {
			b.found = true
			return
		}
	}
	switch {
	case len(h) < 3:
		if eol {
			b.found = true // "RE" alone is an identifier
		}
	case len(h) == 3:
		if eol {
			b.decided = true // a bare REM
		}
	default:
		if isIdent(h[3]) {
			b.found = true
		} else {
			b.decided = true
		}
	}
}

func (b *basicCode) endLine() {
	if b.n > 0 && !b.decided {
		b.decide(true)
	}
	b.n, b.decided = 0, false
}

// done ends the source; it reports whether code was found.
func (b *basicCode) done() bool {
	b.endLine()
	return b.found
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isIdent reports whether c may continue a Basic identifier (non-ASCII
// letters included, conservatively).
func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// moduleHasCode reports whether a Basic module part (Basic/<lib>/<module>.xml,
// a script:module element whose text is the source, as LibreOffice's
// basic/source/uno/scriptcont.cxx writes it) holds code.
func moduleHasCode(ctx context.Context, r io.Reader) (bool, error) {
	x := zipx.NewXMLReader(ctx, r)
	var code basicCode
	depth := 0 // inside script:module
	for {
		tok, err := x.Next()
		if err == io.EOF {
			return code.done(), nil
		}
		if err != nil {
			return code.done(), err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "module" {
				depth++
			}
		case xml.EndElement:
			if t.Name.Local == "module" && depth > 0 {
				depth--
			}
		case xml.CharData:
			if depth > 0 {
				code.Write(t)
				if code.found {
					return true, nil
				}
			}
		}
	}
}
