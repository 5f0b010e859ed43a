package ole

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// Fixtures for the text extraction, built from the structures [MS-DOC],
// [MS-XLS] and [MS-PPT] describe, with text in German, Russian, Japanese
// and Chinese.

// wordPiece is one piece of a Word document's text: 8-bit code page 1252
// characters when compressed, else UTF-16.
type wordPiece struct {
	text       string
	compressed bool
}

// wordText97 builds a Word 97 document whose text is the pieces in order;
// stories gives the character counts of the main text and the footnotes
// ([MS-DOC] FibRgLw97 ccpText, ccpFtn), 0 meaning "all of it".
func wordText97(ccpText, ccpFtn int, pieces ...wordPiece) []byte {
	const textStart = 1024
	wd := make([]byte, textStart)
	binary16 := func(b []byte, off int, v uint16) { b[off], b[off+1] = byte(v), byte(v>>8) }
	binary32 := func(b []byte, off int, v uint32) {
		binary16(b, off, uint16(v))
		binary16(b, off+2, uint16(v>>16))
	}
	binary16(wd, 0, wIdentWord97)
	binary16(wd, 2, 0x00C1)
	binary16(wd, fibFlagsOffset, fWhichTblStm)
	binary16(wd, 32, 14) // csw
	binary16(wd, 62, 22) // cslw
	lw := 64
	binary16(wd, lw+88, 0x5D) // cbRgFcLcb
	fcLcb := lw + 88 + 2

	var cps []uint32
	var pcds []byte
	cp := uint32(0)
	for _, p := range pieces {
		cps = append(cps, cp)
		off := uint32(len(wd))
		var fc uint32
		if p.compressed {
			b, err := charmap.Windows1252.NewEncoder().String(p.text)
			if err != nil {
				panic(err)
			}
			wd = append(wd, b...)
			fc = off*2 | 0x40000000
			cp += uint32(len(b))
		} else {
			u := utf16.Encode([]rune(p.text))
			for _, c := range u {
				wd = append(wd, byte(c), byte(c>>8))
			}
			fc = off
			cp += uint32(len(u))
		}
		pcds = append(pcds, cat(u16(0), u32(fc), u16(0))...)
	}
	cps = append(cps, cp)
	if ccpText == 0 {
		ccpText = int(cp)
	}
	binary32(wd, lw+4*ilwText, uint32(ccpText))
	binary32(wd, lw+4*(ilwText+1), uint32(ccpFtn))
	var plc []byte
	for _, c := range cps {
		plc = append(plc, u32(c)...)
	}
	plc = append(plc, pcds...)
	clx := cat([]byte{0x01}, u16(2), []byte{0, 0}, []byte{0x02}, u32(uint32(len(plc))), plc)
	binary32(wd, fcLcb+8*ifcClx, 0)
	binary32(wd, fcLcb+8*ifcClx+4, uint32(len(clx)))
	return cfb(storage("", stream("WordDocument", wd), stream("1Table", clx)))
}

func wordIntl() []byte {
	main := []wordPiece{
		{"Grüße aus Köln – „Zitat“ für 5 €\r", true},
		{"Привет, мир! 日本語のテキスト 😀\r", false},
		{"\x13 HYPERLINK \"https://example.org/\" \x14Beispiel\x15 und \x13 DDEAUTO c:\\\\cmd.exe \"/c calc\" \x15Ende\x07Zelle\x07\x01\x08\r", true},
	}
	n := 0
	for _, p := range main {
		n += len(utf16.Encode([]rune(p.text)))
	}
	ftn := wordPiece{"Fußnote 脚注\x02\r", false}
	return wordText97(n, len(utf16.Encode([]rune(ftn.text))), append(main, ftn)...)
}

const wordIntlText = "Grüße aus Köln – „Zitat“ für 5 €\n" +
	"Привет, мир! 日本語のテキスト 😀\n" +
	"[ HYPERLINK \"https://example.org/\" ] Beispiel und [ DDEAUTO c:\\\\cmd.exe \"/c calc\" ]Ende\tZelle\t\n" +
	"\n" +
	"Fußnote 脚注\n"

