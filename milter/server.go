package milter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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
//
// It implements go-milter's low-level Milter interface rather than using
// its mailfilter backend, which would do much of the same (collect, decide
// at end-of-message with progress, apply the changes) but not what this
// filter needs: mailfilter.New opens the listening socket itself, so the
// packet guard (guard.go) cannot sit in front of it; its RCPT validator
// sees one recipient at a time, without the transaction's earlier ones, so
// it cannot answer 452 to a recipient whose policy differs from the first
// one's; it keeps header fields apart from the body and caps them (512
// lines, truncated by default), while the rewrite cuts the spooled message
// by byte offsets of header and body together; over its body limit it
// truncates, clears or answers a fixed 552 without queue ID (this filter
// never decides about a truncated message, and its limit counts the whole
// message); its body replacement goes out in packets of the full
// negotiated size, which overruns libmilter-based peers (replaceChunk);
// and a panic in its decision goroutine is not recovered.
type Server struct {
	filter     atomic.Pointer[Filter] // swapped by SetFilter (config reload)
	log        *zap.Logger
	metrics    *Metrics
	quarantine *Quarantine
	mailer     *notify.Mailer
	releaseKey []byte // verifies X-Officemilter-Release; nil: none honoured
	notifySem  chan struct{}
	// notifyBacklog counts notifications submitted or waiting to be, at
	// most notifyMax (maxNotifyBacklog).
	notifyBacklog atomic.Int64
	notifyMax     int64
	srv           *gomilter.Server
	wg            sync.WaitGroup // notifications in flight
	ids           atomic.Uint64
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

// maxNotifyBacklog bounds the sender notifications waiting for the MTA.
const maxNotifyBacklog = 1000

// progressEvery is how often a long end-of-message check tells the MTA it
// is still working (Postfix's milter_content_timeout is 300s).
var progressEvery = 5 * time.Second // a variable for tests

// NewServer returns a milter server for f.
func NewServer(f *Filter, o ServerOptions) *Server {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	s := &Server{log: o.Log, metrics: o.Metrics, quarantine: o.Quarantine, mailer: o.Mailer, releaseKey: o.ReleaseKey, notifySem: make(chan struct{}, 8), notifyMax: maxNotifyBacklog, replaceChunk: replaceChunk}
	s.SetFilter(f)
	if o.Quarantine != nil {
		o.Metrics.SetQuarantineDir(o.Quarantine.Dir)
	}
	s.srv = gomilter.NewServer(
		gomilter.WithDynamicMilter(func(uint32, gomilter.OptAction, gomilter.OptProtocol, gomilter.DataSize) gomilter.Milter {
			return &session{s: s, id: s.ids.Add(1)}
		}),
		gomilter.WithActions(gomilter.OptAddHeader|gomilter.OptChangeHeader|gomilter.OptChangeBody),
		gomilter.WithProtocols(protoRequired|protoOptional),
		gomilter.WithNegotiationCallback(negotiate),
		gomilter.WithMacroRequest(gomilter.StageMail, []gomilter.MacroName{gomilter.MacroAuthAuthen}),
		gomilter.WithMacroRequest(gomilter.StageEOM, []gomilter.MacroName{gomilter.MacroQueueId}),
		gomilter.WithReadTimeout(10*time.Minute),
		gomilter.WithWriteTimeout(time.Minute),
	)
	return s
}

// protoRequired are the protocol options officemilter cannot work without
// (header values with their leading space, no unknown commands).
const protoRequired = gomilter.OptHeaderLeadingSpace | gomilter.OptNoUnknown

// protoOptional are taken where the MTA offers them: no reply to the steps
// that never decide anything (connect, HELO, MAIL, each header, end of
// headers, each body chunk) and no DATA step at all. Only RCPT (the 452
// policy split) and end-of-message are answered. The MTA then writes a
// message's packets back to back, and the packet guard reads them with
// one system call; answering every step costs a write and a wake-up on
// both sides per packet.
const protoOptional = gomilter.OptNoConnReply | gomilter.OptNoHeloReply | gomilter.OptNoMailReply |
	gomilter.OptNoHeaderReply | gomilter.OptNoEOHReply | gomilter.OptNoBodyReply | gomilter.OptNoData

// negotiate is the library's negotiation with protoOptional made
// optional: an MTA that does not offer an option gets a reply to that
// step instead of a refused connection.
func negotiate(mtaVersion, milterVersion uint32, mtaActions, milterActions gomilter.OptAction, mtaProtocol, milterProtocol gomilter.OptProtocol, offered gomilter.DataSize) (uint32, gomilter.OptAction, gomilter.OptProtocol, gomilter.DataSize, error) {
	if mtaVersion < 2 || mtaVersion > gomilter.MaxServerProtocolVersion {
		return 0, 0, 0, 0, fmt.Errorf("milter: negotiate: unsupported protocol version %d", mtaVersion)
	}
	if milterActions&mtaActions != milterActions {
		return 0, 0, 0, 0, fmt.Errorf("milter: negotiate: MTA does not offer the actions %v", milterActions&^mtaActions)
	}
	if protoRequired&mtaProtocol != protoRequired {
		return 0, 0, 0, 0, fmt.Errorf("milter: negotiate: MTA does not offer the protocol options %v", protoRequired&^mtaProtocol)
	}
	return min(mtaVersion, milterVersion), milterActions, milterProtocol & mtaProtocol, offered, nil
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
	inspect.SetSpoolMemoryLimit(int64(f.cfg.Spool.MemoryTotal))
	s.metrics.AddEngine(f.eng) // counters go on across reloads
}

// Close stops the server at once.
func (s *Server) Close() error { return s.srv.Close() }

// session is one MTA connection; it may carry several transactions.
type session struct {
	s      *Server
	id     uint64
	client string
	helo   string
	hdr    []byte // one header line being spooled (reused)

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
	pol := ss.cur().cfg.PolicyFor(ss.envelope(""), rcpt)
	if len(ss.rcpts) > 0 && pol != ss.policy {
		ss.s.log.Info("recipient deferred to its own transaction",
			zap.String("rcpt", rcpt), zap.String("policy", policyName(pol)), zap.String("first_policy", policyName(ss.policy)))
		return gomilter.RejectWithCodeAndReason(452, fmt.Sprintf("4.5.3 Too many recipients: <%s> falls under another attachment policy; please retry it in a separate transaction", replyText(rcpt)))
	}
	ss.policy = pol
	ss.rcpts = append(ss.rcpts, rcpt)
	return gomilter.RespContinue, nil
}

// envelope is what the MTA has told about the transaction so far.
func (ss *session) envelope(queueID string) Envelope {
	return Envelope{From: ss.from, Rcpts: ss.rcpts, QueueID: queueID, Client: ss.client, Helo: ss.helo, AuthUser: ss.auth}
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
	// lines may come with bare LF or CRLF: spooled with CRLF.
	b := append(append(ss.hdr[:0], name...), ':')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '\r' && i+1 < len(value) && value[i+1] == '\n':
		case c == '\n':
			b = append(b, '\r', '\n')
		default:
			b = append(b, c)
		}
	}
	ss.hdr = append(b, '\r', '\n')
	if strings.EqualFold(name, ReleaseHeader) {
		ss.release = append(ss.release, string(b[len(name)+1:]))
	}
	ss.write(ss.hdr)
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
	env := ss.envelope(m.Get(gomilter.MacroQueueId))
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
		return refusal(res.Reply)
	}
	if ss.spoolErr != nil {
		return s.onError(filter, env, log, ss.spoolErr)
	}
	ss.ensureSpool()
	if len(ss.release) > 0 {
		if ok, err := s.released(m, ss.release, ss.spool, filter.cfg, log); ok || err != nil {
			return gomilter.RespAccept, err
		}
	}
	res, err := s.check(m, filter, env, ss.spool)
	if err != nil {
		return s.onError(filter, env, log, err)
	}
	defer func() { s.metrics.Observe(res, time.Since(ss.started)) }()
	return s.act(m, filter, res, ss.spool, log)
}

