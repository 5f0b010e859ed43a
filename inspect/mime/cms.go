package mime

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/cmsdecrypt"
)

// S/MIME bodies are CMS ContentInfo structures (RFC 5652 3). Mailers write
// them in DER or, streaming, in BER with indefinite lengths and chunked
// (constructed) OCTET STRINGs, which encoding/asn1 does not read. So this
// file walks the BER TLVs itself (ITU-T X.690 8.1) over an io.ReaderAt,
// their headers read by cmsdecrypt.ParseHeader as the decryption reads
// them, and uses encoding/asn1 only for the object identifiers.

var (
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidEnvelopedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3}
	oidAuthEnvelopedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 23}
	oidCompressedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 9}
	oidEncryptedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
)

type cmsKind int

const (
	cmsMalformed  cmsKind = iota
	cmsEnveloped          // envelopedData, authEnvelopedData, encryptedData
	cmsSigned             // signedData with encapsulated content
	cmsDetached           // signedData without content (a detached signature, certs-only)
	cmsCompressed         // compressedData (RFC 3274)
	cmsOther              // any other content type
)

var errBER = errors.New("malformed BER")

// maxBERDepth bounds nesting while skipping indefinite-length values and
// collecting the pieces of a constructed OCTET STRING.
const maxBERDepth = 32

type tlv struct {
	class       byte
	constructed bool
	tag         int
	start       int64 // offset of the identifier octet
	body        int64 // offset of the contents
	length      int64 // -1: indefinite
}

type ber struct {
	r    io.ReaderAt
	size int64
}

// read reads the TLV header at off; the value must end by limit.
// X.690 8.1.2 (identifier), 8.1.3 (length).
func (b *ber) read(off, limit int64) (tlv, error) {
	var hdr [12]byte
	n, _ := b.r.ReadAt(hdr[:], off)
	if int64(n) > limit-off {
		n = int(limit - off)
	}
	h := hdr[:max(n, 0)]
	if len(h) < 2 {
		return tlv{}, errBER
	}
	hd, err := cmsdecrypt.ParseHeader(h, off)
	if err != nil || hd.Length > uint64(limit) {
		return tlv{}, errBER
	}
	t := tlv{class: hd.Class, constructed: hd.Constructed, tag: hd.Tag, start: off, body: off + int64(hd.Size), length: int64(hd.Length)}
	if hd.Indefinite {
		t.length = -1
	}
	if t.length >= 0 && t.body+t.length > limit {
		return tlv{}, errBER
	}
	return t, nil
}

func (t tlv) isEOC() bool { return t.class == 0 && t.tag == 0 && !t.constructed && t.length == 0 }

// childrenEnd calls fn for each element inside the constructed value t
// until fn says stop, and returns the offset after t (0 when stopped). For
// an indefinite length it reads up to and including end-of-contents.
func (b *ber) childrenEnd(t tlv, limit int64, depth int, fn func(tlv) (bool, error)) (int64, error) {
	if depth > maxBERDepth {
		return 0, errBER
	}
	pos := t.body
	end := limit
	if t.length >= 0 {
		end = t.body + t.length
	}
	for pos < end {
		c, err := b.read(pos, end)
		if err != nil {
			return 0, err
		}
		if c.isEOC() {
			if t.length >= 0 {
				return 0, errBER
			}
			return c.body, nil
		}
		stop, err := fn(c)
		if err != nil || stop {
			return 0, err
		}
		next, err := b.endOf(c, end, depth+1)
		if err != nil {
			return 0, err
		}
		if next <= pos {
			return 0, errBER
		}
		pos = next
	}
	if t.length < 0 {
		return 0, errBER // no end-of-contents
	}
	return end, nil
}

// endOf returns the offset after c.
func (b *ber) endOf(c tlv, limit int64, depth int) (int64, error) {
	if c.length >= 0 {
		return c.body + c.length, nil
	}
	return b.childrenEnd(c, limit, depth, func(tlv) (bool, error) { return false, nil })
}

// oid reads an OBJECT IDENTIFIER TLV.
func (b *ber) oid(t tlv) (asn1.ObjectIdentifier, error) {
	if t.class != 0 || t.tag != 6 || t.constructed || t.length <= 0 || t.length > 64 {
		return nil, errBER
	}
	buf := make([]byte, 2+t.length)
	buf[0], buf[1] = 6, byte(t.length)
	if _, err := b.r.ReadAt(buf[2:], t.body); err != nil {
		return nil, errBER
	}
	var id asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(buf, &id); err != nil || len(rest) != 0 {
		return nil, errBER
	}
	return id, nil
}

