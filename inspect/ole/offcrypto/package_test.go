package offcrypto

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// testAgile is a small Agile-encrypted docx with a low spin count, so that
// the table tests stay fast.
func testAgile(t testing.TB, password string) (info, pkg, plain []byte) {
	t.Helper()
	plain = bytes.Repeat(plainDocx(), 3) // a few segments; the content need not be a zip here
	info, pkg = encryptAgile(plain, password, agileSpec{256, "SHA512", 10}, testRand(42))
	return info, pkg, plain
}

func replaceInfo(info []byte, old, new string) []byte {
	if !bytes.Contains(info, []byte(old)) {
		panic("replaceInfo: " + old + " not found")
	}
	return bytes.Replace(info, []byte(old), []byte(new), 1)
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestDecryptPackage(t *testing.T) {
	agInfo, agPkg, agPlain := testAgile(t, DefaultPassword)
	stInfo, stPkg := encryptStandard(agPlain, DefaultPassword, 128, testRand(43))

	setSize := func(pkg []byte, n uint64) []byte {
		p := append([]byte{}, pkg...)
		binary.LittleEndian.PutUint64(p, n)
		return p
	}
	setU32 := func(info []byte, off int, v uint32) []byte {
		i := append([]byte{}, info...)
		binary.LittleEndian.PutUint32(i[off:], v)
		return i
	}

	cases := []struct {
		name      string
		info, pkg []byte
		password  string
		want      error // nil: decrypts to agPlain
	}{
		{"agile", agInfo, agPkg, DefaultPassword, nil},
		{"agile wrong password", agInfo, agPkg, "VelvetSweatshop!", ErrWrongPassword},
		{"agile trailing NULs after the XML", append(append([]byte{}, agInfo...), make([]byte, 100)...), agPkg, DefaultPassword, nil},
		{"agile size with junk in the high half", agInfo, setSize(agPkg, uint64(len(agPlain))|0xdead<<32), DefaultPassword, nil},
		{"agile extra ciphertext after the package", agInfo, append(append([]byte{}, agPkg...), make([]byte, 4096)...), DefaultPassword, nil},
		{"standard", stInfo, stPkg, DefaultPassword, nil},
		{"standard wrong password", stInfo, stPkg, "velvetsweatshop", ErrWrongPassword},

		{"empty EncryptionInfo", nil, agPkg, DefaultPassword, ErrMalformed},
		{"EncryptionInfo over 1 MiB", append(append([]byte{}, agInfo...), make([]byte, 1<<20)...), agPkg, DefaultPassword, ErrMalformed},
		{"extensible 4.3", []byte{4, 0, 3, 0, 0, 0, 0, 0}, agPkg, DefaultPassword, ErrUnsupported},
		{"unknown version 9.9", []byte{9, 0, 9, 0}, agPkg, DefaultPassword, ErrUnsupported},
		{"agile header only", []byte{4, 0, 4, 0, 0x40, 0}, agPkg, DefaultPassword, ErrMalformed},
		{"agile XML garbage", append([]byte{4, 0, 4, 0, 0x40, 0, 0, 0}, "<encryption xmlns=\"http://schemas.microsoft.com/office/2006/encryption\"><keyData"...), agPkg, DefaultPassword, ErrMalformed},
		{"agile wrong root", replaceInfo(agInfo, "<encryption xmlns=", "<decryption xmlns="), agPkg, DefaultPassword, ErrMalformed},
		{"agile no keyData", replaceInfo(agInfo, "<keyData ", "<keyDatum "), agPkg, DefaultPassword, ErrMalformed},
		{"agile 3DES", replaceInfo(agInfo, `cipherAlgorithm="AES"`, `cipherAlgorithm="3DES"`), agPkg, DefaultPassword, ErrUnsupported},
		{"agile CFB", replaceInfo(agInfo, `cipherChaining="ChainingModeCBC"`, `cipherChaining="ChainingModeCFB"`), agPkg, DefaultPassword, ErrUnsupported},
		{"agile WHIRLPOOL", replaceInfo(agInfo, `hashAlgorithm="SHA512"`, `hashAlgorithm="WHIRLPOOL"`), agPkg, DefaultPassword, ErrUnsupported},
		{"agile AES key of 100 bits", replaceInfo(agInfo, `keyBits="256"`, `keyBits="100"`), agPkg, DefaultPassword, ErrMalformed},
		{"agile spinCount above our cap", replaceInfo(agInfo, `spinCount="10"`, `spinCount="2000000"`), agPkg, DefaultPassword, ErrUnsupported},
		{"agile spinCount above the spec", replaceInfo(agInfo, `spinCount="10"`, `spinCount="20000000"`), agPkg, DefaultPassword, ErrMalformed},
		{"agile spinCount not a number", replaceInfo(agInfo, `spinCount="10"`, `spinCount="ten"`), agPkg, DefaultPassword, ErrMalformed},
		{"agile certificate only", replaceInfo(agInfo, `<p:encryptedKey `, `<c:encryptedKey `), agPkg, DefaultPassword, ErrUnsupported},
		{"agile bad base64", replaceInfo(agInfo, `encryptedKeyValue="`, `encryptedKeyValue="!!`), agPkg, DefaultPassword, ErrMalformed},
		{"agile short verifier input", replaceInfo(agInfo, `encryptedVerifierHashInput="`, `encryptedVerifierHashInput="AAAA`), agPkg, DefaultPassword, ErrMalformed},
		{"agile entity bomb is not expanded", append([]byte{4, 0, 4, 0, 0x40, 0, 0, 0}, `<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">&b;</encryption>`...), agPkg, DefaultPassword, ErrMalformed},

		{"package under 8 bytes", agInfo, agPkg[:7], DefaultPassword, ErrMalformed},
		{"package declares more than it holds", agInfo, setSize(agPkg, 1<<40), DefaultPassword, ErrMalformed},
		{"package ciphertext truncated", agInfo, agPkg[:len(agPkg)-1], DefaultPassword, ErrMalformed},

		{"standard header size beyond the stream", setU32(stInfo, 8, 1<<31), stPkg, DefaultPassword, ErrMalformed},
		{"standard header size too small", setU32(stInfo, 8, 8), stPkg, DefaultPassword, ErrMalformed},
		{"standard RC4", setU32(stInfo, 12+8, algRC4), stPkg, DefaultPassword, ErrUnsupported},
		{"standard external provider", setU32(stInfo, 12, flagCryptoAPI|flagAES|flagExternal), stPkg, DefaultPassword, ErrUnsupported},
		{"standard MD5 hash", setU32(stInfo, 12+12, 0x8003), stPkg, DefaultPassword, ErrUnsupported},
		{"standard key size mismatch", setU32(stInfo, 12+16, 256), stPkg, DefaultPassword, ErrMalformed},
		{"standard salt size 20", setU32(stInfo, len(stInfo)-72, 20), stPkg, DefaultPassword, ErrMalformed},
		{"standard verifier truncated", stInfo[:len(stInfo)-20], stPkg, DefaultPassword, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := DecryptPackage(c.info, bytes.NewReader(c.pkg), int64(len(c.pkg)), c.password, &out)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), agPlain) {
					t.Fatalf("decrypted %d bytes differ from the %d plain bytes", out.Len(), len(agPlain))
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written on error", out.Len())
			}
			if len(err.Error()) > 200 {
				t.Errorf("error text of %d bytes: %.200s", len(err.Error()), err)
			}
		})
	}

	t.Run("writer error", func(t *testing.T) {
		err := DecryptPackage(agInfo, bytes.NewReader(agPkg), int64(len(agPkg)), DefaultPassword, failWriter{})
		if !errors.Is(err, errWrite) {
			t.Fatalf("err = %v, want the writer's error", err)
		}
	})
}

