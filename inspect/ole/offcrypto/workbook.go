package offcrypto

import (
	"bufio"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// BIFF8 record types ([MS-XLS] 2.3 Record Enumeration) that matter here.
const (
	rtBOF          = 0x0809
	rtFilePass     = 0x002F
	rtUsrExcl      = 0x0194
	rtFileLock     = 0x0195
	rtInterfaceHdr = 0x00E1
	rtRRDInfo      = 0x0196
	rtRRDHead      = 0x0138
	rtBoundSheet8  = 0x0085
)

// biff8Version is BOF.vers of a BIFF8 stream ([MS-XLS] 2.4.21).
const biff8Version = 0x0600

// maxPrelude bounds how many records may precede the FILEPASS record. In
// BIFF8 it directly follows the first BOF ([MS-XLS] 2.1.7.20.1 globals
// substream); a little slack covers odd writers.
const maxPrelude = 32

// rc4Block is the re-keying interval of RC4 and RC4 CryptoAPI in a BIFF8
// stream ([MS-XLS] 2.2.10; [MS-OFFCRYPTO] 2.3.5.2, 2.3.6.2: block number =
// stream offset / 1024).
const rc4Block = 1024

// neverEncrypted reports the records whose data [MS-XLS] 2.2.10 leaves in
// the clear: BOF, FilePass, UsrExcl, FileLock, InterfaceHdr, RRDInfo and
// RRDHead.
func neverEncrypted(rt uint16) bool {
	switch rt {
	case rtBOF, rtFilePass, rtUsrExcl, rtFileLock, rtInterfaceHdr, rtRRDInfo, rtRRDHead:
		return true
	}
	return false
}

// biffDecrypter removes the encryption of record data in place. off is the
// stream offset of data[0]; recLen is the size of the whole record's data
// (the XOR array index depends on it).
type biffDecrypter interface {
	decrypt(data []byte, off int64, recLen int)
}

// DecryptWorkbook decrypts a BIFF8 Workbook stream protected by a FILEPASS
// record ([MS-XLS] 2.2.10, 2.4.117) with password: RC4 ([MS-OFFCRYPTO] 2.3.6),
// RC4 CryptoAPI (2.3.5) or XOR obfuscation method 1 (2.3.7). It writes the
// stream to w with the same record layout: record headers unchanged, record
// data decrypted, except the records that are never encrypted (BOF,
// FILEPASS, UsrExcl, FileLock, InterfaceHdr, RRDInfo, RRDHead) and the
// lbPlyPos field of BoundSheet8, which are copied as they are. The output has
// exactly size bytes when no error occurs.
//
// The password is checked against the FILEPASS verifier before anything is
// written: a mismatch is ErrWrongPassword and w stays untouched. A record
// that runs past the end of the stream is decrypted as far as it goes and
// written, then reported as ErrMalformed.
func DecryptWorkbook(workbook io.ReaderAt, size int64, password string, w io.Writer) error {
	fpEnd, fp, err := findFilePass(workbook, size)
	if err != nil {
		return err
	}
	dec, err := newBIFFDecrypter(fp, password)
	if err != nil {
		return err
	}

	bufSize := int(min(size, 64<<10))
	br := bufio.NewReaderSize(io.NewSectionReader(workbook, 0, size), bufSize)
	bw := bufio.NewWriterSize(w, bufSize)
	// BIFF8 records hold at most 8224 bytes ([MS-XLS] 2.1.4); the buffer
	// grows up to the 65535 a 16-bit size allows only if a record needs it.
	data := make([]byte, min(size, 8224))
	var hdr [4]byte
	pos := int64(0)
	for size-pos >= 4 {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return fmt.Errorf("reading the Workbook stream at offset %d: %w", pos, err)
		}
		rt := binary.LittleEndian.Uint16(hdr[0:])
		n := int(binary.LittleEndian.Uint16(hdr[2:]))
		dataOff := pos + 4
		truncated := int64(n) > size-dataOff
		if truncated {
			n = int(size - dataOff)
		}
		if n > len(data) {
			data = make([]byte, n)
		}
		rec := data[:n]
		if _, err := io.ReadFull(br, rec); err != nil {
			return fmt.Errorf("reading the Workbook stream at offset %d: %w", dataOff, err)
		}
		if pos >= fpEnd && !neverEncrypted(rt) {
			recLen := int(binary.LittleEndian.Uint16(hdr[2:]))
			start := 0
			if rt == rtBoundSheet8 {
				start = 4 // lbPlyPos stays in the clear ([MS-XLS] 2.4.28)
			}
			if start < n {
				dec.decrypt(rec[start:], dataOff+int64(start), recLen)
			}
		}
		if _, err := bw.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := bw.Write(rec); err != nil {
			return err
		}
		pos = dataOff + int64(n)
		if truncated {
			if err := bw.Flush(); err != nil {
				return err
			}
			return fmt.Errorf("%w: Workbook record 0x%04x at offset %d runs past the end of the stream", ErrMalformed, rt, dataOff-4)
		}
	}
	// Fewer than 4 bytes left: no record header fits; copy them as they are.
	if pos < size {
		if _, err := io.CopyN(bw, br, size-pos); err != nil {
			return fmt.Errorf("reading the Workbook stream at offset %d: %w", pos, err)
		}
	}
	return bw.Flush()
}

