package offcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// segmentSize is the Agile data segment ([MS-OFFCRYPTO] 2.3.4.15): each 4096
// bytes of the package are encrypted separately with their own IV.
const segmentSize = 4096

// Block keys of [MS-OFFCRYPTO] 2.3.4.13 (password key encryptor) and
// 2.3.4.14 (data integrity).
var (
	blockVerifierInput = []byte{0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79}
	blockVerifierValue = []byte{0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e}
	blockKeyValue      = []byte{0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6}
)

// standardSpinCount is fixed for Standard encryption ([MS-OFFCRYPTO] 2.3.4.7).
const standardSpinCount = 50000

// DecryptPackage decrypts an OOXML EncryptedPackage stream ([MS-OFFCRYPTO]
// 2.3.4.4) encrypted with Standard (EncryptionInfo 2.2/3.2/4.2, AES-ECB,
// 2.3.4.5) or Agile (4.4, AES-CBC, 2.3.4.10) encryption, with password, and
// writes the plain package (a zip) to w. encryptionInfo is the whole
// EncryptionInfo stream (at most 1 MiB); pkg holds the EncryptedPackage
// stream of pkgSize bytes, whose first 8 bytes are the plain size.
//
// The password is checked against the file's verifier before anything is
// written: a mismatch is ErrWrongPassword and w stays untouched. Extensible
// encryption, non-AES Agile ciphers and certificate-only key encryptors are
// ErrUnsupported. The Agile dataIntegrity HMAC is not checked: a tampered
// package decrypts to a damaged zip, which whoever reads it reports.
func DecryptPackage(encryptionInfo []byte, pkg io.ReaderAt, pkgSize int64, password string, w io.Writer) error {
	if len(encryptionInfo) > maxEncryptionInfo {
		return fmt.Errorf("%w: EncryptionInfo of %d bytes (more than 1 MiB)", ErrMalformed, len(encryptionInfo))
	}
	major, minor, kind, ok := infoVersion(encryptionInfo)
	if !ok {
		return fmt.Errorf("%w: EncryptionInfo of %d bytes has no version", ErrMalformed, len(encryptionInfo))
	}
	switch kind {
	case kindStandard:
		info, err := parseStandard(encryptionInfo)
		if err != nil {
			return err
		}
		keyBits, err := info.hdr.aesKeyBits()
		if err != nil {
			return err
		}
		plainSize, err := packageSize(pkg, pkgSize)
		if err != nil {
			return err
		}
		key, err := standardKey(info, keyBits, password)
		if err != nil {
			return err
		}
		return decryptECB(key, pkg, plainSize, w)
	case kindAgile:
		if len(encryptionInfo) < 8 {
			return fmt.Errorf("%w: agile EncryptionInfo of %d bytes", ErrMalformed, len(encryptionInfo))
		}
		info, err := parseAgile(encryptionInfo[8:])
		if err != nil {
			return err
		}
		if err := info.keyData.checkAES("keyData"); err != nil {
			return err
		}
		if !info.hasPassword {
			return fmt.Errorf("%w: agile encryption without a password key encryptor (certificate only)", ErrUnsupported)
		}
		if err := info.pw.checkAES("password key encryptor"); err != nil {
			return err
		}
		if info.spin > maxSpinCount {
			return fmt.Errorf("%w: agile spinCount %d above %d", ErrUnsupported, info.spin, maxSpinCount)
		}
		plainSize, err := packageSize(pkg, pkgSize)
		if err != nil {
			return err
		}
		key, err := agileKey(info, password)
		if err != nil {
			return err
		}
		return decryptAgile(key, &info.keyData, pkg, plainSize, w)
	case kindExtensible:
		return fmt.Errorf("%w: extensible encryption (EncryptionInfo %d.%d)", ErrUnsupported, major, minor)
	}
	return fmt.Errorf("%w: EncryptionInfo version %d.%d", ErrUnsupported, major, minor)
}

