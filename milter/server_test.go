package milter

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/milter/internal/mta"
	"github.com/officemilter/officemilter/milter/internal/noop"
)

// startServer runs a Server for cfg on a loopback port and returns its
// address and log observer.
func startServer(t testing.TB, cfg *Config, opts ServerOptions) (string, *observer.ObservedLogs, *Server) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	opts.Log = zap.New(core)
	srv := NewServer(newTestFilter(cfg), opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String(), logs, srv
}

func TestServerAccept(t *testing.T) {
	addr, logs, _ := startServer(t, contribConfig(t), ServerOptions{})
	msg := readEML(t, "r1-02-docx-kept.eml")
	res := mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, msg)
	if res.End.Type != gomilter.ActionAccept {
		t.Fatalf("end action %+v", res.End)
	}
	if got := mta.HeaderValue(res.Msg, "X-Officemilter"); got != "clean" {
		t.Errorf("X-Officemilter %q", got)
	}
	if _, body := mta.SplitMessage(res.Msg); !bytes.Equal(body, msg[bytes.Index(msg, []byte("\r\n\r\n"))+4:]) {
		t.Error("clean message body changed")
	}
	line := logs.FilterMessage("message").All()
	if len(line) != 1 || line[0].ContextMap()["queue_id"] != "4ABC12" || line[0].ContextMap()["action"] != "accept" {
		t.Errorf("log line %+v", line)
	}
}

func TestServerStrip(t *testing.T) {
	addr, _, _ := startServer(t, contribConfig(t), ServerOptions{})
	msg := readEML(t, "r1-06-doc-and-docx.eml")
	res := mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, msg)
	if res.End.Type != gomilter.ActionAccept {
		t.Fatalf("end %+v", res.End)
	}
	if got := mta.HeaderValue(res.Msg, "X-Officemilter"); got != "stripped; legacy-office; alt.doc" {
		t.Errorf("X-Officemilter %q", got)
	}
	if ct := mta.HeaderValue(res.Msg, "Content-Type"); !strings.Contains(ct, "boundary=\"=_officemilter_test\"") {
		t.Errorf("Content-Type %q", ct)
	}
	s := string(res.Msg)
	if strings.Contains(s, "filename=\"alt.doc\"") || !strings.Contains(s, "filename=\"neu.docx\"") {
		t.Error("wrong attachment removed")
	}
	if !strings.Contains(s, "Richtlinie") || !strings.Contains(s, "Attachments were removed") {
		t.Error("no notice")
	}
}

func TestServerReject(t *testing.T) {
	addr, _, _ := startServer(t, contribConfig(t), ServerOptions{})
	res := mta.Send(t, addr, "erika@example.com", []string{"strict@example.org"}, readEML(t, "r2-06-docm-rejected.eml"))
	if res.End.Type != gomilter.ActionRejectWithCode || res.End.SMTPCode != 550 || !strings.Contains(res.End.SMTPReply, "Rechnung.docm") || !strings.Contains(res.End.SMTPReply, "5.7.1") {
		t.Errorf("end %+v", res.End)
	}
}

// TestServerSplitRecipients: a second recipient under another policy gets
// 452 4.5.3; one under the same policy is accepted.
func TestServerSplitRecipients(t *testing.T) {
	addr, _, _ := startServer(t, contribConfig(t), ServerOptions{})
	res := mta.Send(t, addr, "erika@example.com", []string{"anna@example.net", "strict@example.org", "bob@example.com"}, readEML(t, "r1-03-doc-stripped.eml"))
	if a := res.Rcpt["anna@example.net"]; a.Type != gomilter.ActionContinue {
		t.Errorf("first rcpt %+v", a)
	}
	if a := res.Rcpt["strict@example.org"]; a.Type != gomilter.ActionRejectWithCode || a.SMTPCode != 452 || !strings.Contains(a.SMTPReply, "4.5.3") {
		t.Errorf("other policy %+v", a)
	}
	if a := res.Rcpt["bob@example.com"]; a.Type != gomilter.ActionContinue {
		t.Errorf("same policy %+v", a)
	}
	if res.End.Type != gomilter.ActionAccept || !strings.Contains(mta.HeaderValue(res.Msg, "X-Officemilter"), "stripped") {
		t.Errorf("the message for the first policy: %+v", res.End)
	}
}

