package text

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

// noChildren records what the inspector reports; the text formats have
// no nested content, so a child fails the inspection.
func noChildren() *inspecttest.Recorder {
	return &inspecttest.Recorder{OnChild: func(inspecttest.Child) error { return errors.New("no children expected") }}
}

func run(fam inspect.Family, b []byte) (*inspecttest.Recorder, error) {
	r := noChildren()
	p := inspect.Part{Name: "f", Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: inspect.DefaultLimits}
	return r, New().Inspect(context.Background(), p, r)
}

type want struct {
	kind   inspect.Kind
	detail string
}

const armor = "-----BEGIN PGP MESSAGE-----\n\nhQEMA5Zx0b1k2C3aAQf/bWlkZGxl\n=abcd\n-----END PGP MESSAGE-----\n"

func utf16le(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

func TestText(t *testing.T) {
	pad := strings.Repeat("padding line of plain text\n", 100000) // 2.7 MB
	tests := []struct {
		name string
		text []byte
		want []want
	}{
		{"plain", []byte("Hello,\nthis is plain text.\n"), nil},
		{"armored", []byte(armor), []want{{inspect.KindEncrypted, "pgp-encrypted"}}},
		{"armored after text", []byte("Hi Bob,\r\n\r\n" + armor), []want{{inspect.KindEncrypted, "pgp-encrypted"}}},
		{"armored, indented", []byte("Hi\n   " + armor), []want{{inspect.KindEncrypted, "pgp-encrypted"}}},
		{"armored after padding", []byte(pad + armor), []want{{inspect.KindEncrypted, "pgp-encrypted"}}},
		{"marker across chunk boundary", []byte(strings.Repeat("x", chunk-10) + "\n" + armor), []want{{inspect.KindEncrypted, "pgp-encrypted"}}},
		{"armored UTF-16", utf16le("Hi\r\n" + armor), []want{{inspect.KindEncrypted, "pgp-encrypted"}}},
		{"mentioned mid-line", []byte("the header is -----BEGIN PGP MESSAGE----- in armor\n"), nil},
		{"quoted", []byte("> -----BEGIN PGP MESSAGE-----\n"), nil},
		{"signed only", []byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhello\n"), nil},
		{"public key", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := run(inspect.FamilyText, tc.text)
			check(t, r, err, inspect.TypeTXT, tc.want)
		})
	}
}

func check(t *testing.T, r *inspecttest.Recorder, err error, typ string, w []want) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != typ {
		t.Errorf("type %q, want %q", r.Type, typ)
	}
	if len(r.Findings) != len(w) {
		t.Fatalf("findings %+v, want %+v", r.Findings, w)
	}
	for i := range w {
		if r.Findings[i].Kind != w[i].kind || r.Findings[i].Detail != w[i].detail {
			t.Errorf("finding %+v, want %+v", r.Findings[i], w[i])
		}
	}
}

// sylk builds a SYLK file from records (CRLF line ends, as Excel writes).
func sylk(records ...string) []byte {
	return []byte("ID;PWXL;N;E\r\n" + strings.Join(records, "\r\n") + "\r\nE\r\n")
}

