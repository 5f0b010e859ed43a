package pdf

import (
	"strings"
	"unicode/utf16"
)

// An object is a PDF object (ISO 32000-1 7.3): nil (null), bool, int64,
// float64, name, str, array, dict, ref or *stream.
type object = any

// name is a name object with its #xx escapes decoded (ISO 32000-1 7.3.5):
// /J#61vaScript is name("JavaScript").
type name string

// str is a string object's bytes (ISO 32000-1 7.3.4), literal or
// hexadecimal, escapes decoded. In an encrypted file they are still
// encrypted: see doc.text.
type str []byte

type array []object

// dict keeps its entries in file order. A key may occur twice in a hostile
// file; get returns the last one (as most readers do) while the active
// content scan looks at every entry.
type dict []kv

type kv struct {
	k name
	v object
}

// ref is an indirect reference "num gen R" (ISO 32000-1 7.3.10).
type ref struct {
	num, gen int32
}

// stream is a stream object (ISO 32000-1 7.3.8): its dictionary and where
// its raw data lies in the file.
type stream struct {
	d        dict
	num, gen int32
	off, n   int64 // raw data: n bytes at file offset off
}

func (d dict) get(k name) object {
	for i := len(d) - 1; i >= 0; i-- {
		if d[i].k == k {
			return d[i].v
		}
	}
	return nil
}

// kw is a bare keyword met where a value was expected (endobj, stream, or
// junk). It never ends up inside a parsed dict or array.
type kw string

// countValues counts the values in v, stopping once it has seen more than
// max of them.
func countValues(v object, max int) int {
	n := 1
	switch x := v.(type) {
	case array:
		for _, e := range x {
			if n > max {
				break
			}
			n += countValues(e, max-n)
		}
	case dict:
		for _, e := range x {
			if n > max {
				break
			}
			n += countValues(e.v, max-n)
		}
	case *stream:
		n += countValues(x.d, max-n)
	}
	return n
}

// Retention bounds: the object table keeps what later look-ups may need
// (actions, file specifications, /Length, /Encrypt), which is always small;
// a huge array of glyph widths is not kept.
const (
	retainMax      = 1024
	retainEntryMax = 64
	retainEntries  = 256
)

// retain returns v, or a pruned copy of it when it is large.
func retain(v object, values int) object {
	if values <= retainMax {
		return v
	}
	switch x := v.(type) {
	case dict:
		return pruneDict(x)
	case *stream:
		c := *x
		c.d = pruneDict(x.d)
		return &c
	}
	return nil
}

func pruneDict(x dict) dict {
	var out dict
	for _, e := range x {
		if countValues(e.v, retainEntryMax) <= retainEntryMax {
			out = append(out, e)
			if len(out) >= retainEntries {
				break
			}
		}
	}
	return out
}

// pdfDocEncoding maps the bytes 0x18-0x1F and 0x80-0xA0 of PDFDocEncoding
// (ISO 32000-1 Annex D.2) that differ from Latin-1.
var pdfDocEncoding = map[byte]rune{
	0x18: '˘', 0x19: 'ˇ', 0x1A: 'ˆ', 0x1B: '˙', 0x1C: '˝', 0x1D: '˛', 0x1E: '˚', 0x1F: '˜',
	0x80: '•', 0x81: '†', 0x82: '‡', 0x83: '…', 0x84: '—', 0x85: '–', 0x86: 'ƒ', 0x87: '⁄',
	0x88: '‹', 0x89: '›', 0x8A: '−', 0x8B: '‰', 0x8C: '„', 0x8D: '“', 0x8E: '”', 0x8F: '‘',
	0x90: '’', 0x91: '‚', 0x92: '™', 0x93: 'ﬁ', 0x94: 'ﬂ', 0x95: 'Ł', 0x96: 'Œ', 0x97: 'Š',
	0x98: 'Ÿ', 0x99: 'Ž', 0x9A: 'ı', 0x9B: 'ł', 0x9C: 'œ', 0x9D: 'š', 0x9E: 'ž', 0xA0: '€',
}

// textString decodes a text string (ISO 32000-1 7.9.2.2): UTF-16BE with a
// byte order mark, UTF-8 with one (ISO 32000-2), else PDFDocEncoding.
func textString(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		u := make([]uint16, 0, (len(b)-2)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	}
	var sb strings.Builder
	for _, c := range b {
		if r, ok := pdfDocEncoding[c]; ok {
			sb.WriteRune(r)
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// fileName turns a file specification's name into a safe child name: the
// last path element, no control characters, at most 255 runes.
func fileName(s string) string {
	s = strings.ReplaceAll(s, "\\", "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || r == 0xFFFD {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 255 {
		s = string(r[:255])
	}
	if s == "." || s == ".." {
		return ""
	}
	return s
}
