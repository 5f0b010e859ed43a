package inspecttest

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestDocmIsMacroEnabled(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{
		"[Content_Types].xml":          `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/_rels/document.xml.rels": `<Relationships></Relationships>`,
		"word/document.xml":            `<w:document/>`,
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	docm, err := Docm(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(docm), int64(len(docm)))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		found[f.Name] = string(data)
	}
	if !strings.Contains(found["[Content_Types].xml"], "macroEnabled") || !strings.Contains(found["word/_rels/document.xml.rels"], "vbaProject") || found["word/vbaProject.bin"] == "" {
		t.Errorf("not a docm: %v", found["[Content_Types].xml"])
	}
}
