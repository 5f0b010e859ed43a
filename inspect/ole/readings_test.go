package ole

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/richardlehane/mscfb"

	"github.com/officemilter/officemilter/inspect"
)

// TestReadings: a compound file with the main streams of two documents is
// ambiguous, every reading is inspected, and the most dangerous one decides
// the type.
func TestReadings(t *testing.T) {
	encrypted := []tNode{stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", cat(u32(100), make([]byte, 4), []byte("ciphertext"))), storage("\x06DataSpaces")}
	decoy := []tNode{stream("WordDocument", fib(0)), stream("1Table", make([]byte, 100))}
	macroWB := stream("Workbook", workbook(boundSheet(1, dtMacroSheet, "Macro1")))
	plainWB := stream("Workbook", workbook(boundSheet(0, 0, "Sheet1")))
	docm := ooxmlZip("application/vnd.ms-word.document.macroEnabled.main+xml", "word/vbaProject.bin")
	msgStreams := []tNode{stream("__properties_version1.0", make([]byte, 32)), stream("__substg1.0_0037001F", utf16z("subject"))}
	ppt := stream("PowerPoint Document", vbaInfoDocument(0, 0))

	tests := []struct {
		name    string
		file    string
		crypto  Crypto
		root    tStorage
		typ     string
		streams []string // main streams mscfb must see at the root
		want    []want
		notKind []inspect.Kind
	}{
		{name: "encrypted docx with decoy WordDocument", file: "Antrag.docx",
			root: storage("", append(append([]tNode{}, encrypted...), decoy...)...), typ: "docx",
			streams: []string{"EncryptedPackage", "EncryptionInfo", "WordDocument"},
			want: []want{
				{inspect.KindAmbiguous, "", "compound file with two main streams: EncryptedPackage and WordDocument"},
				{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile)"},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
			}},
		{name: "decoy named .doc", file: "Antrag.doc",
			root: storage("", append(append([]tNode{}, decoy...), encrypted...)...), typ: "ole",
			streams: []string{"EncryptedPackage", "WordDocument"},
			want: []want{
				{inspect.KindAmbiguous, "", "compound file with two main streams: EncryptedPackage and WordDocument"},
				{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (agile)"},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
			}},
		{name: "decoy beside a package that opens with the default password", file: "x.xlsx",
			crypto: testCrypto(docm, nil),
			root:   storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", []byte("velvet-cipher")), stream("WordDocument", fib(0))), typ: "docm",
			streams: []string{"EncryptedPackage", "WordDocument"},
			want: []want{
				{inspect.KindAmbiguous, "", "compound file with two main streams: EncryptedPackage and WordDocument"},
				{inspect.KindEmbeddedObject, "EncryptedPackage (VelvetSweatshop)", "zip seen (test)"},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
			},
			notKind: []inspect.Kind{inspect.KindEncrypted}},
		{name: "WordDocument beside Workbook", file: "a.doc",
			root: storage("", stream("WordDocument", fib(0)), plainWB), typ: "doc",
			streams: []string{"WordDocument", "Workbook"},
			want: []want{
				{inspect.KindAmbiguous, "", "compound file with two main streams: WordDocument and Workbook"},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
				{inspect.KindLegacyOffice, "", "Excel 97-2003 workbook"},
			}},
		{name: "Workbook with XLM beside a Word document", file: "a.doc",
			root: storage("", stream("WordDocument", fib(0)), macroWB), typ: "xls",
			streams: []string{"WordDocument", "Workbook"},
			want: []want{
				{inspect.KindAmbiguous, "", "compound file with two main streams: WordDocument and Workbook"},
				{inspect.KindMacro, "Workbook", `XLM macro sheet "Macro1" (hidden)`},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
				{inspect.KindLegacyOffice, "", "Excel 97-2003 workbook"},
			}},
		{name: "encrypted Word beside plain PowerPoint and a message", file: "a.bin",
			root: storage("", append([]tNode{stream("WordDocument", fib(fEncrypted|fObfuscated)), ppt}, msgStreams...)...), typ: "doc",
			streams: []string{"WordDocument", "PowerPoint Document", "__properties_version1.0"},
			want: []want{
				{inspect.KindAmbiguous, "", "compound file with three main streams: WordDocument, PowerPoint Document and __properties_version1.0"},
				{inspect.KindEncrypted, "WordDocument", "Word fEncrypted (XOR obfuscation)"},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
				{inspect.KindLegacyOffice, "", "PowerPoint 97-2003 presentation"},
			}},
		{name: "installer tables beside a Word document", file: "a.doc",
			root: storage("", stream("WordDocument", fib(0)), stream(string([]rune{0x4840, 0x3F3F, 0x4577}), make([]byte, 8))), typ: "msi",
			streams: []string{"WordDocument"},
			want: []want{
				{inspect.KindAmbiguous, "", "compound file with two main streams: installer database and WordDocument"},
				{inspect.KindExecutable, "", "msi installer"},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
			}},
		{name: "package payload beside a Word document", file: "a.doc",
			root: storage("", stream("WordDocument", fib(0)), stream("\x01Ole10Native", ole10Native("run.exe", peFile))), typ: "doc",
			streams: []string{"WordDocument", "\x01Ole10Native"},
			want: []want{
				{inspect.KindAmbiguous, "", `compound file with two main streams: WordDocument and \x01Ole10Native`},
				{inspect.KindExecutable, `\x01Ole10Native/run.exe`, "PE (test)"},
			}},
		{name: "rights-managed Word document with its placeholder", file: "a.doc",
			root: storage("", stream("\x09DRMContent", make([]byte, 300)), storage("\x06DataSpaces"), stream("WordDocument", fib(0))), typ: "ole",
			streams: []string{"\x09DRMContent", "WordDocument"},
			want: []want{
				{inspect.KindAmbiguous, "", `compound file with two main streams: \x09DRMContent and WordDocument`},
				{inspect.KindEncrypted, `\x09DRMContent`, "rights-managed (IRM) content"},
				{inspect.KindLegacyOffice, "", "Word 97-2003 document"},
			}},
		{name: "rights-managed OOXML package", file: "a.docx",
			root: storage("", stream("EncryptedPackage", make([]byte, 300)), storage("\x06DataSpaces")), typ: "docx",
			streams: []string{"EncryptedPackage"},
			want:    []want{{inspect.KindEncrypted, "EncryptedPackage", "EncryptedPackage (rights-managed)"}},
			notKind: []inspect.Kind{inspect.KindAmbiguous}},
		{name: "dual-format workbook: both streams, one reading", file: "a.xls",
			root: storage("", plainWB, stream("Book", cat(biffRec(rtBOF, cat(u16(0x0500), u16(0x0005), make([]byte, 4))), biffRec(rtBoundSheet8, cat(u32(0), []byte{0, dtMacroSheet, 2}, []byte("M1"))), eof()))), typ: "xls",
			streams: []string{"Workbook", "Book"},
			want:    []want{{inspect.KindMacro, "Book", `XLM macro sheet "M1"`}},
			notKind: []inspect.Kind{inspect.KindAmbiguous}},
		{name: "two readings in an embedded object", file: "a.doc",
			root: storage("", stream("WordDocument", fib(0)), storage("ObjectPool", storage("_1",
				stream("\x01CompObj", compObj("Microsoft Word Document", "Word.Document.8")),
				stream("WordDocument", fib(0)), stream("EncryptionInfo", standardInfo()), stream("EncryptedPackage", []byte("cipher"))))), typ: "doc",
			streams: []string{"WordDocument"},
			want: []want{
				{inspect.KindAmbiguous, "ObjectPool/_1", "compound file with two main streams: EncryptedPackage and WordDocument"},
				{inspect.KindEncrypted, "ObjectPool/_1/EncryptedPackage", "EncryptedPackage (standard)"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := cfb(tc.root)
			checkMscfbRoot(t, data, tc.streams)
			res := inspectBytes(t, NewWithCrypto(tc.crypto), tc.file, data)
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
			if res.Has(inspect.KindUnscannable) {
				t.Errorf("unexpected unscannable: %+v", res.Findings)
			}
		})
	}
}

// checkMscfbRoot asks an independent reader (github.com/richardlehane/mscfb)
// whether the fixture holds the named streams at its root, with the content
// our reader sees.
func checkMscfbRoot(t *testing.T, data []byte, names []string) {
	t.Helper()
	doc, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("mscfb: %v", err)
	}
	seen := map[string][]byte{}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		if len(e.Path) != 0 || e.FileInfo().IsDir() {
			continue
		}
		name := e.Name
		if e.Initial != 0 && name != "" && rune(e.Initial) != []rune(name)[0] {
			name = string(rune(e.Initial)) + name
		}
		b := make([]byte, e.Size)
		if _, err := io.ReadFull(e, b); err != nil {
			t.Fatalf("mscfb read %q: %v", name, err)
		}
		seen[strings.ToLower(name)] = b
	}
	f, err := openCFB(context.Background(), bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	mine := walkStreams(t, f)
	for _, n := range names {
		b, ok := seen[strings.ToLower(n)]
		if !ok {
			t.Errorf("mscfb does not see stream %q at the root (it sees %d streams)", n, len(seen))
			continue
		}
		if got, ok := mine[n]; !ok || !bytes.Equal(got, b) {
			t.Errorf("stream %q: mscfb and our reader disagree", n)
		}
	}
}
