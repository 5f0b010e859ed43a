package ole

import (
	"encoding/binary"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/olenative"
)

// maxCompObj bounds what is read of a \x01CompObj stream (its strings are
// short class names).
const maxCompObj = 4096

// [MS-OLEDS] 2.3.7 OLEStream.Flags: the object is a link to a file or URL.
const oleStreamLinked = 0x00000001

// object reports an embedded OLE object storage: what class it is, whether
// it is an ActiveX control (Word and Excel keep those in object storages
// with a \x03OCXNAME stream, their class a "Forms.*" ProgID) and whether
// it is linked rather than embedded (its \x01Ole stream says so; the
// content is then fetched from elsewhere when the document is opened).
func (w *walker) object(k *node, where string) error {
	detail := w.objectDetail(k, where)
	w.s.Emit(inspect.Finding{Kind: inspect.KindEmbeddedObject, Where: where, Detail: detail})
	if k.stream("\x03OCXNAME") != nil || strings.HasPrefix(detail, "OLE object (Forms.") {
		w.s.Emit(inspect.Finding{Kind: inspect.KindActiveContent, Where: where, Detail: "ActiveX control" + strings.TrimPrefix(detail, "OLE object")})
	}
	if os := k.stream("\x01Ole"); os != nil {
		b, ok, err := w.readAll(os, join(where, os.name), 8)
		if err != nil {
			return err
		}
		if ok && len(b) == 8 && binary.LittleEndian.Uint32(b[4:])&oleStreamLinked != 0 {
			w.s.Emit(inspect.Finding{Kind: inspect.KindExternalReference, Where: where, Detail: "linked OLE object" + strings.TrimPrefix(detail, "OLE object")})
		}
	}
	return nil
}

// objectDetail describes an embedded object storage by its class: the
// ProgID or user type of its \x01CompObj stream ([MS-OLEDS] 2.3.8), else a
// known CLSID.
func (w *walker) objectDetail(k *node, where string) string {
	if cs := k.stream("\x01CompObj"); cs != nil {
		if sr, err := w.f.open(cs, join(where, cs.name)); err == nil {
			b := make([]byte, min(sr.Size(), maxCompObj))
			if n, _ := sr.ReadAt(b, 0); n == len(b) {
				if name := compObjClass(b); name != "" {
					return "OLE object (" + name + ")"
				}
			}
		}
	}
	if name, ok := knownCLSIDs[k.clsid]; ok {
		return "OLE object (" + name + ")"
	}
	return "OLE object"
}

// compObjClass returns the ProgID of a CompObjStream, else its AnsiUserType
// ([MS-OLEDS] 2.3.8): a 28-byte header, AnsiUserType, AnsiClipboardFormat,
// then the ProgID in Reserved1, each a LengthPrefixedAnsiString.
func compObjClass(b []byte) string {
	if len(b) < 28 {
		return ""
	}
	b = b[28:]
	userType, b, ok := lpString(b)
	if !ok {
		return ""
	}
	// ClipboardFormatOrAnsiString (2.3.3): 0 absent; 0xFFFFFFFF or
	// 0xFFFFFFFE then a 4-byte format; otherwise a string length.
	progID := ""
	if len(b) >= 4 {
		switch m := binary.LittleEndian.Uint32(b); m {
		case 0:
			b = b[4:]
		case 0xFFFFFFFF, 0xFFFFFFFE:
			b = b[min(8, len(b)):]
		default:
			_, b, ok = lpString(b)
		}
		if ok {
			progID, _, _ = lpString(b)
		}
	}
	if progID != "" {
		return progID
	}
	return userType
}

// lpString reads a LengthPrefixedAnsiString ([MS-OLEDS] 2.1.4) and returns
// it cleaned for a finding's detail.
func lpString(b []byte) (string, []byte, bool) {
	if len(b) < 4 {
		return "", b, false
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if n > uint32(len(b)) || n > 256 {
		return "", b, false
	}
	s := b[:n]
	if i := strings.IndexByte(string(s), 0); i >= 0 {
		s = s[:i]
	}
	return inspect.Clean(string(s), 64), b[n:], true
}

// knownCLSIDs names common object classes by the CLSID of their storage
// (stored as a little-endian GUID).
var knownCLSIDs = map[[16]byte]string{
	guid(0x0003000C, 0, 0, 0xC000, 0x000000000046):           "Package",
	guid(0xF20DA720, 0xC02F, 0x11CE, 0x927B, 0x0800095AE340): "Package",
	guid(0x00020906, 0, 0, 0xC000, 0x000000000046):           "Word.Document.8",
	guid(0x00020820, 0, 0, 0xC000, 0x000000000046):           "Excel.Sheet.8",
	guid(0x64818D10, 0x4F9B, 0x11CF, 0x86EA, 0x00AA00B929E8): "PowerPoint.Show.8",
	guid(0x0002CE02, 0, 0, 0xC000, 0x000000000046):           "Equation.3",
	guid(0xB801CA65, 0xA1FC, 0x11D0, 0x85AD, 0x444553540000): "AcroExch.Document",
}

// guid encodes a GUID the way a directory entry stores it: Data1..Data3
// little-endian, Data4 as bytes.
func guid(d1 uint32, d2, d3, d4hi uint16, d4lo uint64) [16]byte {
	var g [16]byte
	binary.LittleEndian.PutUint32(g[0:], d1)
	binary.LittleEndian.PutUint16(g[4:], d2)
	binary.LittleEndian.PutUint16(g[6:], d3)
	binary.BigEndian.PutUint16(g[8:], d4hi)
	for i := 0; i < 6; i++ {
		g[10+i] = byte(d4lo >> (8 * (5 - i)))
	}
	return g
}

// oleNative hands the file inside a \x01Ole10Native stream (an OLE Package
// object: "insert object, create from file") to the engine.
func (w *walker) oleNative(k *node, where string) error {
	sr, ok, err := w.open(k, where)
	if !ok {
		return err
	}
	n, err := olenative.Parse(sr, sr.Size(), true)
	if err != nil {
		return w.problem(where, err)
	}
	name := n.FileName()
	if name == "" {
		name = "Ole10Native data"
	}
	return w.s.ChildAt(join(where, inspect.Clean(name, 255)), n.Data, n.Data.Size())
}
