package ooxml

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Password protections that are not encryption: the document opens without
// a password, but one guards editing, the workbook structure, a sheet or
// saving changes. The strict mailbox refuses them (inspect.KindProtected).
// Each is an element whose attributes hold a password hash:
//
//   - WordprocessingML settings ([ECMA-376] Part 1, 17.15.1.93
//     writeProtection: a password to modify; 17.15.1.29 documentProtection:
//     restricted editing). The hash is w:hashValue (the ISO form, with
//     w:algorithmName, w:saltValue, w:spinCount) or w:hash (the form of
//     the first edition, kept in the transitional schema, which Word
//     2007-2013 writes beside w:cryptProviderType, w:cryptAlgorithmSid,
//     w:cryptSpinCount and w:salt).
//   - SpreadsheetML workbook (18.2.29 workbookProtection, 18.2.12
//     fileSharing) and sheets (18.3.1.85 sheetProtection, in worksheets,
//     chartsheets and dialogsheets): the legacy 16-bit hash in hex
//     (workbookPassword, revisionsPassword, reservationPassword, password)
//     or the ISO hashValue forms.
//   - PresentationML presentation (19.2.1.19 modifyVerifier): hashData
//     (transitional) or hashValue (ISO).
//
// An element without a hash is no password protection: Word's restricted
// editing with w:enforcement="1" but no hash is lifted with "Stop
// Protection" without any prompt, a writeProtection with only
// w:recommended suggests read-only, and Excel unprotects a sheet or a
// workbook without a hash without asking. No finding for them. (17.15.1.93
// says an application prompts for a password when writeProtection has
// neither attribute; with no hash to compare, no password is known to
// anyone, so it guards nothing either.) A hash with
// the protection switched off is none either: documentProtection needs
// w:enforcement on (17.15.1.29), a sheet needs sheet="1" (18.3.1.85: the
// other attributes only say what the protection allows), the workbook
// lockStructure or lockWindows for its password, lockRevision for the
// revisions password (18.2.29); Excel and LibreOffice leave such a file
// unprotected.
//
// The binary workbook (.xlsb, [MS-XLSB] BrtBookProtection,
// BrtSheetProtection) is not read: its records would need a parser of
// their own.

// Finding details of protections. They are part of the JSON output.
const (
	DetailWriteProtection = "password to modify (writeProtection)"
	DetailDocProtection   = "restricted editing with a password (documentProtection edit=" // + edit + ")"
	DetailWorkbookProt    = "protected workbook structure with a password"
	DetailRevisionsProt   = "protected workbook revisions with a password"
	DetailFileSharing     = "password to modify (fileSharing)"
	DetailSheetProt       = "protected sheet with a password (" // + part [+ " and N more sheet(s)"] + ")"
	DetailModifyVerifier  = "password to modify (modifyVerifier)"
	// DetailSigned is appended to the Detail of a protected finding of a
	// package that carries a signature (see Signatures).
	DetailSigned = "; signed"
)

const (
	ctWordSettings = wordprocessingmlPfx + "settings+xml"
	ctSheetPfx     = "application/vnd.openxmlformats-officedocument.spreadsheetml."
)

// sheetTypes are the content types of the parts that can hold a
// sheetProtection element ([ECMA-376] Part 1, 18.3 worksheets, chartsheets
// and dialogsheets).
var sheetTypes = map[string]bool{
	ctSheetPfx + "worksheet+xml":   true,
	ctSheetPfx + "chartsheet+xml":  true,
	ctSheetPfx + "dialogsheet+xml": true,
}

// classifyProtection adds the protection roles of pt: called from classify.
func (pk *pkg) classifyProtection(pt *part, ct string) {
	switch {
	// By content type, and by the names Office gives the parts: readers
	// that follow relationships without checking content types
	// (LibreOffice) read a sheet whatever type it declares.
	case ct == ctWordSettings || pt.key == "word/settings.xml":
		pt.role |= roleWordSettings
	case sheetTypes[ct] || ext(pt.key) == "xml" &&
		(hasDir(pt.key, "worksheets") || hasDir(pt.key, "chartsheets") || hasDir(pt.key, "dialogsheets")):
		pt.role |= roleSheet
	case pt.key == pk.main:
		mct, _ := pk.ct.of(pk.main)
		switch mainTypes[mct] {
		case inspect.TypeXLSX, inspect.TypeXLSM, inspect.TypeXLTX, inspect.TypeXLTM, inspect.TypeXLAM:
			pt.role |= roleWorkbook
		case inspect.TypePPTX, inspect.TypePPTM, inspect.TypePPSX, inspect.TypePPSM, inspect.TypePOTX, inspect.TypePOTM:
			pt.role |= rolePresentation
		}
	}
}

