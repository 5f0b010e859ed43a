package milter

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/notify"
)

// The text of removed legacy documents (Policy.LegacyText): in place of
// each Word, Excel or PowerPoint 97-2003 attachment a strip removes, a
// text/plain attachment with the document's text, read from the file's
// structures by the inspector of its format (inspect.Engine.Text), never by
// running or rendering it. The original still goes to the quarantine.

// DefaultLegacyTextMax caps one document's text when legacy_text_max is
// not set.
const DefaultLegacyTextMax = 1 << 20

// minLegacyTextMax is the smallest legacy_text_max accepted.
const minLegacyTextMax = 1 << 10

// maxLegacyTextMax is the largest legacy_text_max accepted: the texts are
// held in memory until the message is written.
const maxLegacyTextMax = 16 << 20

// maxLegacyTexts bounds the text attachments of one message; further
// documents are named in the notice without their text.
const maxLegacyTexts = 16

// textPart is one text attachment of a rewritten message.
type textPart struct {
	name string
	text []byte
}

// legacyTexts reads the text of each removed legacy document of res when
// its policy asks for it, records on the attachment what the notice says
// about it, and returns the parts to append to the message.
func (f *Filter) legacyTexts(ctx context.Context, res *Result) []textPart {
	pol := res.Policy
	if pol == nil || !pol.LegacyText {
		return nil
	}
	max := int(pol.EffectiveLegacyTextMax())
	var parts []textPart
	for _, at := range res.Attachments {
		if at.Action != Strip || !inspect.LegacyOffice(at.Type) || at.leaf.Open == nil {
			continue
		}
		if len(parts) == maxLegacyTexts {
			at.noText = notify.NoTextLimit
			continue
		}
		text, err := f.documentText(ctx, at, max)
		switch {
		case err == nil && len(text) == 0:
			at.noText = notify.NoTextEmpty
		case err == nil:
			at.textName = textName(at.Name)
			parts = append(parts, textPart{name: at.textName, text: text})
		case errors.Is(err, inspect.ErrTextEncrypted):
			at.noText = notify.NoTextEncrypted
		default:
			at.noText = notify.NoTextUnreadable
		}
	}
	return parts
}

// documentText spools the decoded attachment again and asks the engine for
// its text.
func (f *Filter) documentText(ctx context.Context, at *Attachment, max int) ([]byte, error) {
	sp, err := f.spoolLeaf(at.leaf.Open())
	defer sp.Close()
	if err != nil {
		return nil, err
	}
	return f.eng.Text(ctx, at.Name, sp, sp.Size(), max)
}

// textName is the name of the text attachment of a document named name:
// "Antrag.doc" → "Antrag.doc.txt", without control characters or path
// separators, at most 200 characters before ".txt".
func textName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == '"':
			return '_'
		case unicode.IsControl(r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" {
		name = "document"
	}
	if len(name) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	return name + ".txt"
}

// writeTexts writes the text attachments as parts of the rewritten body.
func (rw *rewrite) writeTexts(bw *errWriter) {
	for _, t := range rw.texts {
		eol := rw.eol
		bw.str("--" + rw.boundary + eol)
		bw.str("Content-Type: " + stdmime.FormatMediaType("text/plain", map[string]string{"charset": "utf-8", "name": t.name}) + eol)
		bw.str("Content-Disposition: " + stdmime.FormatMediaType("attachment", map[string]string{"filename": t.name}) + eol)
		bw.str("Content-Description: officemilter: text of a removed document" + eol)
		writeBase64Part(bw, eol, bytes.NewReader(t.text))
		bw.str(eol)
	}
}

// writeBase64 writes a Content-Transfer-Encoding: base64 field, the blank
// line and r's content in base64 lines of 76 characters.
func writeBase64Part(bw *errWriter, eol string, r io.Reader) {
	bw.str("Content-Transfer-Encoding: base64" + eol + eol)
	lw := &lineWriter{w: bw, eol: eol}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	if _, err := io.Copy(enc, r); err != nil && bw.err == nil {
		bw.err = err
	}
	_ = enc.Close()
	lw.end()
}

// EffectiveLegacyTextMax is the cap of each document's text under p.
func (p *Policy) EffectiveLegacyTextMax() ByteSize {
	if p.LegacyTextMax <= 0 {
		return DefaultLegacyTextMax
	}
	return p.LegacyTextMax
}

// validLegacyText checks a policy's legacy_text_max.
func validLegacyText(p *Policy) error {
	if p.LegacyTextMax < 0 || p.LegacyTextMax > maxLegacyTextMax || (p.LegacyTextMax > 0 && p.LegacyTextMax < minLegacyTextMax) {
		return fmt.Errorf("policy %q: legacy_text_max %s: want %s to %s", p.Name, p.LegacyTextMax, ByteSize(minLegacyTextMax), ByteSize(maxLegacyTextMax))
	}
	return nil
}
