package inspect

import (
	"strings"
	"unicode/utf8"
)

// Kind is a stable reason code. The JSON output, the policy configuration and
// the metrics use these strings; never rename one.
type Kind string

const (
	// KindLegacyOffice: a Word/Excel/PowerPoint 97-2003 binary (OLE2) file.
	KindLegacyOffice Kind = "legacy-office"
	// KindMacro: VBA, Excel 4/XLM macro sheets, ODF Basic or scripts.
	KindMacro Kind = "macro"
	// KindEncrypted: password protection or encryption that hides content.
	KindEncrypted Kind = "encrypted"
	// KindExecutable: native executables, scripts, shortcuts, installers.
	KindExecutable Kind = "executable"
	// KindActiveContent: PDF actions/JavaScript/embedded files, DDE, ActiveX.
	KindActiveContent Kind = "active-content"
	// KindExternalReference: content fetched from elsewhere when opened
	// (remote templates, linked OLE objects).
	KindExternalReference Kind = "external-reference"
	// KindEmbeddedObject: an OLE object or embedded document.
	KindEmbeddedObject Kind = "embedded-object"
	// KindDisallowedType: the policy does not allow this type (milter only).
	KindDisallowedType Kind = "disallowed-type"
	// KindTooLarge: over a policy size limit (milter only).
	KindTooLarge Kind = "too-large"
	// KindUnscannable: the content could not be inspected completely
	// (malformed, over an inspection limit, timeout, inspector failure).
	KindUnscannable Kind = "unscannable"
	// KindAmbiguous: the message or container can be read in more than one
	// way by mainstream readers (two boundary parameters, a zip whose
	// central directory and local headers disagree, a compound file with two
	// main streams, a polyglot). Every reading is inspected; the ambiguity
	// itself is reported so that a policy can refuse it.
	KindAmbiguous Kind = "ambiguous"
	// KindProtected: the file opens without a password, but a password
	// guards editing, structure or permissions ("password to modify",
	// restricted editing, protected sheets or workbook structure, a PDF
	// owner password). Detail says which protection.
	KindProtected Kind = "protected"
)

// Kinds lists every kind in a stable order (documentation, metrics, config
// validation).
var Kinds = []Kind{
	KindLegacyOffice, KindMacro, KindEncrypted, KindExecutable,
	KindActiveContent, KindExternalReference, KindEmbeddedObject,
	KindDisallowedType, KindTooLarge, KindUnscannable, KindAmbiguous,
	KindProtected,
}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Finding is one thing an inspector found.
type Finding struct {
	Kind Kind `json:"kind"`
	// Type is the type name of the file the finding is in (e.g. "docm" for a
	// macro inside a .docm inside a zip).
	Type string `json:"type,omitempty"`
	// Where is the path of that file or part inside the inspected file,
	// joined with "/" (zip member names, OLE stream paths, MIME file names).
	// Empty means the inspected file itself.
	Where string `json:"where,omitempty"`
	// Detail is the precise sub-reason: "vbaProject.bin", "FILEPASS",
	// "/JavaScript", "EncryptedPackage", "limit depth=8", ...
	Detail string `json:"detail"`
	// Limit names the limit an unscannable finding reports (LimitNone
	// otherwise): what callers test instead of parsing Detail. It is not
	// part of the JSON output; Detail already says it.
	Limit Limit `json:"-"`
}

// At returns f with Where set to where.
func (f Finding) At(where string) Finding {
	f.Where = where
	return f
}

// Clean makes attacker-supplied text (names, targets, command lines) safe
// and short for a Finding's Detail: control characters (C0, DEL, C1) become
// spaces, invalid UTF-8 becomes '?', the result is cut at max runes with
// "..." and trimmed.
func Clean(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("...")
			break
		}
		switch {
		case r == utf8.RuneError:
			r = '?'
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// NoteSigned is the Kind of a Note that says the file carries a signature
// of its own: a PDF signature (ISO 32000-1 12.8, PAdES), an OOXML or ODF
// XML signature, a CMS SignedData (.p7m, .p7s).
const NoteSigned = "signed"

// Note is a fact about a file that is not a problem, so not a Finding: no
// policy acts on it, but the log and the notice can name it ("signed").
// Nothing in a note has been verified: it says what the file states.
type Note struct {
	// Kind is what the note says; NoteSigned is the only one so far.
	Kind string `json:"kind"`
	// Where is the path of the file inside the inspected file, as for a
	// Finding; empty means the inspected file itself.
	Where string `json:"where,omitempty"`
	// Detail says it precisely: "PAdES signature (ETSI.CAdES.detached)
	// by Erika Mustermann", "XML signature by Erika Mustermann".
	Detail string `json:"detail"`
}

// HexDigit returns the value of the hexadecimal digit c.
func HexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// HexUnescape returns s with each esc that two hexadecimal digits follow
// replaced by the byte they give (esc '%': URL percent-encoding; '#': PDF
// name escapes); any other esc stays as it is.
func HexUnescape[S ~string | ~[]byte](s S, esc byte) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == esc && i+2 < len(s) {
			if h, ok := HexDigit(s[i+1]); ok {
				if l, ok := HexDigit(s[i+2]); ok {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return b
}