// findFilePass walks the first records of a BIFF8 stream: the first must be
// a BIFF8 BOF, and a FILEPASS must follow within maxPrelude records. It
// returns the stream offset just past the FILEPASS record and its data.
func findFilePass(r io.ReaderAt, size int64) (int64, []byte, error) {
	var hdr [4]byte
	pos := int64(0)
	for i := 0; i < maxPrelude; i++ {
		if size-pos < 4 {
			break
		}
		if err := readFullAt(r, hdr[:], pos); err != nil {
			return 0, nil, err
		}
		rt := binary.LittleEndian.Uint16(hdr[0:])
		n := int64(binary.LittleEndian.Uint16(hdr[2:]))
		if n > size-pos-4 {
			return 0, nil, fmt.Errorf("%w: Workbook record 0x%04x at offset %d runs past the end of the stream", ErrMalformed, rt, pos)
		}
		if i == 0 {
			if rt != rtBOF {
				return 0, nil, fmt.Errorf("%w: Workbook stream does not start with a BOF record (0x%04x)", ErrMalformed, rt)
			}
			var vers [2]byte
			if n < 2 {
				return 0, nil, fmt.Errorf("%w: BOF record of %d bytes", ErrMalformed, n)
			}
			if err := readFullAt(r, vers[:], pos+4); err != nil {
				return 0, nil, err
			}
			if v := binary.LittleEndian.Uint16(vers[:]); v != biff8Version {
				return 0, nil, fmt.Errorf("%w: BIFF version 0x%04x (only BIFF8 is supported)", ErrUnsupported, v)
			}
		}
		if rt == rtFilePass {
			fp := make([]byte, n) // n < 64 KiB and inside the stream
			if err := readFullAt(r, fp, pos+4); err != nil {
				return 0, nil, err
			}
			return pos + 4 + n, fp, nil
		}
		pos += 4 + n
	}
	return 0, nil, fmt.Errorf("%w: no FILEPASS record in the Workbook globals", ErrMalformed)
}

// filePass is what a FILEPASS record says ([MS-XLS] 2.4.117).
type filePass struct {
	kind string // "XOR obfuscation", "RC4", "RC4 CryptoAPI"
	// XOR ([MS-XLS] 2.5.343 XORObfuscation)
	xorVerifier uint16
	// RC4 ([MS-OFFCRYPTO] 2.3.6.1) and RC4 CryptoAPI (2.3.5.1)
	keyBits         int
	salt            []byte
	encVerifier     []byte
	encVerifierHash []byte
}

func parseFilePass(fp []byte) (*filePass, error) {
	le := binary.LittleEndian
	if len(fp) < 6 {
		return nil, fmt.Errorf("%w: FILEPASS of %d bytes", ErrMalformed, len(fp))
	}
	switch typ := le.Uint16(fp); typ {
	case 0: // XOR obfuscation: key (2), verificationBytes (2)
		return &filePass{kind: "XOR obfuscation", xorVerifier: le.Uint16(fp[4:])}, nil
	case 1:
	default:
		return nil, fmt.Errorf("%w: FILEPASS encryption type %d", ErrUnsupported, typ)
	}
	major, minor := le.Uint16(fp[2:]), le.Uint16(fp[4:])
	switch {
	case major == 1 && minor == 1:
		// [MS-OFFCRYPTO] 2.3.6.1: Salt (16), EncryptedVerifier (16),
		// EncryptedVerifierHash (16).
		if len(fp) < 6+48 {
			return nil, fmt.Errorf("%w: RC4 FILEPASS of %d bytes", ErrMalformed, len(fp))
		}
		return &filePass{kind: "RC4", keyBits: 128, salt: fp[6:22], encVerifier: fp[22:38], encVerifierHash: fp[38:54]}, nil
	case minor == 2 && major >= 2 && major <= 4:
		return parseCryptoAPIInfo(fp[2:], "FILEPASS")
	}
	return nil, fmt.Errorf("%w: FILEPASS RC4 version %d.%d", ErrUnsupported, major, minor)
}

