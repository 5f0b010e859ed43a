package mime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// Role says what a leaf of a message is to its recipient.
type Role int

const (
	// RoleText is body text (text/plain, text/html, text/enriched without a
	// file name and not marked as an attachment).
	RoleText Role = iota
	// RoleAttachment is a file: everything that is not body text, a
	// signature, encrypted or unscannable.
	RoleAttachment
	// RoleSignature is an S/MIME or PGP signature.
	RoleSignature
	// RoleEncrypted is S/MIME- or PGP-encrypted content.
	RoleEncrypted
	// RoleUnscannable is content the walk cannot see into; Detail says why.
	RoleUnscannable
	// RoleAmbiguous is a place where mainstream readers read the message
	// differently (draft-chen-email-mime-ambiguity-defense-00); Detail
	// names it ("two boundary parameters"). It carries no content of its
	// own (Open returns nothing): the leaves of every reading follow,
	// those of alternative readings with a View.
	RoleAmbiguous
)

var roleNames = [...]string{"text", "attachment", "signature", "encrypted", "unscannable", "ambiguous"}

func (r Role) String() string {
	if int(r) < len(roleNames) && r >= 0 {
		return roleNames[r]
	}
	return "role(" + strconv.Itoa(int(r)) + ")"
}

// Leaf is one piece of content of a message as Walk finds it.
type Leaf struct {
	// Entity is the entity of the message this content lives in. For
	// content found inside something that cannot be cut apart (an opaque
	// S/MIME signed body, a uuencoded block inside a text part) it is that
	// outer entity.
	Entity *Entity
	// Inner is true when Entity is such an outer entity: the milter can
	// only remove Entity as a whole.
	Inner bool
	// Part is the entity the content is the body of (for content unwrapped
	// from an S/MIME body: in the tree parsed from it; for a block found in
	// a text: that text's entity). Its media type and parameters describe
	// the content; nil for a leaf without one.
	Part *Entity
	// InText is true for content found inside the decoded text of the text
	// leaf visited just before it with the same Entity (a uuencoded block,
	// an inline PGP message): removing it means removing that text.
	InText bool
	// Name is the file name for humans and for Where paths: the Filename,
	// or the uuencode name, or "part-1.2" (the MIME part number, RFC 3501
	// 6.4.5) when there is none.
	Name string
	Role Role
	// Detail is, for RoleEncrypted, "smime-enveloped", "pgp-encrypted" or
	// "pgp-inline"; for RoleSignature "smime-signature" or "pgp-signature";
	// for RoleUnscannable why ("message/partial fragment", ...); for
	// RoleAmbiguous what readers read differently (Entity.Ambiguities).
	Detail string
	// Decrypted is true for content that came out of S/MIME enveloped
	// content decrypted with one of Limits.Keys (at any depth below it):
	// its Entity is then the encrypted entity (Inner), which the milter
	// cannot cut apart without giving up the encryption.
	Decrypted bool
	// Depth is how deep the content sits below the root of the outermost
	// message (the Depth of Part, else of Entity; content unwrapped from
	// S/MIME is a level below its entity): an inspector of the content
	// counts on from there against inspect.Limits.MaxDepth.
	Depth int
	// View is "" for a leaf of the primary reading, else the name of the
	// alternative reading that exposed it ("last-parameter",
	// "lenient-delimiters", ...). Its Entity then belongs to that
	// reading's own parse tree (offsets in the same reader).
	View string
	// Open returns the decoded content. It may be called more than once,
	// but only while the walk's callback runs: content unwrapped from an
	// S/MIME body is spooled for the duration of the callback only.
	Open func() io.Reader
}

// Details of RoleEncrypted and RoleSignature leaves.
const (
	DetailSMIMEEnveloped = "smime-enveloped"
	DetailPGPEncrypted   = "pgp-encrypted"
	DetailPGPInline      = "pgp-inline"
	DetailSMIMESignature = "smime-signature"
	DetailPGPSignature   = "pgp-signature"
)

// maxCMSNesting bounds S/MIME bodies inside S/MIME bodies (triple wrapping
// needs 3). Each level is decoded and spooled.
const maxCMSNesting = 8

