package archive

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nwaples/rardecode/v2"
	"github.com/officemilter/officemilter/inspect"
)

// rarMaxDict bounds the dictionary a RAR member may claim; the decoder
// allocates it before reading data. WinRAR's default is 32 MiB (RAR 5) and
// 4 MiB (RAR 4).
const rarMaxDict = 64 << 20

// inspectRAR walks a RAR 1.5-4.x or RAR 5 archive with rardecode, member by
// member in stream order (which also decodes solid archives).
func inspectRAR(ctx context.Context, p inspect.Part, s inspect.Scope) (err error) {
	defer malformedOnPanic("rar", &err)
	r, err := rardecode.NewReader(section(p), rardecode.MaxDictionarySize(rarMaxDict))
	if err != nil {
		if errors.Is(err, rardecode.ErrArchiveEncrypted) {
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: "rar encrypted headers"})
			return nil
		}
		return fmt.Errorf("cannot open rar archive: %w", err)
	}
	for n := 0; ; n++ {
		if err := nextMember(ctx, p, n); err != nil {
			return err
		}
		h, err := r.Next()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, rardecode.ErrArchiveEncrypted):
			// RAR 5 archive encryption / RAR 4 -hp: names are hidden too.
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: "rar encrypted headers"})
			return nil
		case errors.Is(err, rardecode.ErrMultiVolume):
			return errors.New("multi-volume rar archive: the other volumes are not here")
		case errors.Is(err, rardecode.ErrDictionaryTooLarge):
			return fmt.Errorf("rar member needs a dictionary over %d MiB", rarMaxDict>>20)
		default:
			return fmt.Errorf("malformed rar: %w", err)
		}
		if h.IsDir || h.LinkType != 0 {
			continue
		}
		name := cleanName(h.Name)
		if h.Encrypted {
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: name, Detail: "rar encrypted entry"})
			continue
		}
		if !h.UnKnownSize && (memberTooLarge(p, s, name, h.UnPackedSize) || ratioTooHigh(p, s, name, h.PackedSize, h.UnPackedSize)) {
			if h.Solid {
				// The next member's decoding needs this one's: skipping it
				// would mean expanding it anyway.
				return errors.New("solid rar archive with a member over the limits")
			}
			continue
		}
		if err := s.Child(name, inspect.RatioReader(r, max(h.PackedSize, 1), p.Limits.MaxRatio)); err != nil {
			return err
		}
	}
}
