package mime

import "github.com/officemilter/officemilter/inspect/internal/cmsdecrypt"

// Key is a certificate with its private key (RSA, or ECDSA on P-256/P-384)
// that decrypts S/MIME enveloped content addressed to it (RFC 8551 3.3,
// RFC 5652 6, RFC 5083, RFC 5753). Limits.Keys hands them to the walk.
type Key = cmsdecrypt.Key

// LoadKey reads a PEM certificate and its PEM private key (PKCS#1, PKCS#8
// or SEC1; both may be in one file). It refuses a key file that its group
// or others can read: the organisation's decryption key is readable by
// officemilter alone.
func LoadKey(certFile, keyFile string) (Key, error) {
	return cmsdecrypt.LoadFiles(certFile, keyFile)
}
