package cmsdecrypt

import (
	"errors"
	"fmt"
	"io"
)

// Errors. Every error Decrypt returns wraps one of these (or is an I/O
// error of r or out).
var (
	// ErrNotForUs: no recipient of the message names any of our keys. The
	// message stays encrypted to us.
	ErrNotForUs = errors.New("cmsdecrypt: no recipient matches our keys")
	// ErrUnsupported: the structure uses an algorithm or form this package
	// does not do; the error text names it.
	ErrUnsupported = errors.New("cmsdecrypt: unsupported")
	// ErrMalformed: the bytes are no valid EnvelopedData/AuthEnvelopedData.
	ErrMalformed = errors.New("cmsdecrypt: malformed CMS")
	// ErrDecrypt: a recipient names our key, but the content does not
	// decrypt (wrong key, bad padding, failed key unwrap or GCM tag).
	ErrDecrypt = errors.New("cmsdecrypt: decryption failed")
	// ErrLimit: a Limits bound was reached.
	ErrLimit = errors.New("cmsdecrypt: limit reached")
)

// Limits bound the work Decrypt does for one message. The zero value means
// the defaults.
type Limits struct {
	// MaxBuffered is the most ciphertext held in memory for
	// AuthEnvelopedData, whose tag must be verified before any plaintext is
	// written. 0: 64 MiB.
	MaxBuffered int64
	// MaxElements is the most BER elements parsed in the structure (a
	// streamed message has one per content chunk; openssl writes 4 KiB
	// chunks, so 25 MB are about 6400). 0: 65536.
	MaxElements int
	// MaxKeyAttempts is how many recipients that name one of our keys are
	// tried (each costs a private-key operation) before giving up with the
	// first one's error. 0: 4.
	MaxKeyAttempts int
}

const defaultMaxBuffered = 64 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxBuffered <= 0 {
		l.MaxBuffered = defaultMaxBuffered
	}
	if l.MaxElements <= 0 {
		l.MaxElements = defaultMaxChunks
	}
	if l.MaxKeyAttempts <= 0 {
		l.MaxKeyAttempts = 4
	}
	return l
}

// Info says how a message was decrypted, for logs and metrics.
type Info struct {
	// ContentType is "envelopedData" or "authEnvelopedData".
	ContentType string
	// Recipients is the number of RecipientInfos in the message;
	// Recipient is the index of the one that was used.
	Recipients int
	Recipient  int
	// RecipientID says how that recipient named our certificate:
	// `issuer "CN=..." serial 0x...` or `subjectKeyIdentifier 0a1b...`.
	RecipientID string
	// Key is the index into the keys passed to Decrypt.
	Key int
	// KeyTransport is how the content key reached us: "rsa-pkcs1v15",
	// "rsaes-oaep-sha256-mgf1-sha256", "ecdh-p256-stdDH-sha256kdf-aes256-wrap".
	KeyTransport string
	// ContentCipher is "aes-128-cbc", "aes-256-gcm", "des-ede3-cbc", ...
	ContentCipher string
	// InnerContentType is the type of the decrypted content ("data" for
	// a MIME message) or its dotted OID.
	InnerContentType string
	// Written is the number of plaintext bytes written to out.
	Written int64
}

