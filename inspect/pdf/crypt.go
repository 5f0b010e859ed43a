package pdf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// The standard security handler (ISO 32000-1 7.6.3; ISO 32000-2 7.6.4 for
// R6; Adobe Supplement to ISO 32000 BaseVersion 1.7 ExtensionLevel 3 for
// R5). officemilter only needs to know whether the document opens without a
// password (the empty user password) and, when it does, the file key to
// decrypt strings and streams with.

type method uint8

const (
	cryptNone method = iota
	cryptRC4
	cryptAESV2
	cryptAESV3
	cryptUnknown
)

// ISO 32000-1 7.6.3.3 Algorithm 2 step a: the padding string.
var padding = []byte{
	0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
}

// security is a document's encryption as its /Encrypt dictionary describes
// it (ISO 32000-1 7.6.1 Table 20, 7.6.3.2 Table 21).
type security struct {
	filter  name
	v, r    int64
	n       int // file key length in bytes (R2-R4)
	o, u    []byte
	ue      []byte
	p       uint32
	id0     []byte
	encMeta bool
	// Crypt filter methods for streams, strings and embedded files
	// (ISO 32000-1 7.6.5).
	stm, str, eff method
	cf            dict
	// opened is set when the password tried opens the document; key is
	// then the file key (for R5 and R6 derived on first use: the R6 hash
	// is costly and a document without object streams or embedded files
	// never needs it).
	opened bool
	pw     []byte
	key    []byte
	// problem says why the handler cannot be evaluated (unsupported or
	// malformed), empty when it can.
	problem string
}

func newSecurity(enc dict, id0 []byte) *security {
	s := &security{id0: id0, encMeta: true}
	s.filter, _ = enc.get("Filter").(name)
	if s.filter != "Standard" {
		return s
	}
	s.v, _ = enc.get("V").(int64)
	s.r, _ = enc.get("R").(int64)
	if b, ok := enc.get("EncryptMetadata").(bool); ok {
		s.encMeta = b
	}
	o, _ := enc.get("O").(str)
	u, _ := enc.get("U").(str)
	ue, _ := enc.get("UE").(str)
	s.o, s.u, s.ue = o, u, ue
	if pv, ok := enc.get("P").(int64); ok {
		s.p = uint32(pv)
	}
	s.cf, _ = enc.get("CF").(dict)
	switch s.v {
	case 1:
		s.n = 5
	case 2, 3:
		s.n = keyBytes(enc.get("Length"), 5)
	case 4:
		s.n = keyBytes(enc.get("Length"), 16)
	case 5:
		s.n = 32
	default:
		s.problem = fmt.Sprintf("unsupported /V %d", s.v)
		return s
	}
	if s.v >= 4 {
		stmf, _ := enc.get("StmF").(name)
		strf, _ := enc.get("StrF").(name)
		s.stm = s.cryptFilter(stmf)
		s.str = s.cryptFilter(strf)
		if ef, ok := enc.get("EFF").(name); ok {
			s.eff = s.cryptFilter(ef)
		} else {
			s.eff = s.stm
		}
		for _, m := range []method{s.stm, s.str, s.eff} {
			if m == cryptUnknown {
				s.problem = "unsupported crypt filter"
				return s
			}
		}
	} else {
		s.stm, s.str, s.eff = cryptRC4, cryptRC4, cryptRC4
	}
	switch {
	case s.r < 2 || s.r > 6:
		s.problem = fmt.Sprintf("unsupported /R %d", s.r)
	case s.r <= 4 && (len(s.o) < 32 || len(s.u) < 16):
		s.problem = "malformed /O or /U"
	case s.r >= 5 && (len(s.u) < 48 || len(s.ue) < 32):
		s.problem = "malformed /U or /UE"
	}
	return s
}

// keyBytes reads /Length (in bits, ISO 32000-1 Table 20; some writers give
// bytes) as a key length in bytes.
func keyBytes(v object, def int) int {
	l, ok := v.(int64)
	switch {
	case !ok:
		return def
	case l >= 40 && l <= 128 && l%8 == 0:
		return int(l / 8)
	case l >= 5 && l <= 16:
		return int(l)
	}
	return def
}

// cryptFilter resolves a crypt filter name (ISO 32000-1 7.6.5, Table 25).
func (s *security) cryptFilter(n name) method {
	if n == "" || n == "Identity" {
		return cryptNone
	}
	cfd, _ := s.cf.get(n).(dict)
	cfm, _ := cfd.get("CFM").(name)
	switch cfm {
	case "", "None":
		return cryptNone
	case "V2":
		return cryptRC4
	case "AESV2":
		return cryptAESV2
	case "AESV3":
		return cryptAESV3
	}
	return cryptUnknown
}

