package ole

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// fakeExe stands in for the exe inspector: the engine dispatches PE
// content to it, so a finding proves the ole inspector handed it over.
type fakeExe struct{}

func (fakeExe) Inspect(_ context.Context, p inspect.Part, s inspect.Scope) error {
	s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "PE (test)"})
	return nil
}

// fakeZip records that a package was handed over and reports the names it
// holds as "embedded-object" findings (so tests can see them).
type fakeZip struct{}

func (fakeZip) Inspect(_ context.Context, p inspect.Part, s inspect.Scope) error {
	s.Emit(inspect.Finding{Kind: inspect.KindEmbeddedObject, Detail: "zip seen (test)"})
	return nil
}

// testCrypto fakes package offcrypto: the package decrypts to plain when
// the stream holds "velvet", the workbook to plain records.
func testCrypto(plainPackage []byte, plainWorkbook []byte) Crypto {
	wrong := errors.New("wrong password (test)")
	return Crypto{
		DefaultPassword:  "VelvetSweatshop",
		ErrWrongPassword: wrong,
		DecryptPackage: func(info []byte, pkg io.ReaderAt, size int64, password string, w io.Writer) error {
			head := make([]byte, min(size, 6))
			pkg.ReadAt(head, 0)
			if password != "VelvetSweatshop" || string(head) != "velvet" || plainPackage == nil {
				return wrong
			}
			_, err := w.Write(plainPackage)
			return err
		},
		DescribeEncryption: func(info []byte) string {
			if encryptionKind(info) == "agile" {
				return "agile AES-256 SHA-512"
			}
			return ""
		},
		DecryptWorkbook: func(wb io.ReaderAt, size int64, password string, w io.Writer) error {
			if password != "VelvetSweatshop" || plainWorkbook == nil {
				return wrong
			}
			// Write in small pieces to exercise the record sink.
			for b := plainWorkbook; len(b) > 0; {
				n := min(len(b), 7)
				if _, err := w.Write(b[:n]); err != nil {
					return err
				}
				b = b[n:]
			}
			return nil
		},
	}
}

func engine(ins *Inspector) *inspect.Engine {
	return inspect.NewEngine(map[inspect.Family]inspect.Inspector{
		inspect.FamilyOLE:   ins,
		inspect.FamilyPE:    fakeExe{},
		inspect.FamilyOOXML: fakeZip{},
		inspect.FamilyZip:   fakeZip{},
	}, inspect.Limits{})
}

func inspectBytes(t testing.TB, ins *Inspector, name string, b []byte) *inspect.Result {
	t.Helper()
	return engine(ins).Inspect(context.Background(), name, "", bytes.NewReader(b), int64(len(b)))
}

// want is one expected finding; an empty Where or Detail matches any.
type want struct {
	kind          inspect.Kind
	where, detail string
}

func has(res *inspect.Result, w want) bool {
	for _, f := range res.Findings {
		if f.Kind == w.kind && (w.where == "" || f.Where == w.where) && (w.detail == "" || f.Detail == w.detail) {
			return true
		}
	}
	return false
}

