package milter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
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
	// textName names the text attachment that replaces a removed legacy
	// document (Policy.LegacyText); noText says why there is none
	// (notify.NoText*).
	textName, noText string
	// deciding is the finding that set Action (decide records it; the
	// notice names it); zero for an accepted attachment.
	deciding inspect.Finding
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
	// outcome says how a strip is carried out or why it became a refusal.
	outcome stripOutcome
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
		if pol = f.cfg.PolicyFor(env, r); pol != nil {
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
	f.decide(ctx, res, pol, msgFindings)
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
	sp, err := f.spoolLeaf(l.Open())
	defer sp.Close()
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
	// The attachment's MIME levels count against max_depth with the
	// containers inside it.
	r := f.eng.InspectAt(ctx, l.Name, declared, sp, sp.Size(), l.Depth)
	a.Type, a.Declared = r.Type, r.Declared
	for _, fd := range r.Findings {
		fd.Where = inspect.JoinWhere(l.Name, fd.Where)
		a.Findings = append(a.Findings, fd)
	}
	for _, n := range r.Notes {
		if n.Kind == inspect.NoteSigned {
			a.Signed = append(a.Signed, inspect.JoinWhere(l.Name, n.Where)+": "+n.Detail)
			a.signedSelf = a.signedSelf || n.Where == ""
		}
	}
	return a, nil
}

// spoolLeaf spools the decoded content of an attachment (the caller
// closes the spool, also after an error).
func (f *Filter) spoolLeaf(r io.Reader) (*inspect.Spool, error) {
	sp := inspect.NewSpool(f.cfg.Spool.Dir, int64(f.cfg.Spool.Memory), int64(f.cfg.Spool.MaxMessage), nil)
	_, err := sp.ReadFrom(r)
	return sp, err
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

// TooBig is the verdict for a message over spool.max_message: the daemon
// refuses it with 552 5.3.4 before inspecting anything (a truncated message
// is never a clean one); scan reports the same.
func (f *Filter) TooBig(env Envelope, size int64) *Result {
	res := &Result{Envelope: env, Bytes: size}
	res.Action = Reject
	res.Reasons = []inspect.Finding{{Kind: inspect.KindTooLarge, Type: inspect.TypeEML,
		Detail: fmt.Sprintf("message of %s over spool.max_message %s", ByteSize(size), f.cfg.Spool.MaxMessage)}}
	res.Findings = res.Reasons
	res.Reply = Reply{Code: 552, Enhanced: "5.3.4",
		Text: replyText(fmt.Sprintf("Message too big for the attachment filter (limit %s).%s", f.cfg.Spool.MaxMessage, queueSuffix(env.QueueID)))}
	return res
}