// xlsText8 builds a BIFF8 workbook of sheets with cell records, setting
// each BoundSheet8's lbPlyPos.
func xlsText8(globals [][]byte, sheets []xlSheet) []byte {
	var bs [][]byte
	for _, s := range sheets {
		name := utf16.Encode([]rune(s.name))
		body := cat(u32(0), []byte{0, 0, byte(len(name)), 1})
		for _, c := range name {
			body = append(body, u16(c)...)
		}
		bs = append(bs, biffRec(rtBoundSheet8, body))
	}
	head := cat(bof8(), cat(globals...))
	pos := len(head) + len(cat(bs...)) + len(eof())
	var subs []byte
	for i, s := range sheets {
		copy(bs[i][4:], u32(uint32(pos+len(subs))))
		subs = append(subs, cat(sheetBOF(), cat(s.recs...), eof())...)
	}
	return cfb(storage("", stream("Workbook", cat(head, cat(bs...), eof(), subs))))
}

func xf(ifmt uint16) []byte { return biffRec(rtXF, cat(u16(0), u16(ifmt), make([]byte, 16))) }

// xlStr8 and xlStr16 are XLUnicodeStrings with 8- and 16-bit characters.
func xlStr8(s string) []byte {
	b, _ := charmap.ISO8859_1.NewEncoder().String(s)
	return cat(u16(uint16(len(b))), []byte{0}, []byte(b))
}

func xlStr16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := cat(u16(uint16(len(u))), []byte{1})
	for _, c := range u {
		b = append(b, u16(c)...)
	}
	return b
}

func cellHead(row, col, xf uint16) []byte { return cat(u16(row), u16(col), u16(xf)) }

func f64(v float64) []byte {
	b := make([]byte, 8)
	bits := math.Float64bits(v)
	for i := range b {
		b[i] = byte(bits >> (8 * i))
	}
	return b
}

func xlsIntl() []byte {
	sst := cat(u32(5), u32(4),
		xlStr8("Grüße"), xlStr16("日本語"),
		// "ABCЖЗИ": three 8-bit characters, the rest in the Continue
		// record after a flags byte that says 16 bits.
		u16(6), []byte{0}, []byte("ABC"))
	cont1 := cat([]byte{1}, u16('Ж'), u16('З'), u16('И'),
		// "ok" with one formatting run, whose bytes spill over.
		u16(2), []byte{0x08}, u16(1), []byte("ok"), []byte{0, 0})
	cont2 := []byte{0, 0}
	globals := [][]byte{
		biffRec(rtFormat, cat(u16(164), xlStr8(`dd"."mm"."yyyy`))),
		biffRec(rtFormat, cat(u16(165), xlStr8("0.0%"))),
		xf(0), xf(14), xf(164), xf(165), xf(22), xf(20),
		biffRec(rtSST, sst), biffRec(rtContinue, cont1), biffRec(rtContinue, cont2),
	}
	rkInt := func(v int32) []byte { return u32(uint32(v)<<2 | 2) }
	sheet1 := [][]byte{
		biffRec(rtLabelSST, cat(cellHead(0, 0, 0), u32(0))),
		biffRec(rtLabelSST, cat(cellHead(0, 2, 0), u32(1))),
		biffRec(rtNumber, cat(cellHead(1, 0, 0), f64(3.5))),
		biffRec(rtRK, cat(cellHead(1, 1, 0), rkInt(42))),
		biffRec(rtRK, cat(cellHead(1, 2, 0), u32(1234<<2|3))),
		biffRec(rtMulRK, cat(u16(2), u16(0), u16(1), rkInt(45000), u16(3), u32(0x3FD00000), u16(1))),
		biffRec(rtFormula, cat(cellHead(3, 0, 0), []byte{0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, u16(0), u32(0), u16(0))),
		biffRec(rtString, xlStr16("Формула")),
		biffRec(rtFormula, cat(cellHead(3, 1, 0), []byte{1, 0, 1, 0, 0, 0, 0xFF, 0xFF}, u16(0), u32(0), u16(0))),
		biffRec(rtFormula, cat(cellHead(3, 2, 2), f64(7), u16(0), u32(0), u16(0))),
		biffRec(rtBoolErr, cat(cellHead(3, 3, 0), []byte{0x07, 1})),
		biffRec(rtLabel, cat(cellHead(4, 1, 0), xlStr16("Tab\there"))),
		biffRec(rtLabelSST, cat(cellHead(5, 0, 0), u32(2))),
		biffRec(rtLabelSST, cat(cellHead(5, 1, 0), u32(3))),
		biffRec(rtNumber, cat(cellHead(5, 2, 4), f64(45000.5))),
		biffRec(rtRK, cat(cellHead(5, 3, 5), u32(0x3FE80000))), // 0.75
		biffRec(rtLabelSST, cat(cellHead(5, 4, 0), u32(99))),   // no such string
		// A chart inside the sheet: its records are no cells.
		sheetBOF(), biffRec(rtLabel, cat(cellHead(9, 0, 0), xlStr8("chart"))), eof(),
	}
	sheet2 := [][]byte{biffRec(rtLabel, cat(cellHead(0, 0, 0), xlStr8("Zweites Blatt")))}
	return xlsText8(globals, []xlSheet{{"Übersicht", sheet1}, {"Лист2", sheet2}})
}

const xlsIntlText = "[Übersicht]\n" +
	"Grüße\t\t日本語\n" +
	"3.5\t42\t12.34\n" +
	"2023-03-15\t25%\n" +
	"Формула\tTRUE\t1900-01-07\t#DIV/0!\n" +
	"\tTab here\n" +
	"ABCЖЗИ\tok\t2023-03-15 12:00:00\t18:00:00\n" +
	"\n" +
	"[Лист2]\n" +
	"Zweites Blatt\n"

func textChars(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, u16(c)...)
	}
	return pptRecord(0, 0, rtTextCharsAtom, b)
}