func TestInspect(t *testing.T) {
	pkgWord := cfb(storage("",
		stream("WordDocument", fib(0)),
		stream("1Table", make([]byte, 100)),
		storage("ObjectPool",
			storage("_1234567890",
				stream("\x01CompObj", compObj("OLE Package", "Package")),
				stream("\x01Ole", make([]byte, 20)),
				stream("\x01Ole10Native", ole10Native("invoice.exe", peFile)))),
	))
	vbaBin := cfb(vbaStorage(""))
	// A PowerPoint document whose VBA project sits (compressed) in an
	// ExOleObjStg referenced through the persist directory, plus an
	// uncompressed embedded Package object carrying an exe.
	vbaStg := cfb(vbaStorage(""))
	pkgStg := cfb(storage("", stream("\x01CompObj", compObj("Package", "Package")), stream("\x01Ole10Native", ole10Native("run.exe", peFile))))
	docRec := vbaInfoDocument(7, 1)
	vbaRec := exOleObjStg(vbaStg, true)
	pkgRec := exOleObjStg(pkgStg, false)
	pptStream := cat(docRec, vbaRec, pkgRec, persistDir(7, uint32(len(docRec))))
	ppt := cfb(storage("", stream("Current User", currentUser(headerTokenPlain)), stream("PowerPoint Document", pptStream)))

	plainWB := cat(bof8(), filePass(1, 4, 2), boundSheet(2, dtMacroSheet, "Hidden1"), eof())
	msg := cfb(storage("",
		stream("__properties_version1.0", make([]byte, 32)),
		stream("__substg1.0_0037001F", utf16z("subject")),
		storage("__attach_version1.0_#00000000",
			stream("__properties_version1.0", make([]byte, 16)),
			stream("__substg1.0_3707001F", utf16z(`C:\Users\x\Rechnung.exe`)),
			stream("__substg1.0_37010102", peFile)),
		storage("__attach_version1.0_#00000001",
			stream("__properties_version1.0", make([]byte, 16)),
			storage("__substg1.0_3701000D",
				stream("__properties_version1.0", make([]byte, 24)),
				storage("__attach_version1.0_#00000000",
					stream("__substg1.0_3704001E", []byte("inner.exe\x00")),
					stream("__substg1.0_37010102", peFile)))),
	))

	tests := []struct {
		name    string
		file    string
		data    []byte
		crypto  Crypto
		typ     string
		want    []want
		notKind []inspect.Kind
	}{
		{name: "word with VBA", file: "a.doc", typ: "doc",
			data:    cfb(storage("", stream("WordDocument", fib(0)), stream("1Table", make([]byte, 10)), vbaStorage("Macros"))),
			want:    []want{{inspect.KindMacro, "Macros/VBA/dir", "VBA project"}, {inspect.KindLegacyOffice, "", ""}},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		{name: "word template", file: "t.bin", typ: "dot",
			data:    cfb(storage("", stream("WordDocument", fib(fDot)))),
			notKind: []inspect.Kind{inspect.KindMacro, inspect.KindEncrypted}},
		{name: "word RC4", file: "a.doc", typ: "doc",
			data: cfb(storage("", stream("WordDocument", fib(fEncrypted|fWhichTblStm)), stream("1Table", encHeader(1, 1)))),
			want: []want{{inspect.KindEncrypted, "WordDocument", "Word fEncrypted (RC4)"}}},
		{name: "word CryptoAPI in 0Table", file: "a.doc", typ: "doc",
			data: cfb(storage("", stream("WordDocument", fib(fEncrypted)), stream("0Table", encHeader(4, 2)))),
			want: []want{{inspect.KindEncrypted, "WordDocument", "Word fEncrypted (RC4 CryptoAPI)"}}},
		{name: "word XOR", file: "a.doc", typ: "doc",
			data: cfb(storage("", stream("WordDocument", fib(fEncrypted|fObfuscated)))),
			want: []want{{inspect.KindEncrypted, "WordDocument", "Word fEncrypted (XOR obfuscation)"}}},
		{name: "excel XLM macro sheet", file: "a.xls", typ: "xls",
			data: cfb(storage("", stream("Workbook", workbook(boundSheet(0, 0, "Sheet1"), boundSheet(1, dtMacroSheet, "Macro1"), autoOpenLbl())))),
			want: []want{{inspect.KindMacro, "Workbook", `XLM macro sheet "Macro1" (hidden)`}, {inspect.KindMacro, "Workbook", "XLM Auto_Open name"}}},
		{name: "excel very hidden macro sheet in Book", file: "a.xls", typ: "xls",
			data: cfb(storage("", stream("Book", workbook(boundSheet(2, dtMacroSheet, "x"))))),
			want: []want{{inspect.KindMacro, "Book", `XLM macro sheet "x" (very hidden)`}}},
		{name: "excel VBA module sheet", file: "a.xls", typ: "xls",
			data: cfb(storage("", stream("Workbook", workbook(boundSheet(0, dtVBAModule, "Module1"))))),
			want: []want{{inspect.KindMacro, "Workbook", `VBA module sheet "Module1"`}}},
		{name: "excel template", file: "a.bin", typ: "xlt",
			data:    cfb(storage("", stream("Workbook", workbook(biffRec(rtTemplate, nil), boundSheet(0, 0, "Sheet1"))))),
			notKind: []inspect.Kind{inspect.KindMacro}},
		{name: "excel VBA project", file: "a.xls", typ: "xls",
			data: cfb(storage("", stream("Workbook", workbook()), vbaStorage("_VBA_PROJECT_CUR"))),
			want: []want{{inspect.KindMacro, "_VBA_PROJECT_CUR/VBA/dir", "VBA project"}}},
		{name: "FILEPASS XOR", file: "a.xls", typ: "xls",
			data: cfb(storage("", stream("Workbook", workbook(filePass(0, 0, 0), boundSheet(0, 1, "enc"))))),
			want: []want{{inspect.KindEncrypted, "Workbook", "FILEPASS XOR obfuscation"}}, notKind: []inspect.Kind{inspect.KindMacro}},
		{name: "FILEPASS RC4", file: "a.xls", typ: "xls",
			data: cfb(storage("", stream("Workbook", workbook(filePass(1, 1, 1))))),
			want: []want{{inspect.KindEncrypted, "Workbook", "FILEPASS RC4"}}},
		{name: "FILEPASS CryptoAPI wrong password", file: "a.xls", typ: "xls", crypto: testCrypto(nil, nil),
			data: cfb(storage("", stream("Workbook", workbook(filePass(1, 4, 2))))),
			want: []want{{inspect.KindEncrypted, "Workbook", "FILEPASS RC4 CryptoAPI"}}},
		{name: "FILEPASS VelvetSweatshop hides XLM", file: "a.xls", typ: "xls", crypto: testCrypto(nil, plainWB),
			data:    cfb(storage("", stream("Workbook", workbook(filePass(1, 4, 2), boundSheet(0, 0x55, "\xff\xfe"))))),
			want:    []want{{inspect.KindMacro, "Workbook", `XLM macro sheet "Hidden1" (very hidden)`}},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		{name: "ppt encrypted Current User", file: "a.ppt", typ: "ppt",
			data: cfb(storage("", stream("Current User", currentUser(headerTokenEncrypted)), stream("PowerPoint Document", cat(make([]byte, 3), []byte("noise"))))),
			want: []want{{inspect.KindEncrypted, "PowerPoint Document", "PowerPoint encrypted (Current User headerToken)"}}},
		{name: "ppt CryptSession10Container", file: "a.ppt", typ: "ppt",
			data: cfb(storage("", stream("Current User", currentUser(headerTokenPlain)), stream("PowerPoint Document", pptContainer(rtCryptSession10, pptRecord(0, 0, 0x2F15, make([]byte, 30)))))),
			want: []want{{inspect.KindEncrypted, "PowerPoint Document", "PowerPoint encrypted (CryptSession10Container, RC4 CryptoAPI)"}}},
		{name: "ppt VBA and package object", file: "a.pps", typ: "pps", data: ppt,
			want: []want{
				{inspect.KindMacro, "PowerPoint Document", "PowerPoint VBA project"},
				{inspect.KindMacro, "PowerPoint Document/VBA project storage/VBA/dir", "VBA project"},
				{inspect.KindEmbeddedObject, "PowerPoint Document/ExOleObjStg@" + itoa(len(docRec)+len(vbaRec)), "OLE object (PowerPoint ExOleObjStg)"},
				{inspect.KindExecutable, "PowerPoint Document/ExOleObjStg@" + itoa(len(docRec)+len(vbaRec)) + `/\x01Ole10Native/run.exe`, "PE (test)"},
			},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		{name: "ppt embedded docx", file: "a.ppt", typ: "ppt",
			data: cfb(storage("", stream("PowerPoint Document", exOleObjStg(cfb(storage("",
				stream("\x01CompObj", compObj("Microsoft Word Document", "Word.Document.12")),
				stream("Package", ooxmlZip("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")))), true)))),
			want: []want{
				{inspect.KindEmbeddedObject, "PowerPoint Document/ExOleObjStg@0", "OLE object (PowerPoint ExOleObjStg)"},
				{inspect.KindEmbeddedObject, "PowerPoint Document/ExOleObjStg@0/Package", "zip seen (test)"},
			}},
		{name: "ppt without macros", file: "a.ppt", typ: "ppt",
			data:    cfb(storage("", stream("PowerPoint Document", vbaInfoDocument(0, 0)))),
			notKind: []inspect.Kind{inspect.KindMacro}},
		{name: "vbaProject.bin", file: "vbaProject.bin", typ: "ole", data: vbaBin,
			want:    []want{{inspect.KindMacro, "VBA/dir", "VBA project"}},
			notKind: []inspect.Kind{inspect.KindLegacyOffice}},
		{name: "ObjectPool Package with exe", file: "a.doc", typ: "doc", data: pkgWord,
			want: []want{
				{inspect.KindEmbeddedObject, "ObjectPool/_1234567890", "OLE object (Package)"},
				{inspect.KindExecutable, `ObjectPool/_1234567890/\x01Ole10Native/invoice.exe`, "PE (test)"},
			}},
		{name: "ActiveX and linked objects", file: "a.doc", typ: "doc",
			data: cfb(storage("", stream("WordDocument", fib(0)), storage("ObjectPool",
				storage("_1", stream("\x01CompObj", compObj("Microsoft Forms 2.0 CommandButton", "Forms.CommandButton.1")), stream("\x03OCXNAME", utf16z("CommandButton1")), stream("contents", make([]byte, 40))),
				storage("_2", stream("\x01CompObj", compObj("Microsoft Excel Worksheet", "Excel.Sheet.12")), stream("\x01Ole", cat(u32(0x02000001), u32(oleStreamLinked), make([]byte, 12))))))),
			want: []want{
				{inspect.KindActiveContent, "ObjectPool/_1", "ActiveX control (Forms.CommandButton.1)"},
				{inspect.KindExternalReference, "ObjectPool/_2", "linked OLE object (Excel.Sheet.12)"},
				{inspect.KindEmbeddedObject, "ObjectPool/_2", "OLE object (Excel.Sheet.12)"},
			}},
		{name: "Excel MBD with Package stream", file: "a.xls", typ: "xls",
			data: cfb(storage("", stream("Workbook", workbook()),
				storage("MBD0001", stream("\x01CompObj", compObj("Microsoft Word Document", "Word.Document.12")), stream("Package", ooxmlZip("application/vnd.ms-word.document.macroEnabled.main+xml"))))),
			want: []want{
				{inspect.KindEmbeddedObject, "MBD0001", "OLE object (Word.Document.12)"},
				{inspect.KindEmbeddedObject, "MBD0001/Package", "zip seen (test)"},
			}},
		{name: "MSI by class", file: "setup.bin", typ: "msi",
			data: cfbWithCLSID(clsidMSI, stream("\x05SummaryInformation", make([]byte, 48))),
			want: []want{{inspect.KindExecutable, "", "msi installer"}}},
		{name: "MSI by names", file: "setup.bin", typ: "msi",
			data: cfb(storage("", stream(string([]rune{0x4840, 0x3F3F, 0x4577}), make([]byte, 8)))),
			want: []want{{inspect.KindExecutable, "", "msi installer"}}},
		{name: "msg attachments", file: "mail.msg", typ: "msg", data: msg,
			want: []want{
				{inspect.KindExecutable, "__attach_version1.0_#00000000/Rechnung.exe", "PE (test)"},
				{inspect.KindExecutable, "__attach_version1.0_#00000001/__substg1.0_3701000D/__attach_version1.0_#00000000/inner.exe", "PE (test)"},
			}},
		{name: "encrypted docx", file: "Angebot.docx", typ: "docx",
			data: cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", cat(u32(100), make([]byte, 4), []byte("ciphertext"))), storage("\x06DataSpaces"))),
			want: []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile)"}}},
		{name: "encrypted package with crypto, wrong password", file: "x.xlsx", typ: "xlsx", crypto: testCrypto(nil, nil),
			data: cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("cipher")))),
			want: []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile AES-256 SHA-512)"}}},
		{name: "encrypted docm: the name claims macros", file: "Rechnung.docm", typ: "docm", crypto: testCrypto(nil, nil),
			data: cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("cipher")))),
			want: []want{
				{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile AES-256 SHA-512)"},
				{inspect.KindMacro, "EncryptedPackage", "macro-enabled .docm behind encryption (not verifiable)"},
			}},
		{name: "encrypted xlsx: no macro claimed", file: "Tabelle.xlsx", typ: "xlsx", crypto: testCrypto(nil, nil),
			data:    cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("cipher")))),
			want:    []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile AES-256 SHA-512)"}},
			notKind: []inspect.Kind{inspect.KindMacro}},
		{name: "encrypted package standard, unknown name", file: "blob", typ: "ole",
			data: cfb(storage("", stream("EncryptionInfo", standardInfo()), stream("EncryptedPackage", []byte("cipher")))),
			want: []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (standard)"}}},
		{name: "encrypted package VelvetSweatshop named for Excel", file: "x.xlsx", typ: "docm",
			crypto:  testCrypto(ooxmlZip("application/vnd.ms-word.document.macroEnabled.main+xml", "word/vbaProject.bin"), nil),
			data:    cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("velvet-cipher")))),
			want:    []want{{inspect.KindEmbeddedObject, "EncryptedPackage (VelvetSweatshop)", "zip seen (test)"}},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		{name: "encrypted package VelvetSweatshop without a name", file: "", typ: "docm",
			crypto:  testCrypto(ooxmlZip("application/vnd.ms-word.document.macroEnabled.main+xml", "word/vbaProject.bin"), nil),
			data:    cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("velvet-cipher")))),
			want:    []want{{inspect.KindEmbeddedObject, "EncryptedPackage (VelvetSweatshop)", "zip seen (test)"}},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		// Word and PowerPoint ask for a password whatever the key: not
		// tried, although the fake would decrypt it.
		{name: "encrypted package VelvetSweatshop named for Word", file: "x.docx", typ: "docx",
			crypto:  testCrypto(ooxmlZip("application/vnd.ms-word.document.macroEnabled.main+xml", "word/vbaProject.bin"), nil),
			data:    cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("velvet-cipher")))),
			want:    []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile AES-256 SHA-512)"}},
			notKind: []inspect.Kind{inspect.KindEmbeddedObject, inspect.KindMacro}},
		{name: "encrypted package VelvetSweatshop named .pptm", file: "Folien.pptm", typ: "pptm",
			crypto: testCrypto(ooxmlZip("application/vnd.ms-word.document.macroEnabled.main+xml", "word/vbaProject.bin"), nil),
			data:   cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("velvet-cipher")))),
			want: []want{
				{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile AES-256 SHA-512)"},
				{inspect.KindMacro, "EncryptedPackage", "macro-enabled .pptm behind encryption (not verifiable)"},
			},
			notKind: []inspect.Kind{inspect.KindEmbeddedObject}},
		{name: "plain ole", file: "thumbs.db", typ: "ole",
			data:    cfb(storage("", stream("Catalog", make([]byte, 40)))),
			notKind: []inspect.Kind{inspect.KindMacro, inspect.KindEncrypted, inspect.KindUnscannable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := inspectBytes(t, NewWithCrypto(tc.crypto), tc.file, tc.data)
			if res.Type != tc.typ {
				t.Errorf("type %q, want %q", res.Type, tc.typ)
			}
			for _, w := range tc.want {
				if !has(res, w) {
					t.Errorf("missing %+v in %+v", w, res.Findings)
				}
			}
			for _, k := range tc.notKind {
				if res.Has(k) {
					t.Errorf("unexpected %s in %+v", k, res.Findings)
				}
			}
			if res.Has(inspect.KindUnscannable) && !wantsKind(tc.want, inspect.KindUnscannable) {
				t.Errorf("unexpected unscannable: %+v", res.Findings)
			}
		})
	}
}

