package ole

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-XLS] 2.3 record types read from the workbook globals.
const (
	rtBOF         = 0x0809 // 2.4.21 BOF
	rtEOF         = 0x000A // 2.4.103 EOF
	rtFilePass    = 0x002F // 2.4.117 FilePass
	rtBoundSheet8 = 0x0085 // 2.4.28 BoundSheet8
	rtLbl         = 0x0018 // 2.4.150 Lbl
	rtTemplate    = 0x0060 // 2.4.323 Template
)

// BoundSheet8 dt ([MS-XLS] 2.4.28) and hsState values.
const (
	dtMacroSheet = 1 // Excel 4.0 macro sheet (XLM)
	dtVBAModule  = 6 // Excel 5/95 VBA module sheet
)

var hsStates = []string{"", "hidden", "very hidden"}

// maxRecord is the largest record body a u16 length allows.
const maxRecord = 0xFFFF

// biffScan collects what the workbook globals substream says. It is fed
// record by record, from the stream itself or from a decrypted copy.
type biffScan struct {
	decrypted bool // records come from DecryptWorkbook
	started   bool // the globals BOF was seen
	done      bool // the globals EOF was seen
	biff5     bool
	template  bool
	autoOpen  bool

	filePass   bool
	filePassOf string // the cipher, for the finding's detail

	macros []string // details of macro sheets found
	err    error    // a structural problem
}

// interesting reports whether the body of a record type is needed.
func interesting(typ uint16) bool {
	switch typ {
	case rtBOF, rtFilePass, rtBoundSheet8, rtLbl:
		return true
	}
	return false
}

// record handles one record and reports whether the scan is over.
func (b *biffScan) record(typ uint16, data []byte) bool {
	if !b.started {
		// [MS-XLS] 2.4.21: the stream starts with the globals BOF.
		if typ != rtBOF || len(data) < 4 {
			b.err = fmt.Errorf("workbook stream does not start with a BOF record (type %#04x)", typ)
			return true
		}
		b.started = true
		b.biff5 = binary.LittleEndian.Uint16(data[0:]) < 0x0600
		return false
	}
	switch typ {
	case rtEOF:
		b.done = true
		return true
	case rtTemplate:
		b.template = true
	case rtFilePass:
		if b.decrypted {
			return false // kept by DecryptWorkbook; what follows is plain
		}
		b.filePass = true
		b.filePassOf = filePassKind(data, b.biff5)
		// Record data after FILEPASS is encrypted: stop here.
		return true
	case rtBoundSheet8:
		if len(data) < 6 {
			return false
		}
		hs := data[4] & 0x03
		dt := data[5]
		var what string
		switch dt {
		case dtMacroSheet:
			what = "XLM macro sheet"
		case dtVBAModule:
			what = "VBA module sheet"
		default:
			return false
		}
		if name := sheetName(data[6:], b.biff5); name != "" {
			what += fmt.Sprintf(" %q", name)
		}
		if int(hs) < len(hsStates) && hsStates[hs] != "" {
			what += " (" + hsStates[hs] + ")"
		}
		b.macros = append(b.macros, what)
	case rtLbl:
		if isAutoOpen(data, b.biff5) {
			b.autoOpen = true
		}
	}
	return false
}

// filePassKind names the obfuscation or cipher of a FILEPASS record
// ([MS-XLS] 2.4.117): wEncryptionType 0 is XOR obfuscation, 1 RC4 whose
// EncryptionVersionInfo tells RC4 (1.1) from RC4 CryptoAPI (x.2). BIFF5
// knows only XOR.
func filePassKind(data []byte, biff5 bool) string {
	if biff5 || len(data) < 2 {
		return "XOR obfuscation"
	}
	switch binary.LittleEndian.Uint16(data) {
	case 0:
		return "XOR obfuscation"
	case 1:
		if len(data) >= 6 {
			return rc4Kind(binary.LittleEndian.Uint16(data[2:]), binary.LittleEndian.Uint16(data[4:]))
		}
		return "RC4/CryptoAPI"
	}
	return fmt.Sprintf("unknown encryption type %d", binary.LittleEndian.Uint16(data))
}

// sheetName decodes the stName of a BoundSheet8: a ShortXLUnicodeString
// (cch, fHighByte, characters) in BIFF8, cch and 8-bit characters in BIFF5.
func sheetName(b []byte, biff5 bool) string {
	if len(b) < 1 {
		return ""
	}
	n := int(b[0])
	if biff5 {
		if 1+n > len(b) {
			return ""
		}
		return latin1(b[1 : 1+n])
	}
	if len(b) < 2 {
		return ""
	}
	return xlString(b[2:], n, b[1]&1 != 0)
}

