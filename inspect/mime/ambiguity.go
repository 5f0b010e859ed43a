package mime

import (
	"bytes"
	"math/bits"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// One message, one reading: the parser reads a message one way (its
// primary reading, the zero reading); mail clients and downstream
// gateways (Perl MIME-tools behind MIMEDefang and amavisd-new, Go's
// net/mail and mime/multipart, Thunderbird, Outlook, ClamAV) may read the
// same bytes another way and expose a part the primary reading never saw.
// The defence follows draft-chen-email-mime-ambiguity-defense-00: detect
// where readers may diverge (Entity.Ambiguities), extract every plausible
// reading, and inspect the union (Walk).
//
// A reading is a set of flags; each flag is one documented way a
// mainstream reader departs from the primary reading. The parser records
// which flags would change something while it parses the primary
// reading; Walk re-parses the message under those readings only, so a
// message without an ambiguity costs nothing more.

// reading is a set of departures from the primary reading.
type reading uint16

const (
	// rdLastParam: of repeated parameters the last wins (MIME-tools
	// overwrites a hash; RFC 2045 5.1 leaves repeated names undefined).
	rdLastParam reading = 1 << iota
	// rdPlainParam: a plain parameter wins over its RFC 2231 form (a
	// reader without RFC 2231 support).
	rdPlainParam
	// rdLastField: of repeated Content-* fields the last wins.
	rdLastField
	// rdLenientNames: field names are read after removing comments,
	// control characters, NUL and 8-bit bytes ("Content-Type(x):" is a
	// Content-Type field, as ClamAV reads it).
	rdLenientNames
	// rdPrefixDelims: a line starting with "--boundary" is a delimiter
	// whatever follows it (Thunderbird compares the line's start only).
	rdPrefixDelims
	// rdCRLines: a bare CR ends a line.
	rdCRLines
	// rdCRLFDelims: after a first delimiter line ending in CRLF only
	// CRLF-framed delimiter lines count (Go's mime/multipart).
	rdCRLFDelims
	// rdStrictNames: a field name followed by whitespace before the colon
	// is no field and ends the header (RFC 5322 2.2 without the obsolete
	// syntax of 4.5.8, as Python's email parser reads it).
	rdStrictNames
	// rdOuterParts: the preamble and the epilogue are parts, and a close
	// delimiter does not end the multipart.
	rdOuterParts
	// rdSkipBlank: blank lines before a part's header are skipped.
	rdSkipBlank
	// rdLenientType: a quoted type or a type without subtype is read
	// ("multipart" as multipart/mixed).
	rdLenientType
	// rdLenientEnc: an unknown transfer encoding whose name contains a
	// known one ("x-base64") is decoded as that one.
	rdLenientEnc
	// rdIgnoreNames: a field name followed by whitespace before the colon
	// is no field of that name and is ignored; the header goes on (Go's
	// net/textproto and Perl's Mail::Header keep "Content-Type " as a name
	// of its own, so the part is text/plain).
	rdIgnoreNames
	// rdRawEnc: a transfer encoding outside RFC 2045 that this parser
	// decodes (the uuencode family) is not decoded: the body is taken as
	// it is (Go's mime/multipart knows none of them, MIME-tools knows
	// x-uuencode but not uuencode).
	rdRawEnc

	rdAll = rdRawEnc<<1 - 1
)

// strictReadings see less than the primary reading in some places; they
// are not folded into the combined reading.
const strictReadings = rdStrictNames | rdCRLFDelims | rdIgnoreNames | rdRawEnc

// maxReadings bounds the alternative readings of one message.
const maxReadings = 8

var readingNames = map[reading]string{
	rdLastParam:    "last-parameter",
	rdPlainParam:   "plain-parameter",
	rdLastField:    "last-field",
	rdLenientNames: "lenient-names",
	rdPrefixDelims: "lenient-delimiters",
	rdCRLines:      "cr-line-ends",
	rdCRLFDelims:   "crlf-delimiters",
	rdStrictNames:  "strict-names",
	rdOuterParts:   "preamble-epilogue",
	rdSkipBlank:    "skip-blank-lines",
	rdLenientType:  "lenient-type",
	rdLenientEnc:   "lenient-encoding",
	rdIgnoreNames:  "ignored-names",
	rdRawEnc:       "raw-encoding",
}

// name is the View of leaves found under the reading.
func (rd reading) name() string {
	if n, ok := readingNames[rd]; ok {
		return n
	}
	return "combined"
}

// readingOrder is the order in which single readings are tried.
var readingOrder = []reading{
	rdLastParam, rdPlainParam, rdLastField, rdLenientNames, rdPrefixDelims,
	rdCRLines, rdCRLFDelims, rdStrictNames, rdOuterParts, rdSkipBlank,
	rdLenientType, rdLenientEnc, rdIgnoreNames, rdRawEnc,
}

// alternatives returns the readings to try for the departures found: each
// on its own, and all lenient ones together with last-field and
// last-parameter (an attacker chains two ambiguities: a field name with a
// comment that is a second Content-Type field). At most maxReadings; the
// combined reading covers lenient flags beyond the cap.
func alternatives(found reading) []reading {
	found &= rdAll
	if found == 0 {
		return nil
	}
	var out []reading
	for _, rd := range readingOrder {
		if found&rd != 0 && len(out) < maxReadings-1 {
			out = append(out, rd)
		}
	}
	combined := found&^strictReadings | rdLastField | rdLastParam
	if bits.OnesCount16(uint16(combined)) > 1 {
		dup := false
		for _, rd := range out {
			dup = dup || rd == combined
		}
		if !dup {
			out = append(out, combined)
		}
	}
	return out
}

// views is what Parse leaves on the root for Walk: the message size and
// the readings worth trying. nil when the message has no ambiguity.
type views struct {
	size int64
	alts reading
}

// Ambiguity details. The texts name the thing; Walk reports each as a
// RoleAmbiguous leaf. Field-specific ones are built by fieldAmbiguity.
const (
	AmbiguityMissingClose     = "multipart without close delimiter"
	AmbiguityPrefixMatch      = "delimiter prefix match"
	AmbiguityTrailingJunk     = "delimiter line with trailing junk"
	AmbiguityDelimBareCR      = "bare CR in delimiter line"
	AmbiguityMixedDelimEnds   = "mixed line ends at delimiters"
	AmbiguityHeaderBareCR     = "bare CR in header"
	AmbiguityMixedHeaderEnds  = "mixed line ends in header"
	AmbiguityHeaderNUL        = "NUL byte in header"
	AmbiguityDelimAfterClose  = "delimiter after the close delimiter"
	AmbiguityPartAfterClose   = "part-like content after the close delimiter"
	AmbiguityPartInPreamble   = "part-like content in the preamble"
	AmbiguityBlankHeaderStart = "part header starts with a blank line"
	AmbiguityWSPHeaderStart   = "part header starts with a whitespace line"
	AmbiguityNoSubtype        = "Content-Type without subtype"
	AmbiguityQuotedType       = "quoted Content-Type"
	AmbiguityUnknownEncoding  = "unknown Content-Transfer-Encoding"
	AmbiguityMessageNoBlank   = "message/rfc822 body without blank line"
	AmbiguityTwoTypes         = "two Content-Type fields"
	AmbiguityTwoEncodings     = "two Content-Transfer-Encoding fields"
	AmbiguityTwoDispositions  = "two Content-Disposition fields"
)

// ambiguous records the ambiguity d on e and the reading that resolves it
// the other way (0: none needed, the primary reading already sees more).
func (p *parser) ambiguous(e *Entity, d string, rd reading) {
	p.found |= rd
	for _, x := range e.Ambiguities {
		if x == d {
			return
		}
	}
	e.Ambiguities = append(e.Ambiguities, d)
}

// contentFields are the fields whose reading decides what a part is.
// RFC 2045 5, 6; RFC 2183 2.
var contentFields = []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"}

// contentField returns the canonical name when name is one of
// contentFields (case-insensitive), else "".
func contentField(name []byte) string {
	if len(name) < 12 || (name[0]|0x20) != 'c' {
		return ""
	}
	for _, f := range contentFields {
		if len(name) == len(f) && strings.EqualFold(string(name), f) {
			return f
		}
	}
	return ""
}

// lenientName is the field name a lenient reader sees: comments removed
// (RFC 5322 3.2.2 syntax, which is not allowed in a name), and every byte
// that is not printable US-ASCII dropped. It reports how the raw name
// departs, the most telling first: "a comment", "a control character",
// "8-bit bytes", "whitespace" ("" when it does not).
func lenientName(raw []byte) (name []byte, how string) {
	clean := make([]byte, 0, len(raw))
	var comment, ctl, high, wsp bool
	depth := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '(':
			depth++
			comment = true
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c < 0x20 || c == 0x7f:
			ctl = true
		case c >= 0x80:
			high = true
		case c == ' ':
			wsp = true
		default:
			clean = append(clean, c)
		}
	}
	switch {
	case comment:
		how = "a comment"
	case ctl:
		how = "a control character"
	case high:
		how = "8-bit bytes"
	case wsp:
		how = "whitespace"
	}
	return clean, how
}

