package exe

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

var le = binary.LittleEndian

// peMachines names IMAGE_FILE_MACHINE_* values. [MS-PE] "Machine Types"
// (PE Format, section 3.3.1).
var peMachines = map[uint16]string{
	0x014c: "i386", 0x8664: "amd64", 0xaa64: "arm64", 0x01c0: "arm",
	0x01c2: "thumb", 0x01c4: "armnt", 0xa641: "arm64ec", 0x0200: "ia64",
	0x0ebc: "efi-bytecode", 0x5032: "riscv32", 0x5064: "riscv64",
	0x5128: "riscv128", 0x6232: "loongarch32", 0x6264: "loongarch64",
	0x0166: "mips", 0x0169: "mips-wce", 0x01f0: "powerpc", 0x01f1: "powerpc-fp",
	0x01a2: "sh3", 0x01a6: "sh4", 0x9041: "m32r", 0x0284: "alpha64",
	0x0184: "alpha",
}

// peSubsystems names IMAGE_SUBSYSTEM_* values (PE Format 3.4.2).
var peSubsystems = map[uint16]string{
	1: "native", 2: "GUI", 3: "console", 5: "OS/2 console", 7: "POSIX console",
	8: "native Win9x driver", 9: "Windows CE GUI", 10: "EFI application",
	11: "EFI boot service driver", 12: "EFI runtime driver", 13: "EFI ROM",
	14: "Xbox", 16: "boot application",
}

const (
	peFileDLL = 0x2000 // IMAGE_FILE_DLL (PE Format 3.3.2)

	// Data directory indexes (PE Format 3.4.3).
	dirSecurity = 4
	dirCLR      = 14

	// maxSections bounds the section table we read. The loader of current
	// Windows accepts up to 96 sections in practice; we read more than that
	// and treat anything beyond as a header we do not trust for an overlay.
	maxSections = 1024

	// overlayWindow is how far into the overlay we look for an archive
	// signature (7-Zip SFX put a config block before the archive).
	overlayWindow = 64 << 10
)

// inspectPE handles everything that starts with "MZ". PE Format 3 (MS-DOS
// stub, signature, COFF file header, optional header, section table).
func inspectPE(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypePE)
	h, err := p.Bytes(0, 64)
	if err != nil {
		return err
	}
	if len(h) < 64 {
		executable(s, "DOS executable")
		return nil
	}
	// PE Format 3.1: e_lfanew at 0x3c is the file offset of the PE
	// signature. Tiny PEs overlap it with the DOS header, so any offset that
	// leaves room for the signature and the COFF header is accepted.
	lfanew := int64(le.Uint32(h[0x3c:]))
	if lfanew+24 > p.Size {
		executable(s, "DOS executable")
		return nil
	}
	hdr, err := p.Bytes(lfanew, 24)
	if err != nil {
		return err
	}
	switch {
	case bytes.HasPrefix(hdr, []byte("PE\x00\x00")):
	case bytes.HasPrefix(hdr, []byte("NE")):
		executable(s, "NE executable (16-bit Windows or OS/2)")
		return nil
	case bytes.HasPrefix(hdr, []byte("LE")):
		executable(s, "LE executable (VxD or DOS extender)")
		return nil
	case bytes.HasPrefix(hdr, []byte("LX")):
		executable(s, "LX executable (OS/2)")
		return nil
	default:
		executable(s, "DOS executable")
		return nil
	}
	// PE Format 3.3: COFF file header right after the signature.
	machine := le.Uint16(hdr[4:])
	nSections := int64(le.Uint16(hdr[6:]))
	optSize := int64(le.Uint16(hdr[20:]))
	chars := le.Uint16(hdr[22:])
	optOff := lfanew + 24
	opt, err := p.Bytes(optOff, int(optSize))
	if err != nil {
		return err
	}
	info := peInfo{machine: machine, dll: chars&peFileDLL != 0}
	// PE Format 3.4: optional header. Offsets of Subsystem and the data
	// directories differ between PE32 and PE32+ (3.4.1, 3.4.2, 3.4.3).
	var dirOff int
	switch magic := u16(le, opt, 0); magic {
	case 0x10b:
		info.format, dirOff = "PE32", 96
	case 0x20b:
		info.format, dirOff = "PE32+", 112
	case 0x107:
		info.format = "PE ROM image"
	default:
		info.format = "PE"
	}
	var certOff, certSize int64
	if dirOff > 0 {
		info.subsystem = u16(le, opt, 68)
		nDirs := int(u32(le, opt, dirOff-4))
		dir := func(i int) (uint32, uint32) {
			if i >= nDirs {
				return 0, 0
			}
			return u32(le, opt, dirOff+8*i), u32(le, opt, dirOff+8*i+4)
		}
		if rva, size := dir(dirCLR); rva != 0 && size != 0 {
			info.dotnet = true
		}
		// The certificate table's "RVA" is a file offset (3.4.3).
		c, n := dir(dirSecurity)
		certOff, certSize = int64(c), int64(n)
	}
	extra, err := overlay(ctx, p, s, optOff+optSize, nSections, certOff, certSize)
	if err != nil {
		return err
	}
	info.extra = extra
	executable(s, info.String())
	return nil
}

