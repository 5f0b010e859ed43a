package offcrypto

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// EncryptionInfo stream parsing: [MS-OFFCRYPTO] 2.3.4.5 (Standard),
// 2.3.4.6 (Extensible) and 2.3.4.10 (Agile).

type infoKind int

const (
	kindUnknown infoKind = iota
	kindStandard
	kindExtensible
	kindAgile
)

// infoVersion reads the EncryptionVersionInfo ([MS-OFFCRYPTO] 2.3.4.1) and
// classifies it: Standard is 2.2, 3.2 or 4.2; Extensible 3.3 or 4.3; Agile
// 4.4.
func infoVersion(b []byte) (major, minor uint16, kind infoKind, ok bool) {
	if len(b) < 4 {
		return 0, 0, kindUnknown, false
	}
	major = binary.LittleEndian.Uint16(b)
	minor = binary.LittleEndian.Uint16(b[2:])
	switch {
	case minor == 2 && major >= 2 && major <= 4:
		kind = kindStandard
	case minor == 3 && (major == 3 || major == 4):
		kind = kindExtensible
	case minor == 4 && major == 4:
		kind = kindAgile
	}
	return major, minor, kind, true
}

// [MS-OFFCRYPTO] 2.3.1 EncryptionHeaderFlags.
const (
	flagCryptoAPI = 0x04
	flagExternal  = 0x10
	flagAES       = 0x20
)

// [MS-OFFCRYPTO] 2.3.2 EncryptionHeader AlgID / AlgIDHash values.
const (
	algRC4    = 0x6801
	algAES128 = 0x660E
	algAES192 = 0x660F
	algAES256 = 0x6610
	algSHA1   = 0x8004
)

func algName(algID uint32) string {
	switch algID {
	case algRC4:
		return "RC4"
	case algAES128:
		return "AES-128"
	case algAES192:
		return "AES-192"
	case algAES256:
		return "AES-256"
	}
	return fmt.Sprintf("algorithm 0x%04x", algID)
}

// encryptionHeader is [MS-OFFCRYPTO] 2.3.2 EncryptionHeader without the CSP
// name, which nothing here needs.
type encryptionHeader struct {
	flags     uint32
	algID     uint32
	algIDHash uint32
	keyBits   uint32
}

// parseEncryptionHeader reads the fixed 32-byte part of an EncryptionHeader
// ([MS-OFFCRYPTO] 2.3.2). b must hold exactly the header (HeaderSize bytes).
func parseEncryptionHeader(b []byte) (encryptionHeader, error) {
	if len(b) < 32 {
		return encryptionHeader{}, fmt.Errorf("%w: EncryptionHeader of %d bytes (at least 32)", ErrMalformed, len(b))
	}
	le := binary.LittleEndian
	return encryptionHeader{
		flags:     le.Uint32(b[0:]),
		algID:     le.Uint32(b[8:]),
		algIDHash: le.Uint32(b[12:]),
		keyBits:   le.Uint32(b[16:]),
	}, nil
}

// standardInfo is a Standard EncryptionInfo: [MS-OFFCRYPTO] 2.3.4.5 with the
// EncryptionVerifier of 2.3.3.
type standardInfo struct {
	hdr             encryptionHeader
	salt            []byte
	encVerifier     []byte // 16 bytes
	encVerifierHash []byte // 32 bytes (AES pads the 20-byte SHA-1)
}

func parseStandard(b []byte) (*standardInfo, error) {
	le := binary.LittleEndian
	// Version (4), Flags (4), HeaderSize (4), Header, Verifier.
	if len(b) < 12 {
		return nil, fmt.Errorf("%w: Standard EncryptionInfo of %d bytes", ErrMalformed, len(b))
	}
	headerSize := int64(le.Uint32(b[8:]))
	if headerSize < 32 || 12+headerSize > int64(len(b)) {
		return nil, fmt.Errorf("%w: EncryptionHeader size %d does not fit the %d-byte EncryptionInfo", ErrMalformed, headerSize, len(b))
	}
	hdr, err := parseEncryptionHeader(b[12 : 12+headerSize])
	if err != nil {
		return nil, err
	}
	v := b[12+headerSize:]
	// [MS-OFFCRYPTO] 2.3.3 EncryptionVerifier: SaltSize (4) = 16, Salt (16),
	// EncryptedVerifier (16), VerifierHashSize (4) = 20,
	// EncryptedVerifierHash (32 for AES, 20 for RC4).
	if len(v) < 4+16+16+4+20 {
		return nil, fmt.Errorf("%w: EncryptionVerifier of %d bytes", ErrMalformed, len(v))
	}
	if n := le.Uint32(v); n != 16 {
		return nil, fmt.Errorf("%w: EncryptionVerifier salt size %d (must be 16)", ErrMalformed, n)
	}
	info := &standardInfo{hdr: hdr, salt: v[4:20], encVerifier: v[20:36], encVerifierHash: v[40:]}
	if len(info.encVerifierHash) > 32 {
		info.encVerifierHash = info.encVerifierHash[:32]
	}
	return info, nil
}

