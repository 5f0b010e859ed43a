package offcrypto

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"unicode/utf16"
)

// DefaultPassword is the key Excel (and the OOXML encryptors) use when a file
// is "encrypted" without a password; such files open without asking.
const DefaultPassword = "VelvetSweatshop"

var (
	// ErrWrongPassword: the password verifier stored in the file does not
	// match the password tried.
	ErrWrongPassword = errors.New("wrong password")
	// ErrUnsupported: an encryption variant this package does not implement;
	// the wrapping error says which.
	ErrUnsupported = errors.New("unsupported encryption")
	// ErrMalformed: the encryption headers or the encrypted stream are
	// inconsistent (a size beyond the stream, a bad field); the wrapping error
	// says what.
	ErrMalformed = errors.New("malformed encryption data")
)

// MaxSpinCount caps the Agile spinCount we are willing to run. [MS-OFFCRYPTO]
// 2.3.4.10 allows up to 10,000,000 (about 2.5 s of SHA-512 on one core);
// Office writes 100,000, and that is the cap: a file above it gets
// ErrUnsupported (the caller reports it encrypted, which every policy treats
// at least as strictly) rather than costing a mail server up to a second per
// attachment.
const MaxSpinCount = 100_000

// maxSpinCount is MaxSpinCount; the fuzz tests lower it so that one input
// cannot take a quarter of a second.
var maxSpinCount = MaxSpinCount

// maxEncryptionInfo bounds the EncryptionInfo stream (the Agile XML is about
// 1 KB in practice).
const maxEncryptionInfo = 1 << 20

// utf16le returns the password as UTF-16LE bytes, the form every
// [MS-OFFCRYPTO] key derivation hashes.
func utf16le(password string) []byte {
	u := utf16.Encode([]rune(password))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i] = byte(c)
		b[2*i+1] = byte(c >> 8)
	}
	return b
}

// hashAlg is one hash function of [MS-OFFCRYPTO] 2.3.4.10 (hashAlgorithm).
type hashAlg struct {
	id    string // as written in the Agile XML: "SHA512"
	label string // as users read it: "SHA-512"
	size  int    // digest bytes
	new   func() hash.Hash
	// round hashes b[:4+size] and writes the digest to b[4:4+size]: one
	// iteration of the spin loop without allocation.
	round func(b []byte)
}

var hashAlgs = []*hashAlg{
	{"SHA1", "SHA-1", sha1.Size, sha1.New, func(b []byte) { *(*[sha1.Size]byte)(b[4:]) = sha1.Sum(b[:4+sha1.Size]) }},
	{"SHA256", "SHA-256", sha256.Size, sha256.New, func(b []byte) { *(*[sha256.Size]byte)(b[4:]) = sha256.Sum256(b[:4+sha256.Size]) }},
	{"SHA384", "SHA-384", sha512.Size384, sha512.New384, func(b []byte) { *(*[sha512.Size384]byte)(b[4:]) = sha512.Sum384(b[:4+sha512.Size384]) }},
	{"SHA512", "SHA-512", sha512.Size, sha512.New, func(b []byte) { *(*[sha512.Size]byte)(b[4:]) = sha512.Sum512(b[:4+sha512.Size]) }},
	{"MD5", "MD5", md5.Size, md5.New, func(b []byte) { *(*[md5.Size]byte)(b[4:]) = md5.Sum(b[:4+md5.Size]) }},
}

// hashByID finds an Agile hashAlgorithm; the XML spells SHA-1 both "SHA1"
// and "SHA-1" in the wild.
func hashByID(id string) *hashAlg {
	if id == "SHA-1" {
		id = "SHA1"
	}
	for _, h := range hashAlgs {
		if h.id == id {
			return h
		}
	}
	return nil
}

var sha1Alg = hashByID("SHA1")

// fitKey truncates b to n bytes or pads it with 0x36 up to n bytes, as
// [MS-OFFCRYPTO] 2.3.4.11 (keys) and 2.3.4.12 (IVs) prescribe.
func fitKey(b []byte, n int) []byte {
	out := make([]byte, n)
	m := copy(out, b)
	for i := m; i < n; i++ {
		out[i] = 0x36
	}
	return out
}
