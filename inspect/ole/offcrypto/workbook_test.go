package offcrypto

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"testing"
)

func record(typ uint16, data []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, typ)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// withFilePass builds "BOF, FILEPASS(fp), rest..." with a BIFF8 BOF.
func withFilePass(fp []byte, rest ...[]byte) []byte {
	b := bof(0x0005)
	out := record(b.typ, b.data)
	out = append(out, record(rtFilePass, fp)...)
	for _, r := range rest {
		out = append(out, r...)
	}
	return out
}

func TestDecryptWorkbook(t *testing.T) {
	methods := []string{"rc4", "cryptoapi", "cryptoapi40", "xor"}
	for i, m := range methods {
		plain, enc := encryptedWorkbook(m, DefaultPassword, testRand(uint64(100+i)))
		t.Run(m, func(t *testing.T) {
			var out bytes.Buffer
			if err := DecryptWorkbook(bytes.NewReader(enc), int64(len(enc)), DefaultPassword, &out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), plain) {
				t.Fatal("decrypted stream differs from the plain one")
			}
			if bytes.Equal(enc, plain) {
				t.Fatal("the encryptor did not encrypt")
			}
		})
		t.Run(m+" wrong password", func(t *testing.T) {
			var out bytes.Buffer
			err := DecryptWorkbook(bytes.NewReader(enc), int64(len(enc)), "VelvetSweatshoP", &out)
			if !errors.Is(err, ErrWrongPassword) || out.Len() != 0 {
				t.Fatalf("err = %v, %d bytes written; want ErrWrongPassword and nothing", err, out.Len())
			}
		})
		t.Run(m+" trailing bytes", func(t *testing.T) {
			in := append(append([]byte{}, enc...), 0xAB, 0xCD, 0xEF)
			var out bytes.Buffer
			if err := DecryptWorkbook(bytes.NewReader(in), int64(len(in)), DefaultPassword, &out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), append(append([]byte{}, plain...), 0xAB, 0xCD, 0xEF)) {
				t.Fatal("trailing bytes not copied as they are")
			}
		})
		t.Run(m+" record overruns the stream", func(t *testing.T) {
			in := append(append([]byte{}, enc...), 0x06, 0x00, 0x20, 0x00, 1, 2, 3)
			var out bytes.Buffer
			err := DecryptWorkbook(bytes.NewReader(in), int64(len(in)), DefaultPassword, &out)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if out.Len() != len(in) || !bytes.Equal(out.Bytes()[:len(plain)], plain) {
				t.Fatalf("wrote %d of %d bytes; the records before the bad one must be decrypted", out.Len(), len(in))
			}
		})
	}

	rc4FP, _ := xlsRC4(DefaultPassword, testRand(1))
	capiFP, _ := xlsCryptoAPI(DefaultPassword, 128, testRand(2))
	xorFP, _ := xlsXOR(DefaultPassword)
	setU32 := func(b []byte, off int, v uint32) []byte {
		c := append([]byte{}, b...)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	biff5 := record(rtBOF, []byte{0x00, 0x05, 0x05, 0x00})
	cases := []struct {
		name     string
		stream   []byte
		password string
		want     error
	}{
		{"empty", nil, DefaultPassword, ErrMalformed},
		{"no BOF", record(0x0042, []byte{0xB0, 0x04}), DefaultPassword, ErrMalformed},
		{"BOF without version", record(rtBOF, nil), DefaultPassword, ErrMalformed},
		{"BIFF5", append(biff5, record(rtFilePass, []byte{1, 2, 3, 4})...), DefaultPassword, ErrUnsupported},
		{"no FILEPASS", plainWorkbook(nil), DefaultPassword, ErrMalformed},
		{"first record overruns", []byte{0x09, 0x08, 0xff, 0xff, 0, 6}, DefaultPassword, ErrMalformed},
		{"FILEPASS type 2", withFilePass([]byte{2, 0, 0, 0, 0, 0}), DefaultPassword, ErrUnsupported},
		{"FILEPASS of 3 bytes", withFilePass([]byte{1, 0, 1}), DefaultPassword, ErrMalformed},
		{"RC4 version 1.2", withFilePass(append([]byte{1, 0, 1, 0, 2, 0}, rc4FP[6:]...)), DefaultPassword, ErrUnsupported},
		{"RC4 truncated", withFilePass(rc4FP[:30]), DefaultPassword, ErrMalformed},
		{"CryptoAPI header size beyond the record", withFilePass(setU32(capiFP, 10, 1<<30)), DefaultPassword, ErrMalformed},
		{"CryptoAPI header size 4", withFilePass(setU32(capiFP, 10, 4)), DefaultPassword, ErrMalformed},
		{"CryptoAPI AES", withFilePass(setU32(capiFP, 14+8, algAES128)), DefaultPassword, ErrUnsupported},
		{"CryptoAPI MD5", withFilePass(setU32(capiFP, 14+12, 0x8003)), DefaultPassword, ErrUnsupported},
		{"CryptoAPI 12-bit key", withFilePass(setU32(capiFP, 14+16, 12)), DefaultPassword, ErrMalformed},
		{"CryptoAPI 256-bit key", withFilePass(setU32(capiFP, 14+16, 256)), DefaultPassword, ErrMalformed},
		{"CryptoAPI salt size 8", withFilePass(setU32(capiFP, len(capiFP)-60, 8)), DefaultPassword, ErrMalformed},
		{"CryptoAPI verifier truncated", withFilePass(capiFP[:len(capiFP)-1]), DefaultPassword, ErrMalformed},
		{"XOR truncated", withFilePass(xorFP[:4]), DefaultPassword, ErrMalformed},
		{"XOR password over 15 characters", withFilePass(xorFP), "VelvetSweatshop1", ErrWrongPassword},
		{"XOR empty password", withFilePass(xorFP), "", ErrWrongPassword},
		{"RC4 wrong password", withFilePass(rc4FP), "Password", ErrWrongPassword},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := DecryptWorkbook(bytes.NewReader(c.stream), int64(len(c.stream)), c.password, &out)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written on error", out.Len())
			}
		})
	}
}

