package ole

import (
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// Fixtures for passwords that guard editing, not reading.

// word97Fib is a WordDocument stream whose Fib ([MS-DOC] 2.5.1) has the
// Word 97 sizes (csw 14, cslw 22, cbRgFcLcb 0x5D) and points fcDop/lcbDop
// at the Dop.
func word97Fib(flags uint16, fcDop, lcbDop uint32) []byte {
	b := fib(flags)
	le := binary.LittleEndian
	off := fibBaseSize
	le.PutUint16(b[off:], 14)
	off += 2 + 2*14
	le.PutUint16(b[off:], 22)
	off += 2 + 4*22
	le.PutUint16(b[off:], 0x5D)
	off += 2
	b = append(b[:off], make([]byte, 8*0x5D)...)
	le.PutUint32(b[off+8*ifcDop:], fcDop)
	le.PutUint32(b[off+8*ifcDop+4:], lcbDop)
	return b
}

// dop97 is a Dop97 ([MS-DOC] 2.7.5, 500 bytes) with DopBase bytes 6 and 7
// and lKeyProtDoc set.
func dop97(b6, b7 byte, key uint32) []byte {
	d := make([]byte, 500)
	d[dopLockAtnByte], d[dopProtByte] = b6, b7
	binary.LittleEndian.PutUint32(d[dopKeyProtDoc:], key)
	return d
}

// protectedDoc is a Word 97 document with its Dop at 0x100 of 1Table.
func protectedDoc(flags uint16, dop []byte) []byte {
	return cfb(storage("",
		stream("WordDocument", word97Fib(flags|fWhichTblStm, 0x100, uint32(len(dop)))),
		stream("1Table", cat(make([]byte, 0x100), dop, make([]byte, 64)))))
}

// xlSheet is one sheet substream's records (between its BOF and EOF).
type xlSheet struct {
	name string
	recs [][]byte
}

// sheetBOF is the BOF of a worksheet substream ([MS-XLS] 2.4.21 dt 0x10).
func sheetBOF() []byte { return biffRec(rtBOF, cat(u16(0x0600), u16(0x0010), make([]byte, 12))) }

// xlsWorkbook lays out a BIFF8 Workbook stream: the globals records, one
// BoundSheet8 per sheet with lbPlyPos pointing at the sheet's BOF, the
// sheets after the globals EOF, then trailing.
func xlsWorkbook(globals [][]byte, sheets []xlSheet, trailing []byte) []byte {
	var bs [][]byte
	for _, s := range sheets {
		bs = append(bs, boundSheet(0, 0, s.name))
	}
	head := cat(bof8(), cat(globals...), cat(bs...), eof())
	pos := len(head)
	out := head
	at := len(bof8()) + len(cat(globals...))
	for i, s := range sheets {
		binary.LittleEndian.PutUint32(out[at+4:], uint32(pos))
		at += len(bs[i])
		sub := cat(sheetBOF(), cat(s.recs...), eof())
		out = append(out, sub...)
		pos += len(sub)
	}
	return append(out, trailing...)
}

func protect(lock uint16) []byte { return biffRec(rtProtect, u16(lock)) }

func password(hash uint16) []byte { return biffRec(rtPassword, u16(hash)) }

func fileSharing(readOnly, hash uint16) []byte {
	return biffRec(rtFileSharing, cat(u16(readOnly), u16(hash), u16(4), []byte{0}, []byte("user")))
}

func dimensions() []byte { return biffRec(0x0200, make([]byte, 14)) }

func xlsFile(wb []byte) []byte { return cfb(storage("", stream("Workbook", wb))) }

func TestProtected(t *testing.T) {
	const (
		docDetail = "restricted editing with a password (Word document protection)"
		sheetWhy  = "protected sheet with a password (Data)"
	)
	hidden := xlsWorkbook(nil, []xlSheet{{"Data", [][]byte{protect(1), password(0xCC3D), dimensions()}}}, nil)
	// The sheet substream sits in the body of a record, hidden from a walk
	// from substream to substream; Excel follows lbPlyPos there.
	{
		i := strings.Index(string(hidden), string(sheetBOF()))
		hidden = cat(hidden[:i], u16(0x0001), u16(uint16(len(hidden)-i)), hidden[i:])
		binary.LittleEndian.PutUint32(hidden[len(bof8())+4:], uint32(i+4))
	}
	tests := []struct {
		name, file string
		data       []byte
		crypto     *Crypto
		want       []want
		none       bool // no protected finding at all
		notKind    []inspect.Kind
	}{
		{name: "doc write reservation", file: "a.doc", data: cfb(storage("", stream("WordDocument", fib(fWriteReserved)), stream("0Table", make([]byte, 64)))),
			want: []want{{inspect.KindProtected, "WordDocument", "password to modify (Word write reservation)"}}},
		{name: "doc forms protection with a password", file: "a.doc", data: protectedDoc(0, dop97(0, dopProtEnabled, 0xA1B2C3D4)),
			want: []want{{inspect.KindProtected, "1Table", docDetail}}},
		{name: "doc tracked changes with a password", file: "a.doc", data: protectedDoc(0, dop97(0, dopLockRev, 0x1234)),
			want: []want{{inspect.KindProtected, "1Table", docDetail}}},
		{name: "doc comments only with a password", file: "a.doc", data: protectedDoc(0, dop97(dopLockAtn, 0, 0x1234)),
			want: []want{{inspect.KindProtected, "1Table", docDetail}}},
		{name: "doc protection without a password", file: "a.doc", data: protectedDoc(0, dop97(dopLockAtn, dopProtEnabled, 0)), none: true},
		{name: "doc hash without protection", file: "a.doc", data: protectedDoc(0, dop97(0, 0, 0x1234)), none: true},
		{name: "doc Dop outside the table stream", file: "a.doc",
			data: cfb(storage("", stream("WordDocument", word97Fib(fWhichTblStm, 0xFFFFFFF0, 500)), stream("1Table", make([]byte, 600)))),
			want: []want{{inspect.KindUnscannable, "1Table", ""}}, none: true},

		{name: "xls FILESHARING with a password", file: "a.xls", data: xlsFile(workbook(fileSharing(1, 0x83AF))),
			want: []want{{inspect.KindProtected, "Workbook", "password to modify (FILESHARING)"}}},
		{name: "xls FILESHARING read-only recommended", file: "a.xls", data: xlsFile(workbook(fileSharing(1, 0))), none: true},
		{name: "xls WRITEPROT only", file: "a.xls", data: xlsFile(workbook(biffRec(0x0086, nil))), none: true},
		{name: "xls structure password", file: "a.xls", data: xlsFile(workbook(protect(1), password(0xCE4B))),
			want: []want{{inspect.KindProtected, "Workbook", "protected workbook structure with a password (PASSWORD)"}}},
		{name: "xls PASSWORD 0 in globals", file: "a.xls", data: xlsFile(workbook(protect(0), password(0))), none: true},
		{name: "xls PROT4REVPASS", file: "a.xls", data: xlsFile(workbook(biffRec(0x01AF, u16(1)), biffRec(rtProt4RevPass, u16(0x9A3B)))),
			want: []want{{inspect.KindProtected, "Workbook", "protected shared workbook revisions with a password (PROT4REVPASS)"}}},
		{name: "xls PROT4REVPASS without a password", file: "a.xls", data: xlsFile(workbook(biffRec(rtProt4RevPass, u16(0)))), none: true},
		{name: "xls protected sheet", file: "a.xls",
			data: xlsFile(xlsWorkbook(nil, []xlSheet{{"Free", [][]byte{dimensions()}}, {"Data", [][]byte{protect(1), password(0xCC3D), dimensions()}}}, make([]byte, 4096))),
			want: []want{{inspect.KindProtected, "Workbook", sheetWhy}}},
		{name: "xls sheet password without PROTECT", file: "a.xls",
			data: xlsFile(xlsWorkbook(nil, []xlSheet{{"Data", [][]byte{protect(0), password(0xCC3D)}}}, nil)), none: true},
		{name: "xls sheet protected without a password", file: "a.xls",
			data: xlsFile(xlsWorkbook(nil, []xlSheet{{"Data", [][]byte{protect(1), password(0)}}}, nil)), none: true},
		{name: "xls many protected sheets", file: "a.xls",
			data: xlsFile(xlsWorkbook(nil, []xlSheet{
				{"S1", [][]byte{protect(1), password(1)}}, {"S2", [][]byte{protect(1), password(2)}},
				{"S3", [][]byte{protect(1), password(3)}}, {"S4", [][]byte{protect(1), password(4)}}}, nil)),
			want: []want{{inspect.KindProtected, "Workbook", "protected sheets with a password (4 sheets: S1, S2, S3, ...)"}}},
		{name: "xls sheet reached only by lbPlyPos", file: "a.xls", data: xlsFile(hidden),
			want: []want{{inspect.KindProtected, "Workbook", sheetWhy}}},
		{name: "xls debris after the last sheet", file: "a.xls",
			data: xlsFile(xlsWorkbook(nil, []xlSheet{{"Data", nil}}, cat(u16(0x1234), u16(0xFFFF), make([]byte, 100)))), none: true,
			notKind: []inspect.Kind{inspect.KindUnscannable}},
		{name: "xls truncated sheet keeps the globals' findings", file: "a.xls",
			data: xlsFile(xlsWorkbook([][]byte{fileSharing(0, 7)}, []xlSheet{{"Data", [][]byte{cat(u16(0x0203), u16(0xFFF0))}}}, nil)),
			want: []want{{inspect.KindProtected, "Workbook", "password to modify (FILESHARING)"}, {inspect.KindUnscannable, "Workbook", ""}}},
		{name: "xls VelvetSweatshop protected sheet (fake decryption)", file: "a.xls",
			crypto: ptr(testCrypto(nil, xlsWorkbook([][]byte{filePass(1, 4, 2), protect(1), password(0xCE4B)},
				[]xlSheet{{"Geheim", [][]byte{protect(1), password(0xCC3D)}}}, nil))),
			data: xlsFile(workbook(filePass(1, 4, 2), biffRec(0x00EB, fill(300, 7)))),
			want: []want{
				{inspect.KindProtected, "Workbook", "protected workbook structure with a password (PASSWORD)"},
				{inspect.KindProtected, "Workbook", "protected sheet with a password (Geheim)"}},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		{name: "xls VelvetSweatshop protected sheet (RC4)", file: "a.xls", data: velvetProtectedXLS(),
			want: []want{
				{inspect.KindProtected, "Workbook", "protected workbook structure with a password (PASSWORD)"},
				{inspect.KindProtected, "Workbook", "protected sheet with a password (Geheim)"}},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		{name: "xls encrypted with a password hides protections", file: "a.xls",
			data: xlsFile(workbook(filePass(1, 1, 1), fileSharing(0, 7))),
			want: []want{{inspect.KindEncrypted, "Workbook", "FILEPASS RC4"}}, none: true},

		{name: "ppt ModifyPasswordAtom", file: "a.ppt", data: pptWithTags(modifyPasswordAtom("geheim")),
			want: []want{{inspect.KindProtected, "PowerPoint Document", "password to modify (PowerPoint ModifyPasswordAtom)"}}},
		{name: "ppt empty ModifyPasswordAtom", file: "a.ppt", data: pptWithTags(modifyPasswordAtom("")), none: true},
		{name: "ppt other tag data", file: "a.ppt", data: pptWithTags([]byte("not records")), none: true,
			notKind: []inspect.Kind{inspect.KindUnscannable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ins := NewWithCrypto(Crypto{})
			if tc.crypto != nil {
				ins = NewWithCrypto(*tc.crypto)
			} else if strings.Contains(tc.name, "RC4)") {
				ins = New()
			}
			res := inspectBytes(t, ins, tc.file, tc.data)
			for _, w := range tc.want {
				if !has(res, w) {
					t.Errorf("missing %+v in %+v", w, res.Findings)
				}
			}
			if tc.none {
				for _, f := range res.Findings {
					if f.Kind == inspect.KindProtected {
						t.Errorf("unexpected %+v", f)
					}
				}
			}
			for _, k := range tc.notKind {
				if res.Has(k) {
					t.Errorf("unexpected %s in %+v", k, res.Findings)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// pptWithTags is a presentation whose DocumentContainer holds a
// DocProgTagsContainer → DocProgBinaryTagContainer ("___PPT10") with data
// ([MS-PPT] 2.4.23).
func pptWithTags(data []byte) []byte {
	name := utf16le("___PPT10")
	doc := pptContainer(rtDocumentContainer,
		pptRecord(1, 0, 0x03E9, make([]byte, 40)),
		pptContainer(rtProgTags,
			pptContainer(rtProgBinaryTag,
				pptRecord(0, 0, rtCString, name),
				pptRecord(0, 0, rtBinaryTagDataBlob, data))))
	return cfb(storage("", stream("Current User", currentUser(headerTokenPlain)), stream("PowerPoint Document", doc)))
}

// modifyPasswordAtom is a ModifyPasswordAtom ([MS-PPT] 2.4.7) after
// another PP10 record.
func modifyPasswordAtom(pw string) []byte {
	return cat(pptRecord(0, 0, 0x2EEB, make([]byte, 8)), pptRecord(0, instModifyPassword, rtCString, utf16le(pw)))
}

func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, u16(c)...)
	}
	return b
}

// velvetProtectedXLS is a workbook with a protected structure and a
// protected sheet, RC4-encrypted ([MS-OFFCRYPTO] 2.3.6; [MS-XLS] 2.2.10)
// with the default password, as Excel writes a workbook whose structure
// is protected: it opens without a password.
func velvetProtectedXLS() []byte {
	plain := xlsWorkbook([][]byte{velvetFilePass(), fileSharing(0, 0), protect(1), password(0xCE4B), biffRec(0x00EB, fill(1500, 3))},
		[]xlSheet{{"Frei", [][]byte{dimensions(), biffRec(0x00EC, fill(900, 5))}}, {"Geheim", [][]byte{protect(1), password(0xCC3D), dimensions()}}}, nil)
	return velvetEncrypt(plain)
}

var velvetSalt = []byte("0123456789abcdef")

// velvetKey is the RC4 key of block blk for the default password.
func velvetKey(blk uint32) []byte {
	h0 := md5.Sum(utf16le("VelvetSweatshop"))
	var buf []byte
	for range 16 {
		buf = append(append(buf, h0[:5]...), velvetSalt...)
	}
	h1 := md5.Sum(buf)
	k := md5.Sum(binary.LittleEndian.AppendUint32(append([]byte{}, h1[:5]...), blk))
	return k[:]
}

// velvetFilePass is the FILEPASS of a workbook RC4-encrypted with the
// default password.
func velvetFilePass() []byte {
	verifier := []byte("fedcba9876543210")
	vh := md5.Sum(verifier)
	ev := cat(verifier, vh[:])
	c, _ := rc4.NewCipher(velvetKey(0))
	c.XORKeyStream(ev, ev)
	return biffRec(rtFilePass, cat(u16(1), u16(1), u16(1), velvetSalt, ev))
}

// velvetEncrypt encrypts the records after the velvetFilePass of a plain
// Workbook stream.
func velvetEncrypt(plain []byte) []byte {
	// The keystream restarts every 1024 bytes of the stream; record
	// headers, BOF and FILEPASS bodies and lbPlyPos stay in the clear.
	var ks []byte
	for blk := uint32(0); len(ks) < len(plain); blk++ {
		c, _ := rc4.NewCipher(velvetKey(blk))
		b := make([]byte, 1024)
		c.XORKeyStream(b, b)
		ks = append(ks, b...)
	}
	out := append([]byte{}, plain...)
	after := false
	for pos := 0; pos+4 <= len(out); {
		rt := binary.LittleEndian.Uint16(out[pos:])
		n := int(binary.LittleEndian.Uint16(out[pos+2:]))
		if after && rt != rtBOF {
			start := 0
			if rt == rtBoundSheet8 {
				start = 4
			}
			for i := start; i < n; i++ {
				out[pos+4+i] ^= ks[pos+4+i]
			}
		}
		if rt == rtFilePass {
			after = true
		}
		pos += 4 + n
	}
	return xlsFile(out)
}

// TestProtectedMsoffcrypto asks msoffcrypto-tool, an independent reader,
// whether the protected fixtures are encrypted: only the VelvetSweatshop
// workbook is, and it decrypts with the default password. (The .ppt
// fixture is left out: its minimal Current User stream is too short for
// msoffcrypto-tool's parser.)
func TestProtectedMsoffcrypto(t *testing.T) {
	tool, err := exec.LookPath("msoffcrypto-tool")
	if err != nil {
		t.Skip("msoffcrypto-tool not installed")
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"reserved.doc": cfb(storage("", stream("WordDocument", fib(fWriteReserved)), stream("0Table", make([]byte, 64)))),
		"dop.doc":      protectedDoc(0, dop97(0, dopProtEnabled, 0xA1B2C3D4)),
		"sharing.xls":  xlsFile(workbook(fileSharing(1, 0x83AF))),
		"sheet.xls":    xlsFile(xlsWorkbook(nil, []xlSheet{{"Data", [][]byte{protect(1), password(0xCC3D)}}}, nil)),
		"velvet.xls":   velvetProtectedXLS(),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(tool, "--test", "-v", p).CombinedOutput()
		encrypted := strings.Contains(string(out), p+": encrypted")
		if !encrypted && !strings.Contains(string(out), p+": not encrypted") {
			t.Errorf("%s: msoffcrypto-tool --test: unexpected answer\n%s", name, out)
			continue
		}
		if want := name == "velvet.xls"; encrypted != want {
			t.Errorf("%s: msoffcrypto-tool --test says encrypted=%v, want %v\n%s", name, encrypted, want, out)
		}
	}
	out, err := exec.Command(tool, "-p", "VelvetSweatshop", filepath.Join(dir, "velvet.xls"), filepath.Join(dir, "velvet.plain")).CombinedOutput()
	if err != nil {
		t.Errorf("msoffcrypto-tool cannot decrypt velvet.xls with VelvetSweatshop: %v\n%s", err, out)
	}
}