// needsLenientCheck reports a field name a lenient reader may read as
// another name: it holds a comment or 8-bit bytes. (Names with controls
// are no field names at all; fieldName rejects them.)
func needsLenientCheck(name []byte) bool {
	for _, c := range name {
		if c == '(' || c >= 0x80 {
			return true
		}
	}
	return false
}

// lenientFieldLine parses a header line that fieldName rejects (a control
// character or NUL in the name) the lenient way. ok=false when no name is
// left or there is no colon.
func lenientFieldLine(line []byte) (name []byte, how string, colon int, ok bool) {
	colon = bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, "", 0, false
	}
	if isWSP(line[0]) {
		return nil, "", 0, false
	}
	name, how = lenientName(bytes.TrimRight(line[:colon], " \t"))
	if len(name) == 0 {
		return nil, "", 0, false
	}
	return name, how, colon, true
}

// fieldAmbiguity names a field name that lenient readers read as
// Content-Type & co.
func fieldAmbiguity(canon, how string) string {
	if canon == "" {
		return "header field name with " + how
	}
	return canon + " field name with " + how
}

// has8bit reports a byte outside US-ASCII.
func has8bit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// lenientType reads a media type the way lenient readers do: quotes and
// whitespace dropped, a missing subtype filled in with the RFC 2046
// default of the top-level type (multipart/mixed, text/plain,
// message/rfc822). "" when nothing sensible comes out.
func lenientType(t string) string {
	t = strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(t), `"'`)))
	if i := strings.IndexAny(t, " \t"); i >= 0 && !strings.Contains(t, "/") {
		t = t[:i]
	}
	if !strings.Contains(t, "/") {
		switch t {
		case "multipart":
			return "multipart/mixed"
		case "text":
			return "text/plain"
		case "message":
			return "message/rfc822"
		}
		return ""
	}
	t = normType(t)
	if validMediaType(t) {
		return t
	}
	return ""
}

