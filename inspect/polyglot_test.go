package inspect_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// readingRecorder reports, for every part it is handed, its family, size
// and first bytes, so that a test sees which readings were inspected.
func readingRecorder() fakeInspector {
	return func(_ context.Context, p inspect.Part, s inspect.Scope) error {
		head := make([]byte, min(p.Size, 8))
		p.R.ReadAt(head, 0)
		s.Emit(inspect.Finding{Kind: inspect.KindEmbeddedObject, Detail: fmt.Sprintf("%s size=%d head=%q", p.Family, p.Size, head)})
		return nil
	}
}

func recorders() map[inspect.Family]inspect.Inspector {
	m := map[inspect.Family]inspect.Inspector{}
	for _, f := range []inspect.Family{inspect.FamilyPDF, inspect.FamilyZip, inspect.FamilyOOXML, inspect.FamilyODF,
		inspect.FamilyOLE, inspect.FamilyPE, inspect.FamilyEML, inspect.FamilyText, inspect.FamilyScript, inspect.FamilyRTF} {
		m[f] = readingRecorder()
	}
	return m
}

func zipComment(comment string, names ...string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		f, _ := w.Create(n)
		f.Write([]byte("MZ payload"))
	}
	w.SetComment(comment)
	w.Close()
	return b.Bytes()
}

func storedZip(name string, data []byte) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	f.Write(data)
	w.Close()
	return b.Bytes()
}

