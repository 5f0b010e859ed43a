package ole

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// maxEncryptionInfo bounds the EncryptionInfo stream (the Agile XML is
// about 1 KiB; Standard headers are smaller).
const maxEncryptionInfo = 1 << 20

// encryptedPackage inspects an encrypted OOXML document ([MS-OFFCRYPTO]
// 2.3.4.4 EncryptedPackage with 2.3.4.5 Standard, 2.3.4.6 Extensible or
// 2.3.4.10 Agile EncryptionInfo). One keyed with the default password
// opens without asking: it is decrypted and handed to the engine instead
// of being reported encrypted.
func (w *walker) encryptedPackage(n *node, where string, root bool) (docInfo, error) {
	var info docInfo
	if root {
		// The container says nothing about what it hides but its name.
		if t := inspect.TypeFromName(w.p.Name); isOOXMLType(t) {
			info.typ = t
		}
	}
	es := n.stream("EncryptionInfo")
	ps := n.stream("EncryptedPackage")
	pwhere := join(where, ps.name)
	if es == nil {
		// [MS-OFFCRYPTO] 2.2: a rights-managed (IRM) package keeps its
		// keys in the \x06DataSpaces licenses, not in EncryptionInfo;
		// either way nobody without the license or password reads it.
		detail := "EncryptedPackage (no EncryptionInfo)"
		if n.storage("\x06DataSpaces") != nil {
			detail = "EncryptedPackage (rights-managed)"
		}
		w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: pwhere, Detail: detail})
		return info, nil
	}
	if es.size > maxEncryptionInfo {
		w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: pwhere, Detail: "EncryptedPackage"})
		return info, w.problem(join(where, es.name), malformed("EncryptionInfo of %d bytes", es.size))
	}
	ei, ok, err := w.readAll(es, join(where, es.name), maxEncryptionInfo)
	if !ok {
		w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: pwhere, Detail: "EncryptedPackage"})
		return info, err
	}
	detail := "EncryptedPackage (" + encryptionKind(ei) + ")"
	c := w.in.crypto
	if c.DescribeEncryption != nil {
		if d := inspect.Clean(c.DescribeEncryption(ei), 80); d != "" {
			detail = "EncryptedPackage (" + d + ")"
		}
	}
	pr, ok, err := w.open(ps, pwhere)
	if !ok {
		w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: pwhere, Detail: detail})
		return info, err
	}
	if c.DecryptPackage == nil || (root && !defaultPasswordOpens(w.p.Name)) {
		// Nothing to try with, or the application that opens a file of
		// this name asks for a password whatever the key: for the
		// recipient it is password protection like any other.
		w.encryptedOnly(pwhere, detail, root, info.typ)
		return info, nil
	}
	if !inspect.TakeKeyDerivation(w.ctx) {
		// Trying the default password costs a key derivation; a message
		// full of encrypted packages must not cost minutes.
		w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: pwhere,
			Detail: fmt.Sprintf("%s; default password not tried: limit key-derivations=%d", detail, w.p.Limits.MaxKeyDerivations)})
		return info, nil
	}
	sp := w.decryptSpool()
	defer sp.Close()
	err = c.DecryptPackage(ei, pr, pr.Size(), c.DefaultPassword, &ctxWriter{w: sp, w2: w})
	if err != nil {
		if fatal(w.ctx, err) {
			return info, err
		}
		// Wrong password (the usual case), an unsupported cipher or
		// broken encryption data: the content stays hidden.
		if c.ErrWrongPassword != nil && !errors.Is(err, c.ErrWrongPassword) {
			detail += fmt.Sprintf("; not decrypted: %s", inspect.Clean(err.Error(), 120))
		}
		w.encryptedOnly(pwhere, detail, root, info.typ)
		return info, nil
	}
	if root {
		if t := ooxmlType(sp, sp.Size()); t != "" {
			info.typ = t
		}
	}
	return info, w.s.ChildAt(join(where, "EncryptedPackage (VelvetSweatshop)"), sp, sp.Size())
}

// decryptSpool returns a spool for a decrypted stream, bounded like a part.
func (w *walker) decryptSpool() *inspect.Spool {
	l := w.p.Limits
	return inspect.NewSpool(l.TempDir, l.MemSpool, l.MaxPartSize, &inspect.LimitError{Limit: inspect.LimitPartSize, Value: l.MaxPartSize})
}

// encryptedOnly reports a package whose content stays hidden.
func (w *walker) encryptedOnly(where, detail string, root bool, typ string) {
	w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: where, Detail: detail})
	if root && macroEnabledType(typ) {
		// Whichever is stricter wins: the name claims a macro-enabled
		// package and the content cannot prove otherwise.
		w.s.Emit(inspect.Finding{Kind: inspect.KindMacro, Where: where,
			Detail: "macro-enabled ." + typ + " behind encryption (not verifiable)"})
	}
}

