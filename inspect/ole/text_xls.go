package ole

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// [MS-XLS] 2.3 record types of the cell values and what formats them.
const (
	rtContinue  = 0x003C // 2.4.58 Continue
	rtSST       = 0x00FC // 2.4.265 SST
	rtLabelSST  = 0x00FD // 2.4.149 LabelSst
	rtLabel     = 0x0204 // 2.4.148 Label
	rtRString   = 0x00D6 // BIFF5 RString (a Label with formatting runs)
	rtNumber    = 0x0203 // 2.4.180 Number
	rtRK        = 0x027E // 2.4.220 RK
	rtMulRK     = 0x00BD // 2.4.175 MulRk
	rtFormula   = 0x0006 // 2.4.127 Formula
	rtString    = 0x0207 // 2.4.268 String (a formula's string result)
	rtBoolErr   = 0x0205 // 2.4.24 BoolErr
	rtFormat    = 0x041E // 2.4.126 Format
	rtXF        = 0x00E0 // 2.4.353 XF
	rtDate1904  = 0x0022 // 2.4.77 Date1904
	rtCodePage  = 0x0042 // 2.4.52 CodePage (BIFF5 8-bit strings)
	bofSheet    = 0x0010 // BOF dt: worksheet or dialog sheet
	bofMacro    = 0x0040 // BOF dt: macro sheet
	maxCols     = 256    // BIFF8 has 256 columns
	maxSSTBytes = 64 << 20
)

// excelText writes the cell values of a workbook, sheet by sheet: the
// sheet's name in brackets, then one line per row with the cells separated
// by tabs. Numbers are written as Excel's General format shows them,
// dates and times (by the cell's number format) as ISO 8601.
func (w *walker) excelText(n *node, t *textSink) error {
	ws := n.stream("Workbook")
	if ws == nil {
		ws = n.stream("Book")
	}
	sr, err := w.f.open(ws, ws.name)
	if err != nil {
		return err
	}
	x := &xlsText{w: w, t: t, sheets: map[int64]string{}, fmts: map[uint16]numKind{}}
	err = x.records(bufio.NewReaderSize(sr, 16<<10), false)
	if !errors.Is(err, errFilePass) {
		return err
	}
	kind := x.filePassOf
	if x.biff5 || w.in.crypto.DecryptWorkbook == nil {
		return fmt.Errorf("%w (Excel FILEPASS, %s)", ErrTextEncrypted, kind)
	}
	// Keyed with the default password? Then the text is the decrypted
	// stream's; the walk starts again from its beginning.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := w.in.crypto.DecryptWorkbook(sr, sr.Size(), w.in.crypto.DefaultPassword, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	x = &xlsText{w: w, t: t, sheets: map[int64]string{}, fmts: map[uint16]numKind{}}
	err = x.records(bufio.NewReaderSize(pr, 16<<10), true)
	pr.CloseWithError(errTextFull) // ends the writer if the walk stopped early
	derr := <-done
	if derr != nil && !errors.Is(derr, errTextFull) && !errors.Is(derr, io.ErrClosedPipe) {
		if fatal(w.ctx, derr) {
			return derr
		}
		// Not the default password, or no decryption for this cipher.
		return fmt.Errorf("%w (Excel FILEPASS, %s)", ErrTextEncrypted, kind)
	}
	return err
}

// errFilePass stops the plain walk at a FILEPASS record.
var errFilePass = errors.New("FILEPASS")

// numKind is how a number format shows a number.
type numKind uint8

const (
	numGeneral numKind = iota
	numDate
	numTime
	numDateTime
	numPercent
)

// xlsCell is one cell value of the sheet being read.
type xlsCell struct {
	row, col uint16
	s        string
}

// xlsText is the state of one walk over a workbook stream.
type xlsText struct {
	w          *walker
	t          *textSink
	biff5      bool
	date1904   bool
	filePassOf string

	sst      []string
	sstBytes int
	fmts     map[uint16]numKind // custom formats by ifmt
	xfs      []uint16           // ifmt of each XF
	sheets   map[int64]string   // BoundSheet8 lbPlyPos → name
	globals  bool               // in the globals substream
	depth    int                // BOF nesting
	sheet    bool               // in a worksheet or macro sheet substream (depth 1)
	name     string
	cells    []xlsCell
	cellSize int
	formula  *xlsCell // a formula whose String record comes next
}