// nth returns the i-th element (0-based) inside t.
func (b *ber) nth(t tlv, limit int64, i int) (tlv, error) {
	var found tlv
	ok := false
	k := 0
	_, err := b.childrenEnd(t, limit, 0, func(c tlv) (bool, error) {
		if k == i {
			found, ok = c, true
			return true, nil
		}
		k++
		return false, nil
	})
	if err != nil {
		return tlv{}, err
	}
	if !ok {
		return tlv{}, errBER
	}
	return found, nil
}

// probeCMS tells the content type of a ContentInfo from its first bytes:
// the outer SEQUENCE header and the contentType OID. It returns cmsSigned
// for signedData (whose kind needs the whole structure), cmsMalformed when
// the bytes are no ContentInfo.
func probeCMS(head []byte) cmsKind {
	if len(head) < 2 || head[0] != 0x30 {
		return cmsMalformed
	}
	i := 2
	switch l := head[1]; {
	case l < 0x80, l == 0x80:
	case l <= 0x84:
		i += int(l & 0x7f)
	default:
		return cmsMalformed
	}
	if i+2 > len(head) || head[i] != 6 || head[i+1] >= 0x80 {
		return cmsMalformed
	}
	n := int(head[i+1])
	if i+2+n > len(head) {
		return cmsMalformed
	}
	var id asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(head[i:i+2+n], &id); err != nil || len(rest) != 0 {
		return cmsMalformed
	}
	switch {
	case id.Equal(oidEnvelopedData), id.Equal(oidAuthEnvelopedData), id.Equal(oidEncryptedData):
		return cmsEnveloped
	case id.Equal(oidCompressedData):
		return cmsCompressed
	case id.Equal(oidSignedData):
		return cmsSigned
	}
	return cmsOther
}

// maxCMSSegments bounds the pieces of a chunked eContent (16 bytes each):
// streaming writers use chunks of 1 KiB or more, so 2^18 pieces cover far
// more than any mail limit, while a hostile stream of empty-ish two-byte
// chunks cannot make the list eight times the size of the input.
const maxCMSSegments = 1 << 18

// segment is a piece of content in the decoded CMS bytes.
type segment struct{ off, n int64 }

// parseCMS reads a ContentInfo (RFC 5652 3) and says what it is. For
// signedData (RFC 5652 5.1, 5.2) with encapsulated content it returns the
// pieces of eContent.
func parseCMS(r io.ReaderAt, size int64) (cmsKind, []segment) {
	b := &ber{r: r, size: size}
	ci, err := b.read(0, size)
	if err != nil || ci.class != 0 || ci.tag != 16 || !ci.constructed {
		return cmsMalformed, nil
	}
	limit := size
	if ci.length >= 0 {
		limit = ci.body + ci.length
	}
	ct, err := b.nth(ci, limit, 0)
	if err != nil {
		return cmsMalformed, nil
	}
	id, err := b.oid(ct)
	if err != nil {
		return cmsMalformed, nil
	}
	switch {
	case id.Equal(oidEnvelopedData), id.Equal(oidAuthEnvelopedData), id.Equal(oidEncryptedData):
		return cmsEnveloped, nil
	case id.Equal(oidCompressedData):
		return cmsCompressed, nil
	case id.Equal(oidSignedData):
	default:
		return cmsOther, nil
	}
	// content [0] EXPLICIT SignedData
	c0, err := b.nth(ci, limit, 1)
	if err != nil || c0.class != 2 || c0.tag != 0 || !c0.constructed {
		return cmsMalformed, nil
	}
	sd, err := b.nth(c0, limit, 0)
	if err != nil || sd.class != 0 || sd.tag != 16 || !sd.constructed {
		return cmsMalformed, nil
	}
	// SignedData ::= SEQUENCE { version, digestAlgorithms SET,
	// encapContentInfo SEQUENCE { eContentType, eContent [0] EXPLICIT
	// OCTET STRING OPTIONAL }, ... }
	eci, err := b.nth(sd, limit, 2)
	if err != nil || eci.class != 0 || eci.tag != 16 || !eci.constructed {
		return cmsMalformed, nil
	}
	var ec tlv
	has := false
	n := 0
	_, err = b.childrenEnd(eci, limit, 0, func(c tlv) (bool, error) {
		if n == 1 {
			ec, has = c, true
			return true, nil
		}
		n++
		return false, nil
	})
	if err != nil {
		return cmsMalformed, nil
	}
	if !has {
		return cmsDetached, nil
	}
	if ec.class != 2 || ec.tag != 0 || !ec.constructed {
		return cmsMalformed, nil
	}
	var segs []segment
	var collect func(t tlv, depth int) error
	collect = func(t tlv, depth int) error {
		if depth > maxBERDepth || len(segs) >= maxCMSSegments {
			return errBER
		}
		if t.class != 0 || t.tag != 4 {
			return errBER
		}
		if !t.constructed {
			if t.length > 0 {
				segs = append(segs, segment{t.body, t.length})
			}
			return nil
		}
		_, err := b.childrenEnd(t, limit, depth, func(c tlv) (bool, error) {
			return false, collect(c, depth+1)
		})
		return err
	}
	octets, err := b.nth(ec, limit, 0)
	if err != nil || collect(octets, 0) != nil {
		return cmsMalformed, nil
	}
	return cmsSigned, segs
}

