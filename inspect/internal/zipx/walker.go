package zipx

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// Walker is what the OOXML and ODF inspectors share while they walk one
// package: its context, limits and scope, and the first error that left
// the walk incomplete. Each embeds it in its own package state.
type Walker struct {
	Ctx context.Context
	Lim inspect.Limits
	S   inspect.Scope
	// Err is the first error that left the inspection incomplete; the
	// walk goes on so that what can be found is found.
	Err error
}

// Open reads the package of p both ways (OpenPackage), reports how the
// readings disagree and returns the walker for it. format names the
// package in the error for a central directory that cannot be read
// ("malformed ODF package: ..."). An error ends the inspection.
func Open(ctx context.Context, p inspect.Part, s inspect.Scope, format string) (*Package, Walker, error) {
	lim := p.Limits.WithDefaults()
	w := Walker{Ctx: ctx, Lim: lim, S: s}
	zp, err := OpenPackage(ctx, p, lim)
	if err != nil {
		var le *inspect.LimitError
		if errors.As(err, &le) || ctx.Err() != nil {
			return nil, w, err
		}
		return nil, w, fmt.Errorf("malformed %s package: %w", format, err)
	}
	for _, a := range zp.Ambiguities {
		s.Emit(a.Finding())
	}
	return zp, w, nil
}

// Fail records err when it is the first.
func (w *Walker) Fail(err error) {
	if w.Err == nil && err != nil {
		w.Err = err
	}
}

// Stop reports whether err must end the walk at once (time is up).
func (w *Walker) Stop(err error) bool {
	return err != nil && (w.Ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// Read opens f and calls fn with its content. Errors are recorded (Fail)
// with the member name and returned for the caller to check Stop. An
// encrypted member (reported by the caller as an encrypted zip entry) is
// recorded as unread and nil is returned.
func (w *Walker) Read(f *zip.File, fn func(io.Reader) error) error {
	if f.Flags&0x1 != 0 {
		w.Fail(fmt.Errorf("%s: encrypted zip entry", f.Name))
		return nil
	}
	err := ReadMember(f, w.Lim, fn)
	w.Fail(err)
	return err
}

// ReadMember opens f under lim and calls fn with its content; an error
// names the member (MemberError, XMLError).
func ReadMember(f *zip.File, lim inspect.Limits, fn func(io.Reader) error) error {
	m, err := OpenMember(f, lim)
	if err != nil {
		return MemberError(f.Name, err)
	}
	defer m.Close()
	if err := fn(m); err != nil {
		return XMLError(f.Name, err)
	}
	return nil
}

// Sniff hands f to the engine when want says its head is worth it
// (SniffMember). A limit is an unscannable finding about f; another read
// error is recorded. It returns an error only when the walk must stop.
func (w *Walker) Sniff(f *zip.File, want func(head []byte) bool) error {
	stop, err := SniffMember(f, w.Lim.MaxRatio, want, func(all io.Reader) error { return w.S.Child(f.Name, all) })
	if stop != nil {
		return stop
	}
	if err != nil {
		err = MemberError(f.Name, err)
		var le *inspect.LimitError
		if errors.As(err, &le) {
			w.S.Emit(inspect.Unscannable(err).At(f.Name))
			return nil
		}
		w.Fail(err)
	}
	return nil
}
