package onenote

import (
	"context"
	"errors"
	"fmt"

	"github.com/officemilter/officemilter/inspect"
)

// Families are the families this package inspects.
var Families = []inspect.Family{inspect.FamilyOneNote, inspect.FamilyCHM}

// Inspector inspects OneNote revision store files and compiled HTML help.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns an inspector for Families.
func New() *Inspector { return &Inspector{} }

// Inspect dispatches on the family Sniff decided.
func (*Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	switch p.Family {
	case inspect.FamilyOneNote:
		return inspectOneNote(ctx, p, s)
	case inspect.FamilyCHM:
		return inspectCHM(ctx, p, s)
	}
	return fmt.Errorf("onenote: family %s not handled", p.Family)
}

// ErrMalformed marks a structure that readers would not accept.
var ErrMalformed = errors.New("malformed")
