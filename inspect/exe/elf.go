package exe

import (
	"encoding/binary"
	"fmt"

	"github.com/officemilter/officemilter/inspect"
)

// elfMachines names e_machine values as file(1) does (System V ABI gABI
// "ELF Header", e_machine; values from the ELF registry).
var elfMachines = map[uint16]string{
	2: "SPARC", 3: "Intel 80386", 4: "Motorola 68000", 8: "MIPS",
	18: "SPARC32PLUS", 20: "PowerPC", 21: "64-bit PowerPC", 22: "IBM S/390",
	40: "ARM", 42: "Renesas SH", 43: "SPARC V9", 50: "IA-64", 62: "x86-64",
	183: "ARM aarch64", 243: "RISC-V", 247: "eBPF", 258: "LoongArch",
}

// elfTypes names e_type values (gABI "ELF Header").
var elfTypes = map[uint16]string{
	0: "no file type", 1: "relocatable", 2: "executable", 3: "shared object", 4: "core file",
}

const ptInterp = 3 // PT_INTERP (gABI "Program Header")

// inspectELF reads the ELF header (gABI "ELF Header", e_ident and the fixed
// fields) and, for ET_DYN, the program headers to tell a position-independent
// executable (it has PT_INTERP) from a shared library.
func inspectELF(p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeELF)
	h, err := p.Bytes(0, 64)
	if err != nil {
		return err
	}
	d, err := elfDetail(p, h)
	if err != nil {
		return err
	}
	executable(s, d)
	return nil
}

func elfDetail(p inspect.Part, h []byte) (string, error) {
	if len(h) < 20 {
		return "ELF (truncated header)", nil
	}
	var class string
	var hdrSize int
	switch h[4] { // EI_CLASS
	case 1:
		class, hdrSize = "32-bit", 52
	case 2:
		class, hdrSize = "64-bit", 64
	default:
		return fmt.Sprintf("ELF (invalid class %d)", h[4]), nil
	}
	var o binary.ByteOrder
	var data string
	switch h[5] { // EI_DATA
	case 1:
		o, data = binary.LittleEndian, "LSB"
	case 2:
		o, data = binary.BigEndian, "MSB"
	default:
		return fmt.Sprintf("ELF %s (invalid byte order %d)", class, h[5]), nil
	}
	typ := o.Uint16(h[16:])
	mach := o.Uint16(h[18:])
	tname, ok := elfTypes[typ]
	if !ok {
		tname = fmt.Sprintf("type 0x%04x", typ)
	}
	mname, ok := elfMachines[mach]
	if !ok {
		mname = fmt.Sprintf("machine %d", mach)
	}
	if len(h) < hdrSize {
		return fmt.Sprintf("ELF %s %s %s, %s (truncated header)", class, data, tname, mname), nil
	}
	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum uint16
	if hdrSize == 52 {
		phoff, shoff = uint64(o.Uint32(h[28:])), uint64(o.Uint32(h[32:]))
		phentsize, phnum = o.Uint16(h[42:]), o.Uint16(h[44:])
		shentsize, shnum = o.Uint16(h[46:]), o.Uint16(h[48:])
	} else {
		phoff, shoff = o.Uint64(h[32:]), o.Uint64(h[40:])
		phentsize, phnum = o.Uint16(h[54:]), o.Uint16(h[56:])
		shentsize, shnum = o.Uint16(h[58:]), o.Uint16(h[60:])
	}
	size := uint64(p.Size)
	var bad string
	switch {
	case phnum > 0 && (phoff > size || uint64(phentsize)*uint64(phnum) > size-phoff):
		bad = "program headers beyond end of file"
	case shnum > 0 && (shoff > size || uint64(shentsize)*uint64(shnum) > size-shoff):
		bad = "section headers beyond end of file"
	}
	if typ == 3 && bad == "" && phnum > 0 {
		pie, err := hasInterp(p, o, hdrSize == 64, int64(phoff), int(phentsize), int(phnum))
		if err != nil {
			return "", err
		}
		if pie {
			tname = "pie executable"
		}
	}
	d := fmt.Sprintf("ELF %s %s %s, %s", class, data, tname, mname)
	if bad != "" {
		d += " (malformed: " + bad + ")"
	}
	return d, nil
}

// hasInterp reports whether a program header is PT_INTERP. The table was
// checked against the file size; it is at most 65535*65535 bytes in theory,
// so only the first 4096 entries are looked at.
func hasInterp(p inspect.Part, o binary.ByteOrder, is64 bool, off int64, entSize, num int) (bool, error) {
	minEnt := 32
	if is64 {
		minEnt = 56
	}
	if entSize < minEnt {
		return false, nil
	}
	num = min(num, 4096)
	tab, err := p.Bytes(off, entSize*num)
	if err != nil {
		return false, err
	}
	for i := 0; i+4 <= len(tab); i += entSize {
		if o.Uint32(tab[i:]) == ptInterp {
			return true, nil
		}
	}
	return false, nil
}