func TestSLK(t *testing.T) {
	tests := []struct {
		name string
		slk  []byte
		want []want
	}{
		{"values only", sylk(`C;Y1;X1;K"Name"`, `C;X2;K42`, `C;X3;K1.5;ER1C2*2`), nil},
		{"EXEC", sylk(`C;X1;Y1;K0;EEXEC("calc.exe")`, `C;X1;Y2;K0;EHALT()`),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (EXEC)"}}},
		{"macro sheet", sylk(`O;L;E`, `C;X1;Y1;K0;ECALL("Kernel32","WinExec","JCJ","calc",0)`),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (O;E macro sheet)"}, {inspect.KindMacro, "SYLK Excel 4 macro (CALL)"}}},
		{"REGISTER and RUN, lower case with spaces", sylk(`C;X1;Y1;Eregister ("a")`, `C;X1;Y2;E=IF(TRUE,run(R1C1))`),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (REGISTER)"}, {inspect.KindMacro, "SYLK Excel 4 macro (RUN)"}}},
		{"Auto_Open name", sylk(`NN;NAuto_open;ER1C1`),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (Auto_open)"}}},
		{"escaped semicolon keeps the field", sylk(`C;X1;Y1;EFOO(";;");;EXEC(1)`),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (EXEC)"}}},
		{"function name in a string", sylk(`C;X1;Y1;K"EXEC(";ECONCAT("EXEC(x)")`), nil},
		{"longer names are not the function", sylk(`C;X1;Y1;EMYEXEC(1)+EXECUTE(2)+RUNNER(3)`), nil},
		{"E of another record", sylk(`F;P0;DG0G8;E`), nil},
		{"DDE", sylk(`C;X1;Y1;K0;ECMD|' /C calc.exe'!A0`),
			[]want{{inspect.KindActiveContent, "SYLK DDE formula: CMD|' /C calc.exe'!A0"}}},
		{"pipe in a string is not DDE", sylk(`C;X1;Y1;E"a|b"&"!"`), nil},
		{"LF line ends and BOM", []byte("\xef\xbb\xbfID;P\nC;X1;Y1;EEXEC(1)\n"),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (EXEC)"}}},
		{"no final newline", []byte("ID;P\r\nC;X1;Y1;EEXEC(1)"),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (EXEC)"}}},
		{"long expression", sylk(`C;X1;Y1;E` + strings.Repeat("1+", 100000) + `EXEC(1)`),
			[]want{{inspect.KindMacro, "SYLK Excel 4 macro (EXEC)"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := run(inspect.FamilySLK, tc.slk)
			check(t, r, err, inspect.TypeSLK, tc.want)
		})
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := []byte(armor)
	p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyText}
	if err := New().Inspect(ctx, p, noChildren()); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

// TestEngine: sniffing sends "ID;P" files here, and the engine keeps the
// findings.
func TestEngine(t *testing.T) {
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilySLK: New(), inspect.FamilyText: New()}, inspect.Limits{})
	b := sylk(`C;X1;Y1;EEXEC("cmd")`)
	res := e.Inspect(context.Background(), "a.slk", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != "slk" || !res.Has(inspect.KindMacro) {
		t.Fatalf("%+v", res)
	}
	b = []byte("Hi\n" + armor)
	res = e.Inspect(context.Background(), "mail.txt", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != "txt" || !res.Has(inspect.KindEncrypted) {
		t.Fatalf("%+v", res)
	}
}

// TestCorpus reads the shared corpus in place: its text files are clean.
func TestCorpus(t *testing.T) {
	dir := filepath.Join(inspecttest.CorpusPath(t), "text")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("shared corpus missing under CI")
		}
		t.Skip("shared corpus not available")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := run(inspect.FamilyText, b)
		check(t, r, err, inspect.TypeTXT, nil)
	}
}

func TestSLKFindingCap(t *testing.T) {
	var recs []string
	for i := 0; i < 3*maxFindings; i++ {
		recs = append(recs, fmt.Sprintf(`C;X1;Y%d;ECMD|'/c calc%d'!A0`, i+1, i))
	}
	r, err := run(inspect.FamilySLK, sylk(recs...))
	if err != nil || len(r.Findings) != maxFindings+1 || r.Findings[maxFindings].Kind != inspect.KindUnscannable {
		t.Fatalf("err %v, %d findings", err, len(r.Findings))
	}
}

func TestAppInstaller(t *testing.T) {
	const ai = `<?xml version="1.0" encoding="utf-8"?>
<!-- written by hand -->
<AppInstaller xmlns="http://schemas.microsoft.com/appx/appinstaller/2021" Version="1.0.0.0" Uri="https://example.invalid/app.appinstaller">
  <MainPackage Name="Contoso.App" Publisher="CN=Contoso" Version="1.0.0.0" Uri="https://example.invalid/app.msix"/>
</AppInstaller>`
	tests := []struct {
		name string
		text []byte
		typ  string
		want []want
	}{
		{"appinstaller", []byte(ai), "appinstaller", []want{{inspect.KindExecutable, "App Installer file"}}},
		{"with a prefix and a BOM", []byte("\xEF\xBB\xBF<a:AppInstaller xmlns:a=\"http://schemas.microsoft.com/appx/appinstaller/2017/2\"/>"),
			"appinstaller", []want{{inspect.KindExecutable, "App Installer file"}}},
		{"UTF-16", utf16le(ai), "appinstaller", []want{{inspect.KindExecutable, "App Installer file"}}},
		{"other root naming the namespace", []byte(`<Notes>see http://schemas.microsoft.com/appx/appinstaller/2021 and <AppInstaller/></Notes>`), "txt", nil},
		{"root without the namespace", []byte(`<AppInstaller xmlns="urn:x"/>`), "txt", nil},
		{"plain text", []byte("AppInstaller http://schemas.microsoft.com/appx/appinstaller/2021"), "txt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := run(inspect.FamilyText, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if r.Type != tt.typ {
				t.Errorf("type %q, want %q", r.Type, tt.typ)
			}
			var got []want
			for _, f := range r.Findings {
				got = append(got, want{f.Kind, f.Detail})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
		})
	}
}
