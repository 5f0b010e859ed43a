package exe

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// Mach-O constants from <mach-o/loader.h>, <mach-o/fat.h> and
// <mach/machine.h> (Apple's "OS X ABI Mach-O File Format Reference").
const (
	cpuArch64   = 0x01000000 // CPU_ARCH_ABI64
	cpuArch6432 = 0x02000000 // CPU_ARCH_ABI64_32

	maxFatArchs = 44 // sniff.go: 45 and up is a Java class file version
	maxFatNames = 6  // architectures named in a Detail
)

var machoCPUs = map[uint32]string{
	7: "i386", 7 | cpuArch64: "x86_64", 12: "arm", 12 | cpuArch64: "arm64",
	12 | cpuArch6432: "arm64_32", 18: "ppc", 18 | cpuArch64: "ppc64",
	6: "m68k", 10: "m88k", 14: "sparc", 13: "m98k", 11: "hppa", 8: "mips",
}

var machoFileTypes = map[uint32]string{
	1: "object", 2: "executable", 3: "fixed VM shared library", 4: "core",
	5: "preloaded executable", 6: "dynamically linked shared library",
	7: "dynamic linker", 8: "bundle", 9: "dynamically linked shared library stub",
	10: "companion file with only debug sections", 11: "kext bundle", 12: "file set",
}

func cpuName(c uint32) string {
	if n, ok := machoCPUs[c]; ok {
		return n
	}
	return fmt.Sprintf("cpu 0x%x", c)
}

// inspectMachO reads a thin mach_header(_64) or a fat_header with its
// fat_arch table.
func inspectMachO(p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeMachO)
	h, err := p.Bytes(0, 32)
	if err != nil {
		return err
	}
	d, err := machoDetail(p, h)
	if err != nil {
		return err
	}
	executable(s, d)
	return nil
}

func machoDetail(p inspect.Part, h []byte) (string, error) {
	if len(h) < 8 {
		return "Mach-O (truncated header)", nil
	}
	if binary.BigEndian.Uint32(h) == 0xCAFEBABE {
		return fatDetail(p, binary.BigEndian.Uint32(h[4:]))
	}
	var o binary.ByteOrder = binary.BigEndian
	bits, hdrSize := "32-bit", 28
	switch binary.BigEndian.Uint32(h) {
	case 0xFEEDFACE: // MH_MAGIC
	case 0xFEEDFACF: // MH_MAGIC_64
		bits, hdrSize = "64-bit", 32
	case 0xCEFAEDFE: // MH_CIGAM
		o = binary.LittleEndian
	case 0xCFFAEDFE: // MH_CIGAM_64
		o, bits, hdrSize = binary.LittleEndian, "64-bit", 32
	default:
		return "Mach-O (unknown magic)", nil
	}
	cpu := o.Uint32(h[4:])
	if len(h) < hdrSize {
		return fmt.Sprintf("Mach-O %s (%s, truncated header)", bits, cpuName(cpu)), nil
	}
	ft := o.Uint32(h[12:])
	ftName, ok := machoFileTypes[ft]
	if !ok {
		ftName = fmt.Sprintf("file type %d", ft)
	}
	d := fmt.Sprintf("Mach-O %s %s (%s)", bits, ftName, cpuName(cpu))
	// sizeofcmds: the load commands follow the header.
	if sizeofcmds := int64(o.Uint32(h[20:])); sizeofcmds > p.Size-int64(hdrSize) {
		d += " (malformed: load commands beyond end of file)"
	}
	return d, nil
}

// fatDetail reads the fat_arch table (20 bytes per entry, big-endian).
func fatDetail(p inspect.Part, n uint32) (string, error) {
	if n == 0 || n > maxFatArchs {
		return fmt.Sprintf("Mach-O universal binary (%d architectures)", n), nil
	}
	tab, err := p.Bytes(8, int(n)*20)
	if err != nil {
		return "", err
	}
	var names []string
	bad := len(tab) < int(n)*20
	for i := 0; i+20 <= len(tab); i += 20 {
		if len(names) < maxFatNames {
			names = append(names, cpuName(binary.BigEndian.Uint32(tab[i:])))
		} else if len(names) == maxFatNames {
			names = append(names, "...")
		}
		off, size := int64(binary.BigEndian.Uint32(tab[i+8:])), int64(binary.BigEndian.Uint32(tab[i+12:]))
		if off+size > p.Size {
			bad = true
		}
	}
	arch := "architectures"
	if n == 1 {
		arch = "architecture"
	}
	d := fmt.Sprintf("Mach-O universal binary (%d %s: %s)", n, arch, strings.Join(names, ", "))
	if bad {
		d += " (malformed: slices beyond end of file)"
	}
	return d, nil
}

// inspectJavaClass names a class file by the Java release of its major
// version (JVM Specification 4.1: magic, minor_version, major_version). The
// type stays "other": Java is not a type users name.
func inspectJavaClass(p inspect.Part, s inspect.Scope) error {
	h, err := p.Bytes(0, 8)
	if err != nil {
		return err
	}
	d := "Java class file"
	if len(h) == 8 {
		major := binary.BigEndian.Uint16(h[6:])
		switch {
		case major >= 49 && major < 100:
			d += fmt.Sprintf(" (Java %d)", major-44)
		case major >= 45 && major < 49:
			d += fmt.Sprintf(" (Java 1.%d)", major-44)
		}
	}
	executable(s, d)
	return nil
}