// records reads the records of a workbook stream in order. decrypted says
// the stream comes from DecryptWorkbook (its FILEPASS is kept, the rest is
// plain).
func (x *xlsText) records(r *bufio.Reader, decrypted bool) error {
	var off int64
	var hdr [4]byte
	body := make([]byte, maxRecord)
	first := true
	for {
		if err := x.w.f.tick(); err != nil {
			return err
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return x.endSheet() // what was read counts
			}
			return err
		}
		typ := binary.LittleEndian.Uint16(hdr[0:])
		n := int(binary.LittleEndian.Uint16(hdr[2:]))
		data := body[:n]
		if _, err := io.ReadFull(r, data); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return x.endSheet()
			}
			return err
		}
		recOff := off
		off += int64(4 + n)
		if first {
			if typ != rtBOF || n < 4 {
				return fmt.Errorf("%w: the workbook stream does not start with a BOF record", ErrNoText)
			}
			first = false
			x.biff5 = binary.LittleEndian.Uint16(data) < 0x0600
		}
		if typ == rtSST || (typ == rtString && x.formula != nil) {
			// Gather the Continue records that carry the rest.
			parts := [][]byte{append([]byte(nil), data...)}
			size := n
			for {
				b, err := r.Peek(4)
				if err != nil || binary.LittleEndian.Uint16(b) != rtContinue {
					break
				}
				k := int(binary.LittleEndian.Uint16(b[2:]))
				if _, err := r.Discard(4); err != nil {
					return err
				}
				c := make([]byte, k)
				if _, err := io.ReadFull(r, c); err != nil {
					break
				}
				off += int64(4 + k)
				if size += k; size <= maxSSTBytes {
					parts = append(parts, c)
				}
				if err := x.w.f.tick(); err != nil {
					return err
				}
			}
			if typ == rtSST {
				x.readSST(parts)
			} else {
				x.formulaString(parts)
			}
			continue
		}
		if err := x.record(recOff, typ, data, decrypted); err != nil {
			return err
		}
	}
}

func (x *xlsText) record(off int64, typ uint16, data []byte, decrypted bool) error {
	switch typ {
	case rtBOF:
		x.depth++
		dt := u16At(data, 2)
		if x.depth == 1 {
			x.globals = dt == 0x0005
			x.sheet = dt == bofSheet || dt == bofMacro
			x.name = x.sheets[off]
			x.cells, x.cellSize = x.cells[:0], 0
		}
		return nil
	case rtEOF:
		x.depth--
		if x.depth > 0 {
			return nil
		}
		x.depth = 0
		x.globals = false
		return x.endSheet()
	}
	if x.globals {
		switch typ {
		case rtFilePass:
			if decrypted {
				return nil
			}
			x.filePassOf = filePassKind(data, x.biff5)
			return errFilePass
		case rtBoundSheet8:
			if len(data) >= 6 && len(x.sheets) < maxSheetRefs {
				x.sheets[int64(binary.LittleEndian.Uint32(data))] = sheetName(data[6:], x.biff5)
			}
		case rtDate1904:
			x.date1904 = u16At(data, 0) == 1
		case rtFormat:
			x.format(data)
		case rtXF:
			if len(data) >= 4 && len(x.xfs) < 1<<16 {
				x.xfs = append(x.xfs, binary.LittleEndian.Uint16(data[2:]))
			}
		}
		return nil
	}
	if !x.sheet || x.depth != 1 {
		return nil
	}
	if typ != rtString {
		x.formula = nil
	}
	switch typ {
	case rtLabelSST:
		if len(data) >= 10 {
			i := binary.LittleEndian.Uint32(data[6:])
			if int64(i) < int64(len(x.sst)) {
				x.cell(data, x.sst[i])
			}
		}
	case rtLabel, rtRString:
		if len(data) >= 8 {
			x.cell(data, x.cellString(data[6:]))
		}
	case rtNumber:
		if len(data) >= 14 {
			x.cell(data, x.number(math.Float64frombits(binary.LittleEndian.Uint64(data[6:])), u16At(data, 4)))
		}
	case rtRK:
		if len(data) >= 10 {
			x.cell(data, x.number(rk(binary.LittleEndian.Uint32(data[6:])), u16At(data, 4)))
		}
	case rtMulRK:
		// rw, colFirst, RkRec (ixfe, RK) per column, colLast.
		if len(data) < 6 {
			return nil
		}
		row, col := u16At(data, 0), u16At(data, 2)
		for b := data[4 : len(data)-2]; len(b) >= 6; b = b[6:] {
			x.add(row, col, x.number(rk(binary.LittleEndian.Uint32(b[2:])), binary.LittleEndian.Uint16(b)))
			col++
		}
	case rtBoolErr:
		if len(data) >= 8 {
			x.cell(data, boolErr(data[6], data[7] != 0))
		}
	case rtFormula:
		if len(data) < 14 {
			return nil
		}
		v := data[6:14]
		if binary.LittleEndian.Uint16(v[6:]) != 0xFFFF {
			x.cell(data, x.number(math.Float64frombits(binary.LittleEndian.Uint64(v)), u16At(data, 4)))
			return nil
		}
		switch v[0] {
		case 0: // the string follows in a String record
			x.formula = &xlsCell{row: u16At(data, 0), col: u16At(data, 2)}
		case 1:
			x.cell(data, boolErr(v[2], false))
		case 2:
			x.cell(data, boolErr(v[2], true))
		}
	}
	return nil
}

