package all

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func corpusBytes(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPolyglotsWithRealInspectors builds polyglots from corpus files and
// checks that the second reading is inspected by the real inspector of its
// format: what hides in it is found, and the ambiguity is reported.
func TestPolyglotsWithRealInspectors(t *testing.T) {
	dir, _ := loadCorpus(t)
	pdf := corpusBytes(t, dir, "pdf/pypdf__crazyones.pdf")
	jsPDF := corpusBytes(t, dir, "pdf/gen_js_openaction.pdf")
	zipExe := corpusBytes(t, dir, "archive/gen_zip_with_exe.zip")
	docm := corpusBytes(t, dir, "ooxml/poi__SimpleMacro.docm")
	pe := corpusBytes(t, dir, "executable/tika__testTinyPE.exe")

	mht := "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_b\"\r\n\r\n" +
		"------=_b\r\nContent-Location: file:///C:/doc.htm\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>x</body></html>\r\n" +
		"------=_b\r\nContent-Location: file:///C:/invoice.docm\r\nContent-Type: application/vnd.ms-word.document.macroEnabled.12\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(docm) + "\r\n------=_b--\r\n"

	var stored bytes.Buffer
	zw := zip.NewWriter(&stored)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "a.pdf", Method: zip.Store})
	w.Write(jsPDF)
	zw.Close()

	tests := []struct {
		name, file string
		data       []byte
		typ        string
		ambiguous  string
		kind       inspect.Kind // found through the second reading
	}{
		{"zip appended to a PDF", "Antrag.pdf", append(append([]byte{}, pdf...), zipExe...), "pdf", "polyglot: pdf and zip", inspect.KindExecutable},
		{"MHT appended to a PDF (MalDoc in PDF)", "Antrag.pdf", append(append([]byte{}, pdf...), mht...), "pdf", "polyglot: pdf and mht", inspect.KindMacro},
		{"PDF stored first in a zip", "a.zip", stored.Bytes(), "zip", "polyglot: zip and pdf", inspect.KindActiveContent},
		{"self-extractor", "setup.exe", append(append([]byte{}, pe...), zipExe...), "pe", "", inspect.KindExecutable},
	}
	e := NewEngine(inspect.Limits{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Inspect(context.Background(), tc.file, "", inspect.BytesReaderAt(tc.data), int64(len(tc.data)))
			if res.Type != tc.typ {
				t.Errorf("type %q, want %q", res.Type, tc.typ)
			}
			var amb []string
			for _, f := range res.Findings {
				if f.Kind == inspect.KindAmbiguous {
					amb = append(amb, f.Detail)
				}
			}
			if got := strings.Join(amb, "; "); got != tc.ambiguous {
				t.Errorf("ambiguous %q, want %q", got, tc.ambiguous)
			}
			if !res.Has(tc.kind) {
				t.Errorf("no %s finding: %+v", tc.kind, res.Findings)
			}
			if res.Has(inspect.KindUnscannable) {
				t.Errorf("unscannable: %+v", res.Findings)
			}
		})
	}
}