func TestServerTooBig(t *testing.T) {
	cfg := contribConfig(t)
	cfg.Spool.MaxMessage = 1 << 20
	cfg.Spool.Memory = 64 << 10
	addr, _, _ := startServer(t, cfg, ServerOptions{})
	msg := buildMessage("anna@example.net", map[string][]byte{"big.bin": bytes.Repeat([]byte("x"), 2<<20)})
	res := mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, msg)
	if res.End.Type != gomilter.ActionRejectWithCode || res.End.SMTPCode != 552 || !strings.Contains(res.End.SMTPReply, "5.3.4") {
		t.Errorf("end %+v", res.End)
	}
	if ents, _ := os.ReadDir(cfg.Spool.Dir); len(ents) != 0 {
		t.Errorf("%d spool files left", len(ents))
	}
}

// TestServerOnError: when officemilter cannot spool, the MTA gets 451 and
// the sender keeps the message.
func TestServerOnError(t *testing.T) {
	cfg := contribConfig(t)
	cfg.Spool.Dir = filepath.Join(t.TempDir(), "missing", "dir")
	cfg.Spool.Memory = 16
	addr, _, srv := startServer(t, cfg, ServerOptions{})
	res := mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, readEML(t, "r1-01-text-only.eml"))
	if res.End.Type != gomilter.ActionRejectWithCode || res.End.SMTPCode != 451 || !strings.Contains(res.End.SMTPReply, "4.7.1") {
		t.Errorf("end %+v", res.End)
	}
	if srv.metrics.Errors.Load() != 1 {
		t.Errorf("errors metric %d", srv.metrics.Errors.Load())
	}
}

func TestServerQuarantine(t *testing.T) {
	cfg := contribConfig(t)
	qdir := filepath.Join(t.TempDir(), "quarantine")
	q, err := NewQuarantine(qdir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Quarantine.Dir = qdir
	addr, _, _ := startServer(t, cfg, ServerOptions{Quarantine: q})
	msg := readEML(t, "r1-03-doc-stripped.eml")
	mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, msg)
	mta.Send(t, addr, "erika@example.com", []string{"strict@example.org"}, readEML(t, "r2-06-docm-rejected.eml"))
	mta.Send(t, addr, "erika@example.com", []string{"anna@example.net"}, readEML(t, "r1-01-text-only.eml"))
	matches, _ := filepath.Glob(filepath.Join(qdir, "*", "*.eml"))
	if len(matches) != 2 {
		t.Fatalf("%d quarantined messages, want 2 (strip and reject)", len(matches))
	}
	found := false
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		// The MTA's view: headers as sent plus CRLF body; the original
		// content must be there in full.
		if bytes.Contains(b, msg[bytes.Index(msg, []byte("\r\n\r\n")):]) {
			found = true
		}
	}
	if !found {
		t.Error("the stripped message's original is not in the quarantine")
	}
}

// TestGuardJunkPeers: a peer that sends junk loses its connection; the
// daemon keeps serving everybody else.
func TestGuardJunkPeers(t *testing.T) {
	addr, _, srv := startServer(t, contribConfig(t), ServerOptions{})
	junk := [][]byte{
		{0, 0, 0, 0},                     // zero-length packet: the library would index data[0]
		{0xff, 0xff, 0xff, 0xff},         // 4 GiB packet
		[]byte("GET / HTTP/1.0\r\n\r\n"), // the wrong protocol
		append(negotiation(), packet('C', []byte("hostname-without-nul"))...),
		append(negotiation(), packet('M', []byte("<a@b>"))...),
		append(negotiation(), packet('R', []byte("<a@b>"))...),
		append(negotiation(), packet('C', []byte("host\x00"))...),
		append(negotiation(), packet('Z', nil)...),
		append(negotiation(), []byte{0, 0, 0, 0}...),
	}
	for i, j := range junk {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(j)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		io.Copy(io.Discard, c) // until the daemon closes
		c.Close()
		_ = i
	}
	// Still alive and correct.
	res := mta.Send(t, addr, "erika@example.com", []string{"strict@example.org"}, readEML(t, "r2-06-docm-rejected.eml"))
	if res.End.SMTPCode != 550 {
		t.Errorf("after junk: %+v", res.End)
	}
	if srv.metrics.BadPackets.Load() < 7 {
		t.Errorf("bad packets counted: %d", srv.metrics.BadPackets.Load())
	}
}