// Walk visits the leaves of the message root (parsed from r) in document
// order: multiparts are descended into, message/rfc822 bodies too, the
// content of opaque-signed S/MIME is unwrapped and walked, text parts are
// searched for uuencoded blocks and inline PGP messages. fn's error stops
// the walk and is returned; so is ctx's.
//
// Where the message is ambiguous (Entity.Ambiguities), Walk emits one
// RoleAmbiguous leaf per ambiguity, then re-parses the message under each
// alternative reading and emits the leaves of those readings whose
// decoded content (by SHA-256) was not emitted already in the same role,
// with Leaf.View naming the reading. A message without ambiguity is
// walked once, as before.
func Walk(ctx context.Context, r io.ReaderAt, root *Entity, lim Limits, fn func(Leaf) error) error {
	if root == nil {
		return nil
	}
	w := &walker{ctx: ctx, lim: lim.withDefaults(), fn: fn}
	return w.message(r, root, "", nil, 0)
}

type walker struct {
	ctx context.Context
	lim Limits
	fn  func(Leaf) error
	// view is the reading being walked ("" primary).
	view string
	// r is the reader of the message being walked (spans are per reader).
	r io.ReaderAt
	// seen holds the content hashes of the leaves emitted so far, once
	// some message of the walk turned out ambiguous (nil before); spans
	// the byte ranges of their entities (same range, same encoding: same
	// content, no need to decode it again).
	seen  map[seenKey]bool
	spans map[spanKey]bool
	// decrypted counts the decrypted S/MIME bodies the walk is inside:
	// every leaf emitted meanwhile is Leaf.Decrypted.
	decrypted int
	// below is the depth of S/MIME content being unwrapped: a level below
	// the entity (or the content) that carries it.
	below int
}

// limAt returns the walk's limits for a message whose root is at depth.
func (w *walker) limAt(depth int) Limits {
	l := w.lim
	l.RootDepth = depth
	return l
}

// unwrapping sets w.below to depth for the unwrapping of S/MIME content
// and returns what restores it.
func (w *walker) unwrapping(depth int) func() {
	b := w.below
	w.below = depth
	return func() { w.below = b }
}

// spanKey is the content of a leaf that is its entity's whole body.
type spanKey struct {
	r          io.ReaderAt
	start, end int64
	enc        string
	role       Role
	detail     string
	ext        string
}

// seenKey is emitted content: its hash, its role and, for leaves that are
// no content to inspect, the detail; for attachments the file name
// extension (a policy judges names too: a.pdf and a.doc of the same bytes
// are two attachments).
type seenKey struct {
	sum    [sha256.Size]byte
	role   Role
	detail string
	ext    string
}

// emit hands l to the callback. While alternative readings are being
// walked, leaves whose content was emitted before in a role that covers
// them are dropped: an attachment covers any role of the same bytes,
// text covers text, others cover the same role and detail.
func (w *walker) emit(l Leaf) error {
	if w.decrypted > 0 {
		l.Decrypted = true
	}
	if l.Depth == 0 {
		switch {
		case l.Part != nil:
			l.Depth = l.Part.Depth
		case l.Entity != nil:
			l.Depth = l.Entity.Depth
		}
	}
	if l.Role == RoleAmbiguous {
		if w.view != "" {
			return nil // reported by the primary reading
		}
		return w.fn(l)
	}
	if w.seen == nil {
		return w.fn(l)
	}
	l.View = w.view
	var span spanKey
	if !l.Inner && l.Entity != nil {
		span = spanKey{r: w.r, start: l.Entity.BodyStart, end: l.Entity.End, enc: l.Entity.Encoding, role: l.Role}
		span.detail, span.ext = l.sameness()
		if w.view != "" && w.spans[span] {
			return nil
		}
	}
	sum, err := contentSum(w.ctx, l.Open())
	if err != nil {
		return err
	}
	key := seenKey{sum: sum, role: l.Role, detail: span.detail, ext: span.ext}
	if l.Inner || l.Entity == nil {
		key.detail, key.ext = l.sameness()
	}
	// Any attachment of the same bytes covers a text or another role.
	anyAtt := seenKey{sum: sum, role: RoleAttachment, ext: "\x00any"}
	if w.view != "" && (w.seen[key] || l.Role != RoleAttachment && w.seen[anyAtt]) {
		return nil
	}
	w.seen[key] = true
	if l.Role == RoleAttachment {
		w.seen[anyAtt] = true
	}
	if span.r != nil {
		w.spans[span] = true
	}
	return w.fn(l)
}

