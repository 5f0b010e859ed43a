package cmsdecrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"fmt"
	"io"
)

// contentCipher is a content-encryption algorithm with its parameters.
type contentCipher struct {
	name   string
	keyLen int
	des3   bool   // DES-EDE3 instead of AES
	gcm    bool   // AES-GCM (AuthEnvelopedData)
	iv     []byte // CBC IV or GCM nonce
	tagLen int    // GCM ICV length
}

// parseContentCipher reads the contentEncryptionAlgorithm. auth says
// whether it protects AuthEnvelopedData, which needs an authenticated
// cipher (RFC 5083 2.1), while EnvelopedData takes only the CBC ones.
func parseContentCipher(b *reader, a algorithm, auth bool) (contentCipher, error) {
	c := contentCipher{name: oidName(a.oid)}
	switch {
	case a.oid.Equal(oidAES128CBC):
		c.keyLen = 16
	case a.oid.Equal(oidAES192CBC):
		c.keyLen = 24
	case a.oid.Equal(oidAES256CBC):
		c.keyLen = 32
	case a.oid.Equal(oidDESEDE3CBC):
		c.keyLen, c.des3 = 24, true
	case a.oid.Equal(oidAES128GCM):
		c.keyLen, c.gcm = 16, true
	case a.oid.Equal(oidAES192GCM):
		c.keyLen, c.gcm = 24, true
	case a.oid.Equal(oidAES256GCM):
		c.keyLen, c.gcm = 32, true
	default:
		return c, fmt.Errorf("%w: content encryption algorithm %s", ErrUnsupported, c.name)
	}
	if c.gcm != auth {
		where := "envelopedData (needs an authenticated cipher in authEnvelopedData)"
		if auth {
			where = "authEnvelopedData (needs an authenticated cipher)"
		}
		return c, fmt.Errorf("%w: %s in %s", ErrUnsupported, c.name, where)
	}
	if a.params == nil {
		return c, malformed("no parameters for %s", c.name)
	}
	if !c.gcm {
		// RFC 3565 4.1: AES-IV ::= OCTET STRING (SIZE(16));
		// RFC 2630 12.4.1 / RFC 3370 5.1: the DES-EDE3-CBC IV is 8 octets.
		iv, err := b.octets(a.params, 16)
		want := 16
		if c.des3 {
			want = 8
		}
		if err != nil || !a.params.is(classUniversal, tagOctetString, a.params.constructed) || len(iv) != want {
			return c, malformed("bad IV for %s", c.name)
		}
		c.iv = iv
		return c, nil
	}
	// RFC 5084 3.2: GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING,
	// aes-ICVlen AES-GCM-ICVlen DEFAULT 12 }, ICVlen in (4 | 8 | 12..16).
	p := a.params
	if !p.isSeq() || len(p.kids) < 1 || len(p.kids) > 2 {
		return c, malformed("bad GCMParameters")
	}
	nonce, err := b.octets(&p.kids[0], 64)
	if err != nil || len(nonce) == 0 {
		return c, malformed("bad GCM nonce")
	}
	c.iv, c.tagLen = nonce, 12
	if len(p.kids) == 2 {
		v, err := b.prim(&p.kids[1], 2)
		if err != nil || !p.kids[1].is(classUniversal, tagInteger, false) || len(v) != 1 {
			return c, malformed("bad GCM ICV length")
		}
		c.tagLen = int(v[0])
	}
	switch {
	case c.tagLen == 4 || c.tagLen == 8:
		return c, fmt.Errorf("%w: %s with a %d-byte tag", ErrUnsupported, c.name, c.tagLen)
	case c.tagLen < 12 || c.tagLen > 16:
		return c, malformed("GCM ICV length %d", c.tagLen)
	case len(nonce) != 12 && c.tagLen != 16:
		return c, fmt.Errorf("%w: %s with a %d-byte nonce and a %d-byte tag", ErrUnsupported, c.name, len(nonce), c.tagLen)
	}
	return c, nil
}

// segReader reads the concatenated segments of the encrypted content.
type segReader struct {
	b    *reader
	segs []segment
	at   int64 // offset within segs[0]
}

func (s *segReader) Read(p []byte) (int, error) {
	for len(s.segs) > 0 && s.at == s.segs[0].n {
		s.segs, s.at = s.segs[1:], 0
	}
	if len(s.segs) == 0 {
		return 0, io.EOF
	}
	g := s.segs[0]
	n := int(min(int64(len(p)), g.n-s.at))
	if err := s.b.readFull(p[:n], g.off+s.at); err != nil {
		return 0, err
	}
	s.at += int64(n)
	return n, nil
}

