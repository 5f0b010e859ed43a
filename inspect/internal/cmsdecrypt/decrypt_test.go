package cmsdecrypt

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fixtures come from testdata/gen.sh (openssl cms); README.md there lists
// the commands.

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadKey(t testing.TB, cert, key string) Key {
	t.Helper()
	k, err := LoadPEM(readFile(t, cert), readFile(t, key))
	if err != nil {
		t.Fatalf("LoadPEM(%s, %s): %v", cert, key, err)
	}
	return k
}

func allKeys(t testing.TB) []Key {
	return []Key{
		loadKey(t, "rsa.crt", "rsa.key"),
		loadKey(t, "p256.crt", "p256.key"),
		loadKey(t, "p384.crt", "p384.key"),
	}
}

// smimeBody returns the DER of an S/MIME message's application/pkcs7-mime
// body, decoding the base64 with the standard library (net/mail).
func smimeBody(t testing.TB, raw []byte) []byte {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "application/pkcs7-mime" || params["smime-type"] == "" {
		t.Fatalf("content type %q %v: %v", mt, params, err)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); !strings.EqualFold(cte, "base64") {
		t.Fatalf("transfer encoding %q", cte)
	}
	der, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, newlineStripper{msg.Body}))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

func decryptBytes(der []byte, keys []Key) ([]byte, Info, error) {
	var out bytes.Buffer
	info, err := Decrypt(bytes.NewReader(der), int64(len(der)), keys, &out, Limits{})
	return out.Bytes(), info, err
}

func TestDecryptFixtures(t *testing.T) {
	keys := allKeys(t)
	plain := readFile(t, "msg.eml")
	tests := []struct {
		file      string
		transport string
		cipher    string
		key       int
		recipient int
	}{
		{"rsa-default.der", "rsa-pkcs1v15", "des-ede3-cbc", 0, 0},
		{"rsa-default.smime", "rsa-pkcs1v15", "des-ede3-cbc", 0, 0},
		{"rsa-aes128.der", "rsa-pkcs1v15", "aes-128-cbc", 0, 0},
		{"rsa-aes256.der", "rsa-pkcs1v15", "aes-256-cbc", 0, 0},
		{"rsa-des3.der", "rsa-pkcs1v15", "des-ede3-cbc", 0, 0},
		{"rsa-oaep.der", "rsaes-oaep-sha1-mgf1-sha1", "des-ede3-cbc", 0, 0},
		{"rsa-oaep256.der", "rsaes-oaep-sha256-mgf1-sha256", "des-ede3-cbc", 0, 0},
		{"rsa-keyid.der", "rsa-pkcs1v15", "des-ede3-cbc", 0, 0},
		{"rsa-gcm.der", "rsa-pkcs1v15", "aes-256-gcm", 0, 0},
		{"rsa-gcm.smime", "rsa-pkcs1v15", "aes-256-gcm", 0, 0},
		{"rsa-stream.der", "rsa-pkcs1v15", "des-ede3-cbc", 0, 0},
		{"rsa-stream.smime", "rsa-pkcs1v15", "des-ede3-cbc", 0, 0},
		{"rsa-gcm-stream.der", "rsa-pkcs1v15", "aes-128-gcm", 0, 0},
		{"two-recipients.der", "rsa-pkcs1v15", "des-ede3-cbc", 0, 1},
		{"p256.der", "ecdh-p256-stdDH-sha1kdf-3des-wrap", "des-ede3-cbc", 1, 0},
		{"p256.smime", "ecdh-p256-stdDH-sha1kdf-3des-wrap", "des-ede3-cbc", 1, 0},
		{"p256-keyid.der", "ecdh-p256-stdDH-sha1kdf-3des-wrap", "des-ede3-cbc", 1, 0},
		{"p256-gcm.der", "ecdh-p256-stdDH-sha1kdf-aes128-wrap", "aes-128-gcm", 1, 0},
		{"p256-sha256kdf.der", "ecdh-p256-stdDH-sha256kdf-aes256-wrap", "aes-256-cbc", 1, 0},
		{"p384.der", "ecdh-p384-stdDH-sha1kdf-aes192-wrap", "aes-192-cbc", 2, 0},
		{"p384-stream.der", "ecdh-p384-stdDH-sha1kdf-3des-wrap", "des-ede3-cbc", 2, 0},
		{"p384-sha512kdf.der", "ecdh-p384-stdDH-sha512kdf-aes256-wrap", "aes-256-cbc", 2, 0},
		// DER sorts the SET OF RecipientInfo: other, RSA, P-256, P-384.
		{"mixed.der", "rsa-pkcs1v15", "des-ede3-cbc", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			der := readFile(t, tt.file)
			if strings.HasSuffix(tt.file, ".smime") {
				der = smimeBody(t, der)
			}
			got, info, err := decryptBytes(der, keys)
			if err != nil {
				t.Fatalf("Decrypt: %v (info %+v)", err, info)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("plaintext differs:\n%q\nwant\n%q", got, plain)
			}
			if info.KeyTransport != tt.transport || info.ContentCipher != tt.cipher || info.Key != tt.key || info.Recipient != tt.recipient {
				t.Errorf("info %+v, want transport %s cipher %s key %d recipient %d", info, tt.transport, tt.cipher, tt.key, tt.recipient)
			}
			if info.Written != int64(len(plain)) || info.InnerContentType != "data" {
				t.Errorf("info %+v", info)
			}
		})
	}
}