// sameness returns what, beside its bytes, a leaf's content must share
// with another's to be the same: an attachment its file name extension,
// text nothing, any other role its detail.
func (l Leaf) sameness() (detail, ext string) {
	switch l.Role {
	case RoleAttachment:
		return "", inspect.Ext(l.Name)
	case RoleText:
		return "", ""
	}
	return l.Detail, ""
}

// noContent is the Open of leaves without content of their own.
func noContent() io.Reader { return bytes.NewReader(nil) }

// contentSum hashes decoded content. A decoding error (an expansion
// limit) ends the content where it stopped: the leaf is then compared by
// what was read, and its own reader reports the error to the callback.
func contentSum(ctx context.Context, r io.Reader) ([sha256.Size]byte, error) {
	h := sha256.New()
	_, _ = io.Copy(h, inspect.ContextReader(ctx, r))
	if err := ctx.Err(); err != nil {
		return [sha256.Size]byte{}, err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum, nil
}

// message walks a parsed message (the top level or unwrapped S/MIME
// content, whose own parse may be ambiguous): the primary reading, then
// the alternative readings the parser found worth trying.
func (w *walker) message(r io.ReaderAt, root *Entity, n string, outer *Entity, cms int) error {
	if root.views == nil || w.view != "" {
		return w.root(r, root, n, outer, cms)
	}
	if w.seen == nil {
		w.seen, w.spans = map[seenKey]bool{}, map[spanKey]bool{}
	}
	defer func(r io.ReaderAt) { w.r = r }(w.r)
	w.r = r
	if err := w.root(r, root, n, outer, cms); err != nil {
		return err
	}
	defer func() { w.view = "" }()
	for _, rd := range alternatives(root.views.alts) {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		alt, err := parse(r, root.views.size, w.limAt(root.Depth), rd)
		w.view = rd.name()
		if err != nil {
			// What a reading could not parse in full may hide a part:
			// fail safe.
			l := Leaf{Entity: alt, Name: "part-" + partNum(n, 1), Role: RoleUnscannable, Detail: "reading " + w.view + ": " + err.Error(),
				Open: noContent}
			if outer != nil {
				l.Entity, l.Inner = outer, true
			}
			if err := w.emit(l); err != nil {
				return err
			}
		}
		if err := w.root(r, alt, n, outer, cms); err != nil {
			return err
		}
	}
	return nil
}

// partNum returns the number of the i-th (1-based) child of the part
// numbered n.
func partNum(n string, i int) string {
	if n == "" {
		return strconv.Itoa(i)
	}
	return n + "." + strconv.Itoa(i)
}

// root walks a message (the top level, an encapsulated message, unwrapped
// S/MIME content) whose part number is n ("" for the top level). RFC 3501
// 6.4.5: a multipart's parts are n.1, n.2 ...; a single-part message body
// is n.1.
func (w *walker) root(r io.ReaderAt, e *Entity, n string, outer *Entity, cms int) error {
	if e.IsMultipart() && e.Boundary != "" {
		return w.entity(r, e, n, outer, cms)
	}
	return w.entity(r, e, partNum(n, 1), outer, cms)
}

func (w *walker) entity(r io.ReaderAt, e *Entity, n string, outer *Entity, cms int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	self := n
	if self == "" {
		self = "1"
	}
	name := e.Filename
	if name == "" {
		name = "part-" + self
	}
	leafOf := func(role Role, detail string) Leaf {
		l := Leaf{Entity: e, Part: e, Name: name, Role: role, Detail: detail, Open: func() io.Reader { return e.Body(r) }}
		if outer != nil {
			l.Entity, l.Inner = outer, true
		}
		return l
	}
	emit := func(role Role, detail string) error { return w.emit(leafOf(role, detail)) }

	// Where readers disagree (two Content-Type fields, ...): say so; the
	// other readings are walked after this one.
	if len(e.Ambiguities) > 0 {
		l := leafOf(RoleAmbiguous, "")
		l.Open = noContent
		if e.Parent == nil && outer == nil && (n == "" || n == "1") {
			l.Name = "message" // the top-level header and body
		}
		for _, d := range e.Ambiguities {
			l.Detail = d
			if err := w.emit(l); err != nil {
				return err
			}
		}
	}
	for _, d := range e.Defects {
		if strings.HasPrefix(d, DefectNotParsed) {
			return emit(RoleUnscannable, d)
		}
	}

	switch {
	case e.IsMultipart():
		switch {
		case e.MediaType == "multipart/encrypted":
			// RFC 1847 2.2, RFC 3156 4.
			proto := strings.ToLower(strings.TrimSpace(e.Params["protocol"]))
			if err := w.ambiguitiesBelow(r, e, n, outer); err != nil {
				return err
			}
			if proto == "application/pgp-encrypted" {
				return emit(RoleEncrypted, DetailPGPEncrypted)
			}
			return emit(RoleUnscannable, "multipart/encrypted with protocol "+strconv.Quote(proto))
		case e.Boundary == "":
			return emit(RoleUnscannable, DefectNoBoundary)
		case e.HasDefect(DefectBoundaryNotFound):
			return emit(RoleUnscannable, DefectBoundaryNotFound)
		}
		// multipart/signed (RFC 1847 2.1) needs nothing special: its
		// first part is walked like any other and the signature part is
		// recognised by its type and content below.
		for i, c := range e.Children {
			if err := w.entity(r, c, partNum(n, i+1), outer, cms); err != nil {
				return err
			}
		}
		return nil
	case e.Message != nil:
		return w.root(r, e.Message, self, outer, cms)
	case e.MediaType == "message/partial":
		// RFC 2046 5.2.2: one fragment of a message split in pieces. The
		// whole is unscannable; but readers such as MIME-tools parse the
		// fragment as a message and show what it holds, so its content is
		// walked too.
		if err := emit(RoleUnscannable, "message/partial fragment"); err != nil {
			return err
		}
		return w.fragment(r, e, self, outer, cms)
	case isPKCS7(e):
		return w.smime(r, e, self, outer, cms, leafOf)
	case e.MediaType == "application/pgp-signature":
		if looksLikePGPSignature(e.head(r, 512)) {
			return emit(RoleSignature, DetailPGPSignature)
		}
		return emit(RoleAttachment, "")
	case e.isBodyText() && !binaryText(r, e):
		if err := emit(RoleText, ""); err != nil {
			return err
		}
		return w.textBlocks(r, e, name, self, outer, false)
	}
	// One probe of the decoded head serves every check below.
	var buf [encodedFileProbe]byte
	k, _ := io.ReadFull(e.head(r, len(buf)), buf[:])
	head := buf[:k]
	if isPGPEncryptedFile(e, head) {
		return emit(RoleEncrypted, DetailPGPEncrypted)
	}
	// An attachment, also text whose content is no text (a client offers
	// to save it, whatever the label says).
	if err := emit(RoleAttachment, ""); err != nil {
		return err
	}
	if binhex, yenc := encodedFile(e, head); binhex || yenc {
		// BinHex and yEnc files are decoded by clients too.
		return w.textBlocks(r, e, name, self, outer, binhex)
	}
	return nil
}

// sniffText is how many decoded bytes of body text are sniffed: magic
// bytes, and "%PDF-" where Acrobat looks for it (the first KiB).
const sniffText = 1024

// binaryText reports body text whose content is a file format other than
// text (inspect.Sniff): a PE labelled text/plain, a part without any
// header holding a zip. Formats told by magic bytes count only when the
// head is no text either, so that a letter starting with "MZ" stays a
// letter; formats that are text themselves (PDF, RTF, scripts) count as
// they are. A message (inline-forwarded headers) stays text.
func binaryText(r io.ReaderAt, e *Entity) bool {
	var buf [sniffText]byte
	n, _ := io.ReadFull(e.head(r, len(buf)), buf[:])
	if n == 0 {
		return false
	}
	head := buf[:n]
	switch inspect.Sniff(bytes.NewReader(head), int64(n), "") {
	case inspect.FamilyText, inspect.FamilyOther, inspect.FamilyEML:
		return false
	case inspect.FamilyPDF, inspect.FamilyRTF, inspect.FamilyScript, inspect.FamilyFlatODF, inspect.FamilySLK:
		return true
	}
	return !inspect.IsText(head)
}

// encodedFileProbe is how much of an attachment is searched for BinHex or
// yEnc.
const encodedFileProbe = 512

// encodedFile reports an attachment that carries a BinHex (typed so, or
// announced by the BinHex banner) or yEnc ("=ybegin") file.
func encodedFile(e *Entity, head []byte) (binhex, yenc bool) {
	switch e.MediaType {
	case "application/mac-binhex40", "application/mac-binhex", "application/x-mac-binhex40", "application/binhex", "application/x-binhex40":
		return true, false
	}
	banner := bytes.Contains(head, binhexBanner)
	yenc = bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("=ybegin "))
	return banner, yenc
}