func textBytes(s string) []byte {
	b, _ := charmap.ISO8859_1.NewEncoder().String(s)
	return pptRecord(0, 0, rtTextBytesAtom, []byte(b))
}

func slidePersist(id uint32) []byte {
	return pptRecord(0, 0, rtSlidePersistAtom, cat(u32(id), u32(0), u32(1), u32(256), u32(0)))
}

// drawing is a slide's drawing with one text box ([MS-PPT] 2.5.1
// SlideContainer → PPDrawing → OfficeArtDgContainer → OfficeArtSpContainer
// → OfficeArtClientTextbox).
func drawing(typ uint16, text []byte) []byte {
	return pptContainer(typ, pptContainer(0x040C, pptContainer(0xF002, pptContainer(0xF004, pptContainer(0xF00D, text)))))
}

func pptIntl() []byte {
	stale := pptContainer(rtDocumentContainer, pptContainer(rtSlideListWithText, slidePersist(2), textChars("Veraltet")))
	oldSlide := drawing(0x03EE, textChars("Alter Text"))
	slide := drawing(0x03EE, textChars("Textfeld 日本語"))
	notes := drawing(0x03F0, textBytes("Notiz für später"))
	doc := pptContainer(rtDocumentContainer,
		pptRecord(1, 0, 0x03E9, make([]byte, 40)),
		pptRecord(0xF, instSlides, rtSlideListWithText, cat(slidePersist(2), textChars("Титул\rErste Zeile\vzweite"), textBytes("Größe"))),
		pptRecord(0xF, 1, rtSlideListWithText, cat(slidePersist(9), textChars("Mastertitelformat bearbeiten"))),
		pptRecord(0xF, instNotes, rtSlideListWithText, slidePersist(3)))
	a := len(stale) + len(oldSlide)
	b := a + len(slide)
	c := b + len(notes)
	s := cat(stale, oldSlide, slide, notes, doc, persistDir(1, uint32(c), uint32(a), uint32(b)))
	return cfb(storage("", stream("Current User", currentUser(headerTokenPlain)), stream("PowerPoint Document", s)))
}

const pptIntlText = "[Slide 1]\n" +
	"Титул\n" +
	"Erste Zeile\n" +
	"zweite\n" +
	"Größe\n" +
	"Textfeld 日本語\n" +
	"\n" +
	"[Notes 1]\n" +
	"Notiz für später\n"

func text(t *testing.T, b []byte, max int) (string, error) {
	t.Helper()
	out, err := New().Text(context.Background(), inspect.Part{R: bytes.NewReader(b), Size: int64(len(b))}, max)
	checkText(t, out, max)
	return string(out), err
}

// checkText asserts what every extracted text must be: UTF-8, no control
// characters but tab and newline, within its cap.
func checkText(t testing.TB, out []byte, max int) {
	t.Helper()
	if max <= 0 {
		max = DefaultMaxText
	}
	if !utf8.Valid(out) {
		t.Fatalf("text is not UTF-8: %q", out)
	}
	for _, r := range string(out) {
		if (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r < 0xa0) {
			t.Fatalf("control character %U in %q", r, out)
		}
	}
	if len(out) > max+len("\n"+TruncatedLine+"\n") {
		t.Fatalf("text of %d bytes over the cap %d", len(out), max)
	}
}

