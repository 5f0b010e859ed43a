package milter

import (
	"fmt"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/officemilter/officemilter/inspect"
)

// This file is the one place that decides: which policy applies to a
// transaction (recipient, sender, authentication, client), what each
// finding costs under it, which finding decided an attachment's fate, how a
// strip that cannot be carried out becomes a refusal, and what monitor mode
// leaves of it all. Inspectors only report; rewrite.go and rebuild.go only
// carry out what is decided here.

// Action is what happens to a message (or an attachment) under a policy.
type Action string

const (
	// Accept delivers the message unchanged (findings are still recorded
	// in a header and the log).
	Accept Action = "accept"
	// Strip removes the attachment and delivers the rest with a notice.
	Strip Action = "strip"
	// Reject refuses the message with a permanent 5xx reply.
	Reject Action = "reject"
	// Tempfail refuses the message with a temporary 4xx reply; the sender
	// retries.
	Tempfail Action = "tempfail"
)

// severity orders actions: the strictest wins.
func (a Action) severity() int {
	switch a {
	case Strip:
		return 1
	case Tempfail:
		return 2
	case Reject:
		return 3
	}
	return 0
}

// Stricter returns the stricter of a and b.
func Stricter(a, b Action) Action {
	if b.severity() > a.severity() {
		return b
	}
	if a == "" {
		return Accept
	}
	return a
}

func (a *Action) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	switch Action(s) {
	case Accept, Strip, Reject, Tempfail:
		*a = Action(s)
		return nil
	}
	return fmt.Errorf("line %d: action %q: want accept, strip, reject or tempfail", n.Line, s)
}

// Mode says whether a policy acts on its decisions.
type Mode string

const (
	// Enforce (the default) carries out what the policy decides.
	Enforce Mode = "enforce"
	// Monitor decides as usual, logs and records it in the status header,
	// but accepts the message unchanged: for trying a policy on live mail.
	Monitor Mode = "monitor"
)

// monitors reports whether decisions under p are only recorded: the policy
// or the whole configuration runs in monitor mode.
func (c *Config) monitors(p *Policy) bool {
	return c.Mode == Monitor || p.Mode == Monitor
}

// PolicyFor returns the first policy that applies to the recipient rcpt of
// a transaction with the envelope env (its sender, authentication and
// client), nil when none does.
func (c *Config) PolicyFor(env Envelope, rcpt string) *Policy {
	for i := range c.Policies {
		if c.Policies[i].Matches(env, rcpt) {
			return &c.Policies[i]
		}
	}
	return nil
}

// Matches reports whether the policy applies to the recipient rcpt of a
// transaction with the envelope env: every condition the policy gives must
// hold; one it does not give holds for every message.
func (p *Policy) Matches(env Envelope, rcpt string) bool {
	if len(p.Recipients) > 0 && !matchAddress(p.Recipients, rcpt) {
		return false
	}
	if len(p.Senders) > 0 && !matchSender(p.Senders, env.From) {
		return false
	}
	if p.Authenticated != nil && *p.Authenticated != (env.AuthUser != "") {
		return false
	}
	if len(p.Clients) > 0 && !matchClient(p.Clients, env.Client) {
		return false
	}
	return true
}

// MatchesEverything reports whether the policy applies to every message:
// all recipients, no other condition.
func (p *Policy) MatchesEverything() bool {
	return len(p.Senders) == 0 && p.Authenticated == nil && len(p.Clients) == 0 &&
		(len(p.Recipients) == 0 || matchAddress(p.Recipients, "anyone@anywhere.invalid"))
}

// matchAddress matches an address against patterns: an address
// (strict@example.org), a domain (@example.org) or a pattern
// (*@lists.example.org, *), case-insensitively.
func matchAddress(patterns []string, addr string) bool {
	a := normAddress(addr)
	for _, pat := range patterns {
		pat = strings.ToLower(strings.TrimSpace(pat))
		switch {
		case pat == "*":
			return true
		case strings.HasPrefix(pat, "@"):
			if strings.HasSuffix(a, pat) {
				return true
			}
		case strings.ContainsAny(pat, "*?["):
			if ok, _ := path.Match(pat, a); ok {
				return true
			}
		case pat == a:
			return true
		}
	}
	return false
}