// lenientEncoding maps an unknown transfer encoding whose name contains a
// known one to that one ("x-base64" → base64); "" when none fits.
func lenientEncoding(enc string) string {
	switch {
	case strings.Contains(enc, "base64"), strings.Contains(enc, "base-64"):
		return "base64"
	case strings.Contains(enc, "quoted"), strings.Contains(enc, "printable"):
		return "quoted-printable"
	case strings.Contains(enc, "uu"):
		return "x-uuencode"
	}
	return ""
}

// Parameter duplicates (RFC 2045 5.1 does not say which of two equal
// names counts; RFC 2231 3 does not say what a plain parameter beside its
// extended form means).
const (
	dupPlain = iota // name=a; name=b
	dupMixed        // name=a; name*=utf-8''b
	dup2231         // name*=...; name*0=...
)

type paramDup struct {
	name       string
	form       int
	differ     bool
	extDiffers bool // the values end in different file name extensions
}

func addDup(dups []paramDup, name string, form int, a, b string) []paramDup {
	differ := a != b
	ext := differ && (name == "name" || name == "filename") && inspect.Ext(decodeName(a)) != inspect.Ext(decodeName(b))
	for i := range dups {
		if dups[i].name == name && dups[i].form == form {
			dups[i].differ = dups[i].differ || differ
			dups[i].extDiffers = dups[i].extDiffers || ext
			return dups
		}
	}
	return append(dups, paramDup{name: name, form: form, differ: differ, extDiffers: ext})
}

// paramAmbiguities records the duplicate parameters that matter: boundary
// always (any case, any form), name, filename and charset when the values
// differ.
func (p *parser) paramAmbiguities(e *Entity, dups []paramDup) {
	for _, d := range dups {
		switch d.name {
		case "boundary":
		case "charset":
			if !d.differ {
				continue
			}
		case "name", "filename":
			// Mailers send an ASCII fallback beside the RFC 2231 name
			// ("Prufung.pdf", "Prüfung.pdf"): only a different extension
			// makes a different file to a reader (and a policy).
			if !d.differ || !d.extDiffers {
				continue
			}
		default:
			continue
		}
		switch d.form {
		case dupMixed:
			p.ambiguous(e, d.name+" parameter in plain and RFC 2231 form", rdPlainParam)
		default:
			p.ambiguous(e, "two "+d.name+" parameters", rdLastParam)
		}
	}
}