func TestTextFixtures(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"doc", wordIntl(), wordIntlText},
		{"xls", xlsIntl(), xlsIntlText},
		{"ppt", pptIntl(), pptIntlText},
		{"ppt without a slide list", cfb(storage("", stream("PowerPoint Document", cat(vbaInfoDocument(0, 0), drawing(0x03EE, textChars("Nur die Zeichnung")))))), "Nur die Zeichnung\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := text(t, tc.file, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestTextLibreOffice: documents LibreOffice wrote (testdata/
// make-text-fixtures.sh) give back the sentences they were made from.
func TestTextLibreOffice(t *testing.T) {
	for file, want := range map[string][]string{
		"intl.doc": {"Grüße aus Köln, Ärger über Öl – „Zitat“ für 5 €.\n",
			"Привет, мир! Съешь же ещё этих мягких французских булок.\n",
			"日本語のテキストです。中文文本测试。\n"},
		"intl.xls": {"[intl]\nStadt\tGruß\tBetrag\nKöln\tGrüße\t12,5\nМосква\tПривет\t42\n東京\tこんにちは\t7\n"},
		"intl.ppt": {"[Slide 1]\nGrüße aus Köln\n\n[Slide 2]\nПривет, мир!\n日本語のテキスト\n"},
	} {
		b := inspecttest.ReadFile(t, filepath.Join("testdata", file))
		got, err := text(t, b, 0)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q missing from\n%s", file, w, got)
			}
		}
	}
}

// TestTextVelvet: a workbook keyed with the default password opens
// without one; its text is the decrypted cells'.
func TestTextVelvet(t *testing.T) {
	long := strings.Repeat("Zeile für Zeile ", 100)
	var rows [][]byte
	for i := range 20 {
		rows = append(rows, biffRec(rtLabel, cat(cellHead(uint16(i), 0, 0), xlStr8(long))))
	}
	plain := xlsWorkbook([][]byte{velvetFilePass()}, []xlSheet{{"Frei", append(rows, biffRec(rtLabel, cat(cellHead(20, 1, 0), xlStr8("Grüße entschlüsselt"))))}}, nil)
	got, err := text(t, velvetEncrypt(plain), 0)
	want := "[Frei]\n" + strings.Repeat(long+"\n", 20) + "\tGrüße entschlüsselt\n"
	if err != nil || got != want {
		t.Fatalf("%v: %q", err, got)
	}
	got, err = text(t, velvetEncrypt(plain), 500)
	if err != nil || !strings.HasSuffix(got, TruncatedLine+"\n") {
		t.Fatalf("%v: %q", err, got)
	}
}

func TestTextEncrypted(t *testing.T) {
	for name, b := range map[string][]byte{
		"doc rc4":   cfb(storage("", stream("WordDocument", fib(fEncrypted)), stream("0Table", encHeader(1, 1)))),
		"doc xor":   cfb(storage("", stream("WordDocument", fib(fEncrypted|fObfuscated)), stream("0Table", encHeader(1, 1)))),
		"xls rc4":   cfb(storage("", stream("Workbook", workbook(filePass(1, 4, 2))))),
		"ppt token": cfb(storage("", stream("Current User", currentUser(headerTokenEncrypted)), stream("PowerPoint Document", vbaInfoDocument(0, 0)))),
		"ooxml":     cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", make([]byte, 300)))),
	} {
		out, err := text(t, b, 0)
		if !errors.Is(err, ErrTextEncrypted) || out != "" {
			t.Errorf("%s: %q, %v", name, out, err)
		}
	}
}

// TestTextPowerPointDefault: a presentation keyed with PowerPoint's default
// password opens without one, so its text is not withheld as encrypted;
// one keyed with another password is.
func TestTextPowerPointDefault(t *testing.T) {
	for file, encrypted := range map[string]bool{"cryptoapi_hannes.ppt": false, "cryptoapi_secret.ppt": true} {
		b := inspecttest.ReadFile(t, filepath.Join("offcrypto", "testdata", file))
		_, err := text(t, b, 0)
		if errors.Is(err, ErrTextEncrypted) != encrypted {
			t.Errorf("%s: err = %v, want encrypted %v", file, err, encrypted)
		}
	}
}

