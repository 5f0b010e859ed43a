package notify

import (
	"fmt"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// File is one attachment a notice talks about.
type File struct {
	Name   string       // file name as the sender gave it
	Type   string       // type name by content (doc, zip, pdf ...)
	Kind   inspect.Kind // reason code (legacy-office, macro, ...)
	Detail string       // precise sub-reason (vbaProject.bin, FILEPASS ...)
	// Signed: the file carried a signature of its own (a signed PDF or
	// Office document, a .p7m); the notice says so, so that the recipient
	// knows a signed document was removed.
	Signed bool
	// Text names the plain-text attachment that carries the removed
	// document's text ("Antrag.doc.txt"), "" for none.
	Text string
	// NoText says why a document whose text was to be attached has none:
	// NoTextEncrypted, NoTextUnreadable or NoTextLimit ("" when Text is
	// set or no text was asked for).
	NoText string
}

// Why a removed document's text is not attached (File.NoText).
const (
	NoTextEncrypted  = "encrypted"  // a password hides the text
	NoTextUnreadable = "unreadable" // the text could not be read
	NoTextLimit      = "limit"      // the message holds too many such documents
)

// textLines say what became of a removed document's text, per language.
var textLines = map[string]map[string]string{
	"de": {
		"":               "Der Text des Dokuments ist als %s angehängt; Formatierung, Bilder und Makros wurden nicht übernommen.",
		NoTextEncrypted:  "Der Text ist nicht angehängt: das Dokument ist mit einem Kennwort verschlüsselt.",
		NoTextUnreadable: "Der Text ist nicht angehängt: er ließ sich nicht auslesen.",
		NoTextLimit:      "Der Text ist nicht angehängt: die Nachricht enthält zu viele solche Dokumente.",
	},
	"en": {
		"":               "The text of the document is attached as %s; formatting, images and macros were not kept.",
		NoTextEncrypted:  "Its text is not attached: the document is encrypted with a password.",
		NoTextUnreadable: "Its text is not attached: it could not be read.",
		NoTextLimit:      "Its text is not attached: the message holds too many such documents.",
	},
}

// Notice is what the recipient (and, by mail, the sender) is told about
// removed attachments.
type Notice struct {
	Policy  string
	QueueID string
	Files   []File
	// Quarantined says the original was kept and can be released by the
	// postmaster (quoting QueueID).
	Quarantined bool
	// Rebuilt says the message was put together anew from its inspected
	// parts, because mail programs could read the original in more than one
	// way (its structure was ambiguous).
	Rebuilt bool
	// SignatureBroken names the signatures that no longer verify because
	// parts were removed ("S/MIME", "PGP/MIME", "DKIM").
	SignatureBroken []string
	// Advice overrides the sentence per reason code.
	Advice map[inspect.Kind]string
}

// reasons explains each reason code in one short phrase.
var reasons = map[string]map[inspect.Kind]string{
	"de": {
		inspect.KindLegacyOffice:      "altes Office-Format (Word/Excel/PowerPoint 97-2003) wird nicht mehr angenommen",
		inspect.KindMacro:             "enthält Makros",
		inspect.KindEncrypted:         "ist verschlüsselt oder kennwortgeschützt und kann nicht geprüft werden",
		inspect.KindExecutable:        "enthält ausführbaren Code",
		inspect.KindActiveContent:     "enthält aktive Inhalte (JavaScript, Aktionen, DDE, ActiveX)",
		inspect.KindExternalReference: "lädt beim Öffnen Inhalte von außerhalb nach",
		inspect.KindEmbeddedObject:    "enthält eingebettete Objekte",
		inspect.KindDisallowedType:    "Dateityp ist nicht zugelassen",
		inspect.KindTooLarge:          "Anhänge sind zusammen zu groß",
		inspect.KindUnscannable:       "konnte nicht geprüft werden",
		inspect.KindAmbiguous:         "Nachrichtenaufbau ist mehrdeutig (Programme lesen ihn unterschiedlich)",
		inspect.KindProtected:         "ist mit einem Kennwort gegen Bearbeiten geschützt",
	},
	"en": {
		inspect.KindLegacyOffice:      "legacy Office format (Word/Excel/PowerPoint 97-2003) is no longer accepted",
		inspect.KindMacro:             "contains macros",
		inspect.KindEncrypted:         "is encrypted or password-protected and cannot be checked",
		inspect.KindExecutable:        "contains executable code",
		inspect.KindActiveContent:     "contains active content (JavaScript, actions, DDE, ActiveX)",
		inspect.KindExternalReference: "loads content from elsewhere when opened",
		inspect.KindEmbeddedObject:    "contains embedded objects",
		inspect.KindDisallowedType:    "file type is not accepted",
		inspect.KindTooLarge:          "attachments are too large in total",
		inspect.KindUnscannable:       "could not be checked",
		inspect.KindAmbiguous:         "the message structure is ambiguous (mail programs read it differently)",
		inspect.KindProtected:         "is password-protected against editing",
	},
}

// advice tells the sender what to send instead.
var advice = map[string]map[inspect.Kind]string{
	"de": {
		inspect.KindLegacyOffice:   "Bitte als DOCX, XLSX, PPTX oder PDF senden.",
		inspect.KindMacro:          "Bitte ohne Makros senden, z. B. als PDF oder DOCX.",
		inspect.KindEncrypted:      "Bitte ohne Kennwortschutz senden.",
		inspect.KindExecutable:     "Programme und Skripte werden nicht angenommen.",
		inspect.KindActiveContent:  "Bitte ohne aktive Inhalte senden, z. B. als neu erzeugtes PDF.",
		inspect.KindDisallowedType: "Zugelassen sind die Dateitypen dieser Richtlinie.",
		inspect.KindTooLarge:       "Bitte kleinere Anhänge oder einen Dateiaustauschdienst verwenden.",
		inspect.KindUnscannable:    "Bitte in einem anderen Format senden.",
		inspect.KindAmbiguous:      "Bitte mit einem gängigen Mailprogramm erneut senden.",
		inspect.KindProtected:      "Bitte ohne Kennwortschutz (auch ohne Schreib- oder Bearbeitungsschutz) senden.",
	},
	"en": {
		inspect.KindLegacyOffice:   "Please send it as DOCX, XLSX, PPTX or PDF.",
		inspect.KindMacro:          "Please send it without macros, e.g. as PDF or DOCX.",
		inspect.KindEncrypted:      "Please send it without password protection.",
		inspect.KindExecutable:     "Programs and scripts are not accepted.",
		inspect.KindActiveContent:  "Please send it without active content, e.g. as a newly printed PDF.",
		inspect.KindDisallowedType: "Only the file types of this policy are accepted.",
		inspect.KindTooLarge:       "Please send smaller attachments or use a file transfer service.",
		inspect.KindUnscannable:    "Please send it in another format.",
		inspect.KindAmbiguous:      "Please send it again from a standard mail program.",
		inspect.KindProtected:      "Please send it without any password protection (also none against editing).",
	},
}

// writeTextLine says, below a removed file, where its text is or why it
// is not there.
func writeTextLine(b *strings.Builder, lang string, f File) {
	if f.Text == "" && f.NoText == "" {
		return
	}
	m, ok := textLines[lang]
	if !ok {
		m = textLines["en"]
	}
	line, ok := m[f.NoText]
	if !ok {
		line = m[NoTextUnreadable]
	}
	if f.NoText == "" {
		line = fmt.Sprintf(line, f.Text)
	}
	b.WriteString("    " + line + "\n")
}

// Reason returns the phrase for a reason code in a language ("en" when the
// language is unknown).
func Reason(lang string, kind inspect.Kind) string {
	if m, ok := reasons[lang]; ok {
		if s, ok := m[kind]; ok {
			return s
		}
	}
	if s, ok := reasons["en"][kind]; ok {
		return s
	}
	return string(kind)
}

// Advice returns what the sender should do instead ("" when nothing fits).
func Advice(lang string, kind inspect.Kind) string {
	if m, ok := advice[lang]; ok {
		return m[kind]
	}
	return advice["en"][kind]
}

// BrokenSignature says that removing attachments would break the named
// signatures of a message ("S/MIME", "DKIM"): the reason of a refusal under
// on_signed: reject.
func BrokenSignature(lang string, sigs []string) string {
	if lang == "de" {
		return "das Entfernen von Anhängen würde die Signatur (" + strings.Join(sigs, ", ") + ") ungültig machen"
	}
	return "removing attachments would break its signature (" + strings.Join(sigs, ", ") + ")"
}

// Text renders the notice in the given languages, one block per language,
// separated by a line of dashes. Lines stay under 78 characters where the
// file names allow.
func (n Notice) Text(langs []string) string {
	if len(langs) == 0 {
		langs = []string{"de", "en"}
	}
	var b strings.Builder
	for i, lang := range langs {
		if i > 0 {
			b.WriteString("\n----------------------------------------------------------------\n\n")
		}
		n.write(&b, lang)
	}
	return b.String()
}

func (n Notice) write(b *strings.Builder, lang string) {
	de := lang == "de"
	switch {
	case len(n.Files) == 0 && de:
		fmt.Fprintf(b, "Diese Nachricht wurde geprüft und verändert (Richtlinie %q).\n\n", n.Policy)
	case len(n.Files) == 0:
		fmt.Fprintf(b, "This message was checked and changed (policy %q).\n\n", n.Policy)
	case de:
		fmt.Fprintf(b, "Aus dieser Nachricht wurden Anhänge entfernt (Richtlinie %q):\n\n", n.Policy)
	default:
		fmt.Fprintf(b, "Attachments were removed from this message (policy %q):\n\n", n.Policy)
	}
	seen := map[inspect.Kind]bool{}
	for _, f := range n.Files {
		fmt.Fprintf(b, "  - %s", f.Name)
		if f.Type != "" {
			fmt.Fprintf(b, " (%s)", f.Type)
		}
		switch {
		case f.Signed && de:
			b.WriteString(" (signiert)")
		case f.Signed:
			b.WriteString(" (signed)")
		}
		fmt.Fprintf(b, ": %s", Reason(lang, f.Kind))
		if f.Detail != "" {
			fmt.Fprintf(b, " [%s]", f.Detail)
		}
		b.WriteString("\n")
		writeTextLine(b, lang, f)
		seen[f.Kind] = true
	}
	b.WriteString("\n")
	for _, f := range n.Files {
		if !seen[f.Kind] {
			continue
		}
		seen[f.Kind] = false
		a := n.Advice[f.Kind]
		if a == "" {
			a = Advice(lang, f.Kind)
		}
		if a != "" {
			b.WriteString(a + "\n")
		}
	}
	switch {
	case n.Rebuilt && de:
		b.WriteString("Der Aufbau der Nachricht war mehrdeutig (Mailprogramme lesen ihn unterschiedlich). Sie wurde aus den geprüften Teilen neu zusammengesetzt.\n")
	case n.Rebuilt:
		b.WriteString("The structure of the message was ambiguous (mail programs read it differently). It was put together anew from the parts that were checked.\n")
	}
	if len(n.SignatureBroken) > 0 {
		sig := strings.Join(n.SignatureBroken, ", ")
		if de {
			fmt.Fprintf(b, "Hinweis: Durch das Entfernen ist die Signatur (%s) dieser Nachricht nicht mehr gültig.\n", sig)
		} else {
			fmt.Fprintf(b, "Note: removing the attachments invalidated the signature (%s) of this message.\n", sig)
		}
	}
	switch {
	case n.Quarantined && de:
		fmt.Fprintf(b, "Das Original ist gesichert; Ihr Postmaster kann es unter der Kennung %s freigeben.\n", n.QueueID)
	case n.Quarantined:
		fmt.Fprintf(b, "The original was kept; your postmaster can release it quoting %s.\n", n.QueueID)
	case n.QueueID != "" && de:
		fmt.Fprintf(b, "Kennung: %s\n", n.QueueID)
	case n.QueueID != "":
		fmt.Fprintf(b, "Reference: %s\n", n.QueueID)
	}
}
