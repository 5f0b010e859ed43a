package milter

import (
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
)

// TestNegotiateNoReply: an MTA that offers the no-reply options gets them
// for every step but RCPT (the 452 policy split must be answered) and no
// DATA step; one that offers none of them still gets a working milter that
// answers each step. In both the split and the decision work.
func TestNegotiateNoReply(t *testing.T) {
	addr, _, _ := startServer(t, contribConfig(t), ServerOptions{})
	for _, tc := range []struct {
		name    string
		offer   gomilter.OptProtocol
		noReply bool
	}{
		{"everything offered", 0, true},
		{"only the required options offered", protoRequired, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []gomilter.Option{gomilter.WithReadTimeout(time.Minute)}
			if tc.offer != 0 {
				opts = append(opts, gomilter.WithProtocols(tc.offer))
			}
			s, err := gomilter.NewClient("tcp", addr, opts...).Session(gomilter.NewMacroBag())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, o := range []gomilter.OptProtocol{gomilter.OptNoConnReply, gomilter.OptNoHeloReply, gomilter.OptNoMailReply,
				gomilter.OptNoHeaderReply, gomilter.OptNoEOHReply, gomilter.OptNoBodyReply, gomilter.OptNoData} {
				if s.ProtocolOption(o) != tc.noReply {
					t.Errorf("protocol option %v negotiated: %v", o, !tc.noReply)
				}
			}
			if s.ProtocolOption(gomilter.OptNoRcptReply) || s.ProtocolOption(gomilter.OptNoRcptTo) {
				t.Error("RCPT must be sent and answered")
			}
			step := func(what string, act *gomilter.Action, err error) {
				t.Helper()
				if err != nil || act.Type != gomilter.ActionContinue {
					t.Fatalf("%s: %+v %v", what, act, err)
				}
			}
			act, err := s.Conn("client.example", gomilter.FamilyInet, 4711, "192.0.2.1")
			step("connect", act, err)
			act, err = s.Helo("client.example")
			step("helo", act, err)
			act, err = s.Mail("erika@example.com", "")
			step("mail", act, err)
			act, err = s.Rcpt("anna@example.net", "")
			step("rcpt", act, err)
			act, err = s.Rcpt("strict@example.org", "")
			if err != nil || act.SMTPCode != 452 || !strings.Contains(act.SMTPReply, "4.5.3") {
				t.Fatalf("second policy's recipient: %+v %v", act, err)
			}
			act, err = s.DataStart()
			step("data", act, err)
			act, err = s.HeaderField("Subject", " Hallo", nil)
			step("header", act, err)
			act, err = s.HeaderEnd()
			step("eoh", act, err)
			mods, act, err := s.BodyReadFrom(strings.NewReader("Hallo Anna,\r\nbis morgen.\r\n"))
			if err != nil || act.Type != gomilter.ActionAccept {
				t.Fatalf("end: %+v %v", act, err)
			}
			if len(mods) == 0 || !strings.Contains(mods[0].HeaderValue, "clean") {
				t.Errorf("no status header: %+v", mods)
			}
		})
	}
}
