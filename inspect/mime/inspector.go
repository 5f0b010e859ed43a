package mime

import (
	"context"
	"errors"
	"fmt"

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
	root, err := Parse(p.R, p.Size, lim)
	if err != nil {
		if !errors.Is(err, inspect.ErrLimit) {
			return fmt.Errorf("message: %w", err)
		}
		// A limit of the message parser (nesting, parts, header size):
		// report it and still walk what was parsed.
		s.Emit(parseLimitFinding("message ", err))
	}
	return Walk(ctx, p.R, root, lim, func(l Leaf) error {
		switch l.Role {
		case RoleAttachment:
			return s.Child(l.Name, l.Open())
		case RoleEncrypted:
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: l.Detail, Where: l.Name})
		case RoleUnscannable:
			s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Detail: l.Detail, Where: l.Name})
		case RoleAmbiguous:
			s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Detail: l.Detail, Where: l.Name})
		}
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
