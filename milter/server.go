package milter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomilter "github.com/d--j/go-milter"
	"go.uber.org/zap"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/notify"
)

// Server adapts the Filter to the milter protocol (version 6, via
// github.com/d--j/go-milter): one session per MTA connection, the message
// spooled (memory, then a 0600 file, hard cap), the decision at
// end-of-message with progress replies while it is made.
type Server struct {
	filter     atomic.Pointer[Filter] // swapped by SetFilter (config reload)
	log        *zap.Logger
	metrics    *Metrics
	quarantine *Quarantine
	mailer     *notify.Mailer
	releaseKey []byte // verifies X-Officemilter-Release; nil: none honoured
	notifySem  chan struct{}
	srv        *gomilter.Server
	wg         sync.WaitGroup // notifications in flight
	ids        atomic.Uint64
	// replaceChunk is the body replacement packet size.
	replaceChunk int
}

// ServerOptions wire the optional parts of a Server.
type ServerOptions struct {
	Log        *zap.Logger
	Metrics    *Metrics
	Quarantine *Quarantine    // nil: no quarantine
	Mailer     *notify.Mailer // nil: no sender notifications
	ReleaseKey []byte         // quarantine.release_key; nil: releases are filtered like any mail
}

// progressEvery is how often a long end-of-message check tells the MTA it
// is still working (Postfix's milter_content_timeout is 300s).
const progressEvery = 5 * time.Second

// NewServer returns a milter server for f.
func NewServer(f *Filter, o ServerOptions) *Server {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	s := &Server{log: o.Log, metrics: o.Metrics, quarantine: o.Quarantine, mailer: o.Mailer, releaseKey: o.ReleaseKey, notifySem: make(chan struct{}, 8), replaceChunk: replaceChunk}
	s.filter.Store(f)
	o.Metrics.InspectPanics = f.eng.Panics
	s.srv = gomilter.NewServer(
		gomilter.WithDynamicMilter(func(uint32, gomilter.OptAction, gomilter.OptProtocol, gomilter.DataSize) gomilter.Milter {
			return &session{s: s, id: s.ids.Add(1)}
		}),
		gomilter.WithActions(gomilter.OptAddHeader|gomilter.OptChangeHeader|gomilter.OptChangeBody),
		// A reply to every step, although only RCPT (policy split) and
		// end-of-message decide anything: with the "no reply" options
		// Postfix writes several small packets in a row, Nagle holds each
		// back until the previous one is acknowledged, and the delayed ACK
		// of a silent peer costs 40 ms per message (measured: 165 instead
		// of 460 messages/s through Postfix). A reply is one small write on
		// loopback.
		gomilter.WithProtocols(gomilter.OptHeaderLeadingSpace|gomilter.OptNoUnknown),
		gomilter.WithMacroRequest(gomilter.StageMail, []gomilter.MacroName{gomilter.MacroAuthAuthen}),
		gomilter.WithMacroRequest(gomilter.StageEOM, []gomilter.MacroName{gomilter.MacroQueueId}),
		gomilter.WithReadTimeout(10*time.Minute),
		gomilter.WithWriteTimeout(time.Minute),
	)
	return s
}

