// Package mta plays the MTA side of the milter protocol in tests, the way
// Postfix does it (header values with their leading space, CRLF bodies), and
// applies the milter's modification requests to the message as an MTA
// would. It is used by the milter and replay tests; production code never
// imports it.
package mta

import (
	"bytes"
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
)

// Result is what an MTA sees of one transaction.
type Result struct {
	Rcpt map[string]*gomilter.Action
	End  *gomilter.Action
	Mods []gomilter.ModifyAction
	Msg  []byte // the message with the milter's changes applied
}

// Send plays the MTA: one transaction over the milter protocol, like
// Postfix does it (headers with their leading space, CRLF body).
func Send(t testing.TB, addr, from string, rcpts []string, msg []byte) Result {
	t.Helper()
	macros := gomilter.NewMacroBag()
	macros.Set(gomilter.MacroQueueId, "4ABC12")
	c := gomilter.NewClient("tcp", addr, gomilter.WithReadTimeout(time.Minute))
	s, err := c.Session(macros)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res := Result{Rcpt: map[string]*gomilter.Action{}}
	if _, err := s.Conn("client.example", gomilter.FamilyInet, 4711, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Helo("client.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Mail(from, ""); err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, r := range rcpts {
		act, err := s.Rcpt(r, "")
		if err != nil {
			t.Fatal(err)
		}
		res.Rcpt[r] = act
		if act.Type == gomilter.ActionContinue || act.Type == gomilter.ActionAccept {
			accepted++
		}
	}
	if accepted == 0 {
		return res
	}
	if _, err := s.DataStart(); err != nil {
		t.Fatal(err)
	}
	hdr, body := SplitMessage(msg)
	for _, f := range hdr {
		if _, err := s.HeaderField(f[0], f[1], nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.HeaderEnd(); err != nil {
		t.Fatal(err)
	}
	mods, act, err := s.BodyReadFrom(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.End, res.Mods = act, mods
	res.Msg = ApplyMods(hdr, body, mods)
	return res
}

// SplitMessage returns header fields (name, value with its leading space,
// folding kept) and the body.
func SplitMessage(msg []byte) ([][2]string, []byte) {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	head, body := msg[:end+2], msg[end+4:]
	var fields [][2]string
	for _, line := range strings.SplitAfter(string(head), "\r\n") {
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			fields[len(fields)-1][1] += "\n" + strings.TrimRight(line, "\r\n")
			continue
		}
		name, value, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		fields = append(fields, [2]string{name, value})
	}
	return fields, body
}

// ApplyMods does what an MTA does with the modification requests.
func ApplyMods(hdr [][2]string, body []byte, mods []gomilter.ModifyAction) []byte {
	var newBody []byte
	replaced := false
	for _, m := range mods {
		switch m.Type {
		case gomilter.ActionAddHeader:
			hdr = append(hdr, [2]string{m.HeaderName, m.HeaderValue})
		case gomilter.ActionChangeHeader:
			n := 0
			for i := range hdr {
				if strings.EqualFold(hdr[i][0], m.HeaderName) {
					n++
					if n == int(m.HeaderIndex) {
						if m.HeaderValue == "" {
							hdr = append(hdr[:i], hdr[i+1:]...)
						} else {
							hdr[i][1] = m.HeaderValue
						}
						break
					}
				}
			}
			if n < int(m.HeaderIndex) && m.HeaderValue != "" {
				hdr = append(hdr, [2]string{m.HeaderName, m.HeaderValue})
			}
		case gomilter.ActionReplaceBody:
			replaced = true
			newBody = append(newBody, m.Body...)
		}
	}
	if replaced {
		body = newBody
	}
	var b bytes.Buffer
	for _, f := range hdr {
		b.WriteString(f[0] + ":" + strings.ReplaceAll(f[1], "\n", "\r\n") + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// HeaderValue returns the first value of a header field, trimmed.
func HeaderValue(msg []byte, name string) string {
	hdr, _ := SplitMessage(msg)
	for _, f := range hdr {
		if strings.EqualFold(f[0], name) {
			return strings.TrimSpace(f[1])
		}
	}
	return ""
}
