package ole

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-XLS] 2.3 record types read from the workbook stream.
const (
	rtBOF          = 0x0809 // 2.4.21 BOF
	rtEOF          = 0x000A // 2.4.103 EOF
	rtFilePass     = 0x002F // 2.4.117 FilePass
	rtBoundSheet8  = 0x0085 // 2.4.28 BoundSheet8
	rtLbl          = 0x0018 // 2.4.150 Lbl
	rtTemplate     = 0x0060 // 2.4.323 Template
	rtProtect      = 0x0012 // 2.4.207 Protect
	rtPassword     = 0x0013 // 2.4.191 Password
	rtFileSharing  = 0x005B // 2.4.118 FileSharing
	rtProt4RevPass = 0x01BC // 2.4.206 Prot4RevPass
)

// BoundSheet8 dt ([MS-XLS] 2.4.28) and hsState values.
const (
	dtMacroSheet = 1 // Excel 4.0 macro sheet (XLM)
	dtVBAModule  = 6 // Excel 5/95 VBA module sheet
)

var hsStates = []string{"", "hidden", "very hidden"}

// maxRecord is the largest record body a u16 length allows.
const maxRecord = 0xFFFF

// maxSheetRefs bounds how many BoundSheet8 records are remembered to name
// protected sheets (Excel workbooks hold at most a few hundred sheets;
// beyond this a protected sheet is named by its stream offset).
const maxSheetRefs = 1 << 14

// maxSheetNames is how many protected sheets a finding names.
const maxSheetNames = 3

// maxSubstreamDepth bounds the BOF nesting tracked per sheet (a chart
// substream inside a worksheet is depth 2); deeper BOFs are still counted.
const maxSubstreamDepth = 32

// sheetRef is what a BoundSheet8 says about one sheet substream, kept
// small: a workbook may list thousands of sheets.
type sheetRef struct {
	pos    uint32 // lbPlyPos: stream offset of the sheet's BOF
	recOff uint32 // stream offset of the BoundSheet8 record
	name   int32  // index in biffScan.names (decrypted streams), else -1
	seen   bool   // a substream starting at pos was walked
}

// biffScan collects what a workbook stream says: the globals substream
// (macro sheets, FILEPASS, template, the workbook's protections) and the
// protection blocks of the sheet substreams. It is fed record by record,
// from the stream itself or from a decrypted copy.
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

	// Protections ([MS-XLS] 2.4.118 FileSharing, 2.4.191 Password,
	// 2.4.206 Prot4RevPass): a password that guards editing, not reading.
	fileSharingPass bool // FILESHARING wResPassNum != 0
	structurePass   bool // PASSWORD wPassword != 0 in the globals
	revisionsPass   bool // PROT4REVPASS protPwdRev != 0

	sheets     []sheetRef // BoundSheet8 records, at most maxSheetRefs
	names      []string   // sheet names of a decrypted stream (no rereading it)
	sheetsSort bool       // sheets is sorted by pos

	// The sheet substream being walked (depth > 0).
	depth   int    // BOF nesting: 0 between substreams
	subPos  int64  // stream offset of its BOF
	lockAt  uint32 // bit d: a Protect with fLock at depth d
	passAt  uint32 // bit d: a Password with a hash at depth d
	single  bool   // stop after one substream (walks from lbPlyPos)
	overrun bool   // a record overran the stream between substreams

	protSheets int     // sheets protected with a password
	protPos    []int64 // BOF offsets of the first maxSheetNames of them
}

// interesting reports whether the body of a record type is needed.
func interesting(typ uint16) bool {
	switch typ {
	case rtBOF, rtFilePass, rtBoundSheet8, rtLbl, rtProtect, rtPassword, rtFileSharing, rtProt4RevPass:
		return true
	}
	return false
}

// u16At reads a little-endian u16 at i of data, 0 when data is too short.
func u16At(data []byte, i int) uint16 {
	if len(data) < i+2 {
		return 0
	}
	return binary.LittleEndian.Uint16(data[i:])
}