// parseCryptoAPIInfo reads the RC4 CryptoAPI EncryptionInfo of [MS-OFFCRYPTO]
// 2.3.5.1 (a FILEPASS record's after its type field, a PowerPoint
// CryptSession10Container's data): Version (4), Flags (4), HeaderSize (4),
// EncryptionHeader, EncryptionVerifier. what names the carrier in errors.
func parseCryptoAPIInfo(info []byte, what string) (*filePass, error) {
	le := binary.LittleEndian
	if len(info) < 12 {
		return nil, fmt.Errorf("%w: RC4 CryptoAPI %s of %d bytes", ErrMalformed, what, len(info))
	}
	if major, minor := le.Uint16(info), le.Uint16(info[2:]); minor != 2 || major < 2 || major > 4 {
		return nil, fmt.Errorf("%w: %s RC4 CryptoAPI version %d.%d", ErrUnsupported, what, major, minor)
	}
	hs := int64(le.Uint32(info[8:]))
	if hs < 32 || 12+hs > int64(len(info)) {
		return nil, fmt.Errorf("%w: RC4 CryptoAPI header size %d in a %s of %d bytes", ErrMalformed, hs, what, len(info))
	}
	h, err := parseEncryptionHeader(info[12 : 12+hs])
	if err != nil {
		return nil, err
	}
	if h.algID != 0 && h.algID != algRC4 || h.algID == 0 && h.flags&flagAES != 0 {
		return nil, fmt.Errorf("%w: CryptoAPI %s with %s", ErrUnsupported, what, algName(h.algID))
	}
	if h.algIDHash != 0 && h.algIDHash != algSHA1 {
		return nil, fmt.Errorf("%w: CryptoAPI %s with hash 0x%04x", ErrUnsupported, what, h.algIDHash)
	}
	bits := int(h.keyBits)
	if bits == 0 {
		bits = 40 // [MS-OFFCRYPTO] 2.3.5.1: 0 means 40 bits
	}
	if bits < 40 || bits > 128 || bits%8 != 0 {
		return nil, fmt.Errorf("%w: RC4 CryptoAPI key of %d bits", ErrMalformed, h.keyBits)
	}
	// [MS-OFFCRYPTO] 2.3.3 EncryptionVerifier for RC4: SaltSize (4) = 16,
	// Salt (16), EncryptedVerifier (16), VerifierHashSize (4) = 20,
	// EncryptedVerifierHash (20).
	v := info[12+hs:]
	if len(v) < 4+16+16+4+20 {
		return nil, fmt.Errorf("%w: RC4 CryptoAPI verifier of %d bytes", ErrMalformed, len(v))
	}
	if n := le.Uint32(v); n != 16 {
		return nil, fmt.Errorf("%w: RC4 CryptoAPI salt size %d (must be 16)", ErrMalformed, n)
	}
	return &filePass{kind: "RC4 CryptoAPI", keyBits: bits, salt: v[4:20], encVerifier: v[20:36], encVerifierHash: v[40:60]}, nil
}

// newBIFFDecrypter checks password against the FILEPASS verifier and returns
// the matching decrypter.
func newBIFFDecrypter(fpData []byte, password string) (biffDecrypter, error) {
	fp, err := parseFilePass(fpData)
	if err != nil {
		return nil, err
	}
	switch fp.kind {
	case "XOR obfuscation":
		pw, ok := xorPassword(password)
		if !ok || xorVerifierMethod1(pw) != fp.xorVerifier {
			return nil, ErrWrongPassword
		}
		return &xorStream{array: xorArrayMethod1(pw)}, nil
	case "RC4":
		s := newRC4Stream(rc4KeyFunc(utf16le(password), fp.salt))
		if !s.verify(fp.encVerifier, fp.encVerifierHash, md5.New) {
			return nil, ErrWrongPassword
		}
		return s, nil
	default: // RC4 CryptoAPI
		return cryptoAPIStream(fp, password)
	}
}

// cryptoAPIStream checks password against the verifier of an RC4 CryptoAPI
// EncryptionInfo ([MS-OFFCRYPTO] 2.3.5.6) and returns its key stream: a
// Workbook's FILEPASS and a presentation's CryptSession10Container alike.
func cryptoAPIStream(fp *filePass, password string) (*rc4Stream, error) {
	s := newRC4Stream(cryptoAPIKeyFunc(utf16le(password), fp.salt, fp.keyBits))
	if !s.verify(fp.encVerifier, fp.encVerifierHash, sha1.New) {
		return nil, ErrWrongPassword
	}
	return s, nil
}