// segReader is an io.ReaderAt over pieces of another ReaderAt.
type segReader struct {
	r    io.ReaderAt
	segs []segment
	pos  []int64 // start of each piece in the joined content
	size int64
}

func newSegReader(r io.ReaderAt, segs []segment) *segReader {
	s := &segReader{r: r, segs: segs, pos: make([]int64, len(segs))}
	for i, g := range segs {
		s.pos[i] = s.size
		s.size += g.n
	}
	return s
}

func (s *segReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	i := sort.Search(len(s.pos), func(i int) bool { return s.pos[i] > off }) - 1
	n := 0
	for n < len(p) && i < len(s.segs) {
		g := s.segs[i]
		in := off + int64(n) - s.pos[i]
		want := min(int64(len(p)-n), g.n-in)
		k, err := s.r.ReadAt(p[n:n+int(want)], g.off+in)
		n += k
		if k < int(want) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		i++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// How a CMS ContentInfo is written down: DER or BER as such, in PEM armor
// (RFC 7468 9, also what OpenSSL writes with -outform PEM), or as bare
// base64 (what some signing tools save as a .p7m, and what a mailer's
// transfer encoding leaves when the sender encoded twice).
type cmsForm int

const (
	cmsFormNone cmsForm = iota
	cmsFormDER
	cmsFormPEM
	cmsFormBase64
)

// cmsHead is how many leading bytes cmsFormOf needs: junk and a PEM
// header line before the base64, then enough of it for probeCMS.
const cmsHead = 1024

// cmsPEMLabels are the armor labels readers accept for a ContentInfo:
// RFC 7468 9 "PKCS7", OpenSSL's "CMS" and the older "PKCS #7 SIGNED DATA".
var cmsPEMLabels = []string{"PKCS7", "CMS", "PKCS #7 SIGNED DATA"}

// cmsFormOf tells from the first bytes of a file (up to cmsHead) whether
// and how it holds a ContentInfo, and for PEM where the base64 starts.
// OpenSSL's PEM reader skips any text before the BEGIN line, so the armor
// is looked for at the start of every line of head.
func cmsFormOf(head []byte) (cmsForm, int) {
	if probeCMS(head) != cmsMalformed {
		return cmsFormDER, 0
	}
	for i := 0; i < len(head); {
		line := head[i:]
		next := len(head)
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line, next = line[:j], i+j+1
		} else if i > 0 {
			break // a line cut by the end of head
		}
		t := bytes.TrimRight(bytes.TrimLeft(line, " \t"), " \t\r")
		for _, l := range cmsPEMLabels {
			if string(t) == "-----BEGIN "+l+"-----" {
				return cmsFormPEM, next
			}
		}
		i = next
	}
	if b64CMS(head) {
		return cmsFormBase64, 0
	}
	return cmsFormNone, 0
}

// b64CMS reports head as bare base64 whose first bytes decode to a
// ContentInfo.
func b64CMS(head []byte) bool {
	var clean []byte
	for _, c := range head {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		default:
			return false
		}
		if len(clean) == 4*cmsProbe/3 {
			break
		}
	}
	clean = clean[:len(clean)/4*4]
	dec := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(dec, clean)
	return err == nil && probeCMS(dec[:n]) != cmsMalformed
}

// errNotCMS says a file is neither DER/BER nor PEM or base64 of a
// ContentInfo.
var errNotCMS = errors.New("no CMS content info")

// cmsFile is a ContentInfo read from a file or an S/MIME body.
type cmsFile struct {
	kind cmsKind
	// content is the eContent of signedData (kind cmsSigned).
	content *segReader
	// der holds the ContentInfo decoded from PEM or base64.
	der *inspect.Spool
}

