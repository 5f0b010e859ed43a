package tnef

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector inspects TNEF streams (winmail.dat).
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns a TNEF inspector.
func New() *Inspector { return &Inspector{} }

// Inspect hands every attachment of the TNEF stream in p, and its RTF body,
// to s.Child. An embedded message goes as its own TNEF stream, so the
// engine brings it back here one level deeper.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	lim := p.Limits.WithDefaults()
	s.SetType(inspect.TypeTNEF)
	m, derr := Decode(ctx, p.R, p.Size, lim.MaxParts)
	if m == nil {
		return derr
	}
	for i, a := range m.Attachments {
		if a.Data == nil {
			continue
		}
		name := a.Name()
		if name == "" {
			name = fmt.Sprintf("attachment%d", i+1)
		}
		if err := s.ChildAt(name, a.Data, a.Data.Size()); err != nil {
			return err
		}
	}
	if m.RTF != nil {
		rtf, err := DecompressRTF(m.RTF, m.RTF.Size(), lim.MaxPartSize)
		switch {
		case errors.Is(err, ErrRTFTooLarge):
			s.Emit(inspect.LimitFinding(inspect.LimitPartSize, lim.MaxPartSize).At("message.rtf"))
		case err != nil:
			s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: "message.rtf", Detail: err.Error()})
		case len(rtf) > 0:
			if err := s.ChildAt("message.rtf", bytes.NewReader(rtf), int64(len(rtf))); err != nil {
				return err
			}
		}
	}
	return derr
}