// isPGPEncryptedFile reports an attachment that is an OpenPGP message
// (RFC 4880 6.2 armor "-----BEGIN PGP MESSAGE-----", or, when its name or
// type says so, a binary message starting with an encrypted session key
// packet, tags 1 and 3): its content cannot be inspected.
func isPGPEncryptedFile(e *Entity, head []byte) bool {
	b := bytes.TrimLeft(head[:min(len(head), 256)], " \t\r\n")
	if bytes.HasPrefix(b, []byte("-----BEGIN PGP MESSAGE-----")) {
		return true
	}
	switch inspect.Ext(e.Filename) {
	case "gpg", "pgp":
	default:
		if e.MediaType != "application/pgp-encrypted" {
			return false
		}
	}
	if len(head) == 0 {
		return false
	}
	tag := -1
	switch c := head[0]; {
	case c&0xC0 == 0xC0: // new format, RFC 4880 4.2.2
		tag = int(c & 0x3F)
	case c&0x80 != 0: // old format
		tag = int(c>>2) & 0x0F
	}
	return tag == 1 || tag == 3
}

// isBodyText reports a part a mail client shows as message text.
func (e *Entity) isBodyText() bool {
	switch e.MediaType {
	case "text/plain", "text/html", "text/enriched":
	default:
		return false
	}
	return e.Filename == "" && (e.Disposition == "" || e.Disposition == "inline")
}

