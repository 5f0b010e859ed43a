package inspect

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
)

// Family is the coarse format of a file, decided from its first bytes (and,
// for zip packages, from the names in its central directory). Each family is
// handled by one inspector, which may refine the type (an "ole" file becomes
// a "doc", "xls", "msg" ...).
type Family string

const (
	FamilyOLE       Family = "ole"
	FamilyZip       Family = "zip"
	FamilyOOXML     Family = "ooxml"
	FamilyODF       Family = "odf"
	FamilyFlatODF   Family = "flat-odf"
	FamilyPDF       Family = "pdf"
	FamilyRTF       Family = "rtf"
	FamilyPE        Family = "pe"
	FamilyELF       Family = "elf"
	FamilyMachO     Family = "macho"
	FamilyJavaClass Family = "java-class"
	FamilyLNK       Family = "lnk"
	FamilyGzip      Family = "gz"
	FamilyBzip2     Family = "bz2"
	FamilyXZ        Family = "xz"
	FamilyTar       Family = "tar"
	Family7z        Family = "7z"
	FamilyRAR       Family = "rar"
	FamilyCAB       Family = "cab"
	FamilyISO       Family = "iso"
	FamilyTNEF      Family = "tnef"
	FamilyEML       Family = "eml"
	FamilySLK       Family = "slk"
	FamilyScript    Family = "script"
	FamilyText      Family = "text"
	FamilyOther     Family = "other"
	FamilyCMS       Family = "cms" // a CMS ContentInfo (RFC 5652 3), .p7m/.p7s: DER/BER, PEM or base64
)

// defaultType is the type name a family has until its inspector refines it.
var defaultType = map[Family]string{
	FamilyOLE: TypeOLE, FamilyZip: TypeZIP, FamilyOOXML: TypeOther,
	FamilyODF: TypeOther, FamilyFlatODF: TypeOther, FamilyPDF: TypePDF,
	FamilyRTF: TypeRTF, FamilyPE: TypePE, FamilyELF: TypeELF,
	FamilyMachO: TypeMachO, FamilyJavaClass: TypeOther, FamilyLNK: TypeLNK,
	FamilyGzip: TypeGZ, FamilyBzip2: TypeBZ2, FamilyXZ: TypeXZ,
	FamilyTar: TypeTAR, Family7z: Type7Z, FamilyRAR: TypeRAR,
	FamilyCAB: TypeCAB, FamilyISO: TypeISO, FamilyTNEF: TypeTNEF,
	FamilyEML: TypeEML, FamilyCMS: TypeP7M, FamilySLK: TypeSLK, FamilyScript: TypeScript,
	FamilyText: TypeTXT, FamilyOther: TypeOther,
}

// DefaultType returns the type name of a family before refinement.
func DefaultType(f Family) string {
	if t, ok := defaultType[f]; ok {
		return t
	}
	return TypeOther
}

// SniffLen is how many leading bytes Sniff looks at (besides the zip
// central directory and the ISO 9660 volume descriptor).
const SniffLen = 8192

var (
	magicOLE  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magic7z   = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}
	magicXZ   = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	magicRAR  = []byte("Rar!\x1a\x07")
	magicTNEF = []byte{0x78, 0x9F, 0x3E, 0x22}
	// [MS-SHLLINK] 2.1: HeaderSize 0x4C, LinkCLSID 00021401-0000-0000-C000-000000000046.
	magicLNK = []byte{0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}
)

// Sniff decides the family of the content in r (size bytes) named name.
// The name is used only for text: a text file named .vbs is a script.
func Sniff(r io.ReaderAt, size int64, name string) Family {
	f, _ := sniffPart(r, size, name)
	return f
}

