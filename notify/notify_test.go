package notify

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
)

func TestNoticeText(t *testing.T) {
	n := Notice{Policy: "legacy-office", QueueID: "4ABC12", Quarantined: true, SignatureBroken: []string{"DKIM"},
		Files: []File{{Name: "alt.doc", Type: "doc", Kind: "legacy-office", Detail: "Word 97-2003 document"}, {Name: "b.xls", Type: "xls", Kind: "legacy-office"}}}
	de, en := n.Text([]string{"de"}), n.Text([]string{"en"})
	for _, want := range []string{"Richtlinie \"legacy-office\"", "alt.doc (doc)", "b.xls (xls)", "Bitte als DOCX", "Signatur (DKIM)", "Kennung 4ABC12"} {
		if !strings.Contains(de, want) {
			t.Errorf("German notice lacks %q:\n%s", want, de)
		}
	}
	for _, want := range []string{"policy \"legacy-office\"", "[Word 97-2003 document]", "Please send it as DOCX", "signature (DKIM)", "quoting 4ABC12"} {
		if !strings.Contains(en, want) {
			t.Errorf("English notice lacks %q:\n%s", want, en)
		}
	}
	if strings.Count(en, "Please send it as DOCX") != 1 {
		t.Error("advice repeated per file")
	}
	both := n.Text(nil)
	if !strings.Contains(both, "Richtlinie") || !strings.Contains(both, "policy") || strings.Index(both, "Richtlinie") > strings.Index(both, "policy \"") {
		t.Error("default must be German, then English")
	}
	custom := n
	custom.Advice = map[inspect.Kind]string{inspect.KindLegacyOffice: "Bitte über das Portal senden."}
	if !strings.Contains(custom.Text([]string{"de"}), "Bitte über das Portal senden.") {
		t.Error("advice override ignored")
	}
}

func TestReasonsCoverEveryKind(t *testing.T) {
	for _, k := range inspect.Kinds {
		for _, lang := range []string{"de", "en"} {
			if Reason(lang, k) == string(k) {
				t.Errorf("no %s phrase for %s", lang, k)
			}
		}
	}
	if Reason("fr", "macro") != Reason("en", "macro") {
		t.Error("unknown language should fall back to English")
	}
}

func TestMessage(t *testing.T) {
	b := Message("postmaster@example.org", "erika@example.com", SenderSubject([]string{"de", "en"}), "Anhänge entfernt:\n  - alt.doc\n", time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Auto-Submitted") != "auto-generated" || m.Header.Get("To") != "erika@example.com" || m.Header.Get("Message-Id") == "" {
		t.Errorf("header %v", m.Header)
	}
	dec := new(mimeWordDecoder)
	if s, _ := dec.DecodeHeader(m.Header.Get("Subject")); s != "Anhänge entfernt / Attachments removed" {
		t.Errorf("subject %q", s)
	}
	if !bytes.Contains(b, []byte("Anh=C3=A4nge entfernt:\r\n")) {
		t.Errorf("body not quoted-printable with CRLF:\n%s", b)
	}
}

type mimeWordDecoder = mime.WordDecoder

// TestNoticeSigned: a removed file that was signed is named so.
func TestNoticeSigned(t *testing.T) {
	n := Notice{Policy: "p", Files: []File{{Name: "Antrag.pdf", Type: "pdf", Kind: "disallowed-type", Signed: true}, {Name: "b.xls", Type: "xls", Kind: "legacy-office"}}}
	de, en := n.Text([]string{"de"}), n.Text([]string{"en"})
	if !strings.Contains(de, "  - Antrag.pdf (pdf) (signiert): ") || strings.Contains(de, "b.xls (xls) (signiert)") {
		t.Errorf("German notice:\n%s", de)
	}
	if !strings.Contains(en, "  - Antrag.pdf (pdf) (signed): ") || strings.Contains(en, "b.xls (xls) (signed)") {
		t.Errorf("English notice:\n%s", en)
	}
}

func TestNoticeDocumentText(t *testing.T) {
	n := Notice{Policy: "p", Files: []File{
		{Name: "Antrag.doc", Type: "doc", Kind: "legacy-office", Text: "Antrag.doc.txt"},
		{Name: "geheim.xls", Type: "xls", Kind: "legacy-office", NoText: NoTextEncrypted},
		{Name: "kaputt.ppt", Type: "ppt", Kind: "legacy-office", NoText: NoTextUnreadable},
		{Name: "c.doc", Type: "doc", Kind: "macro"},
	}}
	de, en := n.Text([]string{"de"}), n.Text([]string{"en"})
	for _, want := range []string{
		"  - Antrag.doc (doc): altes Office-Format (Word/Excel/PowerPoint 97-2003) wird nicht mehr angenommen\n    Der Text des Dokuments ist als Antrag.doc.txt angehängt; Formatierung, Bilder und Makros wurden nicht übernommen.\n",
		"geheim.xls (xls): altes Office-Format (Word/Excel/PowerPoint 97-2003) wird nicht mehr angenommen\n    Der Text ist nicht angehängt: das Dokument ist mit einem Kennwort verschlüsselt.\n",
		"kaputt.ppt (ppt): altes Office-Format (Word/Excel/PowerPoint 97-2003) wird nicht mehr angenommen\n    Der Text ist nicht angehängt: er ließ sich nicht auslesen.\n",
		"c.doc (doc): enthält Makros\n\n",
	} {
		if !strings.Contains(de, want) {
			t.Errorf("German notice lacks %q:\n%s", want, de)
		}
	}
	for _, want := range []string{
		"    The text of the document is attached as Antrag.doc.txt; formatting, images and macros were not kept.\n",
		"geheim.xls (xls): legacy Office format (Word/Excel/PowerPoint 97-2003) is no longer accepted\n    Its text is not attached: the document is encrypted with a password.\n",
		"    Its text is not attached: it could not be read.\n",
	} {
		if !strings.Contains(en, want) {
			t.Errorf("English notice lacks %q:\n%s", want, en)
		}
	}
}