// TestDecryptWorkbookClearRecords: records before FILEPASS, the
// never-encrypted records and BoundSheet8.lbPlyPos pass unchanged, and the
// keystream still advances over them.
func TestDecryptWorkbookClearRecords(t *testing.T) {
	fp, keyFor := xlsRC4(DefaultPassword, testRand(7))
	ks := rc4Keystream(4096, keyFor)
	secret := []byte("macro =EXEC(\"calc\")")
	b := bof(0x0005)
	var in []byte
	in = append(in, record(b.typ, b.data)...)
	in = append(in, record(0x0042, []byte{0xB0, 0x04})...) // CodePage before FILEPASS: clear
	in = append(in, record(rtFilePass, fp)...)
	clearRecs := map[int]bool{}
	for _, rt := range []uint16{rtInterfaceHdr, rtUsrExcl, rtFileLock, rtRRDInfo, rtRRDHead, rtBOF} {
		clearRecs[len(in)] = true
		in = append(in, record(rt, []byte("clear data"))...)
	}
	bsAt := len(in)
	in = append(in, record(rtBoundSheet8, append([]byte{0x11, 0x22, 0x33, 0x44}, secret...))...)
	fAt := len(in)
	in = append(in, record(0x0006, secret)...)
	// Encrypt the two encrypted parts with the stream-offset keystream.
	for i := range secret {
		in[bsAt+8+i] ^= ks[bsAt+8+i]
		in[fAt+4+i] ^= ks[fAt+4+i]
	}
	var out bytes.Buffer
	if err := DecryptWorkbook(bytes.NewReader(in), int64(len(in)), DefaultPassword, &out); err != nil {
		t.Fatal(err)
	}
	got := out.Bytes()
	if !bytes.Equal(got[:bsAt], in[:bsAt]) {
		t.Error("clear records changed")
	}
	if !bytes.Equal(got[bsAt+4:bsAt+8], []byte{0x11, 0x22, 0x33, 0x44}) {
		t.Error("lbPlyPos changed")
	}
	if !bytes.Equal(got[bsAt+8:bsAt+8+len(secret)], secret) || !bytes.Equal(got[fAt+4:], secret) {
		t.Errorf("encrypted data not decrypted: %q", got[fAt+4:])
	}
}

func TestDescribeWorkbook(t *testing.T) {
	for i, c := range []struct{ method, want string }{
		{"rc4", "RC4"}, {"cryptoapi", "RC4 CryptoAPI 128-bit"}, {"cryptoapi40", "RC4 CryptoAPI 40-bit"}, {"xor", "XOR obfuscation"},
	} {
		_, enc := encryptedWorkbook(c.method, DefaultPassword, testRand(uint64(i)))
		if got := DescribeWorkbook(bytes.NewReader(enc), int64(len(enc))); got != c.want {
			t.Errorf("%s: DescribeWorkbook = %q, want %q", c.method, got, c.want)
		}
	}
	if got := DescribeWorkbook(bytes.NewReader(nil), 0); got != "" {
		t.Errorf("empty stream: %q", got)
	}
}

// Known answers: the XOR verifier of VelvetSweatshop, and the RC4 key and
// verifier worked example of msoffcrypto-tool's documentation (password
// "password1").
func TestXORVerifierKnownAnswer(t *testing.T) {
	pw, _ := xorPassword(DefaultPassword)
	if v := xorVerifierMethod1(pw); v != 0x9A0A {
		t.Fatalf("verifier = %#04x, want 0x9a0a", v)
	}
}

func TestRC4KnownAnswer(t *testing.T) {
	salt := []byte("\xe8w,\x1d\x91\xc5j7\x96Ga\xb2\x80\x182\x17")
	keyFor := rc4KeyFunc(utf16le("password1"), salt)
	if got, want := keyFor(0, nil), []byte(" \xbf2\xdd\xf5@\x85\x8cQ7D\xaf\x0f$\xe0<"); !bytes.Equal(got, want) {
		t.Fatalf("block 0 key = %x, want %x", got, want)
	}
	s := newRC4Stream(keyFor)
	encVerifier := []byte("\xc9\xe9\x97\xd4T\x97=1\x0b\xb1\xbap\x14&\x83~")
	encHash := []byte("\xb1\xde\x17\x8f\x07\xe9\x89\xc4M\xae^L\xf9j\xc4\x07")
	if !s.verify(encVerifier, encHash, md5New) {
		t.Fatal("verifier of the worked example does not match")
	}
	if newRC4Stream(rc4KeyFunc(utf16le("password2"), salt)).verify(encVerifier, encHash, md5New) {
		t.Fatal("a wrong password verifies")
	}
}

func TestXORPassword(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"abc", []byte("abc"), true},
		{"123456789012345", []byte("123456789012345"), true},
		{"1234567890123456", nil, false},
		{"", nil, false},
		{"\u0100\u00e9", []byte{0x01, 0xe9}, true}, // low byte zero: the high byte
	}
	for _, c := range cases {
		got, ok := xorPassword(c.in)
		if ok != c.ok || !bytes.Equal(got, c.want) {
			t.Errorf("xorPassword(%q) = %x, %v; want %x, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

var md5New = md5.New