// IsAttachment reports whether e, as a leaf, is content the recipient gets
// as a file: anything but a multipart, an encapsulated message (whose parts
// are judged one by one) and body text (text/plain, text/html,
// text/enriched without a file name and not marked as an attachment).
// Signatures and S/MIME bodies count as attachments here; Walk gives the
// finer role.
func (e *Entity) IsAttachment() bool {
	return !e.IsMultipart() && e.Message == nil && !e.isBodyText()
}

func isPKCS7(e *Entity) bool {
	switch e.MediaType {
	case "application/pkcs7-mime", "application/x-pkcs7-mime",
		"application/pkcs7-signature", "application/x-pkcs7-signature":
		return true
	}
	switch inspect.Ext(e.Filename) {
	case "p7m", "p7s":
		return true
	}
	return false
}

func isSignatureType(t string) bool {
	return t == "application/pkcs7-signature" || t == "application/x-pkcs7-signature"
}

func isEnvelopeType(t string) bool {
	return t == "application/pkcs7-mime" || t == "application/x-pkcs7-mime"
}

// cmsProbe is how many decoded bytes suffice to tell an enveloped from a
// signed ContentInfo: the outer SEQUENCE, the OID and the [0] header.
const cmsProbe = 64

// smime handles an S/MIME body (RFC 8551 3.2-3.5), DER, BER, PEM or
// base64 inside its transfer encoding: enveloped is encrypted (or, with
// Limits.Keys, decrypted and walked by decrypt), a detached signature is a
// signature, and what signedData carries (RFC 5652 5.2 eContent) is walked
// by signedContent.
func (w *walker) smime(r io.ReaderAt, e *Entity, self string, outer *Entity, cms int, leafOf func(Role, string) Leaf) error {
	emit := func(role Role, detail string) error { return w.emit(leafOf(role, detail)) }
	// When the sender's type does not claim CMS (a .p7m name on
	// application/octet-stream) and it is not, it is just an attachment.
	bad := func(why string) error {
		switch {
		case isEnvelopeType(e.MediaType):
			return emit(RoleUnscannable, why)
		default:
			return emit(RoleAttachment, "")
		}
	}
	// Probe first: an enveloped body need not be decoded in full.
	var head [cmsHead]byte
	k, _ := io.ReadFull(e.head(r, len(head)), head[:])
	switch form, _ := cmsFormOf(head[:k]); form {
	case cmsFormNone:
		return bad("malformed S/MIME content")
	case cmsFormDER:
		switch probeCMS(head[:k]) {
		case cmsEnveloped:
			if len(w.lim.Keys) == 0 {
				return emit(RoleEncrypted, DetailSMIMEEnveloped)
			}
		case cmsCompressed:
			return emit(RoleUnscannable, "S/MIME compressed content")
		case cmsOther:
			return bad("unsupported S/MIME content type")
		}
	}
	sp := inspect.NewSpool(w.lim.TempDir, w.lim.MemSpool, e.End-e.BodyStart+cmsProbe, nil)
	defer sp.Close()
	if _, err := sp.ReadFrom(inspect.ContextReader(w.ctx, e.Body(r))); err != nil {
		if cerr := w.ctx.Err(); cerr != nil {
			return cerr
		}
		return emit(RoleUnscannable, "S/MIME content: "+err.Error())
	}
	f, err := openCMS(w.ctx, sp, sp.Size(), w.lim.TempDir, w.lim.MemSpool)
	switch {
	case err == nil:
	case w.ctx.Err() != nil:
		return w.ctx.Err()
	case errors.Is(err, errNotCMS):
		// The decoded body says otherwise than its head did.
		return bad("malformed S/MIME content")
	default:
		return emit(RoleUnscannable, "S/MIME content: "+err.Error())
	}
	defer f.Close()
	name := e.Filename
	if name == "" {
		name = "part-" + self
	}
	if outer == nil {
		outer = e
	}
	return w.unwrapCMS(f, sp, sp.Size(), name, self, outer, cms, e.Depth+1, emit, bad)
}

