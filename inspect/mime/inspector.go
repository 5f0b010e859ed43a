package mime

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector walks an .eml file or a message/rfc822 attachment
// (inspect.FamilyEML) like a container: attachments go back to the engine
// as children, encrypted content and what cannot be walked become findings.
type Inspector struct {
	lim Limits
}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns the FamilyEML inspector. Zero fields of lim come from the
// engine's limits (inspect.Part.Limits).
func New(lim Limits) *Inspector { return &Inspector{lim: lim} }

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	// An MHT document Office opens by its name is an "mht" (inspect.MessageType).
	s.SetType(inspect.MessageType(p.Name))
	lim := in.lim.under(p.Limits)
	lim.RootDepth = p.Depth
	return walkMessage(ctx, p, p.R, p.Size, lim, s, "message", true)
}

// walkMessage parses the message in r, found in the part p, and walks it
// for s: attachments are children (as deep below p as the message nests
// them, lim.RootDepth being the message's own depth); encrypted and
// unscannable leaves, and with withAmbiguous the ambiguities, are
// findings. what names the message in errors and findings ("message",
// "signed message").
func walkMessage(ctx context.Context, p inspect.Part, r io.ReaderAt, size int64, lim Limits, s inspect.Scope, what string, withAmbiguous bool) error {
	root, err := Parse(r, size, lim)
	if err != nil {
		if !errors.Is(err, inspect.ErrLimit) {
			return fmt.Errorf("%s: %w", what, err)
		}
		// A limit of the message parser (nesting, parts, header size):
		// report it and still walk what was parsed.
		s.Emit(parseLimitFinding(what+" ", err))
	}
	return Walk(ctx, r, root, lim, func(l Leaf) error {
		var kind inspect.Kind
		switch l.Role {
		case RoleAttachment:
			return inspect.ChildBelow(s, l.Name, l.Open(), l.Depth-p.Depth)
		case RoleEncrypted:
			kind = inspect.KindEncrypted
		case RoleUnscannable:
			kind = inspect.KindUnscannable
		case RoleAmbiguous:
			if !withAmbiguous {
				return nil
			}
			kind = inspect.KindAmbiguous
		default:
			return nil
		}
		s.Emit(inspect.Finding{Kind: kind, Detail: l.Detail, Where: l.Name})
		return nil
	})
}

// parseLimitFinding is the unscannable finding for a limit err of the
// message parser, its text after prefix ("message ").
func parseLimitFinding(prefix string, err error) inspect.Finding {
	f := inspect.Finding{Kind: inspect.KindUnscannable, Detail: prefix + err.Error()}
	var le *inspect.LimitError
	if errors.As(err, &le) {
		f.Limit = le.Limit
	}
	return f
}