// aesKeyBits checks a Standard header for AES and returns its key size, or an
// error naming what is not supported.
func (h encryptionHeader) aesKeyBits() (int, error) {
	if h.flags&flagExternal != 0 {
		return 0, fmt.Errorf("%w: standard encryption with an external key provider", ErrUnsupported)
	}
	alg := h.algID
	if alg == 0 { // [MS-OFFCRYPTO] 2.3.2: 0 means "decided by the flags"
		if h.flags&flagAES != 0 {
			alg = algAES128
		} else {
			alg = algRC4
		}
	}
	var bits int
	switch alg {
	case algAES128:
		bits = 128
	case algAES192:
		bits = 192
	case algAES256:
		bits = 256
	default:
		return 0, fmt.Errorf("%w: standard encryption with %s", ErrUnsupported, algName(alg))
	}
	if h.keyBits != 0 && int(h.keyBits) != bits {
		return 0, fmt.Errorf("%w: %s with a key size of %d bits", ErrMalformed, algName(alg), h.keyBits)
	}
	if h.algIDHash != 0 && h.algIDHash != algSHA1 {
		return 0, fmt.Errorf("%w: standard encryption with hash 0x%04x", ErrUnsupported, h.algIDHash)
	}
	return bits, nil
}

// agileParams is the shared attribute set of CT_KeyData and
// CT_PasswordKeyEncryptor ([MS-OFFCRYPTO] 2.3.4.10).
type agileParams struct {
	blockSize int
	keyBits   int
	cipher    string // cipherAlgorithm: "AES", "RC2", "3DES", ...
	chaining  string // cipherChaining: "ChainingModeCBC" or "ChainingModeCFB"
	hashName  string // hashAlgorithm as written
	hash      *hashAlg
	salt      []byte
}

// agileInfo is what an Agile EncryptionInfo says: the data parameters
// (keyData) and the password key encryptor, if there is one.
type agileInfo struct {
	keyData     agileParams
	hasKeyData  bool
	pw          agileParams
	hasPassword bool
	spin        int
	encVHI      []byte // encryptedVerifierHashInput
	encVHV      []byte // encryptedVerifierHashValue
	encKV       []byte // encryptedKeyValue
}

const (
	nsEncryption = "http://schemas.microsoft.com/office/2006/encryption"
	nsPassword   = "http://schemas.microsoft.com/office/2006/keyEncryptor/password"
)

// parseAgile reads the XML of an Agile EncryptionInfo (after its 8-byte
// header). b is at most maxEncryptionInfo bytes.
func parseAgile(b []byte) (*agileInfo, error) {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	dec := xml.NewDecoder(bytes.NewReader(b))
	info := &agileInfo{}
	depth, seenRoot := 0, false
	for !seenRoot || depth > 0 {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: EncryptionInfo XML: %v", ErrMalformed, shortXMLError(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if !seenRoot && (t.Name.Local != "encryption" || t.Name.Space != nsEncryption) {
				return nil, fmt.Errorf("%w: EncryptionInfo XML root is <%s>, not <encryption>", ErrMalformed, printable(t.Name.Local))
			}
			seenRoot = true
			switch {
			case t.Name.Local == "keyData" && t.Name.Space == nsEncryption && !info.hasKeyData:
				if err := readAgileParams(&info.keyData, t.Attr, "keyData"); err != nil {
					return nil, err
				}
				info.hasKeyData = true
			case t.Name.Local == "encryptedKey" && t.Name.Space == nsPassword && !info.hasPassword:
				if err := readPasswordEncryptor(info, t.Attr); err != nil {
					return nil, err
				}
				info.hasPassword = true
			}
		case xml.EndElement:
			depth--
		}
		// Once the root element ends the loop stops: trailing padding (NULs)
		// some writers leave after the XML is not parsed.
	}
	if !info.hasKeyData {
		return nil, fmt.Errorf("%w: EncryptionInfo XML has no keyData", ErrMalformed)
	}
	return info, nil
}

// shortXMLError bounds the decoder's message: it may quote attacker-chosen
// names.
func shortXMLError(err error) string {
	return clean(err.Error(), 120)
}