func total(segs []segment) int64 {
	var n int64
	for _, s := range segs {
		n += s.n
	}
	return n
}

// decryptCBC streams CBC decryption of the content into out and removes
// the padding of RFC 5652 6.3 from the last block.
func decryptCBC(b *reader, segs []segment, c contentCipher, cek []byte, out io.Writer, info *Info) error {
	var block cipher.Block
	var err error
	if c.des3 {
		block, err = des.NewTripleDESCipher(cek)
	} else {
		block, err = aes.NewCipher(cek)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	bs := block.BlockSize()
	n := total(segs)
	if n == 0 || n%int64(bs) != 0 {
		return malformed("%s content of %d bytes is no whole number of blocks", c.name, n)
	}
	mode := cipher.NewCBCDecrypter(block, c.iv)
	src := &segReader{b: b, segs: segs}
	buf := make([]byte, min(n, 64<<10))
	for left := n; left > 0; {
		chunk := buf[:min(int64(len(buf)), left)]
		if _, err := io.ReadFull(src, chunk); err != nil {
			return err
		}
		mode.CryptBlocks(chunk, chunk)
		left -= int64(len(chunk))
		if left == 0 {
			k, ok := unpad(chunk[len(chunk)-bs:])
			if !ok {
				return fmt.Errorf("%w: bad padding (wrong key?)", ErrDecrypt)
			}
			chunk = chunk[:len(chunk)-bs+k]
		}
		w, err := out.Write(chunk)
		info.Written += int64(w)
		if err != nil {
			return err
		}
	}
	return nil
}

// unpad checks the padding of RFC 5652 6.3 on the last block without
// branching on the plaintext, and returns how many octets of it are data.
func unpad(last []byte) (int, bool) {
	bs := len(last)
	p := int(last[bs-1])
	good := subtle.ConstantTimeLessOrEq(1, p) & subtle.ConstantTimeLessOrEq(p, bs)
	for i := range bs {
		// octets at positions >= bs-p must equal p
		inPad := subtle.ConstantTimeLessOrEq(bs-p, i)
		eq := subtle.ConstantTimeByteEq(last[i], byte(p))
		good &= eq | (inPad ^ 1)
	}
	return bs - p, good == 1
}

// decryptGCM decrypts AES-GCM content (RFC 5084 3.1, RFC 5083 2.2): the
// whole ciphertext is read (at most MaxBuffered bytes), the tag checked,
// and only then is the plaintext written.
func decryptGCM(b *reader, segs []segment, c contentCipher, cek []byte, env envelope, out io.Writer, lim Limits, info *Info) error {
	n := total(segs)
	if n > lim.MaxBuffered {
		return fmt.Errorf("%w: %s content of %d bytes over Limits.MaxBuffered (%d)", ErrLimit, c.name, n, lim.MaxBuffered)
	}
	mac, err := b.octets(env.mac, 64)
	if err != nil {
		return err
	}
	if len(mac) != c.tagLen {
		return malformed("mac of %d bytes, GCMParameters say %d", len(mac), c.tagLen)
	}
	// RFC 5083 2.2: the additional authenticated data is the DER encoding
	// of authAttrs with an EXPLICIT SET OF tag instead of the IMPLICIT [1].
	var aad []byte
	if env.authAttrs != nil {
		if aad, err = b.raw(env.authAttrs, maxSmallValue); err != nil {
			return err
		}
		aad[0] = 0x31
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	var aead cipher.AEAD
	switch {
	case len(c.iv) != 12:
		aead, err = cipher.NewGCMWithNonceSize(block, len(c.iv))
	default:
		aead, err = cipher.NewGCMWithTagSize(block, c.tagLen)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnsupported, c.name, err)
	}
	buf := make([]byte, n+int64(len(mac)))
	if _, err := io.ReadFull(&segReader{b: b, segs: segs}, buf[:n]); err != nil {
		return err
	}
	copy(buf[n:], mac)
	plain, err := aead.Open(buf[:0], c.iv, buf, aad)
	if err != nil {
		return fmt.Errorf("%w: GCM tag does not verify (wrong key or altered message)", ErrDecrypt)
	}
	w, err := out.Write(plain)
	info.Written += int64(w)
	return err
}