// xlString decodes n characters, 16-bit when high, else 8-bit.
func xlString(b []byte, n int, high bool) string {
	if !high {
		return latin1(b[:min(n, len(b))])
	}
	n = min(n, len(b)/2)
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// isAutoOpen reports whether a Lbl record ([MS-XLS] 2.4.150) defines the
// name Excel runs when the workbook opens: the built-in name 0x01
// (Auto_Open) or a user name starting with "Auto_Open".
func isAutoOpen(data []byte, biff5 bool) bool {
	if biff5 || len(data) < 15 {
		return false
	}
	flags := binary.LittleEndian.Uint16(data[0:])
	cch := int(data[3])
	high := data[14]&1 != 0
	name := xlString(data[15:], cch, high)
	if flags&0x0020 != 0 { // fBuiltin
		return name == "\x01"
	}
	return len(name) >= 9 && strings.EqualFold(name[:9], "auto_open")
}

// excel inspects a workbook: the Workbook (BIFF8) and Book (BIFF5)
// streams' globals substreams for macro sheets, a FILEPASS record and the
// template flag. A dual-format workbook ("Excel 97-2003 & 5.0/95") holds
// both; Excel reads Workbook, older readers Book: both are inspected.
func (w *walker) excel(n *node, where string) (docInfo, error) {
	info := docInfo{typ: inspect.TypeXLS}
	for _, name := range []string{"Workbook", "Book"} {
		ws := n.stream(name)
		if ws == nil {
			continue
		}
		i, err := w.workbook(ws, where)
		if i.typ == inspect.TypeXLT {
			info.typ = i.typ
		}
		if err != nil {
			return info, err
		}
	}
	return info, nil
}

// workbook inspects one Workbook or Book stream ws of the storage at where.
func (w *walker) workbook(ws *node, where string) (docInfo, error) {
	info := docInfo{typ: inspect.TypeXLS}
	wwhere := join(where, ws.name)
	sr, ok, err := w.open(ws, wwhere)
	if !ok {
		return info, err
	}
	scan := &biffScan{}
	if err := w.scanRecords(sr, scan); err != nil {
		return info, w.problem(wwhere, err)
	}
	if scan.filePass {
		dec, err := w.decryptWorkbook(sr)
		switch {
		case err == nil:
			scan = dec
		case fatal(w.ctx, err):
			return info, err
		default:
			// The macro sheets, if any, are hidden by the encryption.
			w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: wwhere, Detail: "FILEPASS " + scan.filePassOf})
			if scan.template {
				info.typ = inspect.TypeXLT
			}
			return info, nil
		}
	}
	if scan.err != nil {
		if err := w.problem(wwhere, malformed("%v", scan.err)); err != nil {
			return info, err
		}
	}
	if scan.template {
		info.typ = inspect.TypeXLT
	}
	for _, m := range scan.macros {
		w.s.Emit(inspect.Finding{Kind: inspect.KindMacro, Where: wwhere, Detail: m})
	}
	if scan.autoOpen && len(scan.macros) > 0 {
		w.s.Emit(inspect.Finding{Kind: inspect.KindMacro, Where: wwhere, Detail: "XLM Auto_Open name"})
	}
	return info, nil
}

// scanRecords feeds the records of the globals substream of r to scan,
// reading only the bodies it needs.
func (w *walker) scanRecords(r *io.SectionReader, scan *biffScan) error {
	size := r.Size()
	var hdr [4]byte
	buf := make([]byte, 0, 256)
	for off := int64(0); off+4 <= size; {
		if err := w.f.tick(); err != nil {
			return err
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return readErr(off, err)
		}
		typ := binary.LittleEndian.Uint16(hdr[0:])
		n := int64(binary.LittleEndian.Uint16(hdr[2:]))
		off += 4
		if off+n > size {
			return malformed("record %#04x at offset %d overruns the stream", typ, off-4)
		}
		var data []byte
		if interesting(typ) || !scan.started {
			if int64(cap(buf)) < n {
				buf = make([]byte, n)
			}
			buf = buf[:n]
			if _, err := r.ReadAt(buf, off); err != nil {
				return readErr(off, err)
			}
			data = buf
		}
		off += n
		if scan.record(typ, data) {
			return nil
		}
	}
	// A workbook without its globals EOF: what was read counts.
	return nil
}

// errStopScan ends DecryptWorkbook's output once the globals are read.
var errStopScan = errors.New("workbook globals read")

// decryptWorkbook tries the default password on a FILEPASS workbook and
// scans the decrypted records. It fails when the file is not keyed with
// the default password or cannot be decrypted.
func (w *walker) decryptWorkbook(r *io.SectionReader) (*biffScan, error) {
	c := w.in.crypto
	if c.DecryptWorkbook == nil {
		return nil, errors.New("no decryption available")
	}
	scan := &biffScan{decrypted: true}
	sink := &recordSink{scan: scan, w: w}
	err := c.DecryptWorkbook(r, r.Size(), c.DefaultPassword, sink)
	if err != nil && !errors.Is(err, errStopScan) {
		return nil, err
	}
	if sink.err != nil {
		return nil, sink.err
	}
	return scan, nil
}

// recordSink parses BIFF records from the decrypted stream as it is
// written, and stops the decryption once the globals are read.
type recordSink struct {
	scan *biffScan
	w    *walker
	buf  []byte
	err  error
}

func (s *recordSink) Write(p []byte) (int, error) {
	if err := s.w.ctx.Err(); err != nil {
		return 0, err
	}
	s.buf = append(s.buf, p...)
	for len(s.buf) >= 4 {
		typ := binary.LittleEndian.Uint16(s.buf[0:])
		n := int(binary.LittleEndian.Uint16(s.buf[2:]))
		if len(s.buf) < 4+n {
			break // wait for the rest (at most 64 KiB are buffered)
		}
		stop := s.scan.record(typ, s.buf[4:4+n])
		s.buf = s.buf[4+n:]
		if stop {
			return len(p), errStopScan
		}
	}
	// Keep the pending partial record at the start of the buffer.
	if cap(s.buf) > 2*(4+maxRecord) {
		s.buf = append([]byte(nil), s.buf...)
	}
	return len(p), nil
}
