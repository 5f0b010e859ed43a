package cmsdecrypt

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkDecrypt decrypts a 100 KiB message for an RSA-2048 and a P-256
// recipient, with AES-256-CBC (what current mail clients send) and
// DES-EDE3-CBC (openssl 3.0's default); MB/s is plaintext.
func BenchmarkDecrypt(b *testing.B) {
	keys := allKeys(b)
	plain := readFile(b, "big.txt")
	for _, bc := range []struct{ name, file string }{
		{"rsa-2048/aes-256-cbc", "big-rsa-aes256.der"},
		{"p256/aes-256-cbc", "big-p256-aes256.der"},
		{"rsa-2048/des-ede3-cbc", "big-rsa.der"},
		{"p256/des-ede3-cbc", "big-p256.der"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			der := readFile(b, bc.file)
			r := bytes.NewReader(der)
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decrypt(r, int64(len(der)), keys, io.Discard, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
