package ole

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// Builders for the streams the fixtures hold. Each follows the structure
// named in its comment, with only the fields the inspector reads filled in.

func u16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// fib returns a WordDocument stream whose FibBase ([MS-DOC] 2.5.2) has the
// given flags.
func fib(flags uint16) []byte {
	b := make([]byte, 0x200)
	binary.LittleEndian.PutUint16(b[0:], wIdentWord97)
	binary.LittleEndian.PutUint16(b[2:], 0x00C1)
	binary.LittleEndian.PutUint16(b[fibFlagsOffset:], flags)
	return b
}

// encHeader is the start of an RC4 table stream or FILEPASS: an
// EncryptionVersionInfo and some padding.
func encHeader(major, minor uint16) []byte {
	return cat(u16(major), u16(minor), make([]byte, 60))
}

// biffRec is one BIFF record ([MS-XLS] 2.1.4).
func biffRec(typ uint16, body []byte) []byte {
	return cat(u16(typ), u16(uint16(len(body))), body)
}

// bof8 is a BIFF8 workbook globals BOF ([MS-XLS] 2.4.21).
func bof8() []byte { return biffRec(rtBOF, cat(u16(0x0600), u16(0x0005), make([]byte, 12))) }

func eof() []byte { return biffRec(rtEOF, nil) }

// boundSheet is a BoundSheet8 ([MS-XLS] 2.4.28) with an 8-bit name.
func boundSheet(hs, dt byte, name string) []byte {
	return biffRec(rtBoundSheet8, cat(u32(0x1234), []byte{hs, dt, byte(len(name)), 0}, []byte(name)))
}

// filePass is a FILEPASS record ([MS-XLS] 2.4.117).
func filePass(encType uint16, major, minor uint16) []byte {
	if encType == 0 {
		return biffRec(rtFilePass, cat(u16(0), u16(0x1234), u16(0x5678)))
	}
	return biffRec(rtFilePass, cat(u16(encType), encHeader(major, minor)))
}

// autoOpenLbl is a Lbl record ([MS-XLS] 2.4.150) for the built-in name
// Auto_Open.
func autoOpenLbl() []byte {
	return biffRec(rtLbl, cat(u16(0x0020), []byte{0, 1}, u16(0), u16(0), u16(0), []byte{0, 0, 0, 0}, []byte{0, 1}))
}

func workbook(recs ...[]byte) []byte { return cat(append([][]byte{bof8()}, append(recs, eof())...)...) }

// pptRecord is a PowerPoint record ([MS-PPT] 2.3.1).
func pptRecord(ver, inst, typ uint16, body []byte) []byte {
	return cat(u16(ver|inst<<4), u16(typ), u32(uint32(len(body))), body)
}

func pptContainer(typ uint16, kids ...[]byte) []byte { return pptRecord(0xF, 0, typ, cat(kids...)) }

// vbaInfoAtom is a VBAInfoAtom ([MS-PPT] 2.4.10).
func vbaInfoDocument(persistRef, hasMacros uint32) []byte {
	return pptContainer(rtDocumentContainer,
		pptRecord(1, 0, 0x03E9, make([]byte, 40)), // DocumentAtom, skipped
		pptContainer(rtDocInfoList,
			pptContainer(rtVBAInfo,
				pptRecord(2, 0, rtVBAInfoAtom, cat(u32(persistRef), u32(hasMacros), u32(2))))))
}