// packageSize reads and checks the StreamSize field of [MS-OFFCRYPTO]
// 2.3.4.4: the plain size, which the ciphertext (padded to the AES block
// size) after the 8-byte field must cover.
func packageSize(pkg io.ReaderAt, pkgSize int64) (int64, error) {
	if pkgSize < 8 {
		return 0, fmt.Errorf("%w: EncryptedPackage of %d bytes", ErrMalformed, pkgSize)
	}
	var b [8]byte
	if err := readFullAt(pkg, b[:], 0); err != nil {
		return 0, err
	}
	avail := pkgSize - 8
	declared := binary.LittleEndian.Uint64(b[:])
	if declared > uint64(avail) {
		// Some writers fill only the low 32 bits and leave the rest as junk
		// (readers such as msoffcrypto-tool read 4 bytes). Accept the low
		// half only when it accounts for the ciphertext, whose padding is
		// less than a segment: a small low half must not truncate the
		// package silently.
		if low := uint64(uint32(declared)); low <= uint64(avail) && uint64(avail)-low < segmentSize {
			declared = low
		} else {
			return 0, fmt.Errorf("%w: EncryptedPackage declares %d bytes but holds %d", ErrMalformed, declared, avail)
		}
	}
	size := int64(declared)
	if size == 0 {
		// No OOXML package is empty; an empty result must not pass for a
		// clean file.
		return 0, fmt.Errorf("%w: EncryptedPackage declares 0 bytes", ErrMalformed)
	}
	if need := roundUp(size, aes.BlockSize); need > avail {
		return 0, fmt.Errorf("%w: EncryptedPackage truncated: %d bytes of ciphertext for %d plain bytes", ErrMalformed, avail, size)
	}
	return size, nil
}

func roundUp(n, m int64) int64 { return (n + m - 1) / m * m }

// readFullAt reads exactly len(p) bytes at off.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading at offset %d: %w", off, err)
}

// standardKey derives the Standard encryption key ([MS-OFFCRYPTO] 2.3.4.7)
// and checks it against the verifier (2.3.4.9).
func standardKey(info *standardInfo, keyBits int, password string) ([]byte, error) {
	hn := derivedKeys.iteratedHash(sha1Alg, info.salt, utf16le(password), standardSpinCount)
	// Hfinal = SHA-1(Hn + block), block = 0.
	d := sha1.New()
	d.Write(hn)
	d.Write([]byte{0, 0, 0, 0})
	hfinal := d.Sum(nil)
	// X1 = SHA-1(0x36 x 64 XOR Hfinal), X2 = SHA-1(0x5c x 64 XOR Hfinal),
	// key = (X1 + X2)[:keyBits/8].
	var b1, b2 [64]byte
	for i := range b1 {
		b1[i], b2[i] = 0x36, 0x5c
	}
	for i, c := range hfinal {
		b1[i] ^= c
		b2[i] ^= c
	}
	x1, x2 := sha1.Sum(b1[:]), sha1.Sum(b2[:])
	key := append(x1[:], x2[:]...)[:keyBits/8]

	// [MS-OFFCRYPTO] 2.3.4.9: decrypt the verifier and its hash with AES-ECB;
	// the first 20 bytes of the hash must be SHA-1(verifier).
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(info.encVerifierHash) < 32 {
		return nil, fmt.Errorf("%w: AES EncryptedVerifierHash of %d bytes", ErrMalformed, len(info.encVerifierHash))
	}
	var verifier [16]byte
	var vhash [32]byte
	block.Decrypt(verifier[:], info.encVerifier)
	block.Decrypt(vhash[:16], info.encVerifierHash[:16])
	block.Decrypt(vhash[16:], info.encVerifierHash[16:32])
	want := sha1.Sum(verifier[:])
	if subtle.ConstantTimeCompare(want[:], vhash[:sha1.Size]) != 1 {
		return nil, ErrWrongPassword
	}
	return key, nil
}

