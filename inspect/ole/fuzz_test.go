package ole

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// fuzzSeeds are generated fixtures covering every structure the reader and
// the inspector parse.
func fuzzSeeds() [][]byte {
	docRec := vbaInfoDocument(1, 1)
	vbaRec := exOleObjStg(cfb(vbaStorage("")), true)
	return [][]byte{
		cfb(storage("", stream("WordDocument", fib(fEncrypted)), stream("0Table", encHeader(4, 2)), vbaStorage("Macros"))),
		cfb(storage("", stream("Workbook", workbook(boundSheet(1, dtMacroSheet, "Macro1"), autoOpenLbl(), filePass(1, 1, 1))))),
		cfb(storage("", stream("Current User", currentUser(headerTokenPlain)), stream("PowerPoint Document", cat(docRec, vbaRec, persistDir(1, uint32(len(docRec))))))),
		cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", make([]byte, 5000)))),
		cfb(storage("", stream("WordDocument", fib(0)), storage("ObjectPool", storage("_1", stream("\x01CompObj", compObj("Package", "Package")), stream("\x01Ole10Native", ole10Native("a.exe", peFile)))))),
		cfb(storage("", stream("__properties_version1.0", make([]byte, 32)), storage("__attach_version1.0_#00000000", stream("__substg1.0_3707001F", utf16z("a.exe")), stream("__substg1.0_37010102", peFile)))),
		cfbWithCLSID(clsidMSI, stream("x", make([]byte, 10))),
		// Two main streams: an encrypted package beside a decoy, a
		// rights-managed document, a workbook in both BIFF versions.
		cfb(storage("", stream("EncryptionInfo", agileInfo()), stream("EncryptedPackage", make([]byte, 300)), stream("WordDocument", fib(0)), stream("Workbook", workbook()))),
		cfb(storage("", stream("\x09DRMContent", make([]byte, 100)), storage("\x06DataSpaces"), stream("PowerPoint Document", vbaInfoDocument(0, 0)))),
		cfb(storage("", stream("Workbook", workbook()), stream("Book", workbook(boundSheet(0, dtMacroSheet, "M"))))),
		func() []byte {
			b, _ := buildCFB(storage("", stream("big", fill(9000, 1)), stream("s", fill(100, 2))), 12)
			return b
		}(),
		// Password protections: a Dop, sheet substreams, a tag blob.
		protectedDoc(fWriteReserved, dop97(dopLockAtn, dopProtEnabled, 0x1234)),
		xlsFile(xlsWorkbook([][]byte{fileSharing(1, 2), protect(1), password(3)},
			[]xlSheet{{"A", [][]byte{protect(1), password(4)}}, {"B", [][]byte{sheetBOF(), protect(1), password(5), eof()}}}, nil)),
		pptWithTags(modifyPasswordAtom("pw")),
	}
}

func FuzzCFB(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		inspecttest.NoHang(t, 5*time.Second, func() { walkFuzzCFB(t, in) })
	})
}

// walkFuzzCFB opens in as a compound file and reads every stream.
func walkFuzzCFB(t *testing.T, in []byte) {
	cf, err := openCFB(context.Background(), bytes.NewReader(in), int64(len(in)), 1<<16)
	if err != nil {
		return
	}
	// Open and read every stream; nothing may panic or read outside.
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if depth > maxNesting {
			return
		}
		for _, k := range n.kids {
			if k.isStorage() {
				walk(k, depth+1)
				continue
			}
			sr, err := cf.open(k, k.name)
			if err != nil {
				continue
			}
			if sr.Size() > int64(len(in))*2 {
				t.Errorf("stream %q of %d bytes in a %d-byte file", k.name, sr.Size(), len(in))
				return
			}
			io.Copy(io.Discard, sr)
		}
	}
	walk(cf.root, 0)
}

func FuzzInspect(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{
		inspect.FamilyOLE: NewWithCrypto(testCrypto(nil, nil)),
		inspect.FamilyPE:  fakeExe{},
	}, inspect.Limits{MaxOLESectors: 1 << 16, MaxTime: 5 * time.Second, MaxPartSize: 1 << 20, MaxTotalSize: 4 << 20})
	f.Fuzz(func(t *testing.T, in []byte) {
		var res *inspect.Result
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() {
			res = e.Inspect(context.Background(), "f.doc", "", bytes.NewReader(in), int64(len(in)))
		})
		if e.Panics() != 0 {
			t.Fatalf("inspector panicked: %+v", res.Findings)
		}
		inspecttest.CheckResult(t, res)
	})
}