// cell adds the value s of the cell whose rw and col start data.
func (x *xlsText) cell(data []byte, s string) { x.add(u16At(data, 0), u16At(data, 2), s) }

func (x *xlsText) add(row, col uint16, s string) {
	if s == "" || x.cellSize > x.t.max || col >= maxCols {
		return // the text would be cut before this cell anyway
	}
	x.cellSize += len(s) + 1
	x.cells = append(x.cells, xlsCell{row: row, col: col, s: s})
}

// formulaString takes the String record that carries a formula's result.
func (x *xlsText) formulaString(parts [][]byte) {
	f := x.formula
	x.formula = nil
	s := &xlStream{parts: parts}
	if x.biff5 {
		n, ok := s.u16()
		if !ok {
			return
		}
		x.add(f.row, f.col, s.chars(int(n), false))
		return
	}
	x.add(f.row, f.col, s.unicode(false))
}

// endSheet writes the cells of the sheet that ends, in row and column
// order.
func (x *xlsText) endSheet() error {
	cells := x.cells
	x.cells, x.cellSize = x.cells[:0], 0
	if !x.sheet || len(cells) == 0 {
		return nil
	}
	x.sheet = false
	slices.SortStableFunc(cells, func(a, b xlsCell) int {
		return cmp.Or(cmp.Compare(a.row, b.row), cmp.Compare(a.col, b.col))
	})
	t := x.t
	if err := t.para(); err != nil {
		return err
	}
	name := x.name
	if name == "" {
		name = "Sheet"
	}
	if err := t.str("[" + oneLine(name) + "]\n"); err != nil {
		return err
	}
	row, col := cells[0].row, uint16(0)
	for _, c := range cells {
		if c.row != row {
			if err := t.rune('\n'); err != nil {
				return err
			}
			row, col = c.row, 0
		} else if c.col < col {
			continue // a second value for a cell
		}
		for ; col < c.col; col++ {
			if err := t.rune('\t'); err != nil {
				return err
			}
		}
		if err := t.str(oneLine(c.s)); err != nil {
			return err
		}
	}
	return t.rune('\n')
}

// oneLine keeps a cell on its line: tabs and line breaks become spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\t\r\n\v\f") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\r', '\n', '\v', '\f':
			return ' '
		}
		return r
	}, s)
}

// cellString decodes the string of a Label: an XLUnicodeString in BIFF8,
// a u16 count and 8-bit characters in BIFF5.
func (x *xlsText) cellString(b []byte) string {
	s := &xlStream{parts: [][]byte{b}}
	if x.biff5 {
		n, ok := s.u16()
		if !ok {
			return ""
		}
		return s.chars(int(n), false)
	}
	return s.unicode(false)
}

// format records whether the custom number format of a Format record
// ([MS-XLS] 2.4.126: ifmt, an XLUnicodeString) shows dates or percents.
func (x *xlsText) format(data []byte) {
	if len(data) < 4 || len(x.fmts) >= 1<<12 {
		return
	}
	id := binary.LittleEndian.Uint16(data)
	var code string
	if x.biff5 {
		code = sheetName(data[2:], true)
	} else {
		code = (&xlStream{parts: [][]byte{data[2:]}}).unicode(false)
	}
	x.fmts[id] = formatKind(code)
}