// label names the scheme for a finding's Detail: "R4 AESV2", "R2 RC4-40".
func (s *security) label() string {
	m := s.stm
	if m == cryptNone {
		m = s.str
	}
	switch m {
	case cryptAESV2:
		return fmt.Sprintf("R%d AESV2", s.r)
	case cryptAESV3:
		return fmt.Sprintf("R%d AESV3", s.r)
	case cryptRC4:
		return fmt.Sprintf("R%d RC4-%d", s.r, s.n*8)
	}
	return fmt.Sprintf("R%d", s.r)
}

// openWithEmptyPassword tries the empty user password and sets s.key when
// it opens the document.
func (s *security) openWithEmptyPassword() bool { return s.open(nil) }

// open tries a user password (ISO 32000-1 7.6.3.4 Algorithm 6; ISO 32000-2
// Algorithm 11) and sets s.key when it opens the document.
func (s *security) open(password []byte) bool {
	if s.filter != "Standard" || s.problem != "" {
		return false
	}
	if s.r >= 5 {
		return s.openR56(password)
	}
	key := s.fileKeyR4(password)
	if s.checkUserR4(key) {
		s.key, s.opened = key, true
		return true
	}
	return false
}

// fileKey returns the file key of an opened document.
func (s *security) fileKey() []byte {
	if s.key == nil && s.opened && s.r >= 5 {
		s.key = s.keyR56(s.pw)
	}
	return s.key
}

// fileKeyR4 is ISO 32000-1 7.6.3.3 Algorithm 2.
func (s *security) fileKeyR4(password []byte) []byte {
	pw := make([]byte, 32)
	copy(pw, password)
	copy(pw[min(len(password), 32):], padding)
	h := md5.New()
	h.Write(pw)
	h.Write(s.o[:32])
	var p [4]byte
	binary.LittleEndian.PutUint32(p[:], s.p)
	h.Write(p[:])
	h.Write(s.id0)
	if s.r >= 4 && !s.encMeta {
		h.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF})
	}
	k := h.Sum(nil)
	n := min(max(s.n, 5), 16)
	if s.r >= 3 {
		for range 50 {
			sum := md5.Sum(k[:n])
			k = sum[:]
		}
	}
	return k[:n]
}

// checkUserR4 is ISO 32000-1 7.6.3.4 Algorithm 6 using Algorithm 4 (R2) or
// Algorithm 5 (R3, R4: only the first 16 bytes of /U are significant).
func (s *security) checkUserR4(key []byte) bool {
	if s.r == 2 {
		c, err := rc4.NewCipher(key)
		if err != nil {
			return false
		}
		u := make([]byte, 32)
		c.XORKeyStream(u, padding)
		return len(s.u) >= 32 && bytes.Equal(u, s.u[:32])
	}
	h := md5.New()
	h.Write(padding)
	h.Write(s.id0)
	x := h.Sum(nil)
	k := make([]byte, len(key))
	for i := 0; i <= 19; i++ {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		c, err := rc4.NewCipher(k)
		if err != nil {
			return false
		}
		c.XORKeyStream(x, x)
	}
	return bytes.Equal(x[:16], s.u[:16])
}

// openR56 checks a user password for R5 (SHA-256) and R6 (ISO 32000-2
// 7.6.4.4.10 Algorithm 11, hash of Algorithm 2.B) and derives the file key
// from /UE (ISO 32000-2 7.6.4.3.3 Algorithm 2.A step e).
func (s *security) openR56(password []byte) bool {
	if len(password) > 127 {
		password = password[:127]
	}
	if !bytes.Equal(s.hash(password, s.u[32:40], nil), s.u[:32]) {
		return false
	}
	s.opened, s.pw = true, password
	return true
}

// keyR56 decrypts /UE with the hash of the password and the key salt.
func (s *security) keyR56(password []byte) []byte {
	block, err := aes.NewCipher(s.hash(password, s.u[40:48], nil))
	if err != nil {
		return nil
	}
	key := make([]byte, 32)
	cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(key, s.ue[:32])
	return key
}