// unwrapCMS walks what the CMS f (opened from der, size bytes) holds, at
// depth: enveloped content is decrypted with Limits.Keys (without them it
// stays encrypted), a detached signature is a signature, signed content
// is walked by signedContent. leaf emits the leaf of the CMS itself, bad
// reports what the walk cannot read as CMS.
func (w *walker) unwrapCMS(f *cmsFile, der io.ReaderAt, size int64, name, self string, outer *Entity, cms, depth int,
	leaf func(Role, string) error, bad func(why string) error) error {
	switch f.kind {
	case cmsEnveloped:
		if len(w.lim.Keys) == 0 {
			return leaf(RoleEncrypted, DetailSMIMEEnveloped)
		}
		if f.der != nil {
			der, size = f.der, f.der.Size()
		}
		defer w.unwrapping(depth)()
		return w.decrypt(der, size, cmsContentName(name), self, outer, cms+1, leaf)
	case cmsDetached:
		return leaf(RoleSignature, DetailSMIMESignature)
	case cmsCompressed:
		return leaf(RoleUnscannable, "S/MIME compressed content")
	case cmsOther:
		return bad("unsupported S/MIME content type")
	case cmsMalformed:
		return bad("malformed S/MIME content")
	}
	defer w.unwrapping(depth)()
	return w.signedContent(f.content, cmsContentName(name), self, outer, cms+1)
}

// ambiguitiesBelow reports the ambiguities of the entities inside e that
// the walk does not descend into (the parts of multipart/encrypted).
func (w *walker) ambiguitiesBelow(r io.ReaderAt, e *Entity, n string, outer *Entity) error {
	for i, c := range e.Children {
		cn := partNum(n, i+1)
		name := c.Filename
		if name == "" {
			name = "part-" + cn
		}
		for _, d := range c.Ambiguities {
			l := Leaf{Entity: c, Name: name, Role: RoleAmbiguous, Detail: d, Open: noContent}
			if outer != nil {
				l.Entity, l.Inner = outer, true
			}
			if err := w.emit(l); err != nil {
				return err
			}
		}
		if err := w.ambiguitiesBelow(r, c, cn, outer); err != nil {
			return err
		}
	}
	return nil
}

// looksLikePGPSignature checks that a part typed application/pgp-signature
// holds one (RFC 4880 6.2 armor, or a binary Signature Packet, tag 2),
// so that nothing else hides behind the type.
func looksLikePGPSignature(r io.Reader) bool {
	var buf [512]byte
	n, _ := io.ReadFull(r, buf[:])
	b := bytes.TrimLeft(buf[:n], " \t\r\n")
	if bytes.HasPrefix(b, []byte("-----BEGIN PGP SIGNATURE-----")) {
		return true
	}
	if len(b) == 0 {
		return false
	}
	c := b[0]
	switch {
	case c&0xC0 == 0xC0: // new format, RFC 4880 4.2.2
		return c&0x3F == 2
	case c&0x80 != 0: // old format
		return (c>>2)&0x0F == 2
	}
	return false
}

// textBlock is a file or an inline PGP message inside text.
type textBlock struct {
	kind       blockKind
	name       string
	start, end int64 // in the decoded text
}

type blockKind uint8