// decryptECB decrypts a Standard package: AES-ECB over the whole stream after
// the size field ([MS-OFFCRYPTO] 2.3.4.4), truncated to the plain size.
func decryptECB(key []byte, pkg io.ReaderAt, plainSize int64, w io.Writer) error {
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	buf := make([]byte, segmentSize)
	for off := int64(0); off < plainSize; off += segmentSize {
		n := min(int64(segmentSize), roundUp(plainSize-off, aes.BlockSize))
		chunk := buf[:n]
		if err := readFullAt(pkg, chunk, 8+off); err != nil {
			return err
		}
		for i := 0; i < len(chunk); i += aes.BlockSize {
			block.Decrypt(chunk[i:i+aes.BlockSize], chunk[i:i+aes.BlockSize])
		}
		if _, err := w.Write(chunk[:min(n, plainSize-off)]); err != nil {
			return err
		}
	}
	return nil
}

// agileKey runs the password key encryptor of [MS-OFFCRYPTO] 2.3.4.13: it
// derives three keys from the password (2.3.4.11), checks the verifier and
// decrypts the intermediate key that encrypts the data.
func agileKey(info *agileInfo, password string) ([]byte, error) {
	pw := &info.pw
	hn := derivedKeys.iteratedHash(pw.hash, pw.salt, utf16le(password), uint32(info.spin))
	keyFor := func(blockKey []byte) []byte {
		d := pw.hash.new()
		d.Write(hn)
		d.Write(blockKey)
		return fitKey(d.Sum(nil), pw.keyBits/8)
	}
	iv := fitKey(pw.salt, pw.blockSize) // 2.3.4.12 without a block key

	input, err := cbcDecrypt(keyFor(blockVerifierInput), iv, info.encVHI, "encryptedVerifierHashInput")
	if err != nil {
		return nil, err
	}
	// The verifier input is saltSize random bytes, padded to the block size.
	if len(input) > len(pw.salt) {
		input = input[:len(pw.salt)]
	}
	d := pw.hash.new()
	d.Write(input)
	want := d.Sum(nil)
	value, err := cbcDecrypt(keyFor(blockVerifierValue), iv, info.encVHV, "encryptedVerifierHashValue")
	if err != nil {
		return nil, err
	}
	if len(value) < len(want) {
		return nil, fmt.Errorf("%w: encryptedVerifierHashValue of %d bytes for a %d-byte hash", ErrMalformed, len(value), len(want))
	}
	if subtle.ConstantTimeCompare(want, value[:len(want)]) != 1 {
		return nil, ErrWrongPassword
	}
	key, err := cbcDecrypt(keyFor(blockKeyValue), iv, info.encKV, "encryptedKeyValue")
	if err != nil {
		return nil, err
	}
	n := info.keyData.keyBits / 8
	if len(key) < n {
		return nil, fmt.Errorf("%w: encryptedKeyValue of %d bytes for a %d-bit key", ErrMalformed, len(key), info.keyData.keyBits)
	}
	return key[:n], nil
}

// cbcDecrypt decrypts one small Agile value with AES-CBC.
func cbcDecrypt(key, iv, ct []byte, what string) ([]byte, error) {
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %s of %d bytes (not a multiple of 16)", ErrMalformed, what, len(ct))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	return out, nil
}

// decryptAgile decrypts the package segment by segment ([MS-OFFCRYPTO]
// 2.3.4.15): segment i is AES-CBC with IV = H(keyData salt + i as 32-bit
// little-endian), fitted to the block size (2.3.4.12).
func decryptAgile(key []byte, kd *agileParams, pkg io.ReaderAt, plainSize int64, w io.Writer) error {
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	buf := make([]byte, segmentSize)
	d := kd.hash.new()
	var sum [64]byte
	var idx [4]byte
	var seg uint32
	for off := int64(0); off < plainSize; off += segmentSize {
		n := min(int64(segmentSize), roundUp(plainSize-off, aes.BlockSize))
		chunk := buf[:n]
		if err := readFullAt(pkg, chunk, 8+off); err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(idx[:], seg)
		d.Reset()
		d.Write(kd.salt)
		d.Write(idx[:])
		iv := d.Sum(sum[:0])
		if len(iv) < kd.blockSize {
			iv = fitKey(iv, kd.blockSize)
		}
		cipher.NewCBCDecrypter(block, iv[:kd.blockSize]).CryptBlocks(chunk, chunk)
		if _, err := w.Write(chunk[:min(n, plainSize-off)]); err != nil {
			return err
		}
		seg++
	}
	return nil
}