// defaultPasswordOpens reports whether the application the recipient's
// system opens a file named name with would open an encrypted OOXML package
// keyed with the default password without asking. Excel does (it tries
// "VelvetSweatshop" first); Word asks for a password for every encrypted
// file, and PowerPoint's own default password applies to its 97-2003
// binaries only ([MS-OFFCRYPTO] 2.4.2.3), not to encrypted packages. A name
// that claims no Word or PowerPoint type (none, .xlsx, .bin ...) keeps the
// trial: who opens it is unknown, and trying costs only time.
func defaultPasswordOpens(name string) bool {
	switch inspect.TypeFromName(name) {
	case inspect.TypeDoc, inspect.TypeDot, inspect.TypeDOCX, inspect.TypeDOCM, inspect.TypeDOTX, inspect.TypeDOTM,
		inspect.TypePPT, inspect.TypePOT, inspect.TypePPS, inspect.TypePPTX, inspect.TypePPTM,
		inspect.TypePPSX, inspect.TypePPSM, inspect.TypePOTX, inspect.TypePOTM:
		return false
	}
	return true
}

// ctxWriter stops a long decryption once the walk's time is up.
type ctxWriter struct {
	w  io.Writer
	w2 *walker
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.w2.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// encryptionKind names the EncryptionInfo variant by its version
// ([MS-OFFCRYPTO] 2.3.4.5, 2.3.4.6, 2.3.4.10): 4.4 with flags 0x40 is
// Agile; 2.2, 3.2 and 4.2 Standard; 3.3 and 4.3 Extensible.
func encryptionKind(b []byte) string {
	if len(b) < 8 {
		return "unknown"
	}
	major, minor := binary.LittleEndian.Uint16(b[0:]), binary.LittleEndian.Uint16(b[2:])
	flags := binary.LittleEndian.Uint32(b[4:])
	switch {
	case major == 4 && minor == 4 && flags == 0x40:
		return "agile"
	case minor == 2 && major >= 2 && major <= 4:
		return "standard"
	case minor == 3 && (major == 3 || major == 4):
		return "extensible"
	}
	return fmt.Sprintf("version %d.%d", major, minor)
}

// isOOXMLType reports whether t is an OOXML type name.
func isOOXMLType(t string) bool {
	for _, x := range ooxmlMain {
		if x.typ == t {
			return true
		}
	}
	return false
}

// ooxmlMain maps the content type of a package's main part ([MS-OFFMACRO2]
// and ECMA-376 Part 1, 11-13) to its type name.
var ooxmlMain = []struct{ ct, typ string }{
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", inspect.TypeDOCX},
	{"application/vnd.ms-word.document.macroenabled.main+xml", inspect.TypeDOCM},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", inspect.TypeDOTX},
	{"application/vnd.ms-word.template.macroenabledtemplate.main+xml", inspect.TypeDOTM},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", inspect.TypeXLSX},
	{"application/vnd.ms-excel.sheet.macroenabled.main+xml", inspect.TypeXLSM},
	{"application/vnd.ms-excel.sheet.binary.macroenabled.main", inspect.TypeXLSB},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", inspect.TypeXLTX},
	{"application/vnd.ms-excel.template.macroenabled.main+xml", inspect.TypeXLTM},
	{"application/vnd.ms-excel.addin.macroenabled.main+xml", inspect.TypeXLAM},
	{"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", inspect.TypePPTX},
	{"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", inspect.TypePPTM},
	{"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", inspect.TypePPSX},
	{"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", inspect.TypePPSM},
	{"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml", inspect.TypePOTX},
	{"application/vnd.ms-powerpoint.template.macroenabled.main+xml", inspect.TypePOTM},
}

// maxContentTypes bounds the [Content_Types].xml read to type a decrypted
// package.
const maxContentTypes = 1 << 20

// ooxmlType names a decrypted package by the content type of its main part,
// found in [Content_Types].xml ("" when it cannot tell cheaply; the OOXML
// inspector judges the package itself).
func ooxmlType(r io.ReaderAt, size int64) string {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return ""
	}
	for _, f := range zr.File {
		if f.Name != "[Content_Types].xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return ""
		}
		b, _ := io.ReadAll(io.LimitReader(rc, maxContentTypes))
		rc.Close()
		b = bytes.ToLower(b)
		for _, m := range ooxmlMain {
			if bytes.Contains(b, []byte(`"`+m.ct+`"`)) {
				return m.typ
			}
		}
		return ""
	}
	return ""
}

// macroEnabledType reports the OOXML types whose purpose is to carry
// macros (the "m" formats; xlsb may or may not, so it is not one).
func macroEnabledType(t string) bool {
	switch t {
	case inspect.TypeDOCM, inspect.TypeDOTM, inspect.TypeXLSM, inspect.TypeXLTM, inspect.TypeXLAM,
		inspect.TypePPTM, inspect.TypePPSM, inspect.TypePOTM:
		return true
	}
	return false
}
