package cmsdecrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// keyWrap is a key wrap algorithm that ECDH key agreement uses to carry
// the content-encryption key.
type keyWrap struct {
	name   string
	kekLen int
	unwrap func(kek, wrapped []byte) ([]byte, error)
}

func wrapFor(a algorithm) (keyWrap, error) {
	switch {
	case a.oid.Equal(oidAES128Wrap):
		return keyWrap{"aes128-wrap", 16, aesUnwrap}, nil
	case a.oid.Equal(oidAES192Wrap):
		return keyWrap{"aes192-wrap", 24, aesUnwrap}, nil
	case a.oid.Equal(oidAES256Wrap):
		return keyWrap{"aes256-wrap", 32, aesUnwrap}, nil
	case a.oid.Equal(oidCMS3DESWrap):
		return keyWrap{"3des-wrap", 24, tripleDESUnwrap}, nil
	}
	return keyWrap{}, fmt.Errorf("%w: key wrap algorithm %s", ErrUnsupported, oidName(a.oid))
}

// aesUnwrap is the AES key unwrap of RFC 3394 2.2.2 (index-based form) with
// the default initial value of 2.2.3.1.
func aesUnwrap(kek, wrapped []byte) ([]byte, error) {
	if len(wrapped)%8 != 0 || len(wrapped) < 24 {
		return nil, fmt.Errorf("%w: AES-wrapped key of %d bytes", ErrDecrypt, len(wrapped))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(wrapped)/8 - 1
	var a [8]byte
	copy(a[:], wrapped[:8])
	r := make([]byte, n*8)
	copy(r, wrapped[8:])
	var buf [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			// B = AES-1(K, (A ^ t) | R[i]) where t = n*j+i
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(buf[:8], binary.BigEndian.Uint64(a[:])^t)
			copy(buf[8:], r[(i-1)*8:i*8])
			block.Decrypt(buf[:], buf[:])
			copy(a[:], buf[:8])
			copy(r[(i-1)*8:i*8], buf[8:])
		}
	}
	iv := [8]byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6} // RFC 3394 2.2.3.1
	if subtle.ConstantTimeCompare(a[:], iv[:]) != 1 {
		return nil, fmt.Errorf("%w: AES key unwrap integrity check", ErrDecrypt)
	}
	return r, nil
}

// tripleDESUnwrap is the Triple-DES key unwrap of RFC 3217 3.2 (also
// RFC 3370 4.3.1), which OpenSSL uses with DES-EDE3-CBC content.
func tripleDESUnwrap(kek, wrapped []byte) ([]byte, error) {
	// 1. The wrapped key is 40 octets.
	if len(wrapped) != 40 {
		return nil, fmt.Errorf("%w: 3DES-wrapped key of %d bytes", ErrDecrypt, len(wrapped))
	}
	block, err := des.NewTripleDESCipher(kek)
	if err != nil {
		return nil, err
	}
	// 2. Decrypt in CBC mode with the fixed IV 0x4adda22c79e82105: TEMP3.
	temp := make([]byte, 40)
	cipher.NewCBCDecrypter(block, []byte{0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05}).CryptBlocks(temp, wrapped)
	// 3. Reverse the octets: TEMP2. 4. IV = first 8 octets, TEMP1 = the rest.
	for i, j := 0, len(temp)-1; i < j; i, j = i+1, j-1 {
		temp[i], temp[j] = temp[j], temp[i]
	}
	iv, temp1 := temp[:8], temp[8:]
	// 5. Decrypt TEMP1 in CBC mode with that IV: WKCKS = CEK || ICV.
	wkcks := make([]byte, 32)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(wkcks, temp1)
	cek, icv := wkcks[:24], wkcks[24:]
	// 6., 7. The ICV is the CMS key checksum: the first 8 octets of SHA-1(CEK).
	sum := sha1.Sum(cek)
	if subtle.ConstantTimeCompare(sum[:8], icv) != 1 {
		return nil, fmt.Errorf("%w: 3DES key unwrap checksum", ErrDecrypt)
	}
	return cek, nil
}
