package offcrypto

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// corpusDir finds the shared third-party corpus (inspecttest.CorpusDir).
func corpusDir(t *testing.T) string { return inspecttest.CorpusDir(t) }

func readCorpus(t *testing.T, name string) []byte {
	t.Helper()
	return inspecttest.ReadFile(t, filepath.Join(corpusDir(t), name))
}

// TestCorpusWorkbooks decrypts the real encrypted workbooks of the shared
// corpus (made by Excel and LibreOffice, independent of this code) with
// their passwords, and checks that VelvetSweatshop is refused.
func TestCorpusWorkbooks(t *testing.T) {
	cases := []struct {
		file, password, describe string
		sheet                    string // the first sheet's name
		author                   string // in the (encrypted) WriteAccess record
	}{
		{"office-legacy/msoffcrypto__rc4cryptoapi_password.xls", "Password1234_", "RC4 CryptoAPI 128-bit", "Sheet1", "Microsoft Office User"},
		{"office-legacy/gen_encrypted_Passw0rd.xls", "Passw0rd", "RC4", "Sheet1", "Calc"},
		{"office-legacy/msoffcrypto__xor_password_123456789012345.xls", "123456789012345", "XOR obfuscation", "420", "Microsoft Office User"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			wb := cfbStream(t, readCorpus(t, c.file), "Workbook")
			if got := DescribeWorkbook(bytes.NewReader(wb), int64(len(wb))); got != c.describe {
				t.Errorf("DescribeWorkbook = %q, want %q", got, c.describe)
			}
			var out bytes.Buffer
			if err := DecryptWorkbook(bytes.NewReader(wb), int64(len(wb)), c.password, &out); err != nil {
				t.Fatalf("decrypt with %q: %v", c.password, err)
			}
			if out.Len() != len(wb) {
				t.Fatalf("decrypted %d bytes of a %d-byte stream", out.Len(), len(wb))
			}
			sheets := boundSheets(t, out.Bytes())
			if sheets[0].name != c.sheet {
				t.Errorf("first sheet %q, want %q", sheets[0].name, c.sheet)
			}
			if !bytes.Contains(out.Bytes(), []byte(c.author)) || bytes.Contains(wb, []byte(c.author)) {
				t.Errorf("WriteAccess %q is not in the decrypted stream only", c.author)
			}

			out.Reset()
			err := DecryptWorkbook(bytes.NewReader(wb), int64(len(wb)), DefaultPassword, &out)
			if !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("VelvetSweatshop: err = %v, want ErrWrongPassword", err)
			}
			if out.Len() != 0 {
				t.Errorf("wrong password wrote %d bytes", out.Len())
			}
		})
	}
}

// TestCorpusPlainWorkbook: a workbook without FILEPASS is not something to
// decrypt.
func TestCorpusPlainWorkbook(t *testing.T) {
	wb := cfbStream(t, readCorpus(t, "office-legacy/msoffcrypto__plain.xls"), "Workbook")
	var out bytes.Buffer
	err := DecryptWorkbook(bytes.NewReader(wb), int64(len(wb)), DefaultPassword, &out)
	if !errors.Is(err, ErrMalformed) || out.Len() != 0 {
		t.Fatalf("err = %v, %d bytes written; want ErrMalformed (no FILEPASS) and nothing", err, out.Len())
	}
	if d := DescribeWorkbook(bytes.NewReader(wb), int64(len(wb))); d != "" {
		t.Errorf("DescribeWorkbook = %q, want empty", d)
	}
}

// TestCorpusPackages decrypts the real Agile-encrypted OOXML files of the
// shared corpus (Office via msoffcrypto-tool's test data, npm
// officecrypto-tool) to valid zips and checks that VelvetSweatshop is
// refused.
func TestCorpusPackages(t *testing.T) {
	cases := []struct {
		file, password, member string
	}{
		{"ooxml/msoffcrypto__example_password.docx", "Password1234_", "word/document.xml"},
		{"ooxml/gen_encrypted_Passw0rd.docx", "Passw0rd", "word/document.xml"},
		{"ooxml/gen_encrypted_Passw0rd.xlsx", "Passw0rd", "xl/workbook.xml"},
		{"ooxml/gen_encrypted_Passw0rd_SimpleMacro.docm", "Passw0rd", "word/vbaProject.bin"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			s := inspecttest.MscfbStreams(t, readCorpus(t, c.file))
			info, pkg := s["EncryptionInfo"], s["EncryptedPackage"]
			if got := DescribeEncryption(info); got != "agile AES-256 SHA-512" {
				t.Errorf("DescribeEncryption = %q", got)
			}
			var out bytes.Buffer
			if err := DecryptPackage(info, bytes.NewReader(pkg), int64(len(pkg)), c.password, &out); err != nil {
				t.Fatalf("decrypt with %q: %v", c.password, err)
			}
			names := zipNames(t, out.Bytes())
			if !slices.Contains(names, "[Content_Types].xml") || !slices.Contains(names, c.member) {
				t.Errorf("package members %v lack [Content_Types].xml or %s", names, c.member)
			}

			out.Reset()
			err := DecryptPackage(info, bytes.NewReader(pkg), int64(len(pkg)), DefaultPassword, &out)
			if !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("VelvetSweatshop: err = %v, want ErrWrongPassword", err)
			}
			if out.Len() != 0 {
				t.Errorf("wrong password wrote %d bytes", out.Len())
			}
		})
	}
}