// check runs the filter on the session's goroutine and, while it runs,
// tells the MTA every progressEvery that we are alive (from a timer); the
// MTA going away cancels it. No goroutine is started per message: most
// checks end long before the first progress reply is due.
func (s *Server) check(m gomilter.Modifier, filter *Filter, env Envelope, sp *inspect.Spool) (*Result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu       sync.Mutex
		finished bool
		perr     error
		timer    *time.Timer
	)
	mu.Lock() // timer is set before its function can read it
	timer = time.AfterFunc(progressEvery, func() {
		mu.Lock()
		defer mu.Unlock()
		if finished {
			return
		}
		if err := m.Progress(); err != nil && !errors.Is(err, gomilter.ErrVersionTooLow) {
			perr = err
			cancel()
			return
		}
		timer.Reset(progressEvery)
	})
	mu.Unlock()
	// The session goes on writing to the MTA only after a progress reply
	// being sent has been written out.
	defer func() {
		mu.Lock()
		finished = true
		timer.Stop()
		mu.Unlock()
	}()
	res, err := filter.Check(ctx, env, sp, sp.Size())
	mu.Lock()
	if perr != nil && err == nil {
		err = perr
	}
	mu.Unlock()
	return res, err
}

// act carries out the verdict: keep the original where the configuration
// says so, then refuse, or change the message and notify the sender.
func (s *Server) act(m gomilter.Modifier, filter *Filter, res *Result, sp *inspect.Spool, log *zap.Logger) (*gomilter.Response, error) {
	log, err := s.keepOriginal(filter.cfg, res, sp, log)
	if err != nil {
		// Nothing is lost: without a copy we do not strip or reject.
		return s.onError(filter, res.Envelope, log, err)
	}
	switch res.Action {
	case Reject, Tempfail:
		s.logResult(log, res)
		return refusal(res.Reply)
	}
	if err := s.modify(m, filter.cfg, res); err != nil {
		if errors.Is(err, errNothingChanged) {
			return s.onError(filter, res.Envelope, log, err)
		}
		return nil, err
	}
	if res.rewrite != nil {
		s.notifySender(res, log)
	}
	s.logResult(log, res)
	return gomilter.RespAccept, nil
}