func TestDecryptOnlyOneKey(t *testing.T) {
	// mixed.der names (in DER SET OF order) other, RSA, P-256 and P-384:
	// each key alone finds its own recipient.
	der := readFile(t, "mixed.der")
	for i, k := range allKeys(t) {
		_, info, err := decryptBytes(der, []Key{k})
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if want := []int{1, 2, 3}[i]; info.Recipient != want || info.Recipients != 4 {
			t.Errorf("key %d: info %+v, want recipient %d of 4", i, info, want)
		}
	}
}

func TestDecryptErrors(t *testing.T) {
	keys := allKeys(t)
	other := loadKey(t, "other.crt", "other.key")
	rsa := readFile(t, "rsa-default.der")
	p256 := readFile(t, "p256-sha256kdf.der")
	p256Key := keys[1]
	otherP256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256Key.Private = otherP256
	tests := []struct {
		name string
		der  []byte
		keys []Key
		want error
	}{
		{"not for us", readFile(t, "not-for-us.der"), keys, ErrNotForUs},
		{"no keys", rsa, nil, ErrNotForUs},
		{"truncated", readFile(t, "truncated.der"), keys, ErrMalformed},
		{"gcm flipped", readFile(t, "gcm-flipped.der"), keys, ErrDecrypt},
		{"wrong EC key", p256, []Key{p256Key}, ErrDecrypt},
		{"empty", nil, keys, ErrMalformed},
		{"plain text", []byte("Hello, world\r\n"), keys, ErrMalformed},
		{"signed data", mustHex("3011" + "06092a864886f70d010702" + "a0043002" + "0500"), keys, ErrUnsupported},
		// The right identifier with the wrong private key: the RSA key of
		// "someone else" carried under our certificate. GCM makes the
		// failure certain; with CBC a random content key passes the padding
		// check about once in 256 tries.
		{"wrong private key gcm", readFile(t, "rsa-gcm.der"), []Key{{Cert: keys[0].Cert, Private: other.Private, ski: keys[0].ski}}, ErrDecrypt},
		{"wrong private key oaep", readFile(t, "rsa-oaep256.der"), []Key{{Cert: keys[0].Cert, Private: other.Private, ski: keys[0].ski}}, ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := decryptBytes(tt.der, tt.keys)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrDecrypt) && strings.Contains(tt.name, "gcm") && len(out) != 0 {
				t.Errorf("GCM wrote %d bytes before the tag verified", len(out))
			}
		})
	}
}

// Every prefix of a message and every single-byte change must give an
// error or the plaintext, never a panic or a hang.
func TestDecryptCorruptions(t *testing.T) {
	keys := allKeys(t)
	for _, name := range []string{"rsa-stream.der", "p256-gcm.der", "p384.der"} {
		der := readFile(t, name)
		for n := range len(der) {
			if _, _, err := decryptBytes(der[:n], keys); err == nil {
				t.Fatalf("%s cut to %d bytes decrypted", name, n)
			}
		}
		mod := make([]byte, len(der))
		for i := range der {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				copy(mod, der)
				mod[i] ^= x
				decryptBytes(mod, keys)
			}
		}
	}
}

func TestLimits(t *testing.T) {
	keys := allKeys(t)
	der := readFile(t, "rsa-gcm.der")
	var out bytes.Buffer
	_, err := Decrypt(bytes.NewReader(der), int64(len(der)), keys, &out, Limits{MaxBuffered: 16})
	if !errors.Is(err, ErrLimit) || out.Len() != 0 {
		t.Errorf("MaxBuffered: err %v, %d bytes written", err, out.Len())
	}
	der = readFile(t, "rsa-stream.der")
	_, err = Decrypt(bytes.NewReader(der), int64(len(der)), keys, &out, Limits{MaxElements: 10})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("MaxElements: err %v", err)
	}
}

func mustHex(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'a') + 10
			}
		}
		b[i] = v
	}
	return b
}
