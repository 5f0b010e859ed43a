package offcrypto

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

var update = flag.Bool("update", false, "rewrite the generated fixtures under testdata/")

// fixture is one generated encrypted file under testdata/. Generation is
// deterministic (seeded ChaCha8, stored zips, a fixed compound file layout),
// so TestFixtures can check that the committed file is exactly what this
// code makes.
type fixture struct {
	name     string
	password string // the password it was encrypted with
	seed     uint64
	make     func(password string, seed uint64) (file, plain []byte)
}

func agileFixture(plain func() []byte, s agileSpec) func(string, uint64) ([]byte, []byte) {
	return func(pw string, seed uint64) ([]byte, []byte) {
		p := plain()
		info, pkg := encryptAgile(p, pw, s, testRand(seed))
		return encryptedOOXML(info, pkg), p
	}
}

func standardFixture(plain func() []byte, keyBits int) func(string, uint64) ([]byte, []byte) {
	return func(pw string, seed uint64) ([]byte, []byte) {
		p := plain()
		info, pkg := encryptStandard(p, pw, keyBits, testRand(seed))
		return encryptedOOXML(info, pkg), p
	}
}

func xlsFixture(method string) func(string, uint64) ([]byte, []byte) {
	return func(pw string, seed uint64) ([]byte, []byte) {
		plain, enc := encryptedWorkbook(method, pw, testRand(seed))
		return xlsFile(enc), plain
	}
}

const otherPassword = "Secret#2024"

var fixtures = []fixture{
	{"agile_velvet.docx", DefaultPassword, 1, agileFixture(plainDocx, agileSpec{256, "SHA512", 100000})},
	{"agile_velvet_aes128_sha1.xlsm", DefaultPassword, 2, agileFixture(plainXlsm, agileSpec{128, "SHA1", 100000})},
	{"agile_secret.docx", otherPassword, 3, agileFixture(plainDocx, agileSpec{256, "SHA512", 100000})},
	{"standard_velvet.docx", DefaultPassword, 4, standardFixture(plainDocx, 128)},
	{"standard_velvet_aes256.xlsm", DefaultPassword, 5, standardFixture(plainXlsm, 256)},
	{"rc4_velvet.xls", DefaultPassword, 6, xlsFixture("rc4")},
	{"cryptoapi_velvet.xls", DefaultPassword, 7, xlsFixture("cryptoapi")},
	{"cryptoapi40_velvet.xls", DefaultPassword, 8, xlsFixture("cryptoapi40")},
	{"xor_velvet.xls", DefaultPassword, 9, xlsFixture("xor")},
	{"rc4_secret.xls", otherPassword, 10, xlsFixture("rc4")},
	{"cryptoapi_hannes.ppt", PowerPointDefaultPassword, 11, pptFixture(128)},
	{"cryptoapi_secret.ppt", otherPassword, 12, pptFixture(128)},
}

// decryptFile decrypts a compound file holding either a Workbook stream or
// EncryptionInfo + EncryptedPackage.
func decryptFile(t testing.TB, file []byte, password string) ([]byte, error) {
	t.Helper()
	s := inspecttest.MscfbStreams(t, file)
	var out bytes.Buffer
	if doc, ok := s["PowerPoint Document"]; ok {
		err := DecryptPresentation(s["Current User"], bytes.NewReader(doc), int64(len(doc)), password, &out)
		return out.Bytes(), err
	}
	if wb, ok := s["Workbook"]; ok {
		err := DecryptWorkbook(bytes.NewReader(wb), int64(len(wb)), password, &out)
		return out.Bytes(), err
	}
	info, pkg := s["EncryptionInfo"], s["EncryptedPackage"]
	if info == nil || pkg == nil {
		t.Fatal("neither Workbook nor EncryptionInfo/EncryptedPackage")
	}
	err := DecryptPackage(info, bytes.NewReader(pkg), int64(len(pkg)), password, &out)
	return out.Bytes(), err
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			file, plain := fx.make(fx.password, fx.seed)
			path := filepath.Join("testdata", fx.name)
			if *update {
				if err := os.WriteFile(path, file, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			committed, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestFixtures -update)", err)
			}
			if !bytes.Equal(committed, file) {
				t.Errorf("%s differs from what the generator makes now (run go test -run TestFixtures -update)", path)
			}

			got, err := decryptFile(t, committed, fx.password)
			if err != nil {
				t.Fatalf("decrypt with %q: %v", fx.password, err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("decrypted %d bytes differ from the %d plain bytes", len(got), len(plain))
			}
			switch {
			case strings.HasSuffix(fx.name, ".ppt"):
				if typ := binary.LittleEndian.Uint16(got[2:]); typ != 0x03E8 {
					t.Errorf("first record %#x, want the DocumentContainer", typ)
				}
			case strings.HasSuffix(fx.name, ".xls"):
				sheets := boundSheets(t, got)
				if len(sheets) != 2 || sheets[1].name != "Macro1" || sheets[1].dt != 1 {
					t.Errorf("sheets = %+v, want Sheet1 and the macro sheet Macro1", sheets)
				}
			default:
				zipNames(t, got) // a valid zip
			}

			if fx.password != DefaultPassword {
				got, err := decryptFile(t, committed, DefaultPassword)
				if !errors.Is(err, ErrWrongPassword) {
					t.Fatalf("decrypt with VelvetSweatshop: err = %v, want ErrWrongPassword", err)
				}
				if len(got) != 0 {
					t.Errorf("wrong password wrote %d bytes", len(got))
				}
			}
		})
	}
}