// formatKind classifies a number format code ([MS-XLS] 2.4.126): date and
// time tokens outside quoted text, escapes and brackets.
func formatKind(code string) numKind {
	var b strings.Builder
	quoted, bracket := false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case quoted:
			quoted = c != '"'
		case bracket:
			if c == ']' {
				bracket = false
			}
		case c == '"':
			quoted = true
		case c == '[':
			bracket = true
			if i+1 < len(code) && strings.ContainsRune("hHmMsS", rune(code[i+1])) {
				b.WriteByte('h') // [h]:mm elapsed time
			}
		case c == '\\' || c == '_' || c == '*':
			i++
		case c == ';':
			i = len(code) // the first section decides
		default:
			b.WriteByte(c | 0x20)
		}
	}
	s := b.String()
	if strings.Contains(s, "general") {
		return numGeneral
	}
	date := strings.ContainsAny(s, "yd")
	tm := strings.ContainsAny(s, "hs")
	switch {
	case date && tm:
		return numDateTime
	case date:
		return numDate
	case tm:
		return numTime
	case strings.Contains(s, "%"):
		return numPercent
	}
	if strings.Contains(s, "m") && !strings.ContainsAny(s, "0#?") {
		return numDate // "mmm" alone: a month name
	}
	return numGeneral
}

// kind returns how the XF ixfe shows a number: built-in formats
// ([MS-XLS] 2.4.126, 14-22 and 45-47 dates and times, 9 and 10 percents)
// or the workbook's own.
func (x *xlsText) kind(ixfe uint16) numKind {
	if int(ixfe) >= len(x.xfs) {
		return numGeneral
	}
	f := x.xfs[ixfe]
	switch {
	case f >= 14 && f <= 17, f >= 27 && f <= 31, f >= 34 && f <= 36, f >= 50 && f <= 58:
		return numDate
	case f == 22:
		return numDateTime
	case f >= 18 && f <= 21, f >= 45 && f <= 47, f == 32 || f == 33:
		return numTime
	case f == 9 || f == 10:
		return numPercent
	}
	if k, ok := x.fmts[f]; ok {
		return k
	}
	return numGeneral
}

// number writes v as the XF ixfe shows it, dates and times as ISO 8601.
func (x *xlsText) number(v float64, ixfe uint16) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "#NUM!"
	}
	switch k := x.kind(ixfe); k {
	case numDate, numTime, numDateTime:
		if s, ok := excelDate(v, x.date1904, k); ok {
			return s
		}
	case numPercent:
		return general(v*100) + "%"
	}
	return general(v)
}