// rc4KeyFunc returns the per-block key of [MS-OFFCRYPTO] 2.3.6.2:
//
//	H0 = MD5(password); H1 = MD5(16 x (H0[:5] + salt))
//	key(block) = MD5(H1[:5] + block)[:16]
func rc4KeyFunc(password, salt []byte) func(block uint32, dst []byte) []byte {
	h0 := md5.Sum(password)
	buf := make([]byte, 0, 16*(5+len(salt)))
	for range 16 {
		buf = append(buf, h0[:5]...)
		buf = append(buf, salt...)
	}
	h1 := md5.Sum(buf)
	var in [9]byte
	copy(in[:5], h1[:5])
	return func(block uint32, dst []byte) []byte {
		binary.LittleEndian.PutUint32(in[5:], block)
		k := md5.Sum(in[:])
		return append(dst[:0], k[:]...)
	}
}

// cryptoAPIKeyFunc returns the per-block key of [MS-OFFCRYPTO] 2.3.5.2:
//
//	H0 = SHA-1(salt + password); key(block) = SHA-1(H0 + block)[:keyBits/8]
//
// A 40-bit key is used as 128 bits, its 5 bytes followed by 11 zero bytes
// (the spec's note on 40-bit CryptoAPI keys).
func cryptoAPIKeyFunc(password, salt []byte, keyBits int) func(block uint32, dst []byte) []byte {
	d := sha1.New()
	d.Write(salt)
	d.Write(password)
	var in [sha1.Size + 4]byte
	d.Sum(in[:0])
	return func(block uint32, dst []byte) []byte {
		binary.LittleEndian.PutUint32(in[sha1.Size:], block)
		k := sha1.Sum(in[:])
		if keyBits == 40 {
			dst = append(dst[:0], k[:5]...)
			return append(dst, make([]byte, 11)...)
		}
		return append(dst[:0], k[:keyBits/8]...)
	}
}

// rc4Stream decrypts by stream offset: the keystream restarts with a new key
// every 1024 bytes, and bytes that are not encrypted (record headers, clear
// records) still use up their keystream positions.
type rc4Stream struct {
	keyFor func(block uint32, dst []byte) []byte
	block  int64
	key    []byte
	ks     [rc4Block]byte
}

func newRC4Stream(keyFor func(uint32, []byte) []byte) *rc4Stream {
	return &rc4Stream{keyFor: keyFor, block: -1, key: make([]byte, 0, 20)}
}

func (s *rc4Stream) rekey(block int64) {
	s.key = s.keyFor(uint32(block), s.key)
	c, err := rc4.NewCipher(s.key)
	if err != nil {
		// Unreachable whatever the input: keys are 16 bytes (RC4, 40-bit
		// CryptoAPI) or keyBits/8 with keyBits checked to be 40..128.
		panic(err)
	}
	clear(s.ks[:])
	c.XORKeyStream(s.ks[:], s.ks[:])
	s.block = block
}

func (s *rc4Stream) decrypt(data []byte, off int64, _ int) {
	for len(data) > 0 {
		blk, in := off/rc4Block, int(off%rc4Block)
		if blk != s.block {
			s.rekey(blk)
		}
		n := min(len(data), rc4Block-in)
		subtle.XORBytes(data[:n], data[:n], s.ks[in:in+n])
		data = data[n:]
		off += int64(n)
	}
}

// verify decrypts the verifier and its hash with the block-0 key as one RC4
// stream ([MS-OFFCRYPTO] 2.3.5.6, 2.3.6.4) and compares the hash.
func (s *rc4Stream) verify(encVerifier, encHash []byte, newHash func() hash.Hash) bool {
	s.rekey(0)
	buf := make([]byte, len(encVerifier)+len(encHash))
	copy(buf, encVerifier)
	copy(buf[len(encVerifier):], encHash)
	subtle.XORBytes(buf, buf, s.ks[:len(buf)])
	d := newHash()
	d.Write(buf[:len(encVerifier)])
	return subtle.ConstantTimeCompare(d.Sum(nil), buf[len(encVerifier):]) == 1
}

// DescribeWorkbook returns a short description of the FILEPASS encryption of
// a BIFF8 Workbook stream: "XOR obfuscation", "RC4", "RC4 CryptoAPI 128-bit",
// or "" when the stream has no FILEPASS it can read.
func DescribeWorkbook(workbook io.ReaderAt, size int64) string {
	_, fpData, err := findFilePass(workbook, size)
	if err != nil {
		return ""
	}
	fp, err := parseFilePass(fpData)
	if err != nil {
		return ""
	}
	if fp.kind == "RC4 CryptoAPI" {
		return fmt.Sprintf("RC4 CryptoAPI %d-bit", fp.keyBits)
	}
	return fp.kind
}