func packet(code byte, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)+1))
	return append(append(b, code), data...)
}

// negotiation is an MTA's option negotiation packet (version 6, all
// actions and protocol steps offered).
func negotiation() []byte {
	d := binary.BigEndian.AppendUint32(nil, 6)
	d = binary.BigEndian.AppendUint32(d, 0x1FF)
	d = binary.BigEndian.AppendUint32(d, 0x1FFFFF)
	return packet('O', d)
}

// FuzzGuard sends arbitrary bytes after a valid negotiation; whatever they
// are, the daemon must survive and answer the next client correctly.
func FuzzGuard(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	f.Add(packet('C', []byte("x")))
	f.Add(append(packet('M', []byte("<a@b>\x00")), packet('R', []byte("<c@d>\x00"))...))
	f.Add(packet('D', []byte{}))
	f.Add(packet('L', []byte("Subject\x00")))
	cfg := contribConfig(f)
	addr, _, _ := startServer(f, cfg, ServerOptions{})
	f.Fuzz(func(t *testing.T, junk []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(append(negotiation(), junk...))
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		io.Copy(io.Discard, c)
		c.Close()
		// The daemon is still there.
		c2, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatalf("daemon gone after %q: %v", junk, err)
		}
		c2.Write(negotiation())
		c2.SetReadDeadline(time.Now().Add(2 * time.Second))
		var hdr [5]byte
		if _, err := io.ReadFull(c2, hdr[:]); err != nil || hdr[4] != 'O' {
			t.Fatalf("no negotiation reply after %q: %v", junk, err)
		}
		c2.Close()
	})
}