// general writes a number with the 15 significant digits Excel keeps.
func general(v float64) string {
	s := strconv.FormatFloat(v, 'g', 15, 64)
	if strings.ContainsAny(s, "e") {
		return s
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// excelDate turns a serial date into ISO 8601 ([MS-XLS] 2.5.13: days
// since 1899-12-31, with Lotus's 1900-02-29, or since 1904-01-01).
func excelDate(v float64, date1904 bool, k numKind) (string, bool) {
	if v < 0 || v >= 2958466 {
		return "", false
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	if secs >= 86400 {
		days, secs = days+1, 0
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days < 61:
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	d := base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	switch {
	case k == numTime && days == 0:
		return d.Format("15:04:05"), true
	case k == numDate && secs == 0:
		return d.Format("2006-01-02"), true
	case secs == 0:
		return d.Format("2006-01-02"), true
	}
	return d.Format("2006-01-02 15:04:05"), true
}

// rk decodes an RkNumber ([MS-XLS] 2.5.217): a 30-bit integer or the high
// 30 bits of a double, divided by 100 when fX100.
func rk(v uint32) float64 {
	var f float64
	if v&2 != 0 {
		f = float64(int32(v) >> 2)
	} else {
		f = math.Float64frombits(uint64(v&0xFFFFFFFC) << 32)
	}
	if v&1 != 0 {
		f /= 100
	}
	return f
}

// boolErr writes a Boolean or error value ([MS-XLS] 2.5.10 Bes).
func boolErr(v byte, isErr bool) string {
	if !isErr {
		if v != 0 {
			return "TRUE"
		}
		return "FALSE"
	}
	switch v {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	}
	return "#ERROR"
}

// readSST reads the shared strings ([MS-XLS] 2.4.265 SST: cstTotal,
// cstUnique, then XLUnicodeRichExtendedStrings that may be split over
// Continue records). At most maxSSTBytes of text are kept.
func (x *xlsText) readSST(parts [][]byte) {
	s := &xlStream{parts: parts}
	if _, ok := s.u32(); !ok {
		return
	}
	n, ok := s.u32()
	if !ok {
		return
	}
	x.sst = x.sst[:0]
	for i := uint32(0); i < n && !s.eof(); i++ {
		if x.w.f.tick() != nil {
			return
		}
		str := s.unicode(true)
		if x.sstBytes += len(str); x.sstBytes > maxSSTBytes {
			str = ""
		}
		x.sst = append(x.sst, str)
	}
}

// xlStream reads a record body and its Continue records as one sequence,
// except that a string's characters restart, in each Continue record,
// with a byte that says whether they are 8 or 16 bits wide ([MS-XLS]
// 2.4.58).
type xlStream struct {
	parts [][]byte
	i     int // current part
	off   int // in parts[i]
}

func (s *xlStream) eof() bool {
	for s.i < len(s.parts) && s.off >= len(s.parts[s.i]) {
		s.i, s.off = s.i+1, 0
	}
	return s.i >= len(s.parts)
}

// bytes returns the next n bytes, across parts.
func (s *xlStream) bytes(n int) ([]byte, bool) {
	var out []byte
	for n > 0 {
		if s.eof() {
			return nil, false
		}
		p := s.parts[s.i][s.off:]
		k := min(n, len(p))
		if out == nil && k == n {
			s.off += k
			return p[:k], true
		}
		out = append(out, p[:k]...)
		s.off += k
		n -= k
	}
	return out, true
}

// skip skips n bytes (n may be huge and false).
func (s *xlStream) skip(n int) {
	for n > 0 && !s.eof() {
		k := min(n, len(s.parts[s.i])-s.off)
		s.off += k
		n -= k
	}
}

func (s *xlStream) u16() (uint16, bool) {
	b, ok := s.bytes(2)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b), true
}

func (s *xlStream) u32() (uint32, bool) {
	b, ok := s.bytes(4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

// chars reads n characters, 16-bit when high; at the end of a part the
// rest continues in the next part after a new flags byte.
func (s *xlStream) chars(n int, high bool) string {
	u := make([]uint16, 0, min(n, 1<<12))
	for n > 0 && s.i < len(s.parts) {
		p := s.parts[s.i][min(s.off, len(s.parts[s.i])):]
		w := 1
		if high {
			w = 2
		}
		k := min(n, len(p)/w)
		for j := 0; j < k; j++ {
			if high {
				u = append(u, binary.LittleEndian.Uint16(p[2*j:]))
			} else {
				u = append(u, uint16(p[j]))
			}
		}
		s.off += k * w
		if n -= k; n == 0 {
			break
		}
		// The part ends inside the string (a stray odd byte is
		// skipped): the next part starts with the flags byte.
		s.i, s.off = s.i+1, 0
		if s.i < len(s.parts) && len(s.parts[s.i]) > 0 {
			high = s.parts[s.i][0]&1 != 0
			s.off = 1
		}
	}
	return string(utf16.Decode(u))
}

// unicode reads an XLUnicodeString (cch, flags, characters) or, when rich
// is set, an XLUnicodeRichExtendedString (2.5.293: cch, flags, cRun when
// fRichSt, cbExtRst when fExtSt, characters, runs, ExtRst).
func (s *xlStream) unicode(rich bool) string {
	n, ok := s.u16()
	if !ok {
		return ""
	}
	fl, ok := s.bytes(1)
	if !ok {
		return ""
	}
	f := fl[0]
	runs, ext := 0, 0
	if rich && f&0x08 != 0 {
		r, _ := s.u16()
		runs = int(r)
	}
	if rich && f&0x04 != 0 {
		e, _ := s.u32()
		ext = int(min(e, 1<<30))
	}
	str := s.chars(int(n), f&1 != 0)
	s.skip(4*runs + ext)
	return str
}