const (
	blockUU blockKind = iota
	blockPGP
	blockBinHex
	blockYEnc
)

// textBlocks emits the leaves hidden in a text part: uuencoded files
// ("begin MODE NAME" ... "end", "begin-base64 MODE NAME" ... "===="),
// BinHex 4.0 files, yEnc files and inline PGP messages (RFC 4880 6.2
// "-----BEGIN PGP MESSAGE-----"). With binhexPart (an
// application/mac-binhex40 part) a BinHex block needs no banner line.
func (w *walker) textBlocks(r io.ReaderAt, e *Entity, name, self string, outer *Entity, binhexPart bool) error {
	blocks, more, err := scanText(w.ctx, e.Body(r), bufSize(e.End-e.BodyStart, lineBuf), binhexPart)
	if err != nil {
		return err
	}
	if more {
		// Never a silent truncation: what was not looked at is
		// unscannable.
		if err := w.emit(Leaf{Entity: pick(outer, e), Inner: outer != nil, Name: name, Role: RoleUnscannable,
			Detail: fmt.Sprintf("more than %d files in text", maxTextBlocks), Open: func() io.Reader { return e.Body(r) }}); err != nil {
			return err
		}
	}
	var count [4]int
	for _, b := range blocks {
		if b.kind == blockPGP {
			if err := w.emit(Leaf{Entity: pick(outer, e), Inner: true, Part: e, InText: true, Name: name, Role: RoleEncrypted, Detail: DetailPGPInline,
				Open: func() io.Reader { return e.Body(r) }}); err != nil {
				return err
			}
			continue
		}
		count[b.kind]++
		b := b
		section := func() io.Reader {
			d := e.Body(r)
			if _, err := io.CopyN(io.Discard, d, b.start); err != nil {
				return bytes.NewReader(nil)
			}
			return io.LimitReader(d, b.end-b.start)
		}
		var open func() io.Reader
		n := b.name
		suffix := "uu"
		switch b.kind {
		case blockUU:
			open = func() io.Reader { return NewDecoder("x-uuencode", section()) }
		case blockBinHex:
			suffix = "binhex"
			open = func() io.Reader { return newBinHexReader(section()) }
			n = newBinHexReader(section()).Name()
		case blockYEnc:
			suffix = "yenc"
			open = func() io.Reader { return newYEncReader(section()) }
		}
		if n == "" {
			n = fmt.Sprintf("part-%s-%s%d", self, suffix, count[b.kind])
		}
		if err := w.emit(Leaf{Entity: pick(outer, e), Inner: true, Part: e, InText: true, Name: n, Role: RoleAttachment, Open: open}); err != nil {
			return err
		}
	}
	return nil
}

func pick(outer, e *Entity) *Entity {
	if outer != nil {
		return outer
	}
	return e
}

// maxUUName bounds the file name taken from a begin line.
const maxUUName = 255

// maxTextBlocks bounds the blocks of one text: each becomes a leaf.
const maxTextBlocks = 1000

// binhexSearch is how many lines after the BinHex banner may pass before
// the ':' that starts the data.
const binhexSearch = 8

// scanText finds the blocks of a decoded text.
// more reports blocks beyond maxTextBlocks.
func scanText(ctx context.Context, src io.Reader, bufSize int, binhexPart bool) (blocks []textBlock, more bool, err error) {
	lr := newLineReaderSize(src, bufSize)
	var off int64
	var open *textBlock
	endLine := ""
	pgp := false
	midLine := false
	lines := 0
	binhexWait := 0 // lines left to find ':' after a banner
	for {
		if len(blocks) >= maxTextBlocks {
			return blocks, true, nil
		}
		b, partial, err := lr.line()
		if err != nil {
			break
		}
		start := off
		off += int64(len(b))
		wasMid := midLine
		midLine = partial
		if wasMid {
			continue
		}
		if lines++; lines%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
		}
		line, _ := splitBreak(b)
		line = bytes.TrimRight(line, " \t\r")
		if open != nil {
			done := false
			switch open.kind {
			case blockUU:
				done = string(line) == endLine
			case blockBinHex:
				// The alphabet has no ':': the next one ends the data.
				done = bytes.IndexByte(line, ':') >= 0
			case blockYEnc:
				done = bytes.HasPrefix(line, []byte("=yend"))
			}
			if done {
				open.end = off
				blocks = append(blocks, *open)
				open = nil
			}
			continue
		}
		if binhexWait > 0 || binhexPart {
			if len(line) > 0 && line[0] == ':' {
				binhexWait = 0
				open = &textBlock{kind: blockBinHex, start: start}
				if bytes.IndexByte(line[1:], ':') >= 0 {
					open.end = off
					blocks = append(blocks, *open)
					open = nil
				}
				continue
			}
			if binhexWait > 0 {
				binhexWait--
			}
		}
		if bytes.Contains(line, binhexBanner) {
			binhexWait = binhexSearch
			continue
		}
		if bytes.HasPrefix(line, []byte("=ybegin ")) {
			open = &textBlock{kind: blockYEnc, name: yencName(line), start: start}
			continue
		}
		if name, end, ok := uuBegin(line); ok {
			// The next line must look like uuencoded data, else "begin 644
			// reasons" in prose would be a file.
			open = &textBlock{kind: blockUU, name: name, start: start}
			endLine = end
			if end == "end" && !nextLooksUU(lr) {
				open = nil
			}
			continue
		}
		if !pgp && isPGPMessageLine(line) {
			pgp = true
			blocks = append(blocks, textBlock{kind: blockPGP, start: start})
		}
	}
	if open != nil {
		open.end = off
		blocks = append(blocks, *open)
	}
	return blocks, false, nil
}