// keepOriginal stores the original in the quarantine when the
// configuration keeps messages of the verdict's action; the returned logger
// names the file.
func (s *Server) keepOriginal(cfg *Config, res *Result, sp *inspect.Spool, log *zap.Logger) (*zap.Logger, error) {
	if s.quarantine == nil || !cfg.quarantines(res.Action) {
		return log, nil
	}
	path, err := s.quarantine.Store(res, sp, sp.Size())
	if err != nil {
		return log, err
	}
	return log.With(zap.String("quarantine", path)), nil
}

// errNothingChanged marks a failure before the first change to the
// message: the message is as it was, so on_error can still answer.
var errNothingChanged = errors.New("new body not written")

// modify applies the header edits and, for a strip, the new body. The new
// body is written out before anything is touched: a failure then leaves the
// message as it was (errNothingChanged), never half changed. A failure
// after the first change breaks the connection, and the MTA applies its
// milter_default_action.
func (s *Server) modify(m gomilter.Modifier, cfg *Config, res *Result) error {
	var body *inspect.Spool
	if res.rewrite != nil {
		body = inspect.NewSpool(cfg.Spool.Dir, int64(cfg.Spool.Memory), 0, nil)
		defer body.Close()
		if err := res.WriteBody(body); err != nil {
			return fmt.Errorf("%w: %w", errNothingChanged, err)
		}
	}
	for _, e := range res.HeaderEdits(cfg.Header) {
		if err := applyEdit(m, e); err != nil {
			return err
		}
	}
	if body == nil {
		return nil
	}
	return replaceBody(m, body.Reader(), s.replaceChunk)
}

// refusal answers the MTA with a reject or tempfail reply.
func refusal(r Reply) (*gomilter.Response, error) {
	return gomilter.RejectWithCodeAndReason(r.Code, r.reason())
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
	if !res.Reply.IsZero() {
		fields = append(fields, zap.Stringer("reply", res.Reply))
	}
	if mon := res.Monitor; mon != nil {
		// Monitor mode: what would have happened.
		fields = append(fields, zap.String("monitor", string(mon.Action)))
		if len(mon.Stripped) > 0 {
			fields = append(fields, zap.Strings("monitor_stripped", mon.Stripped))
		}
		if !mon.Reply.IsZero() {
			fields = append(fields, zap.Stringer("monitor_reply", mon.Reply))
		}
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
	case NotifyAlways:
	case NotifyAuthenticated:
		if res.Envelope.AuthUser == "" {
			return
		}
	default:
		return
	}
	text := res.rewrite.notice
	to := res.Envelope.From
	msg := notify.Message(s.mailer.From, to, notify.SenderSubject(pol.Languages), text, time.Now())
	// At most cap(notifySem) submissions at once; the others wait their
	// turn, up to maxNotifyBacklog: beyond that (the MTA's sendmail hangs
	// until its timeout) a notification is dropped, logged and counted
	// rather than held in memory without bound.
	if s.notifyBacklog.Add(1) > s.notifyMax {
		s.notifyBacklog.Add(-1)
		s.metrics.NotifyDropped()
		log.Error("sender notification dropped: too many waiting for the MTA", zap.String("to", to), zap.Int64("waiting", s.notifyMax))
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.notifyBacklog.Add(-1)
		s.notifySem <- struct{}{}
		defer func() { <-s.notifySem }()
		if err := s.mailer.Send(context.Background(), to, msg); err != nil {
			s.metrics.NotifyFailed()
			log.Error("sender notification failed", zap.String("to", to), zap.Error(err))
			return
		}
		s.metrics.NotifySent()
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
