package exe

// Generators for minimal executables, written from the format specifications
// named beside each; the tests, fuzz seeds and benchmarks use them.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

type peSpec struct {
	plus      bool   // PE32+ optional header
	machine   uint16 // IMAGE_FILE_MACHINE_*
	dll       bool
	subsystem uint16
	clr       bool   // CLR runtime header directory set
	overlay   []byte // appended after the last section
	cert      int    // bytes of certificate table after the overlay
	lfanew    uint32
}

// makePE builds MZ header, PE signature, COFF header, optional header with
// 16 data directories and one section of 512 bytes (PE Format 3).
func makePE(sp peSpec) []byte {
	var b bytes.Buffer
	lfanew := sp.lfanew
	if lfanew == 0 {
		lfanew = 0x80
	}
	dos := make([]byte, lfanew)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], lfanew)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	optSize := 224
	if sp.plus {
		optSize = 240
	}
	chars := uint16(0x0002)
	if sp.dll {
		chars |= 0x2000
	}
	coff := make([]byte, 20)
	binary.LittleEndian.PutUint16(coff[0:], sp.machine)
	binary.LittleEndian.PutUint16(coff[2:], 1)
	binary.LittleEndian.PutUint16(coff[16:], uint16(optSize))
	binary.LittleEndian.PutUint16(coff[18:], chars)
	b.Write(coff)
	opt := make([]byte, optSize)
	dirOff := 96
	if sp.plus {
		binary.LittleEndian.PutUint16(opt, 0x20b)
		dirOff = 112
	} else {
		binary.LittleEndian.PutUint16(opt, 0x10b)
	}
	binary.LittleEndian.PutUint16(opt[68:], sp.subsystem)
	binary.LittleEndian.PutUint32(opt[dirOff-4:], 16)
	if sp.clr {
		binary.LittleEndian.PutUint32(opt[dirOff+8*14:], 0x2000)
		binary.LittleEndian.PutUint32(opt[dirOff+8*14+4:], 0x48)
	}
	secTable := b.Len() + optSize
	rawPtr := (secTable + 40 + 511) &^ 511
	certOff := rawPtr + 512 + len(sp.overlay)
	if sp.cert > 0 {
		binary.LittleEndian.PutUint32(opt[dirOff+8*4:], uint32(certOff))
		binary.LittleEndian.PutUint32(opt[dirOff+8*4+4:], uint32(sp.cert))
	}
	b.Write(opt)
	sec := make([]byte, 40)
	copy(sec, ".text")
	binary.LittleEndian.PutUint32(sec[16:], 512)
	binary.LittleEndian.PutUint32(sec[20:], uint32(rawPtr))
	b.Write(sec)
	b.Write(make([]byte, rawPtr-b.Len()))
	b.Write(bytes.Repeat([]byte{0xC3}, 512))
	b.Write(sp.overlay)
	b.Write(bytes.Repeat([]byte("PK\x03\x04"), sp.cert/4))
	return b.Bytes()
}

// makeZip returns a zip holding one stored member.
func makeZip(name string, data []byte) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	f.Write(data)
	w.Close()
	return b.Bytes()
}

type elfSpec struct {
	is64    bool
	big     bool
	typ     uint16
	machine uint16
	interp  bool // add a PT_INTERP program header
}

// makeELF builds an ELF header and one program header (gABI "ELF Header",
// "Program Header").
func makeELF(sp elfSpec) []byte {
	var o binary.ByteOrder = binary.LittleEndian
	if sp.big {
		o = binary.BigEndian
	}
	hdrSize, phSize := 52, 32
	if sp.is64 {
		hdrSize, phSize = 64, 56
	}
	b := make([]byte, hdrSize+phSize+16)
	copy(b, "\x7fELF")
	b[4] = 1
	if sp.is64 {
		b[4] = 2
	}
	b[5] = 1
	if sp.big {
		b[5] = 2
	}
	b[6] = 1
	o.PutUint16(b[16:], sp.typ)
	o.PutUint16(b[18:], sp.machine)
	o.PutUint32(b[20:], 1)
	ph := uint32(0)
	if sp.interp {
		ph = 3
	} else {
		ph = 1
	}
	if sp.is64 {
		o.PutUint64(b[32:], uint64(hdrSize))
		o.PutUint16(b[52:], uint16(hdrSize))
		o.PutUint16(b[54:], uint16(phSize))
		o.PutUint16(b[56:], 1)
	} else {
		o.PutUint32(b[28:], uint32(hdrSize))
		o.PutUint16(b[40:], uint16(hdrSize))
		o.PutUint16(b[42:], uint16(phSize))
		o.PutUint16(b[44:], 1)
	}
	o.PutUint32(b[hdrSize:], ph)
	return b
}

// makeMachO builds a thin mach_header(_64) with no load commands
// (<mach-o/loader.h>).
func makeMachO(is64, big bool, cpu, filetype uint32) []byte {
	var o binary.ByteOrder = binary.LittleEndian
	if big {
		o = binary.BigEndian
	}
	n := 28
	magic := uint32(0xFEEDFACE)
	if is64 {
		n, magic = 32, 0xFEEDFACF
	}
	b := make([]byte, n+32)
	o.PutUint32(b, magic)
	o.PutUint32(b[4:], cpu)
	o.PutUint32(b[12:], filetype)
	return b
}