// protection reads the protection elements of pt (by its roles). Findings
// of sheets are gathered for sheetFinding; the others are emitted. It
// returns an error only when the walk must stop.
func (pk *pkg) protection(pt *part, emit func(inspect.Kind, string)) error {
	var tags *tagSet
	switch {
	case pt.role&roleWordSettings != 0:
		tags = settingsTags
	case pt.role&roleWorkbook != 0:
		tags = workbookTags
	case pt.role&roleSheet != 0:
		tags = sheetTags
	case pt.role&rolePresentation != 0:
		tags = presentationTags
	default:
		return nil
	}
	// One pass: the tag scanner costs no more than a byte search for the
	// names would, and a protected sheet is inflated once. The head is
	// sniffed on the way (pt.fam). Decoding errors are recorded by read;
	// the walk goes on.
	var details []string
	err := pk.readHead(pt, func(r io.Reader) error {
		return tags.scan(pk.Ctx, r, func(se xml.StartElement) {
			if d := protectionDetail(se); d != "" && !contains(details, d) {
				details = append(details, d)
			}
		})
	})
	if pk.Stop(err) {
		return err
	}
	for _, d := range details {
		if pt.role&roleSheet != 0 {
			pk.protectedSheets = append(pk.protectedSheets, pt.f.Name)
			continue
		}
		emit(inspect.KindProtected, d+pk.signedNote())
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// sheetFinding emits one finding for the protected sheets of the package:
// a workbook protects many sheets at once, and a finding per sheet says
// nothing more to whoever decides.
func (pk *pkg) sheetFinding() {
	n := len(pk.protectedSheets)
	if n == 0 {
		return
	}
	first := pk.protectedSheets[0]
	d := DetailSheetProt + clip(first)
	switch {
	case n == 2:
		d += " and 1 more sheet"
	case n > 2:
		d += fmt.Sprintf(" and %d more sheets", n-1)
	}
	pk.S.Emit(inspect.Finding{Kind: inspect.KindProtected, Where: first, Detail: d + ")" + pk.signedNote()})
}

// protectionDetail returns the Detail of the protection se states, or ""
// when it states none with a password.
func protectionDetail(se xml.StartElement) string {
	has := func(names ...string) bool {
		for _, n := range names {
			if v, ok := zipx.Attr(se, n); ok && strings.TrimSpace(v) != "" {
				return true
			}
		}
		return false
	}
	on := func(name string) bool {
		v, _ := zipx.Attr(se, name)
		return onOff(v)
	}
	switch se.Name.Local {
	case "writeProtection":
		if has("hashValue", "hash") {
			return DetailWriteProtection
		}
	case "documentProtection":
		if on("enforcement") && has("hashValue", "hash") {
			edit, _ := zipx.Attr(se, "edit")
			return DetailDocProtection + editName(edit) + ")"
		}
	case "workbookProtection":
		if has("workbookPassword", "workbookHashValue") && (on("lockStructure") || on("lockWindows")) {
			return DetailWorkbookProt
		}
		if has("revisionsPassword", "revisionsHashValue") && on("lockRevision") {
			return DetailRevisionsProt
		}
	case "fileSharing":
		if has("reservationPassword", "hashValue") {
			return DetailFileSharing
		}
	case "sheetProtection":
		if on("sheet") && has("password", "hashValue") {
			return "sheet"
		}
	case "modifyVerifier":
		if has("hashData", "hashValue") {
			return DetailModifyVerifier
		}
	}
	return ""
}

// onOff reads an ST_OnOff ([ECMA-376] Part 1, 22.9.2.7: "true", "on", "1")
// or xsd:boolean value.
func onOff(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "on":
		return true
	}
	return false
}

// editName is the documentProtection w:edit value ([ECMA-376] Part 1
// ST_DocProtect) for a Detail: one of the known values, "none"
// when absent.
func editName(v string) string {
	switch v = strings.TrimSpace(v); v {
	case "none", "readOnly", "comments", "trackedChanges", "forms":
		return v
	case "":
		return "none"
	}
	return "other"
}

// tagSet is what startTags looks for: local names, and the byte strings it
// jumps between (built once per set).
type tagSet struct {
	locals  []string
	marks   [][]byte // "<!", "<?", then "<name" and ":name" for each name
	longest int
}

func newTagSet(locals ...string) *tagSet {
	t := &tagSet{locals: locals, marks: [][]byte{[]byte("<!"), []byte("<?")}}
	for _, l := range locals {
		t.marks = append(t.marks, []byte("<"+l), []byte(":"+l))
		t.longest = max(t.longest, len(l))
	}
	return t
}

// The protection elements of each kind of part.
var (
	settingsTags     = newTagSet("writeProtection", "documentProtection")
	workbookTags     = newTagSet("workbookProtection", "fileSharing")
	sheetTags        = newTagSet("sheetProtection")
	presentationTags = newTagSet("modifyVerifier")
)

// startTags is newTagSet(locals...).scan(ctx, r, fn).
func startTags(ctx context.Context, r io.Reader, locals []string, fn func(xml.StartElement)) error {
	return newTagSet(locals...).scan(ctx, r, fn)
}

// tagReaders are the buffered readers of startTags: a window of 64 KiB
// makes bytes.Index worth its call.
var tagReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// tagContext is how many bytes startTags keeps before a name it found, to
// walk back over the element's prefix to its '<', and after it.
const tagContext = 256

// scan calls fn with every start tag in r whose local name is one of
// t.locals, without decoding the rest of the XML: a sheet's sheetProtection
// comes after its cell data in the worksheet's schema order, and decoding
// a large sheet to find it costs far more than inflating it. It jumps
// (bytes.Index) from one place of interest to the next: the names, and
// the markup that may hold a '<' that is no tag (comments, CDATA sections,
// processing instructions, which it skips). A name preceded by '<', or by
// '<' and a prefix, and followed by white space, '/' or '>' is a start
// tag: it is decoded with the XML decoder, so attribute values with
// character references read as Office reads them. A prefix longer than
// tagContext that straddles a buffer boundary is not recognised. Content
// that is not ASCII-compatible (UTF-16) is decoded whole instead.
func (t *tagSet) scan(ctx context.Context, r io.Reader, fn func(xml.StartElement)) error {
	br := tagReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		tagReaders.Put(br)
	}()
	if head, _ := br.Peek(2); len(head) == 2 && (head[0] == 0 || head[1] == 0 || head[0] >= 0xFE) {
		return zipx.StartElements(ctx, br, func(se xml.StartElement) error {
			if contains(t.locals, se.Name.Local) {
				fn(se)
			}
			return nil
		})
	}
	marks := t.marks
	keep := tagContext + t.longest + 1
	for n := 0; ; n++ {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		buf, perr := br.Peek(br.Size())
		if perr != nil && perr != io.EOF {
			return perr
		}
		at, m := -1, -1
		for k, mk := range marks {
			if j := bytes.Index(buf, mk); j >= 0 && (at < 0 || j < at) {
				at, m = j, k
			}
		}
		switch {
		case at < 0 && perr == io.EOF:
			return nil
		case at < 0:
			// Nothing here; keep what a mark across the boundary needs.
			br.Discard(len(buf) - keep)
			continue
		case perr == nil && at > len(buf)-keep:
			// Too near the end of the buffer to look around: refill.
			br.Discard(at - tagContext)
			continue
		}
		var err error
		switch m {
		case 0:
			switch rest := buf[at:]; {
			case bytes.HasPrefix(rest, []byte("<!--")):
				br.Discard(at + 4)
				err = skipPast(br, "-->")
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				br.Discard(at + 9)
				err = skipPast(br, "]]>")
			default:
				br.Discard(at + 2) // a DOCTYPE, or not XML
			}
		case 1:
			br.Discard(at + 2)
			err = skipPast(br, "?>")
		default:
			lt := at
			if m%2 == 1 {
				// ":name": walk back over the prefix to its '<'.
				lt = at - 1
				for lt >= 0 && at-lt <= tagContext && isNameByte(buf[lt]) {
					lt--
				}
				if lt < 0 || lt == at-1 || buf[lt] != '<' {
					br.Discard(at + 1)
					continue
				}
			}
			end := at + len(marks[m])
			if end >= len(buf) || !isSpace(buf[end]) && buf[end] != '/' && buf[end] != '>' {
				br.Discard(at + 1) // a longer name, or the end of the input
				continue
			}
			br.Discard(lt + 1)
			d := xml.NewDecoder(&ltReader{br: br})
			tok, err := d.RawToken()
			if err != nil {
				return err
			}
			if se, ok := tok.(xml.StartElement); ok {
				fn(se)
			}
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// isNameByte reports whether c can be part of an XML name's prefix: ASCII
// name characters and any byte of a multi-byte UTF-8 character.
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c >= 0x80
}

// skipPast reads br up to and including the first occurrence of end.
func skipPast(br *bufio.Reader, end string) error {
	last := end[len(end)-1]
	var prev []byte // the bytes before the last read's final byte
	for {
		s, err := br.ReadSlice(last)
		if err == bufio.ErrBufferFull {
			prev = append(prev[:0], s[max(0, len(s)-len(end)):]...)
			continue
		}
		if err != nil {
			return err
		}
		tail := append(prev, s...)
		if bytes.HasSuffix(tail, []byte(end)) {
			return nil
		}
		prev = append(prev[:0], tail[max(0, len(tail)-len(end)):]...)
	}
}

// ltReader gives the XML decoder the '<' that startTags has consumed and
// then br. It is an io.ByteReader, so the decoder reads byte by byte from
// br and leaves it right after the tag.
type ltReader struct {
	br   *bufio.Reader
	done bool
}

func (l *ltReader) ReadByte() (byte, error) {
	if !l.done {
		l.done = true
		return '<', nil
	}
	return l.br.ReadByte()
}

func (l *ltReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !l.done {
		l.done = true
		p[0] = '<'
		return 1, nil
	}
	return l.br.Read(p)
}