// Close releases the spool of a decoded ContentInfo.
func (f *cmsFile) Close() {
	if f.der != nil {
		f.der.Close()
	}
}

// openCMS reads the ContentInfo in r (size bytes) in any form cmsFormOf
// knows; PEM and base64 are decoded into a spool in tempDir that holds up
// to memMax bytes in memory. It fails with errNotCMS, ctx's error or a
// spool error; a ContentInfo it cannot read is kind cmsMalformed.
func openCMS(ctx context.Context, r io.ReaderAt, size int64, tempDir string, memMax int64) (*cmsFile, error) {
	head := make([]byte, min(size, cmsHead))
	n, err := r.ReadAt(head, 0)
	if n < len(head) && err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	form, off := cmsFormOf(head[:n])
	f := &cmsFile{}
	switch form {
	case cmsFormNone:
		return nil, errNotCMS
	case cmsFormPEM, cmsFormBase64:
		// RFC 7468 2: the base64 ends at the END line; '-' is not in the
		// alphabet, so the first one ends it.
		var src io.Reader = io.NewSectionReader(r, int64(off), size-int64(off))
		if form == cmsFormPEM {
			src = &untilDash{r: src}
		}
		sp := inspect.NewSpool(tempDir, memMax, size, nil)
		if _, err := sp.ReadFrom(inspect.ContextReader(ctx, NewDecoder("base64", src))); err != nil {
			sp.Close()
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			return nil, fmt.Errorf("decode CMS base64: %w", err)
		}
		f.der, r, size = sp, sp, sp.Size()
	}
	kind, segs := parseCMS(r, size)
	f.kind = kind
	if kind == cmsSigned {
		f.content = newSegReader(r, segs)
	}
	return f, nil
}

// untilDash reads r up to the first '-'.
type untilDash struct {
	r    io.Reader
	done bool
}

func (u *untilDash) Read(p []byte) (int, error) {
	if u.done {
		return 0, io.EOF
	}
	n, err := u.r.Read(p)
	if i := bytes.IndexByte(p[:n], '-'); i >= 0 {
		u.done = true
		return i, nil
	}
	return n, err
}

// cmsContentName is the name of what a .p7m or .p7s file carries: the
// name without that extension ("setup.exe.p7m" → "setup.exe"), as
// signature viewers save it.
func cmsContentName(name string) string {
	base := strings.TrimRight(name, " .")
	for _, ext := range []string{".p7m", ".p7s"} {
		if len(base) > len(ext) && strings.EqualFold(base[len(base)-len(ext):], ext) {
			return base[:len(base)-len(ext)]
		}
	}
	return name
}

// maxMIMEHead bounds the header block looksLikeEntity reads.
const maxMIMEHead = 64 << 10

// looksLikeEntity reports whether signed content is a MIME entity, as
// S/MIME opaque signing carries (RFC 8551 3.5.3.2): a header block of
// RFC 5322 2.2 fields (folded lines allowed) that names at least one
// MIME or RFC 5322 field and ends with a blank line. Anything else is a
// file. A valid header block longer than maxMIMEHead counts as an entity
// but leaves doubt: the caller inspects it both ways.
func looksLikeEntity(r io.ReaderAt, size int64) (entity, doubt bool) {
	buf := make([]byte, min(size, maxMIMEHead))
	n, _ := r.ReadAt(buf, 0)
	b := buf[:n]
	known := false
	for first := true; ; first = false {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if int64(n) < size {
				// The header block goes on past what was read.
				return known, known
			}
			return false, false // no blank line
		}
		line := bytes.TrimSuffix(b[:i], []byte("\r"))
		b = b[i+1:]
		if len(line) == 0 {
			return known, false
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return false, false
		}
		if line[0] == ' ' || line[0] == '\t' {
			if first {
				return false, false
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return false, false
		}
		for _, c := range line[:colon] {
			if c <= ' ' || c > '~' {
				return false, false
			}
		}
		if knownField(string(line[:colon])) {
			known = true
		}
	}
}

// knownField reports a MIME (RFC 2045 3, RFC 2183) or RFC 5322 3.6 field
// name.
func knownField(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "content-") || strings.HasPrefix(n, "resent-") {
		return true
	}
	switch n {
	case "mime-version", "from", "sender", "reply-to", "to", "cc", "bcc",
		"message-id", "in-reply-to", "references", "subject", "comments",
		"keywords", "date", "received", "return-path":
		return true
	}
	return false
}
