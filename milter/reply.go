package milter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/notify"
)

// Reply is an SMTP reply as a value: the code, the enhanced status code
// (RFC 3463) and the text. It is written out as one line, "550 5.7.1 text"
// (String, and so in JSON), and handed to the milter protocol as its parts.
type Reply struct {
	Code     uint16 // 550, 552, 451
	Enhanced string // 5.7.1, 5.3.4, 4.7.1
	Text     string // printable ASCII, bounded (replyText)
}

// IsZero reports the absent reply of an accepted message.
func (r Reply) IsZero() bool { return r == Reply{} }

// String renders the reply line: "550 5.7.1 Rejected by ...".
func (r Reply) String() string {
	if r.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text)
}

// reason is what follows the code on the reply line.
func (r Reply) reason() string { return r.Enhanced + " " + r.Text }

// MarshalJSON writes the reply line as a JSON string.
func (r Reply) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads a reply line back (a quarantine sidecar).
func (r *Reply) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*r = Reply{}
		return nil
	}
	code, rest, _ := strings.Cut(s, " ")
	n, err := strconv.ParseUint(code, 10, 16)
	if err != nil || n < 200 || n > 599 {
		return fmt.Errorf("reply %q: no SMTP reply code", s)
	}
	enh, text, _ := strings.Cut(rest, " ")
	*r = Reply{Code: uint16(n), Enhanced: enh, Text: text}
	return nil
}

// maxReplyFiles is how many files a reply names before "and N more".
const maxReplyFiles = 3

// rejectReply says which file, which rule and what to send instead.
// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets; we stay well
// under it and in ASCII.
// brokenSigs, when set, names the signatures a strip would have broken
// (refusedSigned): the reply says so in a clause of its own.
func rejectReply(pol *Policy, reasons []inspect.Finding, brokenSigs []string, queueID string) Reply {
	reply := Reply{Code: 552, Enhanced: "5.3.4"}
	for _, r := range reasons {
		if r.Kind != inspect.KindTooLarge {
			reply.Code, reply.Enhanced = 550, "5.7.1"
		}
	}
	if len(brokenSigs) > 0 {
		reply.Code, reply.Enhanced = 550, "5.7.1"
	}
	// One clause per file: "invoice.docm: contains macros (VBA project),
	// type docm is not accepted".
	type clause struct {
		file  string
		kinds map[inspect.Kind]bool
		parts []string
	}
	var clauses []*clause
	byFile := map[string]*clause{}
	for _, r := range reasons {
		file := top(r.Where)
		if file == "" {
			file = "message"
		}
		c := byFile[file]
		if c == nil {
			c = &clause{file: file, kinds: map[inspect.Kind]bool{}}
			byFile[file] = c
			clauses = append(clauses, c)
		}
		if c.kinds[r.Kind] {
			continue
		}
		c.kinds[r.Kind] = true
		switch {
		case r.Kind == inspect.KindDisallowedType && r.Type != "" && r.Type != inspect.TypeEML:
			c.parts = append(c.parts, "type "+r.Type+" is not accepted")
		case r.Detail != "":
			c.parts = append(c.parts, notify.Reason("en", r.Kind)+" ("+r.Detail+")")
		default:
			c.parts = append(c.parts, notify.Reason("en", r.Kind))
		}
	}
	if len(brokenSigs) > 0 {
		clauses = append(clauses, &clause{file: "message", parts: []string{notify.BrokenSignature("en", brokenSigs)}})
	}
	var texts []string
	for i, c := range clauses {
		if i == maxReplyFiles {
			texts = append(texts, fmt.Sprintf("and %d more files", len(clauses)-maxReplyFiles))
			break
		}
		texts = append(texts, c.file+": "+strings.Join(c.parts, ", "))
	}
	text := fmt.Sprintf("Rejected by attachment policy %q: %s.", pol.Name, strings.Join(texts, "; "))
	advised := map[inspect.Kind]bool{}
	for _, r := range reasons {
		if advised[r.Kind] {
			continue
		}
		advised[r.Kind] = true
		a := pol.Advice[r.Kind]
		if a == "" && r.Kind == inspect.KindDisallowedType && len(pol.AllowTypes) > 0 {
			a = "Accepted types: " + strings.Join(pol.AllowTypes, ", ") + "."
		}
		if a == "" {
			a = notify.Advice("en", r.Kind)
		}
		if a != "" {
			text += " " + a
		}
	}
	if queueID != "" {
		text += " Queue ID " + queueID + "."
	}
	reply.Text = replyText(text)
	return reply
}

func tempfailReply(reasons []inspect.Finding, queueID string) Reply {
	why := "attachments could not be checked right now"
	if len(reasons) > 0 {
		why = fmt.Sprintf("%s could not be checked right now (%s)", top(reasons[0].Where), reasons[0].Detail)
	}
	text := "Please try again later: " + why + "."
	if queueID != "" {
		text += " Queue ID " + queueID + "."
	}
	return Reply{Code: 451, Enhanced: "4.7.1", Text: replyText(text)}
}

// top returns the first element of a Where path: the attachment's name.
func top(where string) string {
	if i := strings.IndexByte(where, '/'); i >= 0 {
		return where[:i]
	}
	return where
}

// maxReplyText keeps a reply line well under the 512-octet limit.
const maxReplyText = 400

// replyText makes s safe for an SMTP reply: printable ASCII only (German
// umlauts transliterated), no line breaks, bounded length.
func replyText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 'ä':
			b.WriteString("ae")
		case r == 'ö':
			b.WriteString("oe")
		case r == 'ü':
			b.WriteString("ue")
		case r == 'Ä':
			b.WriteString("Ae")
		case r == 'Ö':
			b.WriteString("Oe")
		case r == 'Ü':
			b.WriteString("Ue")
		case r == 'ß':
			b.WriteString("ss")
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	out := b.String()
	if len(out) > maxReplyText {
		out = out[:maxReplyText-3] + "..."
	}
	return out
}
