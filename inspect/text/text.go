package text

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector inspects plain text and SYLK files. It is stateless and safe for
// concurrent use.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns a text inspector.
func New() *Inspector { return &Inspector{} }

// Families are the families Inspector handles.
var Families = []inspect.Family{inspect.FamilyText, inspect.FamilySLK}

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	switch p.Family {
	case inspect.FamilyText:
		ai, err := isAppInstaller(p)
		if err != nil {
			return err
		}
		if ai {
			s.SetType(inspect.TypeAppInstaller)
			s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: DetailAppInstaller})
			return nil
		}
		s.SetType(inspect.TypeTXT)
		return scanPGP(ctx, p, s)
	case inspect.FamilySLK:
		s.SetType(inspect.TypeSLK)
		return scanSLK(ctx, p, s)
	}
	return fmt.Errorf("text: family %s not handled", p.Family)
}

// chunk is how much is read at a time.
const chunk = 64 << 10

// each calls fn for consecutive chunks of the part. Each chunk starts with
// the last keep bytes of the previous one (so a marker across a boundary is
// seen whole); off is the file offset of the chunk's first byte.
func each(ctx context.Context, p inspect.Part, keep int, fn func(b []byte, off int64) bool) error {
	buf := make([]byte, 0, min(p.Size, chunk)+int64(keep))
	var off int64 // file offset of buf[0]
	for pos := int64(0); pos < p.Size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(buf) > keep {
			off += int64(len(buf) - keep)
			buf = append(buf[:0], buf[len(buf)-keep:]...)
		}
		n := int(min(int64(chunk), p.Size-pos))
		k, err := p.R.ReadAt(buf[len(buf):len(buf)+n], pos)
		if k == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read: %w", err)
		}
		buf = buf[:len(buf)+k]
		pos += int64(k)
		if !fn(buf, off) {
			return nil
		}
	}
	return nil
}

// pgpMarker opens an armored OpenPGP message (RFC 4880 6.2). Signed-only
// text ("BEGIN PGP SIGNED MESSAGE") and keys are readable and not matched.
var pgpMarker = []byte("-----BEGIN PGP MESSAGE-----")

// scanPGP looks for an armored message anywhere in the text, at the start
// of a line (leading blanks allowed, as mail clients indent). The whole part
// is scanned, not a prefix: a prefix bound is defeated by a page of padding,
// and the scan runs at memory speed (bytes.Index), so even a large text
// costs little next to spooling it.
func scanPGP(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	head, err := p.Bytes(0, 2)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	markers := [][]byte{pgpMarker}
	// UTF-16 text (sniffing accepts it with a byte order mark).
	if bytes.Equal(head, []byte{0xFF, 0xFE}) {
		markers = [][]byte{utf16(pgpMarker, false)}
	} else if bytes.Equal(head, []byte{0xFE, 0xFF}) {
		markers = [][]byte{utf16(pgpMarker, true)}
	}
	const lookback = 64 // blanks allowed before the marker
	found := false
	err = each(ctx, p, len(markers[0])+lookback, func(b []byte, off int64) bool {
		for _, m := range markers {
			for from := 0; from < len(b); {
				i := bytes.Index(b[from:], m)
				if i < 0 {
					break
				}
				i += from
				if len(m) == len(pgpMarker) && !atLineStart(b, i, off) {
					from = i + 1
					continue
				}
				found = true
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	if found {
		s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: "pgp-encrypted"})
	}
	return nil
}

// atLineStart reports whether only blanks stand between b[i] and the start
// of its line (or of the file).
func atLineStart(b []byte, i int, off int64) bool {
	for j := i - 1; j >= 0; j-- {
		switch b[j] {
		case ' ', '\t':
			continue
		case '\n', '\r':
			return true
		}
		return false
	}
	return off == 0 // reached the start of the window: true only at the file start
}

func utf16(b []byte, big bool) []byte {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		if big {
			out = append(out, 0, c)
		} else {
			out = append(out, c, 0)
		}
	}
	return out
}