func wantsKind(ws []want, k inspect.Kind) bool {
	for _, w := range ws {
		if w.kind == k {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCorrupt: damaged files end in unscannable findings, never in a
// panic or a hang, and a damaged stream does not hide the rest.
func TestCorrupt(t *testing.T) {
	le := binary.LittleEndian
	wordMacro := storage("", stream("WordDocument", cat(fib(0), make([]byte, 5000))), vbaStorage("Macros"), stream("1Table", make([]byte, 5000)))
	tests := []struct {
		name   string
		mutate func(b []byte, l *cfbLayout) []byte
		want   []want
	}{
		{name: "truncated to the header", mutate: func(b []byte, l *cfbLayout) []byte { return b[:512] },
			want: []want{{inspect.KindUnscannable, "", "malformed compound file: no sectors after the header"}}},
		{name: "truncated in a stream", mutate: func(b []byte, l *cfbLayout) []byte {
			return b[:l.SectorSize*int64(l.Starts["WordDocument"]+3)]
		}, want: []want{{inspect.KindUnscannable, "WordDocument", ""}, {inspect.KindMacro, "Macros/VBA/dir", ""}}},
		{name: "FAT loop in a stream", mutate: func(b []byte, l *cfbLayout) []byte {
			s := l.Starts["WordDocument"]
			l.SetFAT(b, s+2, s)
			return b
		}, want: []want{
			{inspect.KindUnscannable, "WordDocument", ""},
			{inspect.KindMacro, "Macros/VBA/dir", "VBA project"},
		}},
		{name: "directory loop", mutate: func(b []byte, l *cfbLayout) []byte {
			le.PutUint32(l.DirEntry(b, l.Entries["Macros/VBA"])[76:], l.Entries["Macros"])
			return b
		}, want: []want{{inspect.KindUnscannable, "", ""}}},
		{name: "huge FAT sector count", mutate: func(b []byte, l *cfbLayout) []byte { le.PutUint32(b[44:], 0x7FFFFFFF); return b },
			want: []want{{inspect.KindUnscannable, "", ""}}},
		{name: "huge stream size", mutate: func(b []byte, l *cfbLayout) []byte {
			le.PutUint32(l.DirEntry(b, l.Entries["WordDocument"])[120:], 0xFFFFFF00)
			return b
		}, want: []want{{inspect.KindUnscannable, "WordDocument", ""}, {inspect.KindMacro, "", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, l := buildCFB(wordMacro, 9)
			b = tc.mutate(b, l)
			res := inspectBytes(t, New(), "a.doc", b)
			for _, w := range tc.want {
				if !has(res, w) {
					t.Errorf("missing %+v in %+v", w, res.Findings)
				}
			}
		})
	}
}

// TestOffcryptoFixtures runs the real offcrypto on the default-password
// fixtures its package generates (inspect/ole/offcrypto/testdata): keyed
// with the default password, they are not encrypted and their content is
// inspected; keyed with another password, they are encrypted.
func TestOffcryptoFixtures(t *testing.T) {
	tests := []struct {
		file    string
		name    string // the attachment's name when not file
		typ     string
		want    []want
		notKind []inspect.Kind
	}{
		{file: "agile_velvet.docx", name: "attachment", typ: "docx",
			want: []want{{inspect.KindEmbeddedObject, "EncryptedPackage (VelvetSweatshop)", "zip seen (test)"}}, notKind: []inspect.Kind{inspect.KindEncrypted}},
		{file: "standard_velvet.docx", name: "Tabelle.xlsx", typ: "docx",
			want: []want{{inspect.KindEmbeddedObject, "EncryptedPackage (VelvetSweatshop)", "zip seen (test)"}}, notKind: []inspect.Kind{inspect.KindEncrypted}},
		{file: "agile_velvet_aes128_sha1.xlsm", typ: "xlsm",
			want: []want{{inspect.KindEmbeddedObject, "EncryptedPackage (VelvetSweatshop)", "zip seen (test)"}}, notKind: []inspect.Kind{inspect.KindEncrypted}},
		// Word asks for a password: no trial under a Word name.
		{file: "agile_velvet.docx", typ: "docx",
			want: []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile AES-256 SHA-512)"}}, notKind: []inspect.Kind{inspect.KindEmbeddedObject}},
		{file: "agile_secret.docx", name: "attachment", typ: "ole",
			want: []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile AES-256 SHA-512)"}}},
		{file: "rc4_velvet.xls", typ: "xls",
			want: []want{{inspect.KindMacro, "Workbook", `XLM macro sheet "Macro1" (hidden)`}}, notKind: []inspect.Kind{inspect.KindEncrypted}},
		{file: "cryptoapi_velvet.xls", typ: "xls",
			want: []want{{inspect.KindMacro, "Workbook", `XLM macro sheet "Macro1" (hidden)`}}, notKind: []inspect.Kind{inspect.KindEncrypted}},
		{file: "xor_velvet.xls", typ: "xls",
			want: []want{{inspect.KindMacro, "Workbook", `XLM macro sheet "Macro1" (hidden)`}}, notKind: []inspect.Kind{inspect.KindEncrypted}},
		// PowerPoint opens a presentation keyed with its own default
		// password without asking: decrypted, the VBA project shows.
		{file: "cryptoapi_hannes.ppt", typ: "ppt",
			want: []want{{inspect.KindMacro, "PowerPoint Document", "PowerPoint VBA project"}}, notKind: []inspect.Kind{inspect.KindEncrypted}},
		{file: "cryptoapi_secret.ppt", typ: "ppt",
			want: []want{{inspect.KindEncrypted, "PowerPoint Document", "PowerPoint encrypted (Current User headerToken)"}}, notKind: []inspect.Kind{inspect.KindMacro}},
		{file: "rc4_secret.xls", typ: "xls",
			want: []want{{inspect.KindEncrypted, "Workbook", "FILEPASS RC4"}}, notKind: []inspect.Kind{inspect.KindMacro}},
	}
	for _, tc := range tests {
		name := tc.file
		if tc.name != "" {
			name = tc.name
		}
		t.Run(tc.file+"/"+name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("offcrypto", "testdata", tc.file))
			if errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("offcrypto fixture missing (committed in offcrypto/testdata): %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			res := inspectBytes(t, New(), name, b)
			if res.Type != tc.typ {
				t.Errorf("type %q, want %q", res.Type, tc.typ)
			}
			for _, w := range tc.want {
				if !has(res, w) {
					t.Errorf("missing %+v in %+v", w, res.Findings)
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

// TestMSIFromMsibuild checks installer detection on a database written by
// msitools (testdata/README.md), by its class and, with the class erased,
// by its encoded stream names.
func TestMSIFromMsibuild(t *testing.T) {
	b := inspecttest.ReadFile(t, filepath.Join("testdata", "msibuild.msi"))
	noClass := append([]byte(nil), b...)
	dir := (int64(binary.LittleEndian.Uint32(noClass[48:])) + 1) * 512
	clear(noClass[dir+80 : dir+96]) // the root entry's CLSID ([MS-CFB] 2.6.1)
	for name, data := range map[string][]byte{"class": b, "names": noClass} {
		res := inspectBytes(t, New(), "setup.bin", data)
		if res.Type != inspect.TypeMSI || !has(res, want{inspect.KindExecutable, "", "msi installer"}) {
			t.Errorf("%s: type %q findings %+v, want msi with an executable finding", name, res.Type, res.Findings)
		}
	}
}