// hash is SHA-256 for R5 and ISO 32000-2 7.6.4.3.4 Algorithm 2.B for R6.
func (s *security) hash(password, salt, udata []byte) []byte {
	h := sha256.New()
	h.Write(password)
	h.Write(salt)
	h.Write(udata)
	k := h.Sum(nil)
	if s.r == 5 {
		return k
	}
	var k1, e []byte
	for round := 1; ; round++ {
		unit := len(password) + len(k) + len(udata)
		k1 = k1[:0]
		for range 64 {
			k1 = append(k1, password...)
			k1 = append(k1, k...)
			k1 = append(k1, udata...)
		}
		block, err := aes.NewCipher(k[:16])
		if err != nil {
			return nil
		}
		if cap(e) < 64*unit {
			e = make([]byte, 64*unit)
		}
		e = e[:64*unit]
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		// The first 16 bytes of E as a big-endian number mod 3 equal the
		// sum of those bytes mod 3 (256 = 1 mod 3).
		sum := 0
		for _, c := range e[:16] {
			sum += int(c)
		}
		var hh hash.Hash
		switch sum % 3 {
		case 0:
			hh = sha256.New()
		case 1:
			hh = sha512.New384()
		default:
			hh = sha512.New()
		}
		hh.Write(e)
		k = hh.Sum(k[:0:0])
		if round >= 64 && int(e[len(e)-1]) <= round-32 {
			break
		}
	}
	return k[:32]
}

// objectKey is ISO 32000-1 7.6.2 Algorithm 1 (and 1.A for AESV3: the file
// key itself).
func (s *security) objectKey(num, gen int32, m method) []byte {
	key := s.fileKey()
	if m == cryptAESV3 {
		return key
	}
	h := md5.New()
	h.Write(key)
	h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), byte(gen), byte(gen >> 8)})
	if m == cryptAESV2 {
		h.Write([]byte("sAlT"))
	}
	return h.Sum(nil)[:min(len(key)+5, 16)]
}

// decrypt decrypts a string of object num gen with method m. What cannot be
// decrypted (a short AES string) is returned as it is.
func (s *security) decrypt(b []byte, num, gen int32, m method) []byte {
	if s == nil || !s.opened || m == cryptNone || m == cryptUnknown {
		return b
	}
	k := s.objectKey(num, gen, m)
	if m == cryptRC4 {
		c, err := rc4.NewCipher(k)
		if err != nil {
			return b
		}
		out := make([]byte, len(b))
		c.XORKeyStream(out, b)
		return out
	}
	// ISO 32000-1 7.6.2: a 16-byte initialisation vector, then AES-CBC
	// with PKCS#5 padding.
	if len(b) < 32 || len(b)%16 != 0 {
		return b
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return b
	}
	out := make([]byte, len(b)-16)
	cipher.NewCBCDecrypter(block, b[:16]).CryptBlocks(out, b[16:])
	return unpad(out)
}

func unpad(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	p := int(b[len(b)-1])
	if p < 1 || p > 16 || p > len(b) {
		return b
	}
	return b[:len(b)-p]
}

// decryptReader decrypts a stream of object num gen with method m.
func (s *security) decryptReader(r io.Reader, num, gen int32, m method) (io.Reader, error) {
	if s == nil || !s.opened || m == cryptNone {
		return r, nil
	}
	if m == cryptUnknown {
		return nil, fmt.Errorf("%w: unknown crypt filter method", errUnsupportedFilter)
	}
	k := s.objectKey(num, gen, m)
	if m == cryptRC4 {
		c, err := rc4.NewCipher(k)
		if err != nil {
			return nil, err
		}
		return cipher.StreamReader{S: c, R: r}, nil
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return &cbcReader{r: r, block: block}, nil
}

// cbcReader decrypts AES-CBC with the IV in the first block and removes the
// PKCS#5 padding of the last block. A trailing partial block is dropped.
type cbcReader struct {
	r     io.Reader
	block cipher.Block
	mode  cipher.BlockMode
	in    [4096]byte
	hold  []byte // the last decrypted block, kept until EOF
	buf   []byte
	done  bool
	pull
}

func (c *cbcReader) Read(p []byte) (int, error) {
	return c.read(p, func() {
		switch {
		case !c.done:
			c.fill()
		case c.hold != nil:
			c.out = unpad(c.hold)
			c.hold = nil
		default:
			c.err = io.EOF
		}
	})
}

func (c *cbcReader) fill() {
	n, err := io.ReadFull(c.r, c.in[:])
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		c.done = true
		n -= n % aes.BlockSize
	case err != nil:
		c.err = err
		return
	}
	data := c.in[:n]
	if c.mode == nil {
		if len(data) < aes.BlockSize {
			c.done = true
			return
		}
		c.mode = cipher.NewCBCDecrypter(c.block, data[:aes.BlockSize])
		data = data[aes.BlockSize:]
	}
	if len(data) == 0 {
		return
	}
	c.mode.CryptBlocks(data, data)
	c.buf = append(c.buf[:0], c.hold...)
	c.buf = append(c.buf, data[:len(data)-aes.BlockSize]...)
	c.hold = append(c.hold[:0], data[len(data)-aes.BlockSize:]...)
	c.out = c.buf
}
