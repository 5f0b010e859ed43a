package all

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/mime"
	"github.com/officemilter/officemilter/inspect/officexml"
	ox "github.com/officemilter/officemilter/inspect/officexml/officexmltest"
)

const filesDir = "../../testdata/files"

func inspectBytes(e *inspect.Engine, name string, b []byte) *inspect.Result {
	return e.Inspect(context.Background(), name, "", bytes.NewReader(b), int64(len(b)))
}

// hasShellFinding reports a finding of kind k whose detail is detail and whose
// where ends with where.
func hasShellFinding(r *inspect.Result, k inspect.Kind, detail, where string) bool {
	for _, f := range r.Findings {
		if f.Kind == k && f.Detail == detail && strings.HasSuffix(f.Where, where) {
			return true
		}
	}
	return false
}

// attach returns a message with b attached as name.
func attach(name, ctype string, b []byte) []byte {
	return []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: shell\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n" +
		"--b1\r\nContent-Type: " + ctype + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + ox.Base64Lines(b, "\r\n") + "\r\n--b1--\r\n")
}

type shellWant struct {
	typ, declared string
	macro         string   // where the VBA project's dir stream is, by suffix ("" for none)
	more          []string // further findings: kind|detail|where suffix
}

// TestOfficeShells: the carriers attackers moved macros to are typed as
// Office would open them, and their VBA projects are reported, alone,
// renamed, and attached to a message.
func TestOfficeShells(t *testing.T) {
	e := NewEngine(inspect.Limits{})
	vba := "VBA/dir"
	files := map[string]shellWant{
		"word2003-macro.xml":           {typ: "wordxml", macro: "editdata.mso/inflated/" + vba, more: []string{"embedded-object|ActiveMime|editdata.mso"}},
		"word2003-macro.doc":           {typ: "doc", macro: "editdata.mso/inflated/" + vba, more: []string{"legacy-office|Word 2003 XML document named .doc|"}},
		"excel2003.xml":                {typ: "xlsxml"},
		"flatopc-word-macro.xml":       {typ: "flatopc", macro: "word/vbaProject.bin/" + vba, more: []string{"macro|vbaProject.bin in Flat OPC|word/vbaProject.bin"}},
		"flatopc-excel-macro.xml":      {typ: "flatopc", macro: "xl/vbaProject.bin/" + vba, more: []string{"macro|vbaProject.bin in Flat OPC|xl/vbaProject.bin"}},
		"flatopc-powerpoint-macro.xml": {typ: "flatopc", macro: "ppt/vbaProject.bin/" + vba, more: []string{"macro|vbaProject.bin in Flat OPC|ppt/vbaProject.bin"}},
		"mht-macro.doc":                {typ: "mht", declared: "doc", macro: "inflated/" + vba, more: []string{"legacy-office|by name: .doc (content: mht)|", "embedded-object|ActiveMime|"}},
		"editdata.mso":                 {typ: "activemime", macro: "inflated/" + vba},
	}
	for name, want := range files {
		b, err := os.ReadFile(filepath.Join(filesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		checkShell(t, e, name, b, want)
	}
	mht := ox.MHT(true)
	word := ox.WordXML(true)
	more := map[string]struct {
		b    []byte
		want shellWant
	}{
		"Brief.mht":    {mht, shellWant{typ: "mht", macro: "inflated/" + vba}},
		"Brief.mhtml":  {ox.MHT(false), shellWant{typ: "mht"}},
		"Tabelle.xls":  {mht, shellWant{typ: "mht", declared: "xls", macro: "inflated/" + vba, more: []string{"legacy-office|by name: .xls (content: mht)|"}}},
		"Brief.dot":    {word, shellWant{typ: "dot", macro: "editdata.mso/inflated/" + vba, more: []string{"legacy-office|Word 2003 XML document named .dot|"}}},
		"Brief.txt":    {word, shellWant{typ: "wordxml", declared: "txt", macro: "editdata.mso/inflated/" + vba}},
		"Tabelle.xls#": {ox.ExcelXML(), shellWant{typ: "xls", more: []string{"legacy-office|Excel 2003 XML workbook named .xls|"}}},
		// Attached to a message: the findings reach the message.
		"mht.eml":  {attach("Angebot.doc", "application/msword", mht), shellWant{typ: "eml", macro: "Angebot.doc/part-2/inflated/" + vba, more: []string{"legacy-office|by name: .doc (content: mht)|Angebot.doc"}}},
		"word.eml": {attach("Brief.doc", "application/msword", word), shellWant{typ: "eml", macro: "Brief.doc/editdata.mso/inflated/" + vba, more: []string{"legacy-office|Word 2003 XML document named .doc|Brief.doc"}}},
		"flat.eml": {attach("Folien.xml", "text/xml", ox.FlatOPC(ox.PowerPoint, true)), shellWant{typ: "eml", macro: "Folien.xml/ppt/vbaProject.bin/" + vba}},
	}
	for name, m := range more {
		checkShell(t, e, strings.TrimSuffix(name, "#"), m.b, m.want)
	}
}

func checkShell(t *testing.T, e *inspect.Engine, name string, b []byte, want shellWant) {
	t.Helper()
	r := inspectBytes(e, name, b)
	if r.Type != want.typ || r.Declared != want.declared {
		t.Errorf("%s: type %q declared %q, want %q %q", name, r.Type, r.Declared, want.typ, want.declared)
	}
	if want.macro != "" && !hasShellFinding(r, inspect.KindMacro, "VBA project", want.macro) {
		t.Errorf("%s: no VBA project at ...%s in %+v", name, want.macro, r.Findings)
	}
	if want.macro == "" && r.Has(inspect.KindMacro) {
		t.Errorf("%s: macro reported in %+v", name, r.Findings)
	}
	for _, m := range want.more {
		f := strings.SplitN(m, "|", 3)
		if !hasShellFinding(r, inspect.Kind(f[0]), f[1], f[2]) {
			t.Errorf("%s: no %s in %+v", name, m, r.Findings)
		}
	}
	if r.Has(inspect.KindUnscannable) {
		t.Errorf("%s: unscannable in %+v", name, r.Findings)
	}
}

// TestActiveMimeBombEngine: an ActiveMime blob that inflates past the ratio
// is unscannable, never clean.
func TestActiveMimeBombEngine(t *testing.T) {
	e := NewEngine(inspect.Limits{MaxRatio: 50})
	r := inspectBytes(e, "editdata.mso", ox.ActiveMime(make([]byte, 8<<20)))
	if !hasShellFinding(r, inspect.KindUnscannable, "limit ratio=50", officexml.ChildName) {
		t.Errorf("bomb: %+v", r.Findings)
	}
}

// olefilePython returns a Python 3 that can import olefile (Debian's
// python3-olefile lives beside /usr/bin/python3, which may not be the
// python3 first in PATH).
func olefilePython(t *testing.T) string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if err := exec.Command(py, "-c", "import olefile").Run(); err == nil {
			return py
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3 with olefile (Debian python3-olefile) is missing under CI")
	}
	t.Skip("python3 with olefile not available (apt-get install python3-olefile)")
	return ""
}

// olefileScript lists every stream of the compound files named on the
// command line as "file<TAB>storage/.../stream".
const olefileScript = `
import sys, olefile
for path in sys.argv[1:]:
    with olefile.OleFileIO(path) as ole:
        for entry in ole.listdir(streams=True, storages=False):
            print(path + "\t" + "/".join(entry))
`

// compoundFiles returns the compound files a shell carries, as
// officemilter's inspectors extract them (without the engine): decoded
// payloads, MIME parts, inflated ActiveMime blobs.
func compoundFiles(t *testing.T, name string, b []byte) [][]byte {
	t.Helper()
	magic := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	part := func(b []byte) inspect.Part {
		return inspect.Part{Name: name, Size: int64(len(b)), R: bytes.NewReader(b), Limits: inspect.DefaultLimits}
	}
	var out [][]byte
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		if depth > 4 {
			return
		}
		rec := &inspecttest.Recorder{}
		var ins inspect.Inspector
		switch inspect.Sniff(bytes.NewReader(b), int64(len(b)), name) {
		case inspect.FamilyOLE:
			out = append(out, b)
			return
		case inspect.FamilyOfficeXML:
			ins = officexml.New()
		case inspect.FamilyActiveMime:
			ins = officexml.NewActiveMime()
		case inspect.FamilyEML:
			ins = mime.New(mime.Limits{})
		default:
			return
		}
		if err := ins.Inspect(context.Background(), part(b), rec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range rec.Children {
			if bytes.HasPrefix(c.Data, magic) {
				out = append(out, c.Data)
				continue
			}
			walk(c.Data, depth+1)
		}
	}
	walk(b, 0)
	return out
}

// TestOfficeShellsOlefile checks the compound files inside the shells with
// an independent reader, Debian's python3-olefile: wherever officemilter
// reports a macro, olefile must see a VBA project storage (VBA/dir) in a
// compound file officemilter's inspectors extracted — and where it
// reports none, olefile must see none.
func TestOfficeShellsOlefile(t *testing.T) {
	py := olefilePython(t)
	e := NewEngine(inspect.Limits{})
	dir := t.TempDir()
	names := []string{"word2003-macro.xml", "word2003-macro.doc", "excel2003.xml", "flatopc-word-macro.xml",
		"flatopc-excel-macro.xml", "flatopc-powerpoint-macro.xml", "mht-macro.doc", "editdata.mso"}
	// A compound file without a VBA project, carried as Word carries OLE
	// objects (oledata.mso): olefile and officemilter must both see no macro.
	object := ox.ActiveMime(inspecttest.CFB(map[string][]byte{"ObjInfo": make([]byte, 6), "Data": []byte("no macros here")}))
	oleData := `<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:docOleData><w:binData w:name="oledata.mso">` +
		ox.Base64Lines(object, "\n") + `</w:binData></w:docOleData><w:body/></w:wordDocument>`
	extra := map[string][]byte{"word-clean.xml": ox.WordXML(false), "flat-clean.xml": ox.FlatOPC(ox.Word, false), "mht-clean.mht": ox.MHT(false),
		"word-object.xml": []byte(oleData)}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(filesDir, n))
		if err != nil {
			t.Fatal(err)
		}
		extra[n] = b
	}
	for name, b := range extra {
		cfbs := compoundFiles(t, name, b)
		var paths []string
		for i, c := range cfbs {
			p := filepath.Join(dir, strings.ReplaceAll(name, ".", "_")+"-"+string(rune('a'+i))+".cfb")
			if err := os.WriteFile(p, c, 0o600); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		vba := false
		if len(paths) > 0 {
			out, err := exec.Command(py, append([]string{"-c", olefileScript}, paths...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: olefile: %v\n%s", name, err, out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.SplitN(line, "\t", 2); len(f) == 2 && (strings.EqualFold(f[1], "VBA/dir") || strings.HasSuffix(strings.ToLower(f[1]), "/vba/dir")) {
					vba = true
				}
			}
		}
		macro := inspectBytes(e, name, b).Has(inspect.KindMacro)
		if macro != vba {
			t.Errorf("%s: officemilter macro=%v, olefile sees a VBA project=%v (%d compound files)", name, macro, vba, len(paths))
		}
	}
}