func readAgileParams(p *agileParams, attrs []xml.Attr, elem string) error {
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		var err error
		switch a.Name.Local {
		case "blockSize":
			p.blockSize, err = smallInt(a.Value, 1, 1<<16)
		case "keyBits":
			p.keyBits, err = smallInt(a.Value, 1, 1<<16)
		case "cipherAlgorithm":
			p.cipher = a.Value
		case "cipherChaining":
			p.chaining = a.Value
		case "hashAlgorithm":
			p.hashName = a.Value
			p.hash = hashByID(a.Value)
		case "saltValue":
			p.salt, err = decodeB64(a.Value)
		}
		if err != nil {
			return fmt.Errorf("%w: %s %s: %v", ErrMalformed, elem, a.Name.Local, err)
		}
	}
	return nil
}

func readPasswordEncryptor(info *agileInfo, attrs []xml.Attr) error {
	if err := readAgileParams(&info.pw, attrs, "encryptedKey"); err != nil {
		return err
	}
	info.spin = -1
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		var err error
		switch a.Name.Local {
		case "spinCount":
			info.spin, err = smallInt(a.Value, 0, 10_000_000) // [MS-OFFCRYPTO] 2.3.4.10: at most 10,000,000
		case "encryptedVerifierHashInput":
			info.encVHI, err = decodeB64(a.Value)
		case "encryptedVerifierHashValue":
			info.encVHV, err = decodeB64(a.Value)
		case "encryptedKeyValue":
			info.encKV, err = decodeB64(a.Value)
		}
		if err != nil {
			return fmt.Errorf("%w: encryptedKey %s: %v", ErrMalformed, a.Name.Local, err)
		}
	}
	if info.spin < 0 {
		return fmt.Errorf("%w: encryptedKey has no spinCount", ErrMalformed)
	}
	return nil
}

func smallInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("not a number")
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("bad base64")
	}
	return b, nil
}

// checkAES says whether p describes AES-CBC, the only Agile cipher Office
// writes; anything else is ErrUnsupported.
func (p *agileParams) checkAES(elem string) error {
	if p.cipher != "AES" {
		return fmt.Errorf("%w: agile %s cipher %q", ErrUnsupported, elem, printable(p.cipher))
	}
	if p.chaining != "ChainingModeCBC" {
		return fmt.Errorf("%w: agile %s chaining %q", ErrUnsupported, elem, printable(p.chaining))
	}
	if p.hash == nil {
		return fmt.Errorf("%w: agile %s hash %q", ErrUnsupported, elem, printable(p.hashName))
	}
	if p.blockSize != 16 {
		return fmt.Errorf("%w: agile %s AES block size %d", ErrMalformed, elem, p.blockSize)
	}
	switch p.keyBits {
	case 128, 192, 256:
	default:
		return fmt.Errorf("%w: agile %s AES key of %d bits", ErrMalformed, elem, p.keyBits)
	}
	if len(p.salt) == 0 {
		return fmt.Errorf("%w: agile %s without saltValue", ErrMalformed, elem)
	}
	return nil
}

// DescribeEncryption returns a short human description of an EncryptionInfo
// stream: "agile AES-256 SHA-512", "standard AES-128 SHA-1",
// "extensible (version 4.3)" or "unknown (version x.y)".
func DescribeEncryption(encryptionInfo []byte) string {
	major, minor, kind, ok := infoVersion(encryptionInfo)
	if !ok {
		return "unknown (truncated)"
	}
	switch kind {
	case kindStandard:
		info, err := parseStandard(encryptionInfo)
		if err != nil {
			return fmt.Sprintf("standard (version %d.%d, malformed)", major, minor)
		}
		alg := info.hdr.algID
		if alg == 0 {
			alg = algRC4
			if info.hdr.flags&flagAES != 0 {
				alg = algAES128
			}
		}
		hash := "SHA-1"
		if info.hdr.algIDHash != 0 && info.hdr.algIDHash != algSHA1 {
			hash = fmt.Sprintf("hash 0x%04x", info.hdr.algIDHash)
		}
		return "standard " + algName(alg) + " " + hash
	case kindAgile:
		if len(encryptionInfo) > maxEncryptionInfo || len(encryptionInfo) < 8 {
			return "agile (malformed)"
		}
		info, err := parseAgile(encryptionInfo[8:])
		if err != nil {
			return "agile (malformed)"
		}
		kd := info.keyData
		hash := kd.hashName
		if kd.hash != nil {
			hash = kd.hash.label
		}
		return fmt.Sprintf("agile %s-%d %s", printable(kd.cipher), kd.keyBits, printable(hash))
	case kindExtensible:
		return fmt.Sprintf("extensible (version %d.%d)", major, minor)
	}
	return fmt.Sprintf("unknown (version %d.%d)", major, minor)
}

// printable keeps attacker-supplied names short and free of control
// characters before they reach a finding's detail.
func printable(s string) string { return clean(s, 24) }

func clean(s string, max int) string {
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return '?'
		}
		return r
	}, s)
}
