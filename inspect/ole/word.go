package ole

import (
	"encoding/binary"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-DOC] 2.5.2 FibBase.
const (
	wIdentWord97 = 0xA5EC
	wIdentWord6  = 0xA5DC // Word 6.0/95

	fibFlagsOffset = 0x0A
	fDot           = 0x0001
	fEncrypted     = 0x0100
	fWhichTblStm   = 0x0200
	fWriteReserved = 0x0800 // fWriteReservation: a password to modify
	fObfuscated    = 0x8000
)

// [MS-DOC] 2.5.1 Fib: FibBase, then csw and FibRgW97, cslw and
// FibRgLw97, cbRgFcLcb and the FibRgFcLcb pairs, of which
// FibRgFcLcb97.fcDop/lcbDop (2.5.6) is the 32nd.
const (
	fibBaseSize = 32
	ifcDop      = 31
)

// [MS-DOC] 2.7.2 DopBase: the protection flags and the hash of the
// protection password.
const (
	dopLockAtnByte  = 6    // fLockAtn (0x10): only comments allowed
	dopLockAtn      = 0x10 //
	dopProtByte     = 7    // fProtEnabled (0x02): only form fields; fLockRev (0x40): only tracked changes
	dopProtEnabled  = 0x02
	dopLockRev      = 0x40
	dopKeyProtDoc   = 78 // lKeyProtDoc: hash of the protection password, 0 for none
	dopProtFieldEnd = dopKeyProtDoc + 4
)

// word inspects a Word binary document: the FIB says whether it is a
// template and whether it is encrypted. Macros live in the "Macros" storage
// and are found by the storage walk.
func (w *walker) word(n *node, where string) (docInfo, error) {
	info := docInfo{typ: inspect.TypeDoc}
	ws := n.stream("WordDocument")
	wwhere := join(where, ws.name)
	sr, ok, err := w.open(ws, wwhere)
	if !ok {
		return info, err
	}
	var fib [32]byte
	if k, _ := sr.ReadAt(fib[:], 0); k < len(fib) {
		return info, w.problem(wwhere, malformed("WordDocument stream of %d bytes has no FIB", sr.Size()))
	}
	ident := binary.LittleEndian.Uint16(fib[0:])
	if ident != wIdentWord97 && ident != wIdentWord6 {
		// Word refuses such a stream; nothing more to learn from it.
		return info, nil
	}
	flags := binary.LittleEndian.Uint16(fib[fibFlagsOffset:])
	if flags&fDot != 0 {
		info.typ = inspect.TypeDot
	}
	if flags&fWriteReserved != 0 {
		// The FibBase is never encrypted: the flag reads either way.
		w.s.Emit(inspect.Finding{Kind: inspect.KindProtected, Where: wwhere, Detail: "password to modify (Word write reservation)"})
	}
	if flags&fEncrypted == 0 {
		if ident != wIdentWord97 {
			return info, nil // Word 6/95 keeps its Dop elsewhere
		}
		return info, w.wordDop(n, where, sr, flags)
	}
	detail := "Word fEncrypted (RC4/CryptoAPI)"
	switch {
	case ident == wIdentWord6:
		detail = "Word 6/95 fEncrypted (XOR obfuscation)"
	case flags&fObfuscated != 0:
		detail = "Word fEncrypted (XOR obfuscation)"
	default:
		// [MS-DOC] 2.2.6.2: the table stream of an RC4-encrypted
		// document starts with its EncryptionHeader, whose version
		// ([MS-OFFCRYPTO] 2.3.6.1 RC4 1.1, 2.3.5.1 CryptoAPI x.2) names
		// the cipher.
		tbl := "0Table"
		if flags&fWhichTblStm != 0 {
			tbl = "1Table"
		}
		if ts := n.stream(tbl); ts != nil {
			if tr, ok, err := w.open(ts, join(where, ts.name)); ok {
				var v [4]byte
				if k, _ := tr.ReadAt(v[:], 0); k == 4 {
					detail = "Word fEncrypted (" + rc4Kind(binary.LittleEndian.Uint16(v[0:]), binary.LittleEndian.Uint16(v[2:])) + ")"
				}
			} else if err != nil {
				return info, err
			}
		}
	}
	w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: wwhere, Detail: detail})
	return info, nil
}

// rc4Kind names the cipher of an [MS-OFFCRYPTO] EncryptionVersionInfo in
// a binary document: 1.1 is RC4 (2.3.6.1), 2.2/3.2/4.2 RC4 CryptoAPI
// (2.3.5.1).
func rc4Kind(major, minor uint16) string {
	switch {
	case major == 1 && minor == 1:
		return "RC4"
	case minor == 2 && major >= 2 && major <= 4:
		return "RC4 CryptoAPI"
	}
	return "RC4/CryptoAPI"
}

// wordDop reads the document protection of a Word 97 document from its Dop
// in the table stream ([MS-DOC] 2.7.2 DopBase: fProtEnabled for forms,
// fLockAtn for comments, fLockRev for tracked changes, lKeyProtDoc the
// hash of the password that lifts them). Protection without a hash is a
// click away from being lifted: no password, no finding.
func (w *walker) wordDop(n *node, where string, wd *io.SectionReader, flags uint16) error {
	wwhere := join(where, "WordDocument")
	u16 := func(off int64) (int64, bool) {
		var b [2]byte
		if k, _ := wd.ReadAt(b[:], off); k < 2 {
			return 0, false
		}
		return int64(binary.LittleEndian.Uint16(b[:])), true
	}
	off := int64(fibBaseSize)
	csw, ok := u16(off)
	if !ok {
		return nil // a FibBase alone: no Dop to read
	}
	off += 2 + 2*csw
	cslw, ok := u16(off)
	if !ok {
		return nil
	}
	off += 2 + 4*cslw
	cbRgFcLcb, ok := u16(off)
	if !ok || cbRgFcLcb <= ifcDop {
		return nil
	}
	var fl [8]byte
	if k, _ := wd.ReadAt(fl[:], off+2+8*ifcDop); k < len(fl) {
		return w.problem(wwhere, malformed("FIB of %d bytes ends before fcDop", wd.Size()))
	}
	fcDop := int64(binary.LittleEndian.Uint32(fl[0:]))
	lcbDop := int64(binary.LittleEndian.Uint32(fl[4:]))
	if lcbDop == 0 {
		return nil
	}
	tbl := "0Table"
	if flags&fWhichTblStm != 0 {
		tbl = "1Table"
	}
	ts := n.stream(tbl)
	twhere := join(where, tbl)
	if ts == nil {
		return w.problem(wwhere, malformed("the FIB names a Dop in %s, which is missing", tbl))
	}
	tr, ok, err := w.open(ts, twhere)
	if !ok {
		return err
	}
	if lcbDop < dopProtFieldEnd || fcDop > tr.Size() || lcbDop > tr.Size()-fcDop {
		return w.problem(twhere, malformed("Dop of %d bytes at %d in a table stream of %d bytes", lcbDop, fcDop, tr.Size()))
	}
	var dop [dopProtFieldEnd]byte
	if _, err := tr.ReadAt(dop[:], fcDop); err != nil {
		return w.problem(twhere, readErr(fcDop, err))
	}
	locked := dop[dopProtByte]&(dopProtEnabled|dopLockRev) != 0 || dop[dopLockAtnByte]&dopLockAtn != 0
	if locked && binary.LittleEndian.Uint32(dop[dopKeyProtDoc:]) != 0 {
		w.s.Emit(inspect.Finding{Kind: inspect.KindProtected, Where: twhere, Detail: "restricted editing with a password (Word document protection)"})
	}
	return nil
}
