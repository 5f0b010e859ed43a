package exe

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector reports executables. It is stateless and safe for concurrent
// use; one value serves every family it is registered for.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns an executable inspector.
func New() *Inspector { return &Inspector{} }

// Families are the families Inspector handles.
var Families = []inspect.Family{
	inspect.FamilyPE, inspect.FamilyELF, inspect.FamilyMachO,
	inspect.FamilyJavaClass, inspect.FamilyLNK, inspect.FamilyScript,
}

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch p.Family {
	case inspect.FamilyPE:
		return inspectPE(ctx, p, s)
	case inspect.FamilyELF:
		return inspectELF(p, s)
	case inspect.FamilyMachO:
		return inspectMachO(p, s)
	case inspect.FamilyJavaClass:
		return inspectJavaClass(p, s)
	case inspect.FamilyLNK:
		return inspectLNK(p, s)
	case inspect.FamilyScript:
		return inspectScript(p, s)
	}
	return fmt.Errorf("exe: family %s not handled", p.Family)
}

// executable emits the one finding every part this package sees gets.
func executable(s inspect.Scope, detail string) {
	s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: detail})
}

// le/be read integers from b at i, or 0 when b is too short: callers check
// lengths for what matters and treat a missing field as absent.
func u16(o binary.ByteOrder, b []byte, i int) uint16 {
	if i < 0 || i+2 > len(b) {
		return 0
	}
	return o.Uint16(b[i:])
}

func u32(o binary.ByteOrder, b []byte, i int) uint32 {
	if i < 0 || i+4 > len(b) {
		return 0
	}
	return o.Uint32(b[i:])
}

func u64(o binary.ByteOrder, b []byte, i int) uint64 {
	if i < 0 || i+8 > len(b) {
		return 0
	}
	return o.Uint64(b[i:])
}

// maxDetailRunes bounds the attacker-controlled part of a Detail.
const maxDetailRunes = 120