func zipWithStored(kv ...any) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		f, _ := w.CreateHeader(&zip.FileHeader{Name: kv[i].(string), Method: zip.Store})
		f.Write(kv[i+1].([]byte))
	}
	w.Close()
	return b.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestPolyglots(t *testing.T) {
	pdf := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R >>\nstartxref\n40\n%%EOF\n")
	bigPDF := cat([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("4 0 obj\n<< /Length 9 >>\nstream\n\x00\x01\x02binary\nendstream\nendobj\n"), 3000), pdf[9:])
	zipExe := zipWith("evil.exe")
	docx := zipWith("[Content_Types].xml", "word/document.xml")
	ole := cat([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 2040))
	png := cat([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 0, 0xff}, 5000))
	pe := cat([]byte("MZ\x90\x00"), make([]byte, 3000))
	mht := []byte("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\nContent-Location: file:///C:/x.htm\r\nContent-Type: text/html\r\n\r\n<html>x</html>\r\n--b--\r\n")
	farMHT := cat([]byte("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/x-mso\r\n\r\n"),
		bytes.Repeat([]byte("QWN0aXZlTWltZQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"), 2000),
		[]byte("--b\r\nContent-Location: file:///C:/x.htm\r\nContent-Type: text/html\r\n\r\n<html>x</html>\r\n--b--\r\n"))

	tests := []struct {
		name      string
		data      []byte
		ambiguous string   // "" for none
		readings  []string // recorded details besides the first reading's
	}{
		{"plain.pdf", pdf, "", nil},
		{"plain.zip", zipExe, "", nil},
		{"plain.docx", docx, "", nil},
		{"plain.doc", ole, "", nil},
		{"plain.png", png, "", nil},
		// Word takes RTF only with "{\rt" at offset 0: after junk it is
		// text to every reader, not a second reading.
		{"junk.rtf", []byte("junk {\\rtf1\\ansi {\\object}}"), "", nil},
		{"pdf-in.rtf", cat([]byte("{\\rtf1 "), pdf, []byte("}")), "polyglot: rtf and pdf", nil},
		{"a.pdf", cat(pdf, zipExe), "polyglot: pdf and zip", []string{fmt.Sprintf("zip size=%d head=%q", len(zipExe), zipExe[:8])}},
		{"big.pdf", cat(bigPDF, zipComment(strings.Repeat("c", 30000), "evil.exe")), "polyglot: pdf and zip", nil},
		{"docx.pdf", cat(pdf, docx), "polyglot: pdf and ooxml", []string{fmt.Sprintf("ooxml size=%d head=%q", len(docx), docx[:8])}},
		{"embedded.pdf", cat(pdf[:50], []byte("stream\n"), zipExe, []byte("\nendstream\n"), pdf[50:]), "polyglot: pdf and zip", []string{fmt.Sprintf("zip size=%d head=%q", len(zipExe), zipExe[:8])}},
		{"a.doc", cat(ole, zipExe), "polyglot: ole and zip", nil},
		{"stream-at-end.doc", cat(ole, zipExe, make([]byte, 300)), "", nil},
		{"a.png", cat(png, zipExe), "polyglot: png and zip", nil},
		{"sfx.exe", cat(pe, zipExe), "", nil},
		{"pdf-inside.zip", storedZip("a.pdf", pdf), "polyglot: zip and pdf", nil},
		{"pdf-last.zip", zipWithStored("a.txt", bytes.Repeat([]byte("hello "), 400), "b.pdf", pdf), "", nil},
		{"pdf-after.zip", cat(zipExe, pdf), "polyglot: zip and pdf", nil},
		{"pdf-in.doc", cat(ole[:600], pdf, ole[600+len(pdf):]), "polyglot: ole and pdf", []string{fmt.Sprintf("pdf size=%d head=%q", len(ole), ole[:8])}},
		{"junk.pdf", cat([]byte("hello there\n"), pdf), "polyglot: text and pdf", []string{fmt.Sprintf("text size=%d head=%q", len(pdf)+12, "hello th")}},
		{"run.vbs", cat([]byte("MsgBox 1 '"), pdf), "polyglot: script and pdf", []string{fmt.Sprintf("script size=%d head=%q", len(pdf)+10, "MsgBox 1")}},
		{"jpeg.pdf", cat([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}, pdf), "polyglot: jpeg and pdf", nil},
		{"pdf-in.eml", cat([]byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\n"), pdf), "polyglot: eml and pdf", []string{fmt.Sprintf("pdf size=%d head=%q", len(pdf)+54, "From: a@")}},
		{"blank.pdf", cat([]byte("\xef\xbb\xbf\r\n  \n"), pdf), "", nil},
		{"maldoc.pdf", cat(pdf, mht), "polyglot: pdf and mht", []string{fmt.Sprintf("eml size=%d head=%q", len(mht), mht[:8])}},
		{"far-mht.pdf", cat(pdf, farMHT), "polyglot: pdf and mht", []string{fmt.Sprintf("eml size=%d head=%q", len(farMHT), farMHT[:8])}},
		{"html.pdf", cat(pdf, []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")), "polyglot: pdf and html", nil},
	}
	for _, tc := range tests {
		for _, mode := range []string{"memory", "reader"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				var r io.ReaderAt = inspect.BytesReaderAt(tc.data)
				if mode == "reader" {
					r = bytes.NewReader(tc.data)
				}
				res := inspect.NewEngine(recorders(), inspect.Limits{}).Inspect(context.Background(), tc.name, "", r, int64(len(tc.data)))
				amb := findings(res, inspect.KindAmbiguous)
				switch {
				case tc.ambiguous == "" && len(amb) > 0:
					t.Fatalf("unexpected %+v", amb)
				case tc.ambiguous != "" && (len(amb) != 1 || amb[0].Detail != tc.ambiguous || amb[0].Where != ""):
					t.Fatalf("ambiguous %+v, want one %q", amb, tc.ambiguous)
				}
				rec := findings(res, inspect.KindEmbeddedObject)
				if want := 1 + len(tc.readings); tc.readings != nil && len(rec) != want {
					t.Fatalf("%d readings inspected, want %d: %+v", len(rec), want, rec)
				}
				for i, w := range tc.readings {
					if rec[1+i].Detail != w {
						t.Errorf("reading %d: %q, want %q", i+1, rec[1+i].Detail, w)
					}
				}
				if tc.ambiguous != "" && len(rec) < 2 && !strings.Contains(tc.ambiguous, "jpeg") && !strings.Contains(tc.ambiguous, "png") {
					t.Errorf("the second reading was not inspected: %+v", res.Findings)
				}
			})
		}
	}
}

// TestPolyglotReadingType: the findings of a second reading carry its type;
// the file keeps the type of its first.
func TestPolyglotReadingType(t *testing.T) {
	pdf := []byte("%PDF-1.4\ntrailer\n<<>>\n%%EOF\n")
	data := cat(pdf, zipWith("evil.exe"))
	res := inspect.NewEngine(recorders(), inspect.Limits{}).Inspect(context.Background(), "x.pdf", "", inspect.BytesReaderAt(data), int64(len(data)))
	if res.Type != inspect.TypePDF {
		t.Errorf("type %q", res.Type)
	}
	amb := findings(res, inspect.KindAmbiguous)
	if len(amb) != 1 || amb[0].Type != inspect.TypePDF {
		t.Errorf("ambiguous %+v", amb)
	}
	rec := findings(res, inspect.KindEmbeddedObject)
	if len(rec) != 2 || rec[0].Type != inspect.TypePDF || rec[1].Type != inspect.TypeZIP {
		t.Errorf("readings %+v", rec)
	}
	if res.Parts != 2 {
		t.Errorf("parts %d, want 2 (the file and its second reading)", res.Parts)
	}
}

// FuzzPolyglots: whatever the bytes, finding the other readings neither
// panics nor hangs, every reading lies inside the part, and a file is never
// ambiguous with itself.
func FuzzPolyglots(f *testing.F) {
	pdf := []byte("%PDF-1.4\ntrailer\n<<>>\nstartxref\n0\n%%EOF\n")
	for _, s := range [][]byte{pdf, cat(pdf, zipWith("a.exe")), cat([]byte("junk"), pdf), storedZip("a.pdf", pdf), cat(zipWith("x"), pdf),
		cat(pdf, []byte("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n--b--\r\n")),
		cat(pdf, []byte("PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\xff\xff\xff\xff\x10\x00\x00\x00\x00\x00")),
		cat([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, pdf, zipWith("b"))} {
		f.Add(s, "x.pdf")
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		var res *inspect.Result
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() {
			res = inspect.NewEngine(recorders(), inspect.Limits{}).Inspect(context.Background(), name, "", bytes.NewReader(data), int64(len(data)))
		})
		inspecttest.CheckResult(t, res)
		for _, fd := range res.Findings {
			if fd.Kind == inspect.KindAmbiguous {
				a, b, ok := strings.Cut(strings.TrimPrefix(fd.Detail, "polyglot: "), " and ")
				if !ok || a == b {
					t.Fatalf("odd ambiguity %q", fd.Detail)
				}
			}
			var size int64
			if _, err := fmt.Sscanf(fd.Detail[strings.Index(fd.Detail, " ")+1:], "size=%d", &size); err == nil && (size < 0 || size > int64(len(data))) {
				t.Fatalf("reading of %d bytes in a part of %d: %q", size, len(data), fd.Detail)
			}
		}
	})
}
