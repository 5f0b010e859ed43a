package archive

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector inspects one archive family. Make one per family with New; the
// zero value inspects nothing and returns an error.
type Inspector struct {
	family inspect.Family
}

var _ inspect.Inspector = (*Inspector)(nil)

// Families lists every family this package has an inspector for.
func Families() []inspect.Family {
	return []inspect.Family{
		inspect.FamilyZip, inspect.FamilyGzip, inspect.FamilyBzip2,
		inspect.FamilyTar, inspect.Family7z, inspect.FamilyRAR,
		inspect.FamilyXZ, inspect.FamilyCAB, inspect.FamilyISO,
	}
}

// New returns the inspector for family f (one of Families).
func New(f inspect.Family) *Inspector { return &Inspector{family: f} }

// Inspect walks the archive in p and hands its members to s.Child.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	p.Limits = p.Limits.WithDefaults()
	switch in.family {
	case inspect.FamilyZip:
		return inspectZip(ctx, p, s)
	case inspect.FamilyGzip:
		return inspectGzip(ctx, p, s)
	case inspect.FamilyBzip2:
		return inspectBzip2(ctx, p, s)
	case inspect.FamilyTar:
		return inspectTar(ctx, p, s)
	case inspect.Family7z:
		return inspect7z(ctx, p, s)
	case inspect.FamilyRAR:
		return inspectRAR(ctx, p, s)
	case inspect.FamilyXZ:
		return inspectXZ(ctx, p, s)
	case inspect.FamilyCAB:
		return inspectCAB(ctx, p, s)
	case inspect.FamilyISO:
		return inspectISO(ctx, p, s)
	}
	return fmt.Errorf("archive inspector has no format for %q content", in.family)
}

// section returns a reader over the whole part.
func section(p inspect.Part) *io.SectionReader { return io.NewSectionReader(p.R, 0, p.Size) }

// memberTooLarge reports (as an unscannable finding at where) a member whose
// declared expanded size is over the part-size limit, so that it is not
// expanded only to be cut off. It returns true when the member is to be
// skipped.
func memberTooLarge(p inspect.Part, s inspect.Scope, where string, declared int64) bool {
	if declared <= p.Limits.MaxPartSize {
		return false
	}
	s.Emit(inspect.LimitFinding(inspect.LimitPartSize, p.Limits.MaxPartSize).At(where))
	return true
}

// ratioTooHigh reports (as an unscannable finding at where) a member whose
// declared sizes already break the ratio limit: expanding it would only end
// in the same limit after wasted work (nested zip bombs). It returns true
// when the member is to be skipped.
func ratioTooHigh(p inspect.Part, s inspect.Scope, where string, compressed, declared int64) bool {
	allowed := int64(inspect.RatioGrace)
	if compressed > 0 && compressed <= (1<<62)/p.Limits.MaxRatio {
		allowed = max(allowed, compressed*p.Limits.MaxRatio)
	} else if compressed > 0 {
		return false
	}
	if declared <= allowed {
		return false
	}
	s.Emit(inspect.LimitFinding(inspect.LimitRatio, p.Limits.MaxRatio).At(where))
	return true
}

// tooManyMembers is the error for an archive whose member list alone is over
// the parts limit: the engine would stop there anyway, so stop before
// expanding anything.
func tooManyMembers(p inspect.Part) error {
	return &inspect.LimitError{Limit: inspect.LimitParts, Value: int64(p.Limits.MaxParts)}
}

// streamName is the name of the single member of a compressed stream (gzip,
// bzip2, xz): the part's name without the compression suffix, so that
// "report.doc.gz" yields "report.doc" and "src.tgz" yields "src.tar".
func streamName(partName string, suffixes map[string]string, fallback string) string {
	base := path.Base(strings.ReplaceAll(partName, "\\", "/"))
	lower := strings.ToLower(base)
	for suf, repl := range suffixes {
		if strings.HasSuffix(lower, suf) && len(base) > len(suf) {
			return base[:len(base)-len(suf)] + repl
		}
	}
	return fallback
}

// cleanName makes an archive-supplied member name usable as a Where path:
// forward slashes, no leading slash, no NUL bytes.
func cleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = strings.ReplaceAll(name, "\x00", "")
	return strings.TrimLeft(name, "/")
}
