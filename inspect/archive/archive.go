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

// formats are the archive families, each with the function that walks it.
var formats = []struct {
	family inspect.Family
	walk   func(context.Context, inspect.Part, inspect.Scope) error
}{
	{inspect.FamilyZip, inspectZip}, {inspect.FamilyGzip, inspectGzip},
	{inspect.FamilyBzip2, inspectBzip2}, {inspect.FamilyTar, inspectTar},
	{inspect.Family7z, inspect7z}, {inspect.FamilyRAR, inspectRAR},
	{inspect.FamilyXZ, inspectXZ}, {inspect.FamilyCAB, inspectCAB},
	{inspect.FamilyISO, inspectISO},
}

// Families lists every family this package has an inspector for.
func Families() []inspect.Family {
	fs := make([]inspect.Family, len(formats))
	for i, f := range formats {
		fs[i] = f.family
	}
	return fs
}

// New returns the inspector for family f (one of Families).
func New(f inspect.Family) *Inspector { return &Inspector{family: f} }

// Inspect walks the archive in p and hands its members to s.Child.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	p.Limits = p.Limits.WithDefaults()
	for _, f := range formats {
		if f.family == in.family {
			return f.walk(ctx, p, s)
		}
	}
	return fmt.Errorf("archive inspector has no format for %q content", in.family)
}

// malformedOnPanic, deferred by a walk that uses a third-party decoder,
// turns a panic of the decoder into the error "malformed <format>": a
// malformed archive is unscannable, not a crash.
func malformedOnPanic(format string, err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("malformed %s: %v", format, v)
	}
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

// nextMember is checked before the n-th member (from 0) of an archive
// read member by member: the walk ends when ctx is done or when the
// archive holds more members than the parts limit.
func nextMember(ctx context.Context, p inspect.Part, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n > p.Limits.MaxParts {
		return tooManyMembers(p)
	}
	return nil
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
