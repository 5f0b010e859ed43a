package milter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
	"github.com/officemilter/officemilter/notify"
)

// Filter decides about messages. The daemon (serve) and the corpus replayer
// (scan) call the very same Check, so their verdicts agree. It is safe for
// concurrent use.
type Filter struct {
	cfg  *Config
	eng  *inspect.Engine
	mlim mime.Limits
	// boundary makes the boundary of a rewritten message (random; tests
	// make it fixed for golden files).
	boundary func() string
}

// NewFilter returns a filter applying cfg's policies with the inspection
// engine eng.
func NewFilter(cfg *Config, eng *inspect.Engine) *Filter {
	return &Filter{cfg: cfg, eng: eng, boundary: randomBoundary,
		mlim: cfg.MessageLimits()}
}

// Config returns the filter's configuration.
func (f *Filter) Config() *Config { return f.cfg }

// Attachment is one attachment (or undecodable piece) of a message as the
// filter saw it.
type Attachment struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Declared string `json:"declared,omitempty"`
	Size     int64  `json:"size"`
	// Findings about the attachment; Where starts with its name.
	Findings []inspect.Finding `json:"findings"`
	// Action is what the policy does with it.
	Action Action `json:"action"`
	// Signed lists the signatures the attachment and the files inside it
	// carry, "path: detail" ("Antrag.pdf: PAdES signature (...) by ...");
	// none is verified. No policy acts on them: they are facts for the log
	// and the notice (inspect.NoteSigned).
	Signed []string `json:"signed,omitempty"`

	leaf  mime.Leaf
	index int // the leaf's position in the walk (see leafInfo)
	// signedSelf: a signature is the attachment's own, not only of a file
	// inside it.
	signedSelf bool
}

// leafInfo is what a rebuild needs to know of every leaf of the walk, in
// walk order (the walk is deterministic: the rebuild walks again and finds
// the same leaves at the same positions).
type leafInfo struct {
	role   mime.Role
	entity *mime.Entity
	inText bool
}

// Result is a verdict with everything needed to act on it.
type Result struct {
	Verdict
	Envelope    Envelope
	Policy      *Policy
	Attachments []*Attachment
	// Findings holds every finding, also those the policy accepts.
	Findings []inspect.Finding
	// SignatureBroken names signatures a strip invalidates.
	SignatureBroken []string
	// Bytes is the size of the message; Elapsed the time Check took.
	Bytes   int64
	Elapsed time.Duration

	msg     io.ReaderAt
	root    *mime.Entity
	rewrite *rewrite
	// ambiguities are the ways the message itself can be read differently
	// (kind ambiguous); leaves describes every leaf the walk visited.
	ambiguities []inspect.Finding
	leaves      []leafInfo
}

// ErrInternal wraps failures of officemilter itself (spool, I/O); the
// configured on_error answer applies.
var ErrInternal = errors.New("internal error")

// Check inspects the message in msg (size bytes: header block, blank line,
// body) for the envelope's recipients and returns the verdict. msg must stay
// readable until the result has been written out (WriteBody,
// WriteMessage). An error means officemilter could not decide (wraps
// ErrInternal): apply on_error.
func (f *Filter) Check(ctx context.Context, env Envelope, msg io.ReaderAt, size int64) (*Result, error) {
	start := time.Now()
	res := &Result{Envelope: env, Bytes: size, msg: msg}
	defer func() { res.Elapsed = time.Since(start) }()
	var pol *Policy
	for _, r := range env.Rcpts {
		if pol = f.cfg.PolicyFor(r); pol != nil {
			break
		}
	}
	if pol == nil {
		// No policy for these recipients: nothing to enforce.
		res.Action = Accept
		return res, nil
	}
	res.Policy = pol
	res.Verdict.Policy = pol.Name

	ctx, cancel := context.WithTimeout(ctx, time.Duration(f.cfg.Timeout))
	defer cancel()

	var msgFindings []inspect.Finding
	root, err := mime.Parse(msg, size, f.mlim)
	if err != nil {
		if !errors.Is(err, inspect.ErrLimit) {
			return nil, fmt.Errorf("%w: parse message: %v", ErrInternal, err)
		}
		msgFindings = append(msgFindings, inspect.Finding{Kind: inspect.KindUnscannable, Type: inspect.TypeEML, Detail: "message: " + err.Error()})
	} else {
		res.root = root
		if err := f.walk(ctx, res, root); err != nil {
			return nil, err
		}
		if root.Header.Get("DKIM-Signature") != "" {
			res.SignatureBroken = append(res.SignatureBroken, "DKIM")
		}
	}

	var total int64
	for _, a := range res.Attachments {
		total += a.Size
	}
	if pol.MaxAttachments > 0 && total > int64(pol.MaxAttachments) {
		msgFindings = append(msgFindings, inspect.Finding{Kind: inspect.KindTooLarge, Type: inspect.TypeEML,
			Detail: fmt.Sprintf("attachments total %s, over the limit of %s", ByteSize(total), pol.MaxAttachments)})
	}
	f.decide(res, pol, msgFindings)
	return res, nil
}