func normAddress(addr string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
}

// matchSender matches the envelope sender; the pattern "<>" is the null
// sender of bounces and notifications, which no other pattern but "*"
// matches.
func matchSender(patterns []string, from string) bool {
	if normAddress(from) == "" {
		for _, pat := range patterns {
			if pat = strings.TrimSpace(pat); pat == "<>" || pat == "*" {
				return true
			}
		}
		return false
	}
	return matchAddress(patterns, from)
}

// matchClient reports whether the client address lies in one of the
// networks. A client without an IP address (a local submission the MTA
// names by host only) lies in none.
func matchClient(networks []string, client string) bool {
	ip, err := netip.ParseAddr(strings.Trim(client, "[]"))
	if err != nil {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, n := range networks {
		if pfx, err := parseNetwork(n); err == nil && pfx.Contains(ip) {
			return true
		}
	}
	return false
}

// parseNetwork reads a client selector: a network in CIDR notation
// (192.0.2.0/24, 2001:db8::/32) or a single address.
func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return pfx.Masked(), nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	ip = ip.Unmap()
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// ActionFor returns the policy's action for a finding kind.
func (p *Policy) ActionFor(k inspect.Kind) Action {
	if a, ok := p.Actions[k]; ok {
		return a
	}
	return Accept
}

// Allows reports whether an attachment type is allowed.
func (p *Policy) Allows(typ string) bool {
	if len(p.AllowTypes) == 0 {
		return true
	}
	for _, t := range p.AllowTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// quarantines reports whether originals of messages with action a are kept.
func (c *Config) quarantines(a Action) bool {
	for _, q := range c.Quarantine.Actions {
		if q == a {
			return true
		}
	}
	return false
}

// stripOutcome says how a strip is carried out, or why the policy refused
// the message instead: each such decision has a value of its own.
type stripOutcome int

const (
	// stripCut cuts the removed parts out by their offsets (rewrite.go).
	stripCut stripOutcome = iota
	// stripRebuild makes the message anew from its inspected parts
	// (rebuild.go): an ambiguous message, or decrypted S/MIME content under
	// encrypted_strip: decrypt.
	stripRebuild
	// refusedSigned: removing the parts would break a signature of the
	// message and on_signed says reject.
	refusedSigned
	// refusedEncrypted: a part to remove lies inside S/MIME encryption and
	// encrypted_strip says reject.
	refusedEncrypted
	// refusedAmbiguous: the message reads in more than one way and
	// ambiguous_strip says reject or tempfail.
	refusedAmbiguous
	// refusedUnaddressable: the rebuilt header cannot be written through
	// the milter protocol, so the rebuild cannot be proven clean.
	refusedUnaddressable
)

// signatureFinding records refusedSigned among a verdict's reasons. Its kind
// stays disallowed-type, the reason code the JSON output and the metrics
// have always shown for it; the decision itself is refusedSigned and the
// reply says what it means.
var signatureFinding = inspect.Finding{Kind: inspect.KindDisallowedType, Type: inspect.TypeEML,
	Detail: "removing attachments would break the message signature"}

// decision is one message being decided: the policy, the action so far
// and the findings that led to it.
type decision struct {
	res     *Result
	pol     *Policy
	onError Action
	action  Action
	reasons []inspect.Finding
	// brokenSigs names the signatures a strip would break (refusedSigned).
	brokenSigs []string
}

// decide applies the policy to the findings and fills res.Verdict (and,
// for a strip, the plan of the new message).
func (f *Filter) decide(res *Result, pol *Policy, msgFindings []inspect.Finding) {
	d := &decision{res: res, pol: pol, onError: f.cfg.OnError, action: Accept}
	d.judgeAttachments()
	d.judgeAmbiguities()
	d.judgeMessage(msgFindings)
	f.conclude(d, d.howToStrip())
	if f.cfg.monitors(pol) {
		res.monitor()
	}
}

// consider records a finding and returns what the policy does about it; a
// timed-out inspection costs at least on_error.
func (d *decision) consider(fd inspect.Finding) Action {
	d.res.Findings = append(d.res.Findings, fd)
	a := d.pol.ActionFor(fd.Kind)
	if inspect.TimedOut(fd) {
		a = Stricter(a, d.onError)
	}
	if a != Accept {
		d.reasons = append(d.reasons, fd)
	}
	return a
}

// judgeAttachments decides each attachment by the strictest action of its
// findings (a type outside allow_types is one more finding) and records
// the first finding that reached it: the one the notice names.
func (d *decision) judgeAttachments() {
	pol := d.pol
	for _, at := range d.res.Attachments {
		at.Action = Accept
		if !pol.Allows(at.Type) {
			allowed := strings.Join(pol.AllowTypes, ", ")
			at.Findings = append(at.Findings, inspect.Finding{Kind: inspect.KindDisallowedType, Type: at.Type, Where: at.Name,
				Detail: fmt.Sprintf("type %s is not allowed (allowed: %s)", at.Type, allowed)})
		}
		for _, fd := range at.Findings {
			if a := d.consider(fd); a.severity() > at.Action.severity() {
				at.Action, at.deciding = a, fd
			}
		}
		d.action = Stricter(d.action, at.Action)
	}
}

// judgeAmbiguities weighs the ways the message itself reads differently.
// Its attachments were inspected under every reading (walk); a strip of an
// ambiguous message means a rebuilt one, and "ambiguous: strip" rebuilds it
// even when nothing else is removed.
func (d *decision) judgeAmbiguities() {
	for _, fd := range d.res.ambiguities {
		d.action = Stricter(d.action, d.consider(fd))
	}
}

// judgeMessage weighs the findings about the message as a whole. Such a
// finding has no single part to remove: a strip removes every attachment
// (too-large), or, with no parsable structure, refuses the message.
func (d *decision) judgeMessage(msgFindings []inspect.Finding) {
	res := d.res
	for _, fd := range msgFindings {
		a := d.consider(fd)
		if a == Strip {
			if res.root == nil {
				a = Reject
			}
			for _, at := range res.Attachments {
				if at.Action.severity() < Strip.severity() {
					// The notice gives the reason phrase of the kind; the
					// detail (the total) belongs to the message, not the file.
					at.Action, at.deciding = Strip, inspect.Finding{Kind: fd.Kind}
				}
			}
		}
		d.action = Stricter(d.action, a)
	}
}

// howToStrip decides how a strip is carried out, or turns it into a
// refusal where the policy says so: a strip that breaks a signature
// (on_signed), one inside S/MIME encryption (encrypted_strip), one of an
// ambiguous message (ambiguous_strip).
func (d *decision) howToStrip() stripOutcome {
	if d.action != Strip {
		return stripCut
	}
	res, pol := d.res, d.pol
	if pol.OnSigned == Reject {
		if sigs := append(append([]string(nil), res.SignatureBroken...), signedAncestors(res)...); len(sigs) > 0 {
			sort.Strings(sigs)
			d.action, d.brokenSigs = Reject, dedupe(sigs)
			return refusedSigned
		}
	}
	outcome := stripCut
	if strippedDecrypted(res) {
		// The encrypted body cannot be cut apart, and re-encrypting needs
		// the sender's key. Refuse (the reply names the inner file), or,
		// where the site wants it, deliver the decrypted message rebuilt
		// from its inspected parts without the removed one.
		if pol.EncryptedStrip != EncryptedDecrypt {
			d.action = Reject
			return refusedEncrypted
		}
		outcome = stripRebuild
	}
	if len(res.ambiguities) > 0 {
		// Cutting by the offsets of one reading could leave a removed part
		// visible under another: deliver only what was inspected, or refuse.
		switch pol.AmbiguousStrip {
		case AmbiguousReject:
			d.action = Reject
		case AmbiguousTempfail:
			d.action = Tempfail
		default:
			return stripRebuild
		}
		if !hasKind(d.reasons, inspect.KindAmbiguous) {
			d.reasons = append(d.reasons, res.ambiguities...)
		}
		return refusedAmbiguous
	}
	return outcome
}

// conclude fills the verdict: the action, its reasons and reply, and for a
// strip the plan of the new message.
func (f *Filter) conclude(d *decision, outcome stripOutcome) {
	res := d.res
	res.Action, res.Reasons, res.outcome = d.action, d.reasons, outcome
	switch d.action {
	case Reject:
		res.Reply = rejectReply(d.pol, d.reasons, d.brokenSigs, res.Envelope.QueueID)
		if outcome == refusedSigned {
			res.Reasons = append(res.Reasons, signatureFinding)
		}
	case Tempfail:
		res.Reply = tempfailReply(d.reasons, res.Envelope.QueueID)
	case Strip:
		f.planStrip(res, outcome)
	}
}

// planStrip names the removed attachments and the signatures that break,
// and plans the new message. A rebuild whose header the milter protocol
// cannot carry becomes a refusal.
func (f *Filter) planStrip(res *Result, outcome stripOutcome) {
	for _, at := range res.Attachments {
		if at.Action == Strip {
			res.Stripped = append(res.Stripped, at.Name)
		}
	}
	res.SignatureBroken = append(res.SignatureBroken, signedAncestors(res)...)
	sort.Strings(res.SignatureBroken)
	res.SignatureBroken = dedupe(res.SignatureBroken)
	if outcome != stripRebuild {
		res.rewrite = f.planRewrite(res)
		return
	}
	res.rewrite = f.planRebuild(res)
	if bad := unaddressable(res.rewrite.edits); bad != "" {
		// go-milter refuses names with whitespace or control characters.
		reasons := append(res.Reasons, res.ambiguities...)
		reasons = append(reasons, inspect.Finding{Kind: inspect.KindAmbiguous, Type: inspect.TypeEML,
			Detail: "header field " + strconv.Quote(inspect.Clean(bad, 40)) + " cannot be removed"})
		res.rewrite, res.Stripped, res.SignatureBroken = nil, nil, nil
		res.Action, res.Reasons, res.outcome = Reject, reasons, refusedUnaddressable
		res.Reply = rejectReply(res.Policy, reasons, nil, res.Envelope.QueueID)
	}
}

// strippedDecrypted reports a stripped attachment that came out of
// decrypted S/MIME content.
func strippedDecrypted(res *Result) bool {
	for _, at := range res.Attachments {
		if at.Action == Strip && at.leaf.Decrypted {
			return true
		}
	}
	return false
}

// unaddressable returns the name of an edit the milter protocol cannot
// carry (empty, or with whitespace, control characters or a colon), "" when
// all can be.
func unaddressable(edits []HeaderEdit) string {
	for _, e := range edits {
		if e.Name == "" {
			return e.Name
		}
		for i := 0; i < len(e.Name); i++ {
			if c := e.Name[i]; c <= ' ' || c >= 0x7f || c == ':' {
				return e.Name
			}
		}
	}
	return ""
}

func hasKind(fs []inspect.Finding, k inspect.Kind) bool {
	for _, f := range fs {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// Monitored is what a policy in monitor mode would have done; the message
// itself was accepted unchanged.
type Monitored struct {
	Action   Action   `json:"action"`
	Reply    Reply    `json:"reply,omitzero"`
	Stripped []string `json:"stripped,omitempty"`
}

// monitor keeps the decision as what would have happened and accepts the
// message unchanged: nothing stripped, refused, quarantined or notified.
func (res *Result) monitor() {
	res.Monitor = &Monitored{Action: res.Action, Reply: res.Reply, Stripped: res.Stripped}
	res.Action, res.Reply, res.Stripped = Accept, Reply{}, nil
	res.rewrite, res.SignatureBroken = nil, nil
}