// sniffPart is Sniff that also returns the zip central directory it read
// for a zip-based family.
func sniffPart(r io.ReaderAt, size int64, name string) (Family, *zip.Reader) {
	n := int64(SniffLen)
	if size < n {
		n = size
	}
	if b := InMemory(r, size); b != nil {
		return sniff(r, size, b[:n], name)
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	head := (*bp)[:n]
	k, _ := r.ReadAt(head, 0)
	return sniff(r, size, head[:k], name)
}

func sniff(r io.ReaderAt, size int64, head []byte, name string) (Family, *zip.Reader) {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")) ||
		bytes.HasPrefix(head, []byte("PK\x07\x08PK\x03\x04")) {
		return sniffZip(r, size)
	}
	return sniffHead(r, size, head, name), nil
}

func sniffHead(r io.ReaderAt, size int64, head []byte, name string) Family {
	switch {
	case bytes.HasPrefix(head, magicOLE):
		return FamilyOLE
	case bytes.HasPrefix(head, []byte("MZ")):
		return FamilyPE
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return FamilyELF
	case isMachO(head):
		return FamilyMachO
	case bytes.HasPrefix(head, []byte{0xCA, 0xFE, 0xBA, 0xBE}):
		// Fat Mach-O and Java class files share this magic. A class file has
		// its major version (>= 45) where a fat header has its (small)
		// architecture count.
		if len(head) >= 8 && binary.BigEndian.Uint32(head[4:8]) < 45 {
			return FamilyMachO
		}
		return FamilyJavaClass
	case bytes.HasPrefix(head, magicLNK):
		return FamilyLNK
	case bytes.HasPrefix(head, []byte("{\\rt")):
		// Word opens anything that starts with "{\rt" as RTF.
		return FamilyRTF
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B}):
		return FamilyGzip
	case bytes.HasPrefix(head, []byte("BZh")) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return FamilyBzip2
	case bytes.HasPrefix(head, magicXZ):
		return FamilyXZ
	case bytes.HasPrefix(head, magic7z):
		return Family7z
	case bytes.HasPrefix(head, magicRAR):
		return FamilyRAR
	case bytes.HasPrefix(head, []byte("MSCF\x00\x00\x00\x00")):
		return FamilyCAB
	case bytes.HasPrefix(head, magicTNEF):
		return FamilyTNEF
	case sniffOneNoteCHM(head) != "":
		return sniffOneNoteCHM(head)
	case len(head) > 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return FamilyTar
	case isCMS(head):
		return FamilyCMS
	}
	if f := sniffDiskImage(r, size, head); f != "" {
		return f
	}
	// Readers accept junk before the header; Acrobat looks in the first KiB.
	if i := bytes.Index(head[:min(len(head), 1024)], []byte("%PDF-")); i >= 0 && (i == 0 || !isMessageHead(head)) {
		// (A message is decided by its header block: a PDF in its
		// first KiB is its second reading, see polyglot.go.)
		return FamilyPDF
	}
	if size > 0x8006 {
		var vd [5]byte
		if _, err := r.ReadAt(vd[:], 0x8001); err == nil && string(vd[:]) == "CD001" {
			return FamilyISO
		}
	}
	if f := sniffOfficeXML(head, name); f != "" {
		return f
	}
	if !IsText(head) {
		if isMessageHead(head) {
			return FamilyEML
		}
		return FamilyOther
	}
	text := head
	if bytes.HasPrefix(text, []byte{0xEF, 0xBB, 0xBF}) {
		text = text[3:]
	}
	switch {
	case bytes.HasPrefix(text, []byte("ID;")):
		return FamilySLK
	case bytes.HasPrefix(text, []byte("#!")):
		return FamilyScript
	case isFlatODF(text):
		return FamilyFlatODF
	}
	if _, ok := ScriptExts[Ext(name)]; ok {
		return FamilyScript
	}
	if LooksLikeMessage(text) {
		return FamilyEML
	}
	if isCMSText(text, name) {
		return FamilyCMS
	}
	if f := sniffMarkup(text, name); f != "" {
		return f
	}
	return FamilyText
}

// CMS ContentInfo (RFC 5652 3): a SEQUENCE whose first element is the
// content type OID. The prefixes are the DER of 1.2.840.113549.1.7 (PKCS #7
// content types: data ... encryptedData, the last byte follows) and of
// 1.2.840.113549.1.9.16.1 (compressedData .9, authEnvelopedData .23).
var (
	oidPKCS7Prefix = []byte{0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07}
	oidSMIMEPrefix = []byte{0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01}
)

// isCMS reports a DER or BER ContentInfo of a PKCS #7 or S/MIME content
// type.
func isCMS(h []byte) bool {
	if len(h) < 2 || h[0] != 0x30 {
		return false
	}
	i := 2
	switch l := h[1]; {
	case l <= 0x80:
	case l <= 0x84:
		i += int(l & 0x7f)
	default:
		return false
	}
	if i > len(h) {
		return false
	}
	o := h[i:]
	switch {
	case bytes.HasPrefix(o, oidPKCS7Prefix) && len(o) > len(oidPKCS7Prefix):
		c := o[len(oidPKCS7Prefix)]
		return c >= 1 && c <= 6
	case bytes.HasPrefix(o, oidSMIMEPrefix) && len(o) > len(oidSMIMEPrefix):
		c := o[len(oidSMIMEPrefix)]
		return c == 9 || c == 23
	}
	return false
}

// cmsArmor are the PEM labels of a ContentInfo (RFC 7468 9, OpenSSL's
// "CMS", older tools' "PKCS #7 SIGNED DATA").
var cmsArmor = [][]byte{[]byte("-----BEGIN PKCS7-----"), []byte("-----BEGIN CMS-----"), []byte("-----BEGIN PKCS #7 SIGNED DATA-----")}