func TestDescribeEncryption(t *testing.T) {
	agInfo, _, _ := testAgile(t, DefaultPassword)
	sha1Info, _ := encryptAgile([]byte("x"), "p", agileSpec{128, "SHA1", 1}, testRand(1))
	st128, _ := encryptStandard([]byte("x"), "p", 128, testRand(2))
	st256, _ := encryptStandard([]byte("x"), "p", 256, testRand(3))
	cases := []struct {
		info []byte
		want string
	}{
		{agInfo, "agile AES-256 SHA-512"},
		{sha1Info, "agile AES-128 SHA-1"},
		{replaceInfo(agInfo, `cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue`, `cipherAlgorithm="3DES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA384" saltValue`), "agile 3DES-256 SHA-384"},
		{replaceInfo(agInfo, `<keyData `, `<keyDatum `), "agile (malformed)"},
		{st128, "standard AES-128 SHA-1"},
		{st256, "standard AES-256 SHA-1"},
		{st128[:30], "standard (version 3.2, malformed)"},
		{[]byte{4, 0, 3, 0}, "extensible (version 4.3)"},
		{[]byte{1, 0, 1, 0}, "unknown (version 1.1)"},
		{[]byte{4, 0}, "unknown (truncated)"},
		{nil, "unknown (truncated)"},
	}
	for _, c := range cases {
		if got := DescribeEncryption(c.info); got != c.want {
			t.Errorf("DescribeEncryption(%.20q) = %q, want %q", c.info, got, c.want)
		}
	}
}