// walk inspects every attachment of the message, under every reading of
// it that mime.Walk finds (an ambiguous message is walked more than once;
// content seen before is not visited again).
func (f *Filter) walk(ctx context.Context, res *Result, root *mime.Entity) error {
	return mime.Walk(ctx, res.msg, root, f.mlim, func(l mime.Leaf) error {
		index := len(res.leaves)
		res.leaves = append(res.leaves, leafInfo{role: l.Role, entity: l.Entity, inText: l.InText})
		switch l.Role {
		case mime.RoleText, mime.RoleSignature:
			return nil
		case mime.RoleAmbiguous:
			detail := l.Detail
			if l.Name != "" {
				detail += " (" + l.Name + ")"
			}
			fd := inspect.Finding{Kind: inspect.KindAmbiguous, Type: inspect.TypeEML, Detail: inspect.Clean(detail, 200)}
			for _, x := range res.ambiguities {
				if x == fd {
					return nil
				}
			}
			res.ambiguities = append(res.ambiguities, fd)
			return nil
		case mime.RoleEncrypted:
			res.Attachments = append(res.Attachments, &Attachment{Name: l.Name, Type: inspect.TypeOther, leaf: l, index: index,
				Findings: []inspect.Finding{{Kind: inspect.KindEncrypted, Type: inspect.TypeOther, Where: l.Name, Detail: l.Detail}}})
			return nil
		case mime.RoleUnscannable:
			res.Attachments = append(res.Attachments, &Attachment{Name: l.Name, Type: inspect.TypeOther, leaf: l, index: index,
				Findings: []inspect.Finding{{Kind: inspect.KindUnscannable, Type: inspect.TypeOther, Where: l.Name, Detail: l.Detail}}})
			return nil
		}
		a, err := f.inspectLeaf(ctx, l)
		if err != nil {
			return err
		}
		a.index = index
		res.Attachments = append(res.Attachments, a)
		return nil
	})
}

func (f *Filter) inspectLeaf(ctx context.Context, l mime.Leaf) (*Attachment, error) {
	a := &Attachment{Name: l.Name, leaf: l}
	sp := inspect.NewSpool(f.cfg.Spool.Dir, int64(f.cfg.Spool.Memory), int64(f.cfg.Spool.MaxMessage), nil)
	defer sp.Close()
	_, err := sp.ReadFrom(l.Open())
	a.Size = sp.Size()
	if err != nil {
		if !errors.Is(err, inspect.ErrSpoolFull) {
			return nil, fmt.Errorf("%w: spool attachment %q: %v", ErrInternal, l.Name, err)
		}
		a.Type = inspect.TypeOther
		a.Findings = append(a.Findings, inspect.Finding{Kind: inspect.KindUnscannable, Type: inspect.TypeOther, Where: l.Name,
			Detail: fmt.Sprintf("decoded attachment larger than %s", f.cfg.Spool.MaxMessage)})
		return a, nil
	}
	declared := ""
	if l.Entity != nil && !l.Inner {
		declared = l.Entity.MediaType
	}
	r := f.eng.Inspect(ctx, l.Name, declared, sp, sp.Size())
	a.Type, a.Declared = r.Type, r.Declared
	for _, fd := range r.Findings {
		fd.Where = joinPath(l.Name, fd.Where)
		a.Findings = append(a.Findings, fd)
	}
	for _, n := range r.Notes {
		if n.Kind == inspect.NoteSigned {
			a.Signed = append(a.Signed, joinPath(l.Name, n.Where)+": "+n.Detail)
			a.signedSelf = a.signedSelf || n.Where == ""
		}
	}
	return a, nil
}

