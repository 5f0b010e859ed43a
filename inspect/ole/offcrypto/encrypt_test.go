package offcrypto

import (
	"archive/zip"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Test-only encryptors written from [MS-OFFCRYPTO] and [MS-XLS]: they make
// the fixtures keyed with VelvetSweatshop that no Debian tool produces
// (msoffcrypto-tool 5.0.0 only decrypts). Their output is cross-checked by
// decrypting it with msoffcrypto-tool (see testdata/README.md and
// TestMsoffcryptoCrossCheck). Key derivations here are written out again,
// naively, rather than calling the package's code, so that a shared mistake
// is less likely.

// testRand is a deterministic random source: fixtures regenerate to the same
// bytes for the same seed.
func testRand(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

func randBytes(r io.Reader, n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		panic(err)
	}
	return b
}

// ---- plain OOXML packages ----

// zipOf stores files uncompressed with a fixed date, so the bytes do not
// depend on the Go version's deflate.
func zipOf(files ...[2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: zip.Store, Modified: time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)})
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(f[1])); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

const xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// plainDocx is a minimal WordprocessingML package.
func plainDocx() []byte {
	return zipOf(
		[2]string{"[Content_Types].xml", xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		[2]string{"_rels/.rels", xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", xmlDecl + `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Opens without a password: encrypted with VelvetSweatshop.</w:t></w:r></w:p></w:body></w:document>`},
	)
}

// plainXlsm is a minimal macro-enabled SpreadsheetML package whose
// xl/vbaProject.bin is a compound file with the VBA storage layout (the
// streams are placeholders, not a compiled project).
func plainXlsm() []byte {
	vba := buildCFB(map[string][]byte{
		"PROJECT":           []byte("ID=\"{00000000-0000-0000-0000-000000000000}\"\r\nDocument=ThisWorkbook/&H00000000\r\nName=\"VBAProject\"\r\n"),
		"VBA/dir":           []byte("placeholder dir stream"),
		"VBA/ThisWorkbook":  []byte("placeholder module stream: Sub Workbook_Open()"),
		"VBA/_VBA_PROJECT":  {0xcc, 0x61, 0xff, 0xff, 0x00, 0x00, 0x00},
		"PROJECTwm":         []byte("ThisWorkbook\x00T\x00h\x00i\x00s\x00W\x00o\x00r\x00k\x00b\x00o\x00o\x00k\x00\x00\x00\x00\x00"),
		"VBA/__SRP_0":       bytes.Repeat([]byte{0x55}, 64),
		"VBA/Module1":       []byte("placeholder module stream: Sub AutoOpen()"),
		"VBA/__SRP_1":       bytes.Repeat([]byte{0xaa}, 64),
		"VBA/_VBA_PROJECT2": {0},
	})
	return zipOf(
		[2]string{"[Content_Types].xml", xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		[2]string{"_rels/.rels", xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		[2]string{"xl/workbook.xml", xmlDecl + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		[2]string{"xl/_rels/workbook.xml.rels", xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>`},
		[2]string{"xl/worksheets/sheet1.xml", xmlDecl + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>hello</t></is></c></row></sheetData></worksheet>`},
		[2]string{"xl/vbaProject.bin", string(vba)},
	)
}

// encryptedOOXML wraps EncryptionInfo and EncryptedPackage in a compound
// file the way Office does ([MS-OFFCRYPTO] 2.3.4.1; the DataSpaces storage
// is omitted: readers do not need it).
func encryptedOOXML(info, pkg []byte) []byte {
	return buildCFB(map[string][]byte{"EncryptionInfo": info, "EncryptedPackage": pkg})
}

// ---- AES helpers ----

func padZero(b []byte, m int) []byte {
	if r := len(b) % m; r != 0 || len(b) == 0 {
		b = append(append([]byte{}, b...), make([]byte, m-r)...)
	}
	return b
}

func cbcEncrypt(key, iv, plain []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	p := padZero(plain, 16)
	out := make([]byte, len(p))
	cipher.NewCBCEncrypter(block, iv[:16]).CryptBlocks(out, p)
	return out
}

func sum(h *hashAlg, parts ...[]byte) []byte {
	d := h.new()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

// naiveSpin is the spin loop written the obvious way (allocating).
func naiveSpin(h *hashAlg, salt []byte, password string, spin int) []byte {
	hn := sum(h, salt, utf16le(password))
	for i := 0; i < spin; i++ {
		var it [4]byte
		binary.LittleEndian.PutUint32(it[:], uint32(i))
		hn = sum(h, it[:], hn)
	}
	return hn
}

func fit(b []byte, n int) []byte {
	out := bytes.Repeat([]byte{0x36}, n)
	copy(out, b)
	return out
}

// ---- Agile ([MS-OFFCRYPTO] 2.3.4.10 to 2.3.4.15) ----

type agileSpec struct {
	keyBits int
	hash    string // "SHA512", "SHA1", ...
	spin    int
}

func encryptAgile(plain []byte, password string, s agileSpec, rnd io.Reader) (info, pkg []byte) {
	h := hashByID(s.hash)
	keyDataSalt := randBytes(rnd, 16)
	pwSalt := randBytes(rnd, 16)
	secret := randBytes(rnd, s.keyBits/8)
	verifierInput := randBytes(rnd, 16)
	hmacKey := randBytes(rnd, h.size)

	hn := naiveSpin(h, pwSalt, password, s.spin)
	kek := func(blockKey []byte) []byte { return fit(sum(h, hn, blockKey), s.keyBits/8) }
	encVHI := cbcEncrypt(kek(blockVerifierInput), pwSalt, verifierInput)
	encVHV := cbcEncrypt(kek(blockVerifierValue), pwSalt, sum(h, verifierInput))
	encKV := cbcEncrypt(kek(blockKeyValue), pwSalt, secret)

	pkg = binary.LittleEndian.AppendUint64(nil, uint64(len(plain)))
	for i := 0; i*segmentSize < len(plain); i++ {
		seg := plain[i*segmentSize : min(len(plain), (i+1)*segmentSize)]
		iv := fit(sum(h, keyDataSalt, binary.LittleEndian.AppendUint32(nil, uint32(i))), 16)
		pkg = append(pkg, cbcEncrypt(secret, iv, seg)...)
	}

	// [MS-OFFCRYPTO] 2.3.4.14: HMAC of the whole EncryptedPackage stream.
	mac := hmac.New(h.new, hmacKey)
	mac.Write(pkg)
	iv1 := fit(sum(h, keyDataSalt, []byte{0x5f, 0xb2, 0xad, 0x01, 0x0c, 0xb9, 0xe1, 0xf6}), 16)
	iv2 := fit(sum(h, keyDataSalt, []byte{0xa0, 0x67, 0x7f, 0x02, 0xb2, 0x2c, 0x84, 0x33}), 16)
	encHmacKey := cbcEncrypt(secret, iv1, hmacKey)
	encHmacValue := cbcEncrypt(secret, iv2, mac.Sum(nil))

	b64 := base64.StdEncoding.EncodeToString
	params := fmt.Sprintf(`saltSize="16" blockSize="16" keyBits="%d" hashSize="%d" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="%s"`, s.keyBits, h.size, s.hash)
	xml := xmlDecl + `<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password" xmlns:c="http://schemas.microsoft.com/office/2006/keyEncryptor/certificate">` +
		`<keyData ` + params + ` saltValue="` + b64(keyDataSalt) + `"/>` +
		`<dataIntegrity encryptedHmacKey="` + b64(encHmacKey) + `" encryptedHmacValue="` + b64(encHmacValue) + `"/>` +
		`<keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password">` +
		fmt.Sprintf(`<p:encryptedKey spinCount="%d" `, s.spin) + params + ` saltValue="` + b64(pwSalt) +
		`" encryptedVerifierHashInput="` + b64(encVHI) + `" encryptedVerifierHashValue="` + b64(encVHV) +
		`" encryptedKeyValue="` + b64(encKV) + `"/></keyEncryptor></keyEncryptors></encryption>`
	info = append([]byte{4, 0, 4, 0, 0x40, 0, 0, 0}, xml...)
	return info, pkg
}

// ---- Standard ([MS-OFFCRYPTO] 2.3.4.5 to 2.3.4.9) ----

func standardTestKey(salt []byte, password string, keyBits int) []byte {
	hn := naiveSpin(sha1Alg, salt, password, 50000)
	hfinal := sum(sha1Alg, hn, []byte{0, 0, 0, 0})
	x := func(c byte) []byte {
		b := bytes.Repeat([]byte{c}, 64)
		for i := range hfinal {
			b[i] ^= hfinal[i]
		}
		return sum(sha1Alg, b)
	}
	return append(x(0x36), x(0x5c)...)[:keyBits/8]
}

func ecbEncrypt(key, plain []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	p := padZero(plain, 16)
	out := make([]byte, len(p))
	for i := 0; i < len(p); i += 16 {
		block.Encrypt(out[i:i+16], p[i:i+16])
	}
	return out
}

func encryptStandard(plain []byte, password string, keyBits int, rnd io.Reader) (info, pkg []byte) {
	salt := randBytes(rnd, 16)
	verifier := randBytes(rnd, 16)
	key := standardTestKey(salt, password, keyBits)
	vh := sha1.Sum(verifier)
	alg := map[int]uint32{128: algAES128, 192: algAES192, 256: algAES256}[keyBits]

	le := binary.LittleEndian
	csp := utf16le("Microsoft Enhanced RSA and AES Cryptographic Provider\x00")
	info = le.AppendUint16(nil, 3)
	info = le.AppendUint16(info, 2)
	info = le.AppendUint32(info, flagCryptoAPI|flagAES)
	info = le.AppendUint32(info, uint32(32+len(csp)))
	for _, v := range []uint32{flagCryptoAPI | flagAES, 0, alg, algSHA1, uint32(keyBits), 0x18, 0, 0} {
		info = le.AppendUint32(info, v)
	}
	info = append(info, csp...)
	info = le.AppendUint32(info, 16)
	info = append(info, salt...)
	info = append(info, ecbEncrypt(key, verifier)...)
	info = le.AppendUint32(info, 20)
	info = append(info, ecbEncrypt(key, padZero(vh[:], 32))...)

	pkg = le.AppendUint64(nil, uint64(len(plain)))
	pkg = append(pkg, ecbEncrypt(key, plain)...)
	return info, pkg
}

// ---- BIFF8 workbooks ([MS-XLS]) ----

type biffRecord struct {
	typ  uint16
	data []byte
}

func bof(dt uint16) biffRecord {
	// [MS-XLS] 2.4.21 BOF: vers, dt, rupBuild, rupYear, flags (8 bytes).
	d := binary.LittleEndian.AppendUint16(nil, biff8Version)
	d = binary.LittleEndian.AppendUint16(d, dt)
	d = binary.LittleEndian.AppendUint16(d, 0x2775)
	d = binary.LittleEndian.AppendUint16(d, 0x07CD)
	d = append(d, 0xC1, 0xC0, 0, 0, 0x06, 0x03, 0, 0)
	return biffRecord{rtBOF, d}
}

func boundSheet(hidden bool, macro bool, name string) biffRecord {
	// [MS-XLS] 2.4.28 BoundSheet8: lbPlyPos (patched later), hsState, dt,
	// stName (ShortXLUnicodeString, 8-bit characters).
	d := make([]byte, 4, 8+len(name))
	var hs, dt byte
	if hidden {
		hs = 1
	}
	if macro {
		dt = 1
	}
	d = append(d, hs, dt, byte(len(name)), 0)
	d = append(d, name...)
	return biffRecord{rtBoundSheet8, d}
}

// plainWorkbook builds a BIFF8 Workbook stream: globals with the given
// FILEPASS data, a worksheet and a hidden XLM macro sheet (what attackers
// hide behind VelvetSweatshop). Records straddle the 1024-byte RC4 blocks,
// and never-encrypted records (InterfaceHdr, UsrExcl, RRDInfo) sit between
// encrypted ones.
func plainWorkbook(filePass []byte) []byte {
	pattern := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i*7)
		}
		return b
	}
	writeAccess := append([]byte{8, 0, 0}, "officemi"...)
	writeAccess = append(writeAccess, bytes.Repeat([]byte(" "), 112-len(writeAccess))...)
	globals := []biffRecord{
		bof(0x0005),
		{rtFilePass, filePass},
		{rtInterfaceHdr, []byte{0xB0, 0x04}},
		{0x00C1, []byte{0, 0}},       // Mms
		{0x00E2, nil},                // InterfaceEnd
		{0x005C, writeAccess},        // WriteAccess
		{0x0042, []byte{0xB0, 0x04}}, // CodePage
		{rtUsrExcl, pattern(20, 3)},
		{0x00EB, pattern(1500, 11)}, // MsoDrawingGroup: a large blob
		{rtRRDInfo, pattern(10, 5)},
		boundSheet(false, false, "Sheet1"),
		boundSheet(true, true, "Macro1"),
		{0x00FC, pattern(2100, 17)}, // SST-sized blob across two blocks
		{0x000A, nil},               // EOF
	}
	sheet := []biffRecord{
		bof(0x0010),
		{0x0200, pattern(14, 23)}, // Dimensions
		{0x0203, pattern(14, 29)}, // Number
		{0x000A, nil},
	}
	macro := []biffRecord{
		bof(0x0040),
		{0x0006, pattern(40, 31)}, // Formula
		{0x0006, pattern(900, 37)},
		{0x000A, nil},
	}
	var out []byte
	var sheetPos []uint32
	var bsAt []int
	for _, sub := range [][]biffRecord{globals, sheet, macro} {
		sheetPos = append(sheetPos, uint32(len(out)))
		for _, r := range sub {
			if r.typ == rtFilePass && r.data == nil {
				continue
			}
			if r.typ == rtBoundSheet8 {
				bsAt = append(bsAt, len(out)+4)
			}
			out = binary.LittleEndian.AppendUint16(out, r.typ)
			out = binary.LittleEndian.AppendUint16(out, uint16(len(r.data)))
			out = append(out, r.data...)
		}
	}
	for i, at := range bsAt {
		binary.LittleEndian.PutUint32(out[at:], sheetPos[i+1])
	}
	return out
}

// encryptWorkbook applies the per-byte transform to every encrypted byte of
// a plain stream (after FILEPASS, outside never-encrypted records and
// lbPlyPos): enc(b, pos, recLen).
func encryptWorkbook(plain []byte, enc func(b byte, pos int64, recLen int) byte) []byte {
	out := append([]byte{}, plain...)
	afterFilePass := false
	for pos := 0; pos+4 <= len(out); {
		rt := binary.LittleEndian.Uint16(out[pos:])
		n := int(binary.LittleEndian.Uint16(out[pos+2:]))
		if afterFilePass && !neverEncrypted(rt) {
			start := 0
			if rt == rtBoundSheet8 {
				start = 4
			}
			for i := start; i < n; i++ {
				p := pos + 4 + i
				out[p] = enc(out[p], int64(p), n)
			}
		}
		if rt == rtFilePass {
			afterFilePass = true
		}
		pos += 4 + n
	}
	return out
}

// rc4Keystream returns the keystream of a whole stream of n bytes: a fresh
// RC4 keystream per 1024-byte block.
func rc4Keystream(n int, keyFor func(block uint32) []byte) []byte {
	ks := make([]byte, 0, n+1024)
	for blk := uint32(0); len(ks) < n; blk++ {
		c, err := rc4.NewCipher(keyFor(blk))
		if err != nil {
			panic(err)
		}
		b := make([]byte, 1024)
		c.XORKeyStream(b, b)
		ks = append(ks, b...)
	}
	return ks
}

// xlsRC4 returns the FILEPASS data of RC4 encryption ([MS-OFFCRYPTO] 2.3.6.1)
// and its per-block key function (2.3.6.2).
func xlsRC4(password string, rnd io.Reader) ([]byte, func(uint32) []byte) {
	salt := randBytes(rnd, 16)
	verifier := randBytes(rnd, 16)
	h0 := md5.Sum(utf16le(password))
	var buf []byte
	for range 16 {
		buf = append(append(buf, h0[:5]...), salt...)
	}
	h1 := md5.Sum(buf)
	keyFor := func(blk uint32) []byte {
		k := md5.Sum(binary.LittleEndian.AppendUint32(append([]byte{}, h1[:5]...), blk))
		return k[:]
	}
	vh := md5.Sum(verifier)
	c, _ := rc4.NewCipher(keyFor(0))
	ev := append(append([]byte{}, verifier...), vh[:]...)
	c.XORKeyStream(ev, ev)
	fp := []byte{1, 0, 1, 0, 1, 0}
	fp = append(fp, salt...)
	fp = append(fp, ev...)
	return fp, keyFor
}

// xlsCryptoAPI returns the FILEPASS data of RC4 CryptoAPI encryption
// ([MS-OFFCRYPTO] 2.3.5.1) and its per-block key function (2.3.5.2).
func xlsCryptoAPI(password string, keyBits int, rnd io.Reader) ([]byte, func(uint32) []byte) {
	salt := randBytes(rnd, 16)
	verifier := randBytes(rnd, 16)
	h0 := sum(sha1Alg, salt, utf16le(password))
	keyFor := func(blk uint32) []byte {
		k := sum(sha1Alg, h0, binary.LittleEndian.AppendUint32(nil, blk))
		if keyBits == 40 {
			return append(k[:5], make([]byte, 11)...)
		}
		return k[:keyBits/8]
	}
	vh := sha1.Sum(verifier)
	c, _ := rc4.NewCipher(keyFor(0))
	ev := append(append([]byte{}, verifier...), vh[:]...)
	c.XORKeyStream(ev, ev)

	le := binary.LittleEndian
	csp := utf16le("Microsoft Enhanced Cryptographic Provider v1.0\x00")
	fp := []byte{1, 0, 4, 0, 2, 0}
	fp = le.AppendUint32(fp, flagCryptoAPI)
	fp = le.AppendUint32(fp, uint32(32+len(csp)))
	for _, v := range []uint32{flagCryptoAPI, 0, algRC4, algSHA1, uint32(keyBits), 1, 0, 0} {
		fp = le.AppendUint32(fp, v)
	}
	fp = append(fp, csp...)
	fp = le.AppendUint32(fp, 16)
	fp = append(fp, salt...)
	fp = append(fp, ev[:16]...)
	fp = le.AppendUint32(fp, 20)
	fp = append(fp, ev[16:]...)
	return fp, keyFor
}

// xlsXOR returns the FILEPASS data of XOR obfuscation ([MS-XLS] 2.5.343) and
// the obfuscation array ([MS-OFFCRYPTO] 2.3.7.2).
func xlsXOR(password string) ([]byte, [16]byte) {
	pw, ok := xorPassword(password)
	if !ok {
		panic("bad XOR password")
	}
	fp := []byte{0, 0}
	fp = binary.LittleEndian.AppendUint16(fp, xorKeyMethod1(pw))
	fp = binary.LittleEndian.AppendUint16(fp, xorVerifierMethod1(pw))
	return fp, xorArrayMethod1(pw)
}

// encryptedWorkbook returns the plain stream (with its FILEPASS) and the
// encrypted one for a method: "rc4", "cryptoapi" (128-bit), "cryptoapi40",
// "xor".
func encryptedWorkbook(method, password string, rnd io.Reader) (plain, enc []byte) {
	switch method {
	case "rc4", "cryptoapi", "cryptoapi40":
		var fp []byte
		var keyFor func(uint32) []byte
		switch method {
		case "rc4":
			fp, keyFor = xlsRC4(password, rnd)
		case "cryptoapi":
			fp, keyFor = xlsCryptoAPI(password, 128, rnd)
		default:
			fp, keyFor = xlsCryptoAPI(password, 40, rnd)
		}
		plain = plainWorkbook(fp)
		ks := rc4Keystream(len(plain), keyFor)
		enc = encryptWorkbook(plain, func(b byte, pos int64, _ int) byte { return b ^ ks[pos] })
	case "xor":
		fp, arr := xlsXOR(password)
		plain = plainWorkbook(fp)
		// [MS-OFFCRYPTO] 2.3.7.3 EncryptData_Method1: rotate left 5, then XOR.
		enc = encryptWorkbook(plain, func(b byte, pos int64, recLen int) byte {
			return (b<<5 | b>>3) ^ arr[(pos+int64(recLen))%16]
		})
	default:
		panic("unknown method " + method)
	}
	return plain, enc
}

// xlsFile wraps a Workbook stream in a compound file.
func xlsFile(workbook []byte) []byte {
	return buildCFB(map[string][]byte{"Workbook": workbook})
}