// record handles the record of type typ at stream offset off and reports
// whether the scan is over.
func (b *biffScan) record(off int64, typ uint16, data []byte) bool {
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
	if b.done {
		return b.sheetRecord(off, typ, data)
	}
	switch typ {
	case rtEOF:
		b.done = true
		b.sortSheets()
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
	case rtFileSharing:
		// [MS-XLS] 2.4.118 FileSharing: fReadOnlyRec, wResPassNum (the
		// verifier of the write reservation password, 0 for none).
		if u16At(data, 2) != 0 {
			b.fileSharingPass = true
		}
	case rtPassword:
		// [MS-XLS] 2.4.191 Password in the globals ([MS-XLS] 2.1.7.20.1
		// PROTECTION): the verifier of the workbook protection password,
		// 0 for none.
		if u16At(data, 0) != 0 {
			b.structurePass = true
		}
	case rtProt4RevPass:
		// [MS-XLS] 2.4.206 Prot4RevPass: protPwdRev, the verifier of the
		// shared workbook's revision-tracking password, 0 for none.
		if u16At(data, 0) != 0 {
			b.revisionsPass = true
		}
	case rtBoundSheet8:
		if len(data) < 6 {
			return false
		}
		if len(b.sheets) < maxSheetRefs && off <= math.MaxUint32 {
			ref := sheetRef{pos: binary.LittleEndian.Uint32(data), recOff: uint32(off), name: -1}
			if b.decrypted {
				ref.name = int32(len(b.names))
				b.names = append(b.names, sheetName(data[6:], b.biff5))
			}
			b.sheets = append(b.sheets, ref)
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

// sheetRecord handles a record after the globals EOF: the substreams of
// the sheets ([MS-XLS] 2.1.7.20.3 chart sheet, 2.1.7.20.5 worksheet,
// 2.1.7.20.4 macro sheet, 2.1.7.20.2 dialog sheet), each a BOF ... EOF
// with, in its PROTECTION block, a Protect (fLock) and a Password (the
// verifier of the sheet password). A chart substream nests inside a
// worksheet's. Between substreams only a BOF counts: Excel pads the
// stream, and what follows the last EOF is nobody's sheet.
func (b *biffScan) sheetRecord(off int64, typ uint16, data []byte) bool {
	if b.depth == 0 {
		if typ != rtBOF {
			return b.single
		}
		b.depth, b.subPos, b.lockAt, b.passAt = 1, off, 0, 0
		b.markSeen(off)
		return false
	}
	bit := uint32(1) << min(b.depth, maxSubstreamDepth-1)
	switch typ {
	case rtBOF:
		b.depth++
	case rtEOF:
		b.depth--
		if b.depth == 0 {
			b.endSheet()
			return b.single
		}
	case rtProtect:
		// [MS-XLS] 2.4.207 Protect: fLock, 1 when the sheet is protected.
		if u16At(data, 0) != 0 {
			b.lockAt |= bit
		}
	case rtPassword:
		if u16At(data, 0) != 0 {
			b.passAt |= bit
		}
	}
	return false
}

// endSheet closes the sheet substream being walked: protected with a
// password when one level of it holds both a locking Protect and a
// Password with a verifier (a Password alone guards nothing).
func (b *biffScan) endSheet() {
	if b.lockAt&b.passAt != 0 {
		b.protSheets++
		if len(b.protPos) < maxSheetNames {
			b.protPos = append(b.protPos, b.subPos)
		}
	}
	b.depth, b.lockAt, b.passAt = 0, 0, 0
}

// finish closes a substream the stream ended inside of.
func (b *biffScan) finish() {
	if b.depth > 0 {
		b.endSheet()
	}
}

// sortSheets orders the BoundSheet8 references by lbPlyPos for lookups.
func (b *biffScan) sortSheets() {
	b.sheetsSort = slices.IsSortedFunc(b.sheets, func(x, y sheetRef) int { return cmp.Compare(x.pos, y.pos) })
	if !b.sheetsSort {
		slices.SortStableFunc(b.sheets, func(x, y sheetRef) int { return cmp.Compare(x.pos, y.pos) })
		b.sheetsSort = true
	}
}

// sheetAt returns the index of the sheet whose lbPlyPos is pos, or -1.
func (b *biffScan) sheetAt(pos int64) int {
	if !b.sheetsSort {
		b.sortSheets()
	}
	i, ok := slices.BinarySearchFunc(b.sheets, pos, func(s sheetRef, p int64) int { return cmp.Compare(int64(s.pos), p) })
	if !ok {
		return -1
	}
	return i
}

func (b *biffScan) markSeen(pos int64) {
	for i := b.sheetAt(pos); i >= 0 && i < len(b.sheets) && int64(b.sheets[i].pos) == pos; i++ {
		b.sheets[i].seen = true
	}
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
	win := newBIFFWindow(sr)
	scan := &biffScan{}
	serr := w.scanRecords(win, scan, 0)
	if serr == nil && scan.done && !scan.filePass {
		serr = w.scanUnseenSheets(win, scan)
	}
	scan.finish()
	if scan.filePass {
		dec, err := w.decryptWorkbook(sr)
		switch {
		case err == nil:
			scan = dec
			serr = nil
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
	if serr != nil {
		// What was read before the damage still counts.
		if err := w.problem(wwhere, serr); err != nil {
			return info, err
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
	w.workbookProtections(scan, win, wwhere)
	return info, nil
}

// workbookProtections reports the passwords that guard editing a
// workbook that opens without one.
func (w *walker) workbookProtections(scan *biffScan, win *biffWindow, where string) {
	emit := func(detail string) {
		w.s.Emit(inspect.Finding{Kind: inspect.KindProtected, Where: where, Detail: detail})
	}
	if scan.fileSharingPass {
		emit("password to modify (FILESHARING)")
	}
	if scan.structurePass {
		emit("protected workbook structure with a password (PASSWORD)")
	}
	if scan.revisionsPass {
		emit("protected shared workbook revisions with a password (PROT4REVPASS)")
	}
	if scan.protSheets == 0 {
		return
	}
	var names []string
	for _, pos := range scan.protPos {
		names = append(names, w.sheetLabel(scan, win, pos))
	}
	if scan.protSheets == 1 {
		emit("protected sheet with a password (" + names[0] + ")")
		return
	}
	list := strings.Join(names, ", ")
	if scan.protSheets > len(names) {
		list += ", ..."
	}
	emit(fmt.Sprintf("protected sheets with a password (%d sheets: %s)", scan.protSheets, list))
}

// sheetLabel names the sheet whose substream starts at pos: the name its
// BoundSheet8 gives (read again from a plain stream; kept for a decrypted
// one), else its stream offset.
func (w *walker) sheetLabel(scan *biffScan, win *biffWindow, pos int64) string {
	name := ""
	if i := scan.sheetAt(pos); i >= 0 {
		ref := scan.sheets[i]
		switch {
		case ref.name >= 0 && int(ref.name) < len(scan.names):
			name = scan.names[ref.name]
		case !scan.decrypted && win != nil:
			if hdr, err := win.at(int64(ref.recOff), 4); err == nil {
				n := int(binary.LittleEndian.Uint16(hdr[2:]))
				if b, err := win.at(int64(ref.recOff)+4, n); err == nil && n >= 6 {
					name = sheetName(b[6:], scan.biff5)
				}
			}
		}
	}
	if name = inspect.Clean(name, 40); name == "" {
		return fmt.Sprintf("sheet at offset %d", pos)
	}
	return name
}

// biffWindowSize is how much of a workbook stream one read brings in:
// the many small records of a sheet are parsed from memory, a large record
// that is not needed is skipped without being read.
const biffWindowSize = 4 << 10

// biffWindow reads a workbook stream through a window.
type biffWindow struct {
	r     *io.SectionReader
	buf   []byte
	start int64 // stream offset of buf[0]
	n     int   // valid bytes in buf
	big   []byte
}

func newBIFFWindow(r *io.SectionReader) *biffWindow {
	return &biffWindow{r: r, buf: make([]byte, biffWindowSize)}
}

// at returns k bytes at off (valid until the next call).
func (w *biffWindow) at(off int64, k int) ([]byte, error) {
	if off >= w.start && off+int64(k) <= w.start+int64(w.n) {
		return w.buf[off-w.start : off-w.start+int64(k)], nil
	}
	if k > len(w.buf) {
		if cap(w.big) < k {
			w.big = make([]byte, k)
		}
		b := w.big[:k]
		if _, err := w.r.ReadAt(b, off); err != nil {
			return nil, readErr(off, err)
		}
		return b, nil
	}
	want := int(min(int64(len(w.buf)), w.r.Size()-off))
	n, err := w.r.ReadAt(w.buf[:want], off)
	if n < k {
		w.n = 0
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, readErr(off, err)
	}
	w.start, w.n = off, n
	return w.buf[:k], nil
}

// scanRecords feeds the records of the stream from offset start to scan,
// reading only the bodies it needs, until scan says it is over or the
// stream ends.
func (w *walker) scanRecords(win *biffWindow, scan *biffScan, start int64) error {
	size := win.r.Size()
	for off := start; off+4 <= size; {
		if err := w.f.tick(); err != nil {
			return err
		}
		hdr, err := win.at(off, 4)
		if err != nil {
			return err
		}
		typ := binary.LittleEndian.Uint16(hdr[0:])
		n := int64(binary.LittleEndian.Uint16(hdr[2:]))
		if off+4+n > size {
			if scan.done && scan.depth == 0 {
				return nil // padding or debris after the last substream
			}
			return malformed("record %#04x at offset %d overruns the stream", typ, off)
		}
		var data []byte
		if interesting(typ) || !scan.started {
			if data, err = win.at(off+4, int(n)); err != nil {
				return err
			}
		}
		if scan.record(off, typ, data) {
			return nil
		}
		off += 4 + n
	}
	// A workbook without its globals EOF: what was read counts.
	return nil
}

// maxUnseenSheets bounds the walks from BoundSheet8 positions the
// sequential walk did not reach.
const maxUnseenSheets = 64

// scanUnseenSheets walks the sheet substreams that a BoundSheet8 points
// to (lbPlyPos, which Excel follows) but the walk from substream to
// substream did not reach: a reader that seeks must not see a protection
// that the sequential walk missed.
func (w *walker) scanUnseenSheets(win *biffWindow, scan *biffScan) error {
	walks := 0
	for i := 0; i < len(scan.sheets); i++ {
		ref := scan.sheets[i]
		if ref.seen || ref.pos == 0 || int64(ref.pos)+4 > win.r.Size() {
			continue
		}
		if walks++; walks > maxUnseenSheets {
			return malformed("more than %d sheets outside the record sequence", maxUnseenSheets)
		}
		scan.single = true
		err := w.scanRecords(win, scan, int64(ref.pos))
		scan.finish()
		scan.single = false
		scan.markSeen(int64(ref.pos)) // a position that holds no BOF counts as tried
		if err != nil {
			return err
		}
	}
	return nil
}

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
	// The sheets are read as they follow each other in the decrypted
	// stream; BoundSheet8 positions off that sequence are not followed.
	scan.finish()
	return scan, nil
}

// errStopScan ends DecryptWorkbook's output once the scan is over.
var errStopScan = errors.New("workbook scan over")

// recordSink parses BIFF records from the decrypted stream as it is
// written: the globals, then the sheets' protection records.
type recordSink struct {
	scan *biffScan
	w    *walker
	buf  []byte
	off  int64 // stream offset of buf[0]
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
		var data []byte
		if interesting(typ) || !s.scan.started {
			data = s.buf[4 : 4+n]
		}
		stop := s.scan.record(s.off, typ, data)
		s.buf = s.buf[4+n:]
		s.off += int64(4 + n)
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