// uuBegin parses "begin MODE NAME" / "begin-base64 MODE NAME" (MODE is
// octal, 3 or 4 digits) and returns the name and the line that ends it.
func uuBegin(line []byte) (name, end string, ok bool) {
	var rest []byte
	switch {
	case bytes.HasPrefix(line, []byte("begin ")):
		rest, end = line[6:], "end"
	case bytes.HasPrefix(line, []byte("begin-base64 ")):
		rest, end = line[13:], "===="
	default:
		return "", "", false
	}
	sp := bytes.IndexByte(rest, ' ')
	if sp < 3 || sp > 4 {
		return "", "", false
	}
	for _, c := range rest[:sp] {
		if c < '0' || c > '7' {
			return "", "", false
		}
	}
	n := bytes.TrimSpace(rest[sp+1:])
	if len(n) > maxUUName {
		n = n[:maxUUName]
	}
	return decodeName(string(n)), end, true
}

// nextLooksUU peeks at the next line in lr's buffer: a uuencoded line has a
// length character that matches its length.
func nextLooksUU(lr *lineReader) bool {
	b, partial, err := lr.line()
	if err != nil {
		return false
	}
	lr.unread(len(b))
	if partial {
		return false
	}
	line, _ := splitBreak(b)
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return false
	}
	n := int((line[0] - 32) & 63)
	if n == 0 {
		// An empty file: "`" then "end".
		return len(bytes.TrimSpace(line)) == 1
	}
	want := 1 + (n+2)/3*4
	got := len(line)
	// Trailing spaces may have been stripped; some encoders add a
	// checksum character.
	return got <= want+2 && got >= want-4 && got > 1
}

func isPGPMessageLine(line []byte) bool {
	line = bytes.TrimLeft(line, " \t")
	// In HTML the armor may follow a tag on the same line.
	for bytes.HasPrefix(line, []byte("<")) {
		i := bytes.IndexByte(line, '>')
		if i < 0 {
			break
		}
		line = bytes.TrimLeft(line[i+1:], " \t")
	}
	return bytes.HasPrefix(line, []byte("-----BEGIN PGP MESSAGE-----"))
}

// fragment walks the body of a message/partial entity as the message
// fragment it claims to be (what some readers show of it). Its leaves are
// inside e: only e as a whole can be removed.
func (w *walker) fragment(r io.ReaderAt, e *Entity, self string, outer *Entity, cms int) error {
	if e.End <= e.BodyStart {
		return nil
	}
	body := e.Body(r)
	sp := inspect.NewSpool(w.lim.TempDir, w.lim.MemSpool, e.End-e.BodyStart+1, nil)
	defer sp.Close()
	if _, err := sp.ReadFrom(inspect.ContextReader(w.ctx, body)); err != nil {
		if cerr := w.ctx.Err(); cerr != nil {
			return cerr
		}
		return nil // already reported unscannable
	}
	root, err := Parse(sp, sp.Size(), w.limAt(e.Depth+1))
	if err != nil && root == nil {
		return nil
	}
	if outer == nil {
		outer = e
	}
	return w.message(sp, root, self, outer, cms)
}
