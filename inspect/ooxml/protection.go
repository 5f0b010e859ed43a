package ooxml

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

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

// Needles a part must contain for the protection element to be there:
// element names are case-sensitive and cannot be written with character
// references.
var (
	settingsNeedles     = [][]byte{[]byte("writeProtection"), []byte("documentProtection")}
	workbookNeedles     = [][]byte{[]byte("workbookProtection"), []byte("fileSharing")}
	sheetNeedles        = [][]byte{[]byte("sheetProtection")}
	presentationNeedles = [][]byte{[]byte("modifyVerifier")}
)

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
	var needles [][]byte
	var locals []string
	switch {
	case pt.role&roleWordSettings != 0:
		needles, locals = settingsNeedles, []string{"writeProtection", "documentProtection"}
	case pt.role&roleWorkbook != 0:
		needles, locals = workbookNeedles, []string{"workbookProtection", "fileSharing"}
	case pt.role&roleSheet != 0:
		needles, locals = sheetNeedles, []string{"sheetProtection"}
	case pt.role&rolePresentation != 0:
		needles, locals = presentationNeedles, []string{"modifyVerifier"}
	default:
		return nil
	}
	var details []string
	_, err := pk.scan(pt, needles, func(ctx context.Context, r io.Reader) (bool, error) {
		return false, startTags(ctx, r, locals, func(se xml.StartElement) {
			if d := protectionDetail(se); d != "" && !contains(details, d) {
				details = append(details, d)
			}
		})
	})
	if err != nil {
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
	pk.s.Emit(inspect.Finding{Kind: inspect.KindProtected, Where: first, Detail: d + ")" + pk.signedNote()})
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

// maxTagScan bounds the tags startTags looks at between context checks.
const maxTagScan = 1024

// startTags calls fn with every start tag in r whose local name is one of
// locals, without decoding the rest of the XML: a sheet's sheetProtection
// comes after its cell data in the worksheet's schema order, and
// decoding a large sheet to find it costs more than inflating it. It looks
// for '<', skips comments, CDATA sections and processing instructions
// (which may hold '<'), and decodes only the tags it wants, with the XML
// decoder (so attribute values with character references read as Office
// reads them). Content that is not ASCII-compatible (UTF-16) is decoded
// whole instead.
func startTags(ctx context.Context, r io.Reader, locals []string, fn func(xml.StartElement)) error {
	br := bufio.NewReaderSize(r, 32<<10)
	if head, _ := br.Peek(2); len(head) == 2 && (head[0] == 0 || head[1] == 0 || head[0] >= 0xFE) {
		x := zipx.NewXMLReader(ctx, br)
		for {
			tok, err := x.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if se, ok := tok.(xml.StartElement); ok && contains(locals, se.Name.Local) {
				fn(se)
			}
		}
	}
	longest := 0
	for _, l := range locals {
		longest = max(longest, len(l))
	}
	for n := 0; ; n++ {
		if n%maxTagScan == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		_, err := br.ReadSlice('<')
		switch err {
		case nil:
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return nil
		default:
			return err
		}
		b, _ := br.Peek(9 + 64 + longest)
		switch {
		case bytes.HasPrefix(b, []byte("!--")):
			err = skipPast(br, "-->")
		case bytes.HasPrefix(b, []byte("![CDATA[")):
			err = skipPast(br, "]]>")
		case bytes.HasPrefix(b, []byte("?")):
			err = skipPast(br, "?>")
		default:
			if !contains(locals, localName(b)) {
				continue
			}
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

// localName returns the local part of the element name at the start of b
// (after its '<'): "" for an end tag or anything that is no name.
func localName(b []byte) string {
	end := bytes.IndexAny(b, " \t\r\n/>")
	if end <= 0 {
		return ""
	}
	name := b[:end]
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return string(name)
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
