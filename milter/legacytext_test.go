package milter

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// legacyTextConfig is contrib's configuration with legacy_text on for
// rule 1.
func legacyTextConfig(t *testing.T) *Config {
	c := contribConfig(t)
	for i := range c.Policies {
		if c.Policies[i].Name == "legacy-office" {
			c.Policies[i].LegacyText = true
			return c
		}
	}
	t.Fatal("no legacy-office policy in contrib/officemilter.yml")
	return nil
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/files/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliveredParts reads a delivered message with Go's net/mail and
// mime/multipart (goParts, not our parser): the decoded attachments by file
// name, their media types, and the notice.
func deliveredParts(t *testing.T, msg []byte) (files map[string]string, types map[string]string, notice string) {
	t.Helper()
	files, types = map[string]string{}, map[string]string{}
	for _, p := range goParts(t, msg) {
		switch {
		case p.name != "":
			files[p.name] = string(p.data)
			types[p.name] = p.ctype
		case notice == "" && p.ctype == "text/plain":
			notice = string(p.data) // the notice is the first part
		}
	}
	return files, types, notice
}

func TestLegacyText(t *testing.T) {
	f := newTestFilter(legacyTextConfig(t))
	msg := buildMessage("anna@example.net", map[string][]byte{
		"Antrag.doc":    readFile(t, "letter.doc"),
		"Übersicht.xls": readFile(t, "table.xls"),
		"Folien.ppt":    readFile(t, "slides.ppt"),
		"geheim.doc":    readFile(t, "encrypted.doc"),
		"letter.pdf":    readFile(t, "letter.pdf"),
	})
	res := check(t, f, "anna@example.net", msg)
	if res.Action != Strip || len(res.Stripped) != 4 {
		t.Fatalf("action %s, stripped %q", res.Action, res.Stripped)
	}
	var out bytes.Buffer
	if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("Content-Type: text/plain; charset=utf-8; name=Antrag.doc.txt\r\n")) {
		t.Error("no charset=utf-8 text part named Antrag.doc.txt")
	}
	files, types, notice := deliveredParts(t, out.Bytes())
	want := map[string]string{
		"Antrag.doc.txt":    "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie den Bericht zum dritten Quartal.\n\nMit freundlichen Grüßen\nErika Mustermann\n",
		"Übersicht.xls.txt": "[table]\nMonat\tUmsatz\nJanuar\t1200\nFebruar\t1350\n",
		"Folien.ppt.txt":    "[Slide 1]\nQuartalsbericht\n",
	}
	for name, text := range want {
		if files[name] != text {
			t.Errorf("%s: got %q, want %q", name, files[name], text)
		}
		if types[name] != "text/plain" {
			t.Errorf("%s: Content-Type %q", name, types[name])
		}
	}
	for name := range files {
		if _, ok := want[name]; !ok && name != "letter.pdf" {
			t.Errorf("unexpected attachment %q", name)
		}
	}
	if _, ok := files["letter.pdf"]; !ok {
		t.Error("letter.pdf was not kept")
	}
	for _, line := range []string{
		"Der Text des Dokuments ist als Antrag.doc.txt angehängt; Formatierung, Bilder und Makros wurden nicht übernommen.",
		"The text of the document is attached as Übersicht.xls.txt; formatting, images and macros were not kept.",
		"The text of the document is attached as Folien.ppt.txt;",
		"  - geheim.doc (doc): altes Office-Format (Word/Excel/PowerPoint 97-2003) wird nicht mehr angenommen [Word 97-2003 document]\n    Der Text ist nicht angehängt: das Dokument ist mit einem Kennwort verschlüsselt.",
		"Its text is not attached: the document is encrypted with a password.",
	} {
		if !strings.Contains(strings.ReplaceAll(notice, "\r\n", "\n"), line) {
			t.Errorf("notice lacks %q:\n%s", line, notice)
		}
	}
}

// TestLegacyTextOff: by default only the mail text is delivered.
func TestLegacyTextOff(t *testing.T) {
	f := newTestFilter(contribConfig(t))
	res := check(t, f, "anna@example.net", buildMessage("anna@example.net", map[string][]byte{"Antrag.doc": readFile(t, "letter.doc")}))
	var out bytes.Buffer
	if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
		t.Fatal(err)
	}
	files, _, notice := deliveredParts(t, out.Bytes())
	if res.Action != Strip || len(files) != 0 || strings.Contains(notice, ".txt") || !strings.Contains(notice, "Antrag.doc") {
		t.Fatalf("action %s, files %q, notice:\n%s", res.Action, files, notice)
	}
}

func TestLegacyTextConfig(t *testing.T) {
	for _, tc := range []struct {
		max ByteSize
		ok  bool
	}{{0, true}, {1024, true}, {16 << 20, true}, {1023, false}, {16<<20 + 1, false}, {-1, false}} {
		c := legacyTextConfig(t)
		for i := range c.Policies {
			c.Policies[i].LegacyTextMax = tc.max
		}
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("legacy_text_max %d: %v", tc.max, err)
		}
	}
}

// TestLegacyTextRebuilt: an ambiguous message is rebuilt from its
// inspected parts; the text of the hidden .doc joins them.
func TestLegacyTextRebuilt(t *testing.T) {
	f := newTestFilter(legacyTextConfig(t))
	res := check(t, f, "anna@example.net", twoBoundaries("anna@example.net", "Antrag.doc", readFile(t, "letter.doc")))
	if res.Action != Strip || res.rewrite == nil || res.rewrite.rebuild == nil {
		t.Fatalf("action %s, not rebuilt", res.Action)
	}
	var out bytes.Buffer
	if err := res.WriteMessage(&out, "X-Officemilter"); err != nil {
		t.Fatal(err)
	}
	files, _, notice := deliveredParts(t, out.Bytes())
	if len(files) != 1 || !strings.HasPrefix(files["Antrag.doc.txt"], "Sehr geehrte Damen und Herren,") {
		t.Errorf("attachments: %q", files)
	}
	if !strings.Contains(notice, "Antrag.doc.txt") {
		t.Errorf("notice:\n%s", notice)
	}
}
