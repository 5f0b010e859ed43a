package pdf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"
)

// aesEncrypt is the inverse of security.decrypt for AES: a fixed IV, then
// AES-CBC with PKCS#5 padding (ISO 32000-1 7.6.2).
func aesEncrypt(t testing.TB, key, plain []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	p := 16 - len(plain)%16
	padded := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(p)}, p)...)
	iv := bytes.Repeat([]byte{0x42}, 16)
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
	return append(iv, out...)
}

func TestKeyBytes(t *testing.T) {
	tests := []struct {
		v    object
		def  int
		want int
	}{
		{nil, 5, 5},
		{int64(40), 5, 5},
		{int64(128), 5, 16},
		{int64(16), 5, 16},
		{int64(256), 16, 16},
		{int64(-1), 16, 16},
		{name("x"), 16, 16},
	}
	for _, tt := range tests {
		if got := keyBytes(tt.v, tt.def); got != tt.want {
			t.Errorf("keyBytes(%v, %d) = %d, want %d", tt.v, tt.def, got, tt.want)
		}
	}
}

func TestSecurityLabel(t *testing.T) {
	tests := []struct {
		enc  dict
		want string
	}{
		{dict{{"Filter", name("Standard")}, {"V", int64(1)}, {"R", int64(2)}, {"O", str(make([]byte, 32))}, {"U", str(make([]byte, 32))}}, "R2 RC4-40"},
		{dict{{"Filter", name("Standard")}, {"V", int64(2)}, {"R", int64(3)}, {"Length", int64(128)}, {"O", str(make([]byte, 32))}, {"U", str(make([]byte, 32))}}, "R3 RC4-128"},
		{dict{{"Filter", name("Standard")}, {"V", int64(4)}, {"R", int64(4)}, {"StmF", name("StdCF")}, {"StrF", name("StdCF")},
			{"CF", dict{{"StdCF", dict{{"CFM", name("AESV2")}}}}}, {"O", str(make([]byte, 32))}, {"U", str(make([]byte, 32))}}, "R4 AESV2"},
		{dict{{"Filter", name("Standard")}, {"V", int64(5)}, {"R", int64(6)}, {"StmF", name("StdCF")}, {"StrF", name("StdCF")},
			{"CF", dict{{"StdCF", dict{{"CFM", name("AESV3")}}}}}, {"O", str(make([]byte, 48))}, {"U", str(make([]byte, 48))}, {"UE", str(make([]byte, 32))}}, "R6 AESV3"},
	}
	for _, tt := range tests {
		s := newSecurity(tt.enc, nil)
		if s.problem != "" {
			t.Errorf("%s: problem %s", tt.want, s.problem)
		}
		if got := s.label(); got != tt.want {
			t.Errorf("label %q, want %q", got, tt.want)
		}
		// Zero /O and /U never match a derived value.
		if s.openWithEmptyPassword() {
			t.Errorf("%s: opens with zero /U", tt.want)
		}
	}
}