type peInfo struct {
	format    string
	machine   uint16
	subsystem uint16
	dll       bool
	dotnet    bool
	extra     string
}

// String is the Detail: "PE32 executable (i386, GUI)", "PE32+ DLL (amd64)",
// "PE32 executable (i386, console), .NET assembly".
func (i peInfo) String() string {
	what := "executable"
	if i.dll {
		what = "DLL"
	}
	m, ok := peMachines[i.machine]
	if !ok {
		m = fmt.Sprintf("machine 0x%04x", i.machine)
	}
	attrs := []string{m}
	if sub, ok := peSubsystems[i.subsystem]; ok && !i.dll {
		attrs = append(attrs, sub)
	}
	d := fmt.Sprintf("%s %s (%s)", i.format, what, strings.Join(attrs, ", "))
	if i.dotnet {
		d += ", .NET assembly"
	}
	if i.extra != "" {
		d += ", " + i.extra
	}
	return d
}

// archiveMagics are the archives self-extractors append after the image.
var archiveMagics = []struct {
	magic []byte
	name  string
}{
	{[]byte("PK\x03\x04"), "overlay.zip"},
	{[]byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}, "overlay.7z"},
	{[]byte("Rar!\x1a\x07"), "overlay.rar"},
	{[]byte("MSCF\x00\x00\x00\x00"), "overlay.cab"},
}

// overlay looks at the bytes after the last section (the "overlay", where
// self-extracting archives and installers keep their payload). It returns a
// note for the Detail ("Nullsoft installer", "self-extracting zip") and hands
// an archive found there to the engine. The Authenticode certificate table,
// which also lives after the sections, is not part of the overlay.
func overlay(ctx context.Context, p inspect.Part, s inspect.Scope, tableOff, nSections, certOff, certSize int64) (string, error) {
	// PE Format 3 "Section Table": 40 bytes per IMAGE_SECTION_HEADER.
	if nSections == 0 || nSections > maxSections || tableOff+nSections*40 > p.Size {
		return "", nil
	}
	tab, err := p.Bytes(tableOff, int(nSections*40))
	if err != nil {
		return "", err
	}
	end := tableOff + nSections*40
	for i := 0; i+40 <= len(tab); i += 40 {
		rawSize := int64(le.Uint32(tab[i+16:]))
		rawPtr := int64(le.Uint32(tab[i+20:]))
		if rawSize > 0 && rawPtr+rawSize > end {
			end = rawPtr + rawSize
		}
	}
	stop := p.Size
	if certSize > 0 && certOff >= end && certOff < stop {
		stop = certOff
	}
	if end >= stop {
		return "", nil
	}
	win, err := p.Bytes(end, int(min(stop-end, overlayWindow)))
	if err != nil {
		return "", err
	}
	// NSIS: the overlay starts with its "first header": flags u32, then
	// 0xDEADBEEF and "NullsoftInst".
	if len(win) >= 20 && bytes.Equal(win[4:20], []byte("\xef\xbe\xad\xdeNullsoftInst")) {
		return "Nullsoft installer", nil
	}
	first, name := -1, ""
	for _, a := range archiveMagics {
		if i := bytes.Index(win, a.magic); i >= 0 && (first < 0 || i < first) {
			if a.name == "overlay.zip" && !hasZipEnd(p) {
				continue
			}
			first, name = i, a.name
		}
	}
	if first < 0 {
		return "", nil
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	off := end + int64(first)
	if err := s.ChildAt(name, io.NewSectionReader(p.R, off, stop-off), stop-off); err != nil {
		return "", err
	}
	return "self-extracting " + strings.TrimPrefix(name, "overlay."), nil
}

// hasZipEnd reports whether an end-of-central-directory record ("PK\x05\x06",
// APPNOTE 4.3.16) is near the end of the part: a lone "PK\x03\x04" in
// installer data is not reason enough to call it a zip.
func hasZipEnd(p inspect.Part) bool {
	const tail = 65535 + 22 // maximum comment plus the record itself
	off := max(p.Size-tail, 0)
	b, err := p.Bytes(off, int(p.Size-off))
	return err == nil && bytes.Contains(b, []byte("PK\x05\x06"))
}