// isCMSText reports text that is a ContentInfo in PEM armor or in bare
// base64. OpenSSL reads past any text before the BEGIN line; a file named
// .p7m or .p7s may have some, other text (which the text inspector reads)
// must start with the armor.
func isCMSText(text []byte, name string) bool {
	lead := bytes.TrimLeft(text, " \t\r\n")
	signed := Ext(name) == "p7m" || Ext(name) == "p7s"
	for _, a := range cmsArmor {
		if bytes.HasPrefix(lead, a) {
			return true
		}
		if !signed {
			continue
		}
		// Searched only for a .p7m/.p7s name: every text part passes here.
		if i := bytes.Index(text, a); i > 0 && text[i-1] == '\n' {
			return true
		}
	}
	var enc []byte
	for _, c := range text {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			enc = append(enc, c)
		default:
			return false
		}
		if len(enc) == 32 {
			break
		}
	}
	dec := make([]byte, 24)
	n, err := base64.StdEncoding.Decode(dec, enc[:len(enc)/4*4])
	return err == nil && isCMS(dec[:n])
}

func isMachO(h []byte) bool {
	if len(h) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(h[:4]) {
	case 0xFEEDFACE, 0xFEEDFACF, 0xCEFAEDFE, 0xCFFAEDFE:
		return true
	}
	return false
}

func isFlatODF(text []byte) bool {
	t := text[:min(len(text), 4096)]
	return bytes.Contains(t, []byte("<office:document")) && bytes.Contains(t, []byte("urn:oasis:names:tc:opendocument:xmlns:office:1.0"))
}

// sniffZip tells OOXML and ODF packages from other zip files by the names in
// the central directory. A zip that archive/zip cannot open stays "zip": the
// archive inspector reports why. A [Content_Types].xml does not make a Java
// or Android package an Office document: it stays "zip", and the archive
// inspector says what it runs. (The OOXML inspector types a package
// without a main part "zip" and looks at every member; it knows MSIX.)
func sniffZip(r io.ReaderAt, size int64) (Family, *zip.Reader) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return FamilyZip, nil
	}
	fam, java := FamilyZip, false
	for _, f := range zr.File {
		switch {
		case fam == FamilyZip && f.Name == "[Content_Types].xml":
			fam = FamilyOOXML
		case fam == FamilyZip && (f.Name == "mimetype" || f.Name == "META-INF/manifest.xml"):
			fam = FamilyODF
		case f.Name == "META-INF/MANIFEST.MF", f.Name == "AndroidManifest.xml", f.Name == "classes.dex":
			java = true
		}
	}
	if fam == FamilyOOXML && java {
		return FamilyZip, zr
	}
	return fam, zr
}

// IsText reports whether b (the start of a file) looks like text in some
// 8-bit charset, UTF-8 or UTF-16 with a byte order mark: no NUL bytes and
// almost no control characters.
func IsText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return len(b)%2 == 0 || len(b) == SniffLen-1
	}
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return false
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b && c != 0x0b:
			ctl++
		}
	}
	return ctl*100 <= len(b)
}

// headerNames are fields that mark the start of an Internet message.
var headerNames = []string{
	"from", "to", "subject", "date", "message-id", "mime-version",
	"received", "return-path", "content-type", "delivered-to",
	"x-original-to", "reply-to", "sender", "cc", "dkim-signature",
	"authentication-results", "arc-seal", "x-mailer",
}

// LooksLikeMessage reports whether text starts like an RFC 5322 message
// (optionally after an mbox "From " line): a header block whose first line is
// a field and which names at least two well-known fields.
func LooksLikeMessage(text []byte) bool {
	if bytes.HasPrefix(text, []byte("From ")) {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			return false
		}
		text = text[i+1:]
	}
	known := 0
	for i := 0; i < 200 && len(text) > 0; i++ {
		line := text
		if j := bytes.IndexByte(text, '\n'); j >= 0 {
			line, text = text[:j], text[j+1:]
		} else {
			text = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if i == 0 {
				return false
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validFieldName(line[:colon]) {
			if i == 0 {
				return false
			}
			// Tolerate a broken line further down; the parser will judge.
			continue
		}
		for _, h := range headerNames {
			if len(h) == colon && bytes.EqualFold(line[:colon], []byte(h)) {
				known++
				break
			}
		}
	}
	return known >= 2
}

// isMessageHead reports whether head, which is not text as a whole, starts
// with a message's header block. A message is decided by its header (RFC
// 5322 2.1; RFC 6532 3.2 allows UTF-8 in field bodies): a first line that
// is a field and well-known fields, which binary formats do not start with.
// Its body may be 8-bit or binary (RFC 6152, RFC 3030), NUL bytes and
// control characters included, and the mime inspector reads it as such: so
// must sniffing, or inspect and scan disagree about the same file.
func isMessageHead(head []byte) bool {
	return LooksLikeMessage(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}))
}

func validFieldName(s []byte) bool {
	for _, c := range s {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