// Known-answer tests from the worked examples of msoffcrypto-tool's
// documentation (password Password1234_): they pin the key derivations to
// an implementation other than ours.
func TestStandardKeyKnownAnswer(t *testing.T) {
	info := &standardInfo{
		salt:            unhex("e882 6649 0c5b d1ee bd2b 4394 e3f8 30ef"),
		encVerifier:     []byte("Qos.\x96o\xac\x17\xb1\xc5\xd7\xd8\xcc6\xc9("),
		encVerifierHash: []byte("+ah\xda\xbe)\x11\xad+\xd3|\x17Ft\\\x14\xd3\xcf\x1b\xb1@\xa4\x8fNo=#\x88\x08r\xb1j"),
	}
	key, err := standardKey(info, 128, "Password1234_")
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte("@\xb1:q\xf9\x0b\x96n7T\x08\xf2\xd1\x81\xa1\xaa"); !bytes.Equal(key, want) {
		t.Fatalf("key = %x, want %x", key, want)
	}
	if _, err := standardKey(info, 128, "Password1234"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: err = %v", err)
	}
}

func TestAgileKeyKnownAnswer(t *testing.T) {
	// The intermediate-key example: encryptedKeyValue under a SHA-512,
	// 100000-round, 256-bit password key encryptor. Its verifier values are
	// not part of the example, so only the key derivation is compared.
	salt := []byte("Lr]E\xdca\x0f\x93\x94\x12\xa0M\xa7\x91\x04f")
	encKV := []byte("\xa1l\xd5\x16Zz\xb9\xd2q\x11>\xd3\x86\xa7\x8c\xf4\x96\x92\xe8\xe5'\xb0\xc5\xfc\x00U\xed\x08\x0b|\xb9K")
	h := hashByID("SHA512")
	hn := spinHash(h, salt, utf16le("Password1234_"), 100000)
	kek := fitKey(sum(h, hn, blockKeyValue), 32)
	key, err := cbcDecrypt(kek, salt, encKV, "encryptedKeyValue")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("@ f\t\xd9\xfa\xad\xf2K\x07j\xeb\xf2\xc45\xb7B\x92\xc8\xb8\xa7\xaa\x81\xbcg\x9b\xe8\x97\x11\xb0*\xc2")
	if !bytes.Equal(key, want) {
		t.Fatalf("key = %x, want %x", key, want)
	}
}

func TestSpinHashMatchesNaive(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, h := range hashAlgs {
		for _, spin := range []int{0, 1, 1000} {
			got := spinHash(h, salt, utf16le("pässwörd"), uint32(spin))
			want := naiveSpin(h, salt, "pässwörd", spin)
			if !bytes.Equal(got, want) {
				t.Errorf("%s spin %d: %x, want %x", h.id, spin, got, want)
			}
		}
	}
}

func TestSpinHashDoesNotAllocatePerRound(t *testing.T) {
	h := hashByID("SHA512")
	salt := make([]byte, 16)
	pw := utf16le(DefaultPassword)
	a1 := testing.AllocsPerRun(5, func() { spinHash(h, salt, pw, 10) })
	a2 := testing.AllocsPerRun(5, func() { spinHash(h, salt, pw, 1000) })
	if a2 > a1 {
		t.Errorf("allocations grow with the spin count: %v for 10 rounds, %v for 1000", a1, a2)
	}
}