func TestTextNoDocument(t *testing.T) {
	for name, b := range map[string][]byte{
		"not a cfb":   []byte("plain text"),
		"no document": cfb(storage("", stream("x", []byte("y")))),
		"word 6":      cfb(storage("", stream("WordDocument", func() []byte { b := fib(0); b[0], b[1] = 0xDC, 0xA5; return b }()))),
		"bare fib":    cfb(storage("", stream("WordDocument", fib(0)), stream("0Table", nil))),
		"no bof":      cfb(storage("", stream("Workbook", eof()))),
	} {
		out, err := text(t, b, 0)
		if !errors.Is(err, ErrNoText) || out != "" {
			t.Errorf("%s: %q, %v", name, out, err)
		}
	}
}

func TestTextCap(t *testing.T) {
	long := strings.Repeat("Grüße 日本語 ", 20000)
	for name, b := range map[string][]byte{
		"doc": wordText97(0, 0, wordPiece{long, false}),
		"xls": xlsText8(nil, []xlSheet{{"A", func() (r [][]byte) {
			for i := 0; i < 3000; i++ {
				r = append(r, biffRec(rtLabel, cat(cellHead(uint16(i), 0, 0), xlStr16("Grüße 日本語 Привет"))))
			}
			return r
		}()}}),
		"ppt": cfb(storage("", stream("PowerPoint Document", cat(textChars(long), textChars(long))))),
	} {
		const limit = 1000
		out, err := text(t, b, limit)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasSuffix(out, "\n"+TruncatedLine+"\n") || len(out) < limit-10 {
			t.Errorf("%s: %d bytes ending %q", name, len(out), out[max(0, len(out)-40):])
		}
	}
}

func TestTextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := wordText97(0, 0, wordPiece{strings.Repeat("x", 100000), true})
	_, err := New().Text(ctx, inspect.Part{R: bytes.NewReader(b), Size: int64(len(b))}, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

// TestTextWorkBounds: structures that name the same bytes over and over
// are refused instead of read again and again.
func TestTextWorkBounds(t *testing.T) {
	// A piece table of 2000 pieces over the same 40 KB of text.
	doc := wordText97(0, 0, wordPiece{strings.Repeat("\x01", 40000), true})
	var plc []byte
	const n = 2000
	for i := 0; i <= n; i++ {
		plc = append(plc, u32(uint32(i*40000))...)
	}
	for i := 0; i < n; i++ {
		plc = append(plc, cat(u16(0), u32(1024*2|0x40000000), u16(0))...)
	}
	clx := cat([]byte{0x02}, u32(uint32(len(plc))), plc)
	wd := make([]byte, 1024+40000)
	copy(wd, fibOf(doc))
	copy(wd[1024:], strings.Repeat("\x01", 40000))
	le := func(off int, v uint32) { copy(wd[off:], u32(v)) }
	le(64+4*ilwText, n*40000)
	le(64+88+2+8*ifcClx+4, uint32(len(clx)))
	b := cfb(storage("", stream("WordDocument", wd), stream("1Table", clx)))
	if out, err := text(t, b, 0); !errors.Is(err, ErrNoText) || !strings.Contains(err.Error(), "more than twice") {
		t.Errorf("doc: %q, %v", out, err)
	}

	// A slide list whose 3000 entries all name one 100 KB slide.
	slide := drawing(0x03EE, pptRecord(0, 0, 0x0FFF, make([]byte, 100000)))
	var list []byte
	for range 3000 {
		list = append(list, slidePersist(1)...)
	}
	docRec := pptContainer(rtDocumentContainer, pptRecord(0xF, instSlides, rtSlideListWithText, list))
	ppt := cfb(storage("", stream("PowerPoint Document", cat(slide, docRec, persistDir(1, 0, uint32(len(slide)))))))
	if out, err := text(t, ppt, 0); !errors.Is(err, ErrNoText) || !strings.Contains(err.Error(), "too often") {
		t.Errorf("ppt: %q, %v", out, err)
	}
}

// fibOf returns the first 1024 bytes (the FIB) of the WordDocument stream
// of a document built by wordText97.
func fibOf(doc []byte) []byte {
	f, err := openCFB(context.Background(), bytes.NewReader(doc), int64(len(doc)), 0)
	if err != nil {
		panic(err)
	}
	r, err := f.open(f.root.stream("WordDocument"), "WordDocument")
	if err != nil {
		panic(err)
	}
	b := make([]byte, 1024)
	if _, err := r.ReadAt(b, 0); err != nil {
		panic(err)
	}
	return b
}