// Serve answers milter connections on ln until Shutdown. Every connection
// goes through the packet guard first.
func (s *Server) Serve(ln net.Listener) error {
	rejected := &s.metrics.BadPackets
	err := s.srv.Serve(guardListener{Listener: ln, rejected: rejected})
	if errors.Is(err, gomilter.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, waits for open sessions (until ctx ends) and
// for notifications in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return err
}

// SetFilter makes f decide from the next transaction on (a reloaded
// configuration); transactions in progress finish with the filter they
// started with.
func (s *Server) SetFilter(f *Filter) {
	s.filter.Store(f)
	s.metrics.InspectPanics = f.eng.Panics
}

// Close stops the server at once.
func (s *Server) Close() error { return s.srv.Close() }

// session is one MTA connection; it may carry several transactions.
type session struct {
	s      *Server
	id     uint64
	client string
	helo   string

	// transaction state, reset by reset()
	filter   *Filter // the configuration this transaction runs under
	from     string
	auth     string
	rcpts    []string
	policy   *Policy
	spool    *inspect.Spool
	tooBig   bool
	seen     int64 // bytes of the message seen, also past the cap
	spoolErr error
	started  time.Time
	release  []string // values of X-Officemilter-Release headers
}

var _ gomilter.Milter = (*session)(nil)

func (ss *session) reset() {
	if ss.spool != nil {
		ss.spool.Close()
	}
	ss.from, ss.auth, ss.rcpts, ss.policy, ss.spool, ss.tooBig, ss.spoolErr = "", "", nil, nil, nil, false, nil
	ss.filter = nil
	ss.seen = 0
	ss.release = nil
}

// guard turns a panic in a callback into a closed connection (the MTA
// applies milter_default_action) instead of a dead daemon.
func (ss *session) guard(where string, err *error) {
	if v := recover(); v != nil {
		ss.s.metrics.Panics.Add(1)
		ss.s.log.Error("panic in milter session", zap.String("callback", where), zap.Any("panic", v), zap.Stack("stack"))
		*err = fmt.Errorf("panic in %s: %v", where, v)
	}
}

// cur returns the filter of the transaction, or the current one before
// MAIL FROM (Postfix may skip MAIL events only with options we do not set).
func (ss *session) cur() *Filter {
	if ss.filter != nil {
		return ss.filter
	}
	return ss.s.filter.Load()
}

func (ss *session) NewConnection(gomilter.Modifier) error {
	ss.s.metrics.Sessions.Add(1)
	return nil
}

func (ss *session) Connect(host, family string, port uint16, addr string, _ gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer ss.guard("connect", &err)
	ss.client = addr
	if ss.client == "" {
		ss.client = host
	}
	return gomilter.RespContinue, nil
}

func (ss *session) Helo(name string, _ gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer ss.guard("helo", &err)
	ss.helo = name
	return gomilter.RespContinue, nil
}

func (ss *session) MailFrom(from, _ string, m gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer ss.guard("mail", &err)
	ss.reset()
	ss.filter = ss.s.filter.Load()
	ss.from = from
	ss.auth = m.Get(gomilter.MacroAuthAuthen)
	ss.started = time.Now()
	return gomilter.RespContinue, nil
}

// RcptTo accepts the first recipient and every later one under the same
// policy; a recipient under another policy gets 452 4.5.3 so that the
// sending MTA delivers it in a transaction of its own (RFC 5321
// 4.5.3.1.10) and each message is judged by exactly one policy.
func (ss *session) RcptTo(rcpt, _ string, _ gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer ss.guard("rcpt", &err)
	pol := ss.cur().cfg.PolicyFor(rcpt)
	if len(ss.rcpts) > 0 && pol != ss.policy {
		ss.s.log.Info("recipient deferred to its own transaction",
			zap.String("rcpt", rcpt), zap.String("policy", policyName(pol)), zap.String("first_policy", policyName(ss.policy)))
		return gomilter.RejectWithCodeAndReason(452, fmt.Sprintf("4.5.3 Too many recipients: <%s> falls under another attachment policy; please retry it in a separate transaction", replyText(rcpt)))
	}
	ss.policy = pol
	ss.rcpts = append(ss.rcpts, rcpt)
	return gomilter.RespContinue, nil
}

func policyName(p *Policy) string {
	if p == nil {
		return "(none)"
	}
	return p.Name
}

func (ss *session) Data(gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (ss *session) ensureSpool() {
	if ss.spool == nil {
		cfg := ss.cur().cfg
		ss.spool = inspect.NewSpool(cfg.Spool.Dir, int64(cfg.Spool.Memory), int64(cfg.Spool.MaxMessage), nil)
	}
}

func (ss *session) write(b []byte) {
	ss.seen += int64(len(b))
	if ss.tooBig || ss.spoolErr != nil {
		return
	}
	ss.ensureSpool()
	if _, err := ss.spool.Write(b); err != nil {
		if errors.Is(err, inspect.ErrSpoolFull) {
			ss.tooBig = true
			return
		}
		ss.spoolErr = err
	}
}

func (ss *session) Header(name, value string, _ gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer ss.guard("header", &err)
	// The value arrives with its leading space (SMFIP_HDR_LEADSPC); folded
	// lines may come with bare LF.
	v := strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", "\n"), "\n", "\r\n")
	if strings.EqualFold(name, ReleaseHeader) {
		ss.release = append(ss.release, v)
	}
	ss.write([]byte(name + ":" + v + "\r\n"))
	return gomilter.RespContinue, nil
}

func (ss *session) Headers(gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer ss.guard("eoh", &err)
	ss.write([]byte("\r\n"))
	return gomilter.RespContinue, nil
}

func (ss *session) BodyChunk(chunk []byte, _ gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer ss.guard("body", &err)
	ss.write(chunk)
	return gomilter.RespContinue, nil
}

func (ss *session) Unknown(string, gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (ss *session) Abort(gomilter.Modifier) (err error) {
	defer ss.guard("abort", &err)
	ss.reset()
	return nil
}

func (ss *session) Cleanup(gomilter.Modifier) {
	var err error
	defer ss.guard("cleanup", &err)
	defer ss.s.metrics.Sessions.Add(-1)
	ss.reset()
}

// EndOfMessage decides, acts and logs one line about the message.
func (ss *session) EndOfMessage(m gomilter.Modifier) (resp *gomilter.Response, err error) {
	s := ss.s
	filter := ss.cur()
	cfg := filter.cfg
	env := Envelope{From: ss.from, Rcpts: ss.rcpts, QueueID: m.Get(gomilter.MacroQueueId), Client: ss.client, Helo: ss.helo, AuthUser: ss.auth}
	log := s.log.With(zap.String("queue_id", env.QueueID), zap.String("from", env.From), zap.Strings("rcpts", env.Rcpts))
	defer ss.reset()
	defer func() {
		if v := recover(); v != nil {
			s.metrics.Panics.Add(1)
			log.Error("panic deciding about message", zap.Any("panic", v), zap.Stack("stack"))
			resp, err = s.onError(filter, env, log, fmt.Errorf("panic: %v", v))
		}
	}()
	if ss.tooBig {
		res := filter.TooBig(env, ss.seen)
		s.metrics.Observe(res, time.Since(ss.started))
		s.logResult(log, res)
		code, text := splitReply(res.Reply)
		return gomilter.RejectWithCodeAndReason(code, text)
	}
	if ss.spoolErr != nil {
		return s.onError(filter, env, log, ss.spoolErr)
	}
	ss.ensureSpool()
	sp := ss.spool
	if len(ss.release) > 0 {
		if ok, err := s.released(m, ss.release, sp, cfg, log); ok || err != nil {
			return gomilter.RespAccept, err
		}
	}

	// Decide in the background; tell the MTA we are alive meanwhile.
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		defer func() {
			if v := recover(); v != nil {
				s.metrics.Panics.Add(1)
				done <- outcome{err: fmt.Errorf("panic in filter: %v", v)}
			}
		}()
		r, e := filter.Check(ctx, env, sp, sp.Size())
		done <- outcome{r, e}
	}()
	var out outcome
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
wait:
	for {
		select {
		case out = <-done:
			break wait
		case <-tick.C:
			if perr := m.Progress(); perr != nil && !errors.Is(perr, gomilter.ErrVersionTooLow) {
				cancel()
				out = <-done
				if out.err == nil {
					out.err = perr
				}
				break wait
			}
		}
	}
	if out.err != nil {
		return s.onError(filter, env, log, out.err)
	}
	res := out.res
	defer func() { s.metrics.Observe(res, time.Since(ss.started)) }()

	if s.quarantine != nil && filter.quarantines(res.Action) {
		path, qerr := s.quarantine.Store(res, sp, sp.Size())
		if qerr != nil {
			// Nothing is lost: without a copy we do not strip or reject.
			return s.onError(filter, env, log, qerr)
		}
		log = log.With(zap.String("quarantine", path))
	}
	switch res.Action {
	case Reject, Tempfail:
		s.logResult(log, res)
		code, text := splitReply(res.Reply)
		return gomilter.RejectWithCodeAndReason(code, text)
	}
	// Write the new body before touching anything: a failure then leaves
	// the message as it was (tempfail), never half changed.
	var body *inspect.Spool
	if res.Action == Strip {
		body = inspect.NewSpool(cfg.Spool.Dir, int64(cfg.Spool.Memory), 0, nil)
		defer body.Close()
		if err := res.WriteBody(body); err != nil {
			return s.onError(filter, env, log, err)
		}
	}
	for _, e := range res.HeaderEdits(cfg.Header) {
		if err := applyEdit(m, e); err != nil {
			return nil, err
		}
	}
	if body != nil {
		if err := replaceBody(m, body.Reader(), s.replaceChunk); err != nil {
			return nil, err
		}
		s.notifySender(res, log)
	}
	s.logResult(log, res)
	return gomilter.RespAccept, nil
}

func applyEdit(m gomilter.Modifier, e HeaderEdit) error {
	v := e.Value
	if v != "" {
		v = " " + v // SMFIP_HDR_LEADSPC: we send the space ourselves
	}
	if e.Index == 0 {
		return m.AddHeader(e.Name, v)
	}
	return m.ChangeHeader(e.Index, e.Name, v)
}

func queueSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " Queue ID " + id + "."
}

// splitReply turns "550 5.7.1 text" into the code and the rest.
func splitReply(reply string) (uint16, string) {
	code, rest, _ := strings.Cut(reply, " ")
	n, err := strconv.Atoi(code)
	if err != nil || n < 400 || n > 599 {
		return 451, "4.7.1 " + reply
	}
	return uint16(n), rest
}

// onError answers per on_error when officemilter itself failed.
func (s *Server) onError(f *Filter, env Envelope, log *zap.Logger, err error) (*gomilter.Response, error) {
	s.metrics.Errors.Add(1)
	if f.cfg.OnError == Accept {
		log.Error("could not check message; accepted (on_error: accept)", zap.Error(err))
		return gomilter.RespAccept, nil
	}
	log.Error("could not check message; tempfail", zap.Error(err))
	return gomilter.RejectWithCodeAndReason(451, "4.7.1 Temporary failure checking the attachments; please try again later."+queueSuffix(env.QueueID))
}

func (s *Server) logResult(log *zap.Logger, res *Result) {
	reasons := make([]string, 0, len(res.Findings))
	for _, f := range res.Findings {
		reasons = append(reasons, fmt.Sprintf("%s:%s@%s", f.Kind, f.Detail, f.Where))
	}
	fields := []zap.Field{
		zap.String("policy", res.Verdict.Policy), zap.String("action", string(res.Action)),
		zap.Strings("reasons", reasons), zap.Int64("bytes", res.Bytes),
		zap.Int("attachments", len(res.Attachments)), zap.Float64("ms", float64(res.Elapsed.Microseconds())/1000),
	}
	if len(res.Stripped) > 0 {
		fields = append(fields, zap.Strings("stripped", res.Stripped))
	}
	var signed []string
	for _, a := range res.Attachments {
		signed = append(signed, a.Signed...)
	}
	if len(signed) > 0 {
		fields = append(fields, zap.Strings("signed", signed))
	}
	if res.Reply != "" {
		fields = append(fields, zap.String("reply", res.Reply))
	}
	log.Info("message", fields...)
}

// notifySender tells the sender about removed attachments by mail, if the
// policy asks for it. Never for the null sender (that would answer a
// bounce) and, under "authenticated", only for senders who logged in:
// forged senders of inbound mail must not receive our mail (backscatter).
func (s *Server) notifySender(res *Result, log *zap.Logger) {
	pol := res.Policy
	if s.mailer == nil || pol == nil || res.Envelope.From == "" || res.rewrite == nil {
		return
	}
	switch pol.NotifySender {
	case "always":
	case "authenticated":
		if res.Envelope.AuthUser == "" {
			return
		}
	default:
		return
	}
	text := res.rewrite.notice
	to := res.Envelope.From
	msg := notify.Message(s.mailer.From, to, notify.SenderSubject(pol.Languages), text, time.Now())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// At most cap(notifySem) submissions at once; the others wait
		// their turn rather than being dropped.
		s.notifySem <- struct{}{}
		defer func() { <-s.notifySem }()
		if err := s.mailer.Send(context.Background(), to, msg); err != nil {
			s.metrics.NotifyFailed.Add(1)
			log.Error("sender notification failed", zap.String("to", to), zap.Error(err))
			return
		}
		log.Info("sender notified", zap.String("to", to))
	}()
}

// Listen opens the listening socket for a Postfix-style address. A stale
// unix socket file is removed first; the socket is made group-writable so
// that the postfix user (in the officemilter group) can connect.
func Listen(addr string) (net.Listener, error) {
	network, address, err := ParseListen(addr)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if fi, err := os.Lstat(address); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(address)
		}
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if err := os.Chmod(address, 0o660); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

// replaceChunk is the size of one body replacement packet: a full 64 KiB
// packet overruns libmilter-based peers that read replies into
// MILTER_CHUNK_SIZE (65535-byte) buffers, so stay clearly below it.
// (Debian's miltertest even keeps replacement chunks in 1 KiB; its test
// sets Server.replaceChunk to that.)
const replaceChunk = 60 << 10

func replaceBody(m gomilter.Modifier, r io.Reader, chunk int) error {
	buf := make([]byte, chunk)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if werr := m.ReplaceBodyRawChunk(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
