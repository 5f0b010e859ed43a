package onenote

import (
	"context"
	"errors"
	"fmt"
	"io"

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

// readAt reads up to n bytes at off, clipped to the part. Callers bound n by
// a constant or by what they checked against p.Size, never by a header field
// alone.
func readAt(p inspect.Part, off int64, n int) ([]byte, error) {
	if off < 0 || off >= p.Size || n <= 0 {
		return nil, nil
	}
	if rest := p.Size - off; int64(n) > rest {
		n = int(rest)
	}
	b := make([]byte, n)
	k, err := p.R.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return b[:k], err
	}
	return b[:k], nil
}