// BenchmarkServerMessage measures the daemon's own cost per message over
// the milter protocol (the go-milter client plays Postfix on loopback), next
// to the do-nothing milter of the load run (go-milter's mailfilter reading
// the body and accepting) for the same text message. cpu-µs/msg is the CPU
// time of the whole process (client included, the same for all) per
// message: the difference between noop and text is what officemilter adds.
func BenchmarkServerMessage(b *testing.B) {
	for _, tc := range []struct{ name, file string }{
		{"noop", ""}, {"text", ""}, {"docx", "letter.docx"}, {"pdf", "letter.pdf"}, {"odt", "letter.odt"},
		{"docm", "invoice.docm"}, {"doc", "letter.doc"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var files map[string][]byte
			if tc.file != "" {
				data, err := os.ReadFile("../testdata/files/" + tc.file)
				if err != nil {
					b.Fatal(err)
				}
				files = map[string][]byte{"Bericht" + filepath.Ext(tc.file): data}
			}
			var addr string
			if tc.name == "noop" {
				addr = startNoop(b)
			} else {
				// As deployed: the stripped .doc's original goes to the
				// quarantine (written and synced).
				q, err := NewQuarantine(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				addr, _, _ = startServer(b, contribConfig(b), ServerOptions{Quarantine: q})
			}
			msg := buildMessage("anna@example.net", files)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			cpu0 := processCPU(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res := mta.Send(b, addr, "erika@example.com", []string{"anna@example.net"}, msg)
				if res.End.Type != gomilter.ActionAccept {
					b.Fatalf("%+v", res.End)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
}

// startNoop serves the do-nothing milter of the load run on loopback.
func startNoop(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ln.Close()
	f, err := noop.Listen("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return ln.Addr().String()
}

// processCPU is the user and system CPU time this process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestProgressDuringLongCheck: while a check runs, the MTA gets progress
// replies (SMFIR_PROGRESS) every progressEvery, and after them the final
// reply and modifications arrive intact. A proxy between client and daemon
// counts the packets.
func TestProgressDuringLongCheck(t *testing.T) {
	old := progressEvery
	progressEvery = 200 * time.Microsecond
	t.Cleanup(func() { progressEvery = old })
	addr, _, _ := startServer(t, contribConfig(t), ServerOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var progress atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				return
			}
			go func() { io.Copy(d, c); d.Close() }()
			go func() {
				defer c.Close()
				for {
					var hdr [5]byte
					if _, err := io.ReadFull(d, hdr[:]); err != nil {
						return
					}
					n := binary.BigEndian.Uint32(hdr[:4])
					if n == 0 || n > 1<<20 {
						return
					}
					body := make([]byte, n-1)
					if _, err := io.ReadFull(d, body); err != nil {
						return
					}
					if hdr[4] == 'p' {
						progress.Add(1)
					}
					if _, err := c.Write(append(hdr[:], body...)); err != nil {
						return
					}
				}
			}()
		}
	}()
	// A .doc to strip among a few MB of PDF: the check takes many
	// progress intervals, and the strip writes a new body afterwards.
	pdf, err := os.ReadFile("../testdata/files/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../testdata/files/letter.doc")
	if err != nil {
		t.Fatal(err)
	}
	pdf = append(pdf, bytes.Repeat([]byte("% padding\n"), 400000)...)
	msg := buildMessage("anna@example.net", map[string][]byte{"Scan.pdf": pdf, "Antrag.doc": doc})
	res := mta.Send(t, ln.Addr().String(), "erika@example.com", []string{"anna@example.net"}, msg)
	if res.End.Type != gomilter.ActionAccept {
		t.Fatalf("end %+v", res.End)
	}
	if got := mta.HeaderValue(res.Msg, "X-Officemilter"); !strings.HasPrefix(got, "stripped") {
		t.Errorf("X-Officemilter %q", got)
	}
	docHead := base64.StdEncoding.EncodeToString(doc[:57])
	if bytes.Contains(res.Msg, []byte(docHead)) || !bytes.Contains(res.Msg, []byte(base64.StdEncoding.EncodeToString(pdf[:57]))) {
		t.Errorf("new body: the .doc must be gone and the PDF kept")
	}
	if progress.Load() == 0 {
		t.Error("no progress reply during a long check")
	}
	t.Logf("%d progress replies", progress.Load())
}

// TestSpoolMemoryBudget: messages of testdata/eml and a large one go
// through the daemon, first with the default spool.memory_total and then
// with one of a single byte (every spool to its file at once): the
// decisions are the same, and when the sessions are over the spools hold
// no memory (a spool never closed would keep its share of the budget for
// the life of the process).
func TestSpoolMemoryBudget(t *testing.T) {
	defer inspect.SetSpoolMemoryLimit(0)
	var msgs [][]byte
	for _, name := range []string{"r1-01-text-only", "r1-02-docx-kept", "r1-03-doc-stripped", "r1-06-doc-and-docx",
		"r1-09-doc-in-forwarded-message", "r1-13-smime-signed-doc", "r1-15-tnef-with-doc", "r1-20-doc-in-zip",
		"r1-21-encrypted-zip", "r1-22-exe-not-in-rule-1", "r1-27-xls-velvetsweatshop"} {
		msgs = append(msgs, readEML(t, name+".eml"))
	}
	pdf, err := os.ReadFile("../testdata/files/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	big := append(pdf, bytes.Repeat([]byte("% padding\n"), 600000)...) // 6 MB, past spool.memory
	msgs = append(msgs, buildMessage("anna@example.net", map[string][]byte{"Scan.pdf": big}))
	decide := func(total ByteSize) []string {
		cfg := contribConfig(t)
		if total > 0 {
			cfg.Spool.MemoryTotal = total
		}
		addr, _, srv := startServer(t, cfg, ServerOptions{})
		var out []string
		for _, m := range msgs {
			// The organisation's policy (strips) and the strict mailbox's
			// (rejects).
			for _, rcpt := range []string{"anna@example.net", "strict@example.org"} {
				res := mta.Send(t, addr, "erika@example.com", []string{rcpt}, m)
				out = append(out, fmt.Sprintf("%d %s %d", res.End.Type, res.End.SMTPReply, len(res.Msg)))
			}
		}
		srv.Close()
		deadline := time.Now().Add(5 * time.Second)
		for inspect.SpoolMemory() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := inspect.SpoolMemory(); n != 0 {
			t.Errorf("memory_total %s: spools still hold %d bytes after the sessions", total, n)
		}
		return out
	}
	def := decide(0)
	tight := decide(1)
	if !slices.Equal(def, tight) {
		t.Errorf("decisions differ:\ndefault: %v\n1 byte: %v", def, tight)
	}
}