// zipNames opens b as a zip and returns its member names.
func zipNames(t testing.TB, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("decrypted package is not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

type sheetInfo struct {
	name     string
	hidden   byte
	dt       byte
	lbPlyPos uint32
}

// boundSheets parses a decrypted BIFF8 Workbook stream's BoundSheet8 records
// ([MS-XLS] 2.4.28) and checks that each points at a BOF record and carries
// a readable name: what a decryption bug would break first.
func boundSheets(t testing.TB, wb []byte) []sheetInfo {
	t.Helper()
	var sheets []sheetInfo
	for pos := 0; pos+4 <= len(wb); {
		rt := binary.LittleEndian.Uint16(wb[pos:])
		n := int(binary.LittleEndian.Uint16(wb[pos+2:]))
		if pos+4+n > len(wb) {
			t.Fatalf("record 0x%04x at %d overruns the stream", rt, pos)
		}
		d := wb[pos+4 : pos+4+n]
		if rt == rtBoundSheet8 {
			if n < 8 {
				t.Fatalf("BoundSheet8 of %d bytes", n)
			}
			s := sheetInfo{hidden: d[4] & 3, dt: d[5], lbPlyPos: binary.LittleEndian.Uint32(d)}
			cch, high := int(d[6]), d[7]&1
			switch {
			case high == 0 && 8+cch <= n:
				s.name = string(d[8 : 8+cch])
			case high == 1 && 8+2*cch <= n:
				for i := 0; i < cch; i++ {
					s.name += string(rune(binary.LittleEndian.Uint16(d[8+2*i:])))
				}
			default:
				t.Fatalf("BoundSheet8 name of %d characters does not fit %d bytes", cch, n)
			}
			for _, r := range s.name {
				if r < 0x20 {
					t.Fatalf("BoundSheet8 name %q has control characters: not decrypted", s.name)
				}
			}
			if s.dt > 6 || s.hidden > 2 {
				t.Fatalf("BoundSheet8 %q has dt=%d hsState=%d: not decrypted", s.name, s.dt, s.hidden)
			}
			p := int(s.lbPlyPos)
			if p+4 > len(wb) || binary.LittleEndian.Uint16(wb[p:]) != rtBOF {
				t.Fatalf("BoundSheet8 %q lbPlyPos %d does not point at a BOF", s.name, p)
			}
			sheets = append(sheets, s)
		}
		pos += 4 + n
	}
	if len(sheets) == 0 {
		t.Fatal("no BoundSheet8 record")
	}
	return sheets
}

// TestMsoffcryptoCrossCheck decrypts every fixture with msoffcrypto-tool
// (Debian python3-msoffcrypto-tool), an implementation independent of ours:
// a fixture only our own code understands would prove little. msoffcrypto-tool
// 5.0.0 has no XOR obfuscation support; the XOR code is checked against the
// real XOR-obfuscated workbook of the shared corpus instead.
func TestMsoffcryptoCrossCheck(t *testing.T) {
	tool, err := exec.LookPath("msoffcrypto-tool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("msoffcrypto-tool missing under CI (make test installs it)")
		}
		t.Skip("msoffcrypto-tool not installed (apt-get install python3-msoffcrypto-tool)")
	}
	for _, fx := range fixtures {
		if strings.HasPrefix(fx.name, "xor_") {
			continue
		}
		t.Run(fx.name, func(t *testing.T) {
			in := filepath.Join("testdata", fx.name)
			out := filepath.Join(t.TempDir(), "plain")
			cmd := exec.Command(tool, "-p", fx.password, in, out)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("msoffcrypto-tool -p %s %s: %v\n%s", fx.password, fx.name, err, msg)
			}
			theirs := inspecttest.ReadFile(t, out)
			ours, err := decryptFile(t, inspecttest.ReadFile(t, in), fx.password)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case strings.HasSuffix(fx.name, ".xls"):
				theirs = cfbStream(t, theirs, "Workbook")
				ours = zeroFilePass(ours) // msoffcrypto-tool blanks FILEPASS
			case strings.HasSuffix(fx.name, ".ppt"):
				// msoffcrypto-tool also rewrites the encryption's skeleton
				// (Current User, UserEditAtom, PersistDirectoryAtom, the
				// CryptSession10Container): compare the persist objects.
				theirs = cfbStream(t, theirs, "PowerPoint Document")
				ours, theirs = pptObjects(t, ours), pptObjects(t, theirs)
			}
			if !bytes.Equal(ours, theirs) {
				t.Fatalf("our decryption (%d bytes) differs from msoffcrypto-tool's (%d bytes)", len(ours), len(theirs))
			}

			if fx.password != DefaultPassword {
				cmd := exec.Command(tool, "-p", DefaultPassword, in, filepath.Join(t.TempDir(), "wrong"))
				if err := cmd.Run(); err == nil {
					t.Fatal("msoffcrypto-tool accepted VelvetSweatshop for a file keyed with another password")
				}
			}
		})
	}
}

// zeroFilePass replaces the FILEPASS record type and data with zeros, as
// msoffcrypto-tool writes its decrypted Workbook.
func zeroFilePass(wb []byte) []byte {
	out := append([]byte{}, wb...)
	for pos := 0; pos+4 <= len(out); {
		rt := binary.LittleEndian.Uint16(out[pos:])
		n := int(binary.LittleEndian.Uint16(out[pos+2:]))
		if rt == rtFilePass {
			out[pos], out[pos+1] = 0, 0
			clear(out[pos+4 : pos+4+n])
			break
		}
		pos += 4 + n
	}
	return out
}
