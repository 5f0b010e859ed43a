package ole

import (
	"encoding/binary"

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
	fObfuscated    = 0x8000
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
	if flags&fEncrypted == 0 {
		return info, nil
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