func joinPath(a, b string) string {
	switch {
	case b == "":
		return a
	case a == "":
		return b
	}
	return a + "/" + b
}

// decide applies the policy to the findings and fills res.Verdict.
func (f *Filter) decide(res *Result, pol *Policy, msgFindings []inspect.Finding) {
	action := Accept
	var reasons []inspect.Finding
	consider := func(fd inspect.Finding) Action {
		res.Findings = append(res.Findings, fd)
		a := pol.ActionFor(fd.Kind)
		if inspect.TimedOut(fd) {
			a = Stricter(a, f.cfg.OnError)
		}
		if a != Accept {
			reasons = append(reasons, fd)
		}
		return a
	}
	for _, at := range res.Attachments {
		at.Action = Accept
		if !pol.Allows(at.Type) {
			allowed := strings.Join(pol.AllowTypes, ", ")
			at.Findings = append(at.Findings, inspect.Finding{Kind: inspect.KindDisallowedType, Type: at.Type, Where: at.Name,
				Detail: fmt.Sprintf("type %s is not allowed (allowed: %s)", at.Type, allowed)})
		}
		for _, fd := range at.Findings {
			at.Action = Stricter(at.Action, consider(fd))
		}
		action = Stricter(action, at.Action)
	}
	// An ambiguous message: its attachments were inspected under every
	// reading (walk). A strip of it means a rebuilt message, and
	// "ambiguous: strip" rebuilds it even when nothing else is removed.
	for _, fd := range res.ambiguities {
		a := consider(fd)
		action = Stricter(action, a)
	}
	for _, fd := range msgFindings {
		a := consider(fd)
		if a == Strip {
			// A message-level finding has no single part to remove: every
			// attachment goes (too-large), or, with no parsable structure,
			// the message is refused.
			if res.root == nil {
				a = Reject
			}
			for _, at := range res.Attachments {
				at.Action = Stricter(at.Action, Strip)
			}
		}
		action = Stricter(action, a)
	}
	if action == Strip && len(res.SignatureBroken)+len(signedAncestors(res)) > 0 && pol.OnSigned == Reject {
		action = Reject
		reasons = append(reasons, inspect.Finding{Kind: inspect.KindDisallowedType, Type: inspect.TypeEML, Detail: "removing attachments would break the message signature"})
	}
	rebuild := false
	if action == Strip && strippedDecrypted(res) {
		// The part to remove is inside S/MIME encryption: the encrypted
		// body cannot be cut apart, and re-encrypting needs the sender's
		// key. Refuse (the reply names the inner file), or, where the site
		// wants it, deliver the decrypted message rebuilt from its
		// inspected parts without the removed one.
		switch pol.EncryptedStrip {
		case EncryptedDecrypt:
			rebuild = true
		default:
			action = Reject
		}
	}
	if action == Strip && len(res.ambiguities) > 0 {
		// Cutting by the offsets of one reading could leave a removed part
		// visible under another: deliver only what was inspected, or refuse.
		switch pol.AmbiguousStrip {
		case AmbiguousReject:
			action = Reject
		case AmbiguousTempfail:
			action = Tempfail
		default:
			rebuild = true
		}
		if action != Strip && !hasKind(reasons, inspect.KindAmbiguous) {
			reasons = append(reasons, res.ambiguities...)
		}
	}
	res.Action = action
	res.Reasons = reasons
	switch action {
	case Reject:
		res.Reply = rejectReply(pol, reasons, res.Envelope.QueueID)
	case Tempfail:
		res.Reply = tempfailReply(reasons, res.Envelope.QueueID)
	case Strip:
		for _, at := range res.Attachments {
			if at.Action == Strip {
				res.Stripped = append(res.Stripped, at.Name)
			}
		}
		res.SignatureBroken = append(res.SignatureBroken, signedAncestors(res)...)
		sort.Strings(res.SignatureBroken)
		res.SignatureBroken = dedupe(res.SignatureBroken)
		if rebuild {
			res.rewrite = f.planRebuild(res)
			if bad := unaddressable(res.rewrite.edits); bad != "" {
				// The milter protocol cannot name this field to remove it
				// (go-milter refuses names with whitespace or control
				// characters): the rebuild cannot be proven clean.
				res.rewrite = nil
				res.Stripped = nil
				res.SignatureBroken = nil
				res.Action = Reject
				res.Reasons = append(reasons, res.ambiguities...)
				res.Reasons = append(res.Reasons, inspect.Finding{Kind: inspect.KindAmbiguous, Type: inspect.TypeEML,
					Detail: "header field " + strconv.Quote(inspect.Clean(bad, 40)) + " cannot be removed"})
				res.Reply = rejectReply(pol, res.Reasons, res.Envelope.QueueID)
				return
			}
		} else {
			res.rewrite = f.planRewrite(res)
		}
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

// signedAncestors names the MIME signatures that enclose a stripped part.
func signedAncestors(res *Result) []string {
	var out []string
	for _, at := range res.Attachments {
		if at.Action != Strip || at.leaf.Entity == nil {
			continue
		}
		for e := at.leaf.Entity; e != nil; e = e.Parent {
			switch {
			case e.MediaType == "multipart/signed" && strings.Contains(strings.ToLower(e.Params["protocol"]), "pgp"):
				out = append(out, "PGP/MIME")
			case e.MediaType == "multipart/signed":
				out = append(out, "S/MIME")
			case at.leaf.Inner && e == at.leaf.Entity && strings.Contains(e.MediaType, "pkcs7-mime") &&
				!(at.leaf.Decrypted && strings.Contains(strings.ToLower(e.Params["smime-type"]), "enveloped")):
				// Opaque-signed content. (Encryption is no signature; a
				// signature inside it is found below.)
				out = append(out, "S/MIME")
			}
		}
		if at.leaf.Decrypted && at.leaf.Part != nil {
			// Signed, then encrypted: the signature lies in the decrypted
			// message.
			for e := at.leaf.Part.Parent; e != nil; e = e.Parent {
				switch {
				case e.MediaType == "multipart/signed" && strings.Contains(strings.ToLower(e.Params["protocol"]), "pgp"):
					out = append(out, "PGP/MIME")
				case e.MediaType == "multipart/signed":
					out = append(out, "S/MIME")
				}
			}
		}
	}
	return out
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// maxReplyFiles is how many files a reply names before "and N more".
const maxReplyFiles = 3

// rejectReply says which file, which rule and what to send instead.
// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets; we stay well
// under it and in ASCII.
func rejectReply(pol *Policy, reasons []inspect.Finding, queueID string) string {
	code := "552 5.3.4"
	for _, r := range reasons {
		if r.Kind != inspect.KindTooLarge {
			code = "550 5.7.1"
		}
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
			c.parts = append(c.parts, notify.Reason("en", string(r.Kind))+" ("+r.Detail+")")
		default:
			c.parts = append(c.parts, notify.Reason("en", string(r.Kind)))
		}
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
			a = notify.Advice("en", string(r.Kind))
		}
		if a != "" {
			text += " " + a
		}
	}
	if queueID != "" {
		text += " Queue ID " + queueID + "."
	}
	return code + " " + replyText(text)
}

func tempfailReply(reasons []inspect.Finding, queueID string) string {
	why := "attachments could not be checked right now"
	if len(reasons) > 0 {
		why = fmt.Sprintf("%s could not be checked right now (%s)", top(reasons[0].Where), reasons[0].Detail)
	}
	text := "Please try again later: " + why + "."
	if queueID != "" {
		text += " Queue ID " + queueID + "."
	}
	return "451 4.7.1 " + replyText(text)
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

// TooBig is the verdict for a message over spool.max_message: the daemon
// refuses it with 552 5.3.4 before inspecting anything (a truncated message
// is never a clean one); scan reports the same.
func (f *Filter) TooBig(env Envelope, size int64) *Result {
	res := &Result{Envelope: env, Bytes: size}
	res.Action = Reject
	res.Reasons = []inspect.Finding{{Kind: inspect.KindTooLarge, Type: inspect.TypeEML,
		Detail: fmt.Sprintf("message of %s over spool.max_message %s", ByteSize(size), f.cfg.Spool.MaxMessage)}}
	res.Findings = res.Reasons
	res.Reply = "552 5.3.4 " + replyText(fmt.Sprintf("Message too big for the attachment filter (limit %s).%s", f.cfg.Spool.MaxMessage, queueSuffix(env.QueueID)))
	return res
}