// exOleObjStg wraps a storage in an ExOleObjStg record, zlib-compressed
// when compressed ([MS-PPT] 2.10.34/2.10.35).
func exOleObjStg(storage []byte, compressed bool) []byte {
	if !compressed {
		return pptRecord(0, 0, rtExOleObjStg, storage)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(storage)
	zw.Close()
	return pptRecord(0, 1, rtExOleObjStg, cat(u32(uint32(len(storage))), z.Bytes()))
}

// persistDir is a PersistDirectoryAtom ([MS-PPT] 2.3.4) with one run.
func persistDir(first uint32, offsets ...uint32) []byte {
	b := u32(first | uint32(len(offsets))<<20)
	for _, o := range offsets {
		b = append(b, u32(o)...)
	}
	return pptRecord(0, 0, rtPersistDirectoryAtm, b)
}

// currentUser is a Current User stream ([MS-PPT] 2.3.2).
func currentUser(token uint32) []byte {
	return cat(pptRecord(0, 0, rtCurrentUserAtom, cat(u32(0x14), u32(token), u32(0), u16(0x03F4), u16(3), u16(0), u16(0), u32(0))), []byte("user"))
}

// compObj is a \x01CompObj stream ([MS-OLEDS] 2.3.8) naming a class.
func compObj(userType, progID string) []byte {
	lp := func(s string) []byte { return cat(u32(uint32(len(s)+1)), []byte(s), []byte{0}) }
	return cat(u32(0xFFFE0001), u32(0x00000A03), make([]byte, 20), lp(userType), u32(0), lp(progID), u32(0x71B239F4))
}

// ole10Native is a \x01Ole10Native stream carrying a file.
func ole10Native(label string, data []byte) []byte {
	body := cat(u16(2), []byte(label), []byte{0}, []byte(`C:\tmp\`+label), []byte{0}, u16(0), u16(3),
		u32(uint32(len(`C:\tmp\`+label)+1)), []byte(`C:\tmp\`+label), []byte{0}, u32(uint32(len(data))), data)
	return cat(u32(uint32(len(body))), body)
}

// utf16z encodes s as UTF-16LE with a terminating NUL (msg PtypString).
func utf16z(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, u16(c)...)
	}
	return append(b, 0, 0)
}

// peFile is the start of a PE file (enough for the sniffer).
var peFile = append([]byte("MZ\x90\x00"), make([]byte, 200)...)

// agileInfo is an Agile EncryptionInfo ([MS-OFFCRYPTO] 2.3.4.10) header
// with a stub XML descriptor.
func agileInfo() []byte {
	return cat(u16(4), u16(4), u32(0x40), []byte(`<?xml version="1.0"?><encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>`))
}

func standardInfo() []byte { return cat(u16(4), u16(2), u32(0x24), make([]byte, 100)) }

// ooxmlZip is a tiny OOXML package whose main part has content type ct.
func ooxmlZip(ct string, extra ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="` + ct + `"/></Types>`))
	for _, name := range extra {
		w, _ := zw.Create(name)
		w.Write([]byte("x"))
	}
	zw.Close()
	return b.Bytes()
}

// vbaStorage is a VBA project storage ([MS-OVBA] 2.2): VBA/dir,
// VBA/_VBA_PROJECT, a module and the PROJECT stream.
func vbaStorage(name string) tStorage {
	return storage(name,
		storage("VBA", stream("dir", []byte{1, 2, 3}), stream("_VBA_PROJECT", []byte{0xCC, 0x61}), stream("Module1", []byte("Attribute VB_Name"))),
		stream("PROJECT", []byte("ID=\"{x}\"\r\nModule=Module1\r\n")))
}

// The fixtures' compound files come from inspecttest's writer.
type (
	tNode     = inspecttest.CFBEntry
	tStorage  = inspecttest.CFBEntry
	cfbLayout = inspecttest.CFBLayout
)

var (
	stream  = inspecttest.Stream
	storage = inspecttest.Storage
)

// buildCFB writes root as a compound file with sector shift 9 or 12.
func buildCFB(root tStorage, shift uint) ([]byte, *cfbLayout) {
	return inspecttest.WriteCFB(root, inspecttest.CFBOptions{SectorShift: shift})
}

// buildCFBSlots is buildCFB with at most headerSlots FAT sector numbers in
// the header; the others go to DIFAT sectors.
func buildCFBSlots(root tStorage, shift uint, headerSlots int) ([]byte, *cfbLayout) {
	return inspecttest.WriteCFB(root, inspecttest.CFBOptions{SectorShift: shift, HeaderFATSlots: headerSlots})
}

func cfb(root tStorage) []byte {
	b, _ := buildCFB(root, 9)
	return b
}

func cfbWithCLSID(clsid [16]byte, kids ...tNode) []byte {
	return cfb(storage("", kids...).WithCLSID(clsid))
}