// Decrypt decrypts the CMS ContentInfo in r (size bytes, DER or BER) with
// the first of keys that a recipient names, and writes the plaintext to
// out. It supports EnvelopedData (RFC 5652 6) and AuthEnvelopedData
// (RFC 5083); see the package documentation for the algorithms.
//
// CBC content is streamed: on an error (a bad final padding, a truncated
// file), out may already hold plaintext, which the caller must discard.
// GCM content is buffered up to lim.MaxBuffered and written only after its
// tag verified.
func Decrypt(r io.ReaderAt, size int64, keys []Key, out io.Writer, lim Limits) (Info, error) {
	lim = lim.withDefaults()
	if size < 0 {
		return Info{}, malformed("negative size")
	}
	b := &reader{r: r, size: size, maxEls: lim.MaxElements}

	// RFC 5652 3: ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT ANY }
	ci, err := b.parse(0, size, 0)
	if err != nil {
		return Info{}, err
	}
	if !ci.isSeq() || len(ci.kids) != 2 {
		return Info{}, malformed("not a ContentInfo")
	}
	ct, err := b.oid(&ci.kids[0])
	if err != nil {
		return Info{}, err
	}
	var info Info
	auth := false
	switch {
	case ct.Equal(oidEnvelopedData):
	case ct.Equal(oidAuthEnvelopedData):
		auth = true
	default:
		return Info{}, fmt.Errorf("%w: content type %s", ErrUnsupported, oidName(ct))
	}
	info.ContentType = oidName(ct)
	wrap := &ci.kids[1]
	if !wrap.ctx(0) || !wrap.constructed || len(wrap.kids) != 1 || !wrap.kids[0].isSeq() {
		return Info{}, malformed("no content in the ContentInfo")
	}
	env, err := parseEnvelope(b, &wrap.kids[0], auth)
	if err != nil {
		return Info{}, err
	}
	info.Recipients = len(env.recipients.kids)

	// RFC 5652 6.1: EncryptedContentInfo ::= SEQUENCE { contentType,
	// contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }
	eci := env.eci
	if len(eci.kids) < 2 || len(eci.kids) > 3 {
		return Info{}, malformed("bad EncryptedContentInfo")
	}
	inner, err := b.oid(&eci.kids[0])
	if err != nil {
		return Info{}, err
	}
	info.InnerContentType = oidName(inner)
	calg, err := b.algorithm(&eci.kids[1])
	if err != nil {
		return Info{}, err
	}
	// An unknown content cipher is reported only for a message that is for
	// us: anything else stays "encrypted" whatever its cipher.
	ciph, cipherErr := parseContentCipher(b, calg, auth)
	keyLen := 32
	if cipherErr == nil {
		keyLen = ciph.keyLen
		info.ContentCipher = ciph.name
	}

	cek, err := recoverKey(b, env.recipients, keys, keyLen, lim.MaxKeyAttempts, &info)
	if err != nil {
		return info, err
	}
	if cipherErr != nil {
		return info, cipherErr
	}
	if len(eci.kids) != 3 || !eci.kids[2].ctx(0) {
		return info, fmt.Errorf("%w: detached encrypted content (no encryptedContent)", ErrUnsupported)
	}
	segs, err := octetSegments(&eci.kids[2], nil)
	if err != nil {
		return info, err
	}
	if auth {
		err = decryptGCM(b, segs, ciph, cek, env, out, lim, &info)
	} else {
		err = decryptCBC(b, segs, ciph, cek, out, &info)
	}
	return info, err
}

// envelope holds the parts of an EnvelopedData or AuthEnvelopedData that
// decryption needs.
type envelope struct {
	recipients *elem
	eci        *elem
	authAttrs  *elem // AuthEnvelopedData only
	mac        *elem
}

// parseEnvelope splits an EnvelopedData (RFC 5652 6.1) or an
// AuthEnvelopedData (RFC 5083 2.1) into its fields.
//
//	EnvelopedData ::= SEQUENCE { version, originatorInfo [0] IMPLICIT OPTIONAL,
//	  recipientInfos SET, encryptedContentInfo, unprotectedAttrs [1] IMPLICIT OPTIONAL }
//	AuthEnvelopedData ::= SEQUENCE { version, originatorInfo [0] IMPLICIT OPTIONAL,
//	  recipientInfos SET, authEncryptedContentInfo, authAttrs [1] IMPLICIT OPTIONAL,
//	  mac OCTET STRING, unauthAttrs [2] IMPLICIT OPTIONAL }
func parseEnvelope(b *reader, e *elem, auth bool) (envelope, error) {
	k := e.kids
	var env envelope
	i := 0
	next := func() *elem {
		if i < len(k) {
			return &k[i]
		}
		return nil
	}
	if v := next(); v == nil || !v.is(classUniversal, tagInteger, false) {
		return env, malformed("no version")
	}
	i++
	if v := next(); v != nil && v.ctx(0) {
		i++ // originatorInfo: certificates and CRLs, not needed here
	}
	if v := next(); v == nil || !v.is(classUniversal, tagSet, true) || len(v.kids) == 0 {
		return env, malformed("no recipientInfos")
	}
	env.recipients = &k[i]
	i++
	if v := next(); v == nil || !v.isSeq() {
		return env, malformed("no encryptedContentInfo")
	}
	env.eci = &k[i]
	i++
	if !auth {
		if v := next(); v != nil && v.ctx(1) {
			i++
		}
	} else {
		if v := next(); v != nil && v.ctx(1) && v.constructed {
			env.authAttrs = v
			i++
		}
		if v := next(); v == nil || !v.is(classUniversal, tagOctetString, v.constructed) {
			return env, malformed("no mac in AuthEnvelopedData")
		}
		env.mac = &k[i]
		i++
		if v := next(); v != nil && v.ctx(2) {
			i++
		}
	}
	if i != len(k) {
		return env, malformed("unexpected field %s after the encrypted content", &k[i])
	}
	return env, nil
}