// makeFat wraps thin images in a fat_header and fat_arch table
// (<mach-o/fat.h>, big-endian).
func makeFat(cpus []uint32, slices [][]byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(0xCAFEBABE))
	binary.Write(&b, binary.BigEndian, uint32(len(cpus)))
	off := 8 + 20*len(cpus)
	for i, c := range cpus {
		binary.Write(&b, binary.BigEndian, []uint32{c, 3, uint32(off), uint32(len(slices[i])), 0})
		off += len(slices[i])
	}
	for _, s := range slices {
		b.Write(s)
	}
	return b.Bytes()
}

// makeClass builds the first bytes of a class file (JVMS 4.1).
func makeClass(major uint16) []byte {
	b := []byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 0, 0, 1}
	binary.BigEndian.PutUint16(b[6:], major)
	return b
}

type lnkSpec struct {
	localPath string // LinkInfo LocalBasePath
	netName   string // LinkInfo CommonNetworkRelativeLink NetName
	suffix    string // LinkInfo CommonPathSuffix
	idList    []string
	relPath   string
	args      string
	envTarget string
	unicode   bool
}

// makeLNK builds a shell link ([MS-SHLLINK] 2.1-2.5).
func makeLNK(sp lnkSpec) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	h := make([]byte, 0x4C)
	le.PutUint32(h, 0x4C)
	copy(h[4:], []byte{0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46})
	var flags uint32
	if sp.idList != nil {
		flags |= lnkHasIDList
	}
	if sp.localPath != "" || sp.netName != "" {
		flags |= lnkHasLinkInfo
	}
	if sp.relPath != "" {
		flags |= lnkHasRelPath
	}
	if sp.args != "" {
		flags |= lnkHasArguments
	}
	if sp.unicode {
		flags |= lnkIsUnicode
	}
	le.PutUint32(h[20:], flags)
	b.Write(h)
	if sp.idList != nil {
		var l bytes.Buffer
		// Root folder item: My Computer.
		l.Write([]byte{0x14, 0x00, 0x1F, 0x50})
		l.Write(make([]byte, 16))
		for i, part := range sp.idList {
			var it []byte
			if i == 0 {
				it = append([]byte{0x2F}, []byte(part+"\\")...)
				it = append(it, make([]byte, 20)...)
			} else {
				it = make([]byte, 12)
				it[0] = 0x32
				it = append(it, []byte(part)...)
				it = append(it, 0, 0)
			}
			binary.Write(&l, le, uint16(len(it)+2))
			l.Write(it)
		}
		l.Write([]byte{0, 0})
		binary.Write(&b, le, uint16(l.Len()))
		b.Write(l.Bytes())
	}
	if flags&lnkHasLinkInfo != 0 {
		const hs = 0x1C
		var body bytes.Buffer
		info := make([]byte, hs)
		le.PutUint32(info[4:], hs)
		off := hs
		if sp.localPath != "" {
			le.PutUint32(info[8:], 1)
			vol := make([]byte, 0x10)
			le.PutUint32(vol, 0x10)
			le.PutUint32(info[0x0C:], uint32(off))
			body.Write(vol)
			off += len(vol)
			le.PutUint32(info[0x10:], uint32(off))
			body.WriteString(sp.localPath + "\x00")
			off += len(sp.localPath) + 1
		} else {
			le.PutUint32(info[8:], 2)
			cnrl := make([]byte, 0x14)
			le.PutUint32(cnrl[8:], 0x14)
			cnrl = append(cnrl, []byte(sp.netName+"\x00")...)
			le.PutUint32(cnrl, uint32(len(cnrl)))
			le.PutUint32(info[0x14:], uint32(off))
			body.Write(cnrl)
			off += len(cnrl)
		}
		le.PutUint32(info[0x18:], uint32(off))
		body.WriteString(sp.suffix + "\x00")
		le.PutUint32(info, uint32(hs+body.Len()))
		b.Write(info)
		b.Write(body.Bytes())
	}
	str := func(s string) {
		if sp.unicode {
			u := utf16.Encode([]rune(s))
			binary.Write(&b, le, uint16(len(u)))
			binary.Write(&b, le, u)
			return
		}
		binary.Write(&b, le, uint16(len(s)))
		b.WriteString(s)
	}
	if sp.relPath != "" {
		str(sp.relPath)
	}
	if sp.args != "" {
		str(sp.args)
	}
	if sp.envTarget != "" {
		blk := make([]byte, lnkEnvBlockSize)
		le.PutUint32(blk, lnkEnvBlockSize)
		le.PutUint32(blk[4:], lnkEnvBlockSig)
		copy(blk[8:], sp.envTarget)
		for i, c := range utf16.Encode([]rune(sp.envTarget)) {
			le.PutUint16(blk[8+260+2*i:], c)
		}
		b.Write(blk)
	}
	b.Write([]byte{0, 0, 0, 0})
	return b.Bytes()
}

// recScope records what an inspector reports.
type recScope = inspecttest.Recorder

// run inspects b (named name) the way the engine would.
func run(name string, b []byte) (*recScope, error) {
	r := &recScope{}
	p := inspect.Part{Name: name, Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.Sniff(bytes.NewReader(b), int64(len(b)), name), Limits: inspect.DefaultLimits}
	err := New().Inspect(context.Background(), p, r)
	return r, err
}
