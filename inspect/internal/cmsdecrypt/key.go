package cmsdecrypt

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Key is one of the organisation's decryption keys: a certificate, which
// names the recipient in a message, and its private key.
type Key struct {
	Cert *x509.Certificate
	// Private is an *rsa.PrivateKey or an *ecdsa.PrivateKey on P-256 or
	// P-384, matching Cert's public key.
	Private crypto.PrivateKey

	ski []byte // subject key identifier: the extension, else RFC 5280 4.2.1.2 (1)
}

// ErrKeyFileMode is wrapped by CheckKeyFile's error for a private key file
// that others can read.
var ErrKeyFileMode = errors.New("private key file readable by group or others")

// NewKey pairs a certificate with its private key and checks that they
// belong together and that the key is one Decrypt can use.
func NewKey(cert *x509.Certificate, priv crypto.PrivateKey) (Key, error) {
	if cert == nil {
		return Key{}, errors.New("cmsdecrypt: no certificate")
	}
	var pub crypto.PublicKey
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if err := k.Validate(); err != nil {
			return Key{}, fmt.Errorf("cmsdecrypt: RSA key: %w", err)
		}
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return Key{}, fmt.Errorf("cmsdecrypt: EC key on %s: only P-256 and P-384 are supported", k.Curve.Params().Name)
		}
		pub = &k.PublicKey
	default:
		return Key{}, fmt.Errorf("cmsdecrypt: private key of type %T: only RSA and ECDSA P-256/P-384 keys are supported", priv)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := pub.(equaler); !ok || !e.Equal(cert.PublicKey) {
		return Key{}, fmt.Errorf("cmsdecrypt: the private key does not belong to the certificate %q", cert.Subject)
	}
	k := Key{Cert: cert, Private: priv, ski: cert.SubjectKeyId}
	if len(k.ski) == 0 {
		// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
		var spki struct {
			Algorithm asn1.RawValue
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err == nil {
			s := sha1.Sum(spki.PublicKey.Bytes)
			k.ski = s[:]
		}
	}
	return k, nil
}

// LoadPEM reads a certificate and its private key from PEM. certPEM and
// keyPEM may be the same combined file; a certificate chain may follow
// (the certificate that matches the key is taken). Keys may be PKCS#1
// ("RSA PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") or unencrypted PKCS#8
// ("PRIVATE KEY").
func LoadPEM(certPEM, keyPEM []byte) (Key, error) {
	var certs []*x509.Certificate
	var keys []crypto.PrivateKey
	seen := map[string]bool{}
	for _, data := range [][]byte{certPEM, keyPEM} {
		for rest := data; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if seen[string(blk.Bytes)] { // the same combined file passed twice
				continue
			}
			seen[string(blk.Bytes)] = true
			switch blk.Type {
			case "CERTIFICATE":
				c, err := x509.ParseCertificate(blk.Bytes)
				if err != nil {
					return Key{}, fmt.Errorf("cmsdecrypt: certificate: %w", err)
				}
				certs = append(certs, c)
			case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY":
				if _, ok := blk.Headers["DEK-Info"]; ok {
					return Key{}, errors.New("cmsdecrypt: the private key is encrypted; store it unencrypted with mode 0600 (openssl pkey -in KEY -out KEY.plain)")
				}
				k, err := parseKey(blk)
				if err != nil {
					return Key{}, err
				}
				keys = append(keys, k)
			case "ENCRYPTED PRIVATE KEY":
				return Key{}, errors.New("cmsdecrypt: the private key is encrypted; store it unencrypted with mode 0600 (openssl pkey -in KEY -out KEY.plain)")
			}
		}
	}
	switch {
	case len(keys) == 0:
		return Key{}, errors.New("cmsdecrypt: no private key in the PEM data")
	case len(keys) > 1:
		return Key{}, fmt.Errorf("cmsdecrypt: %d private keys in the PEM data; configure one key per certificate", len(keys))
	case len(certs) == 0:
		return Key{}, errors.New("cmsdecrypt: no certificate in the PEM data")
	}
	var firstErr error
	for _, c := range certs {
		k, err := NewKey(c, keys[0])
		if err == nil {
			return k, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return Key{}, firstErr
}

func parseKey(blk *pem.Block) (crypto.PrivateKey, error) {
	var k crypto.PrivateKey
	var err error
	switch blk.Type {
	case "RSA PRIVATE KEY": // RFC 8017 A.1.2
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY": // RFC 5915 (SEC 1 C.4)
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	default: // RFC 5208 / RFC 5958
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("cmsdecrypt: private key: %w", err)
	}
	if e, ok := k.(*ecdh.PrivateKey); ok { // PKCS#8 X25519 and the like
		return nil, fmt.Errorf("cmsdecrypt: private key of type %T: only RSA and ECDSA P-256/P-384 keys are supported", e)
	}
	return k, nil
}

// LoadFiles checks the key file's mode (CheckKeyFile) and loads the pair
// with LoadPEM. certFile and keyFile may name the same combined file.
func LoadFiles(certFile, keyFile string) (Key, error) {
	if err := CheckKeyFile(keyFile); err != nil {
		return Key{}, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return Key{}, fmt.Errorf("cmsdecrypt: %w", err)
	}
	certPEM := keyPEM
	if certFile != keyFile {
		if certPEM, err = os.ReadFile(certFile); err != nil {
			return Key{}, fmt.Errorf("cmsdecrypt: %w", err)
		}
	}
	k, err := LoadPEM(certPEM, keyPEM)
	if err != nil {
		return Key{}, fmt.Errorf("%w (%s)", err, keyFile)
	}
	return k, nil
}

// CheckKeyFile refuses a private key file that its group or others may
// read or write (mode & 0o077 != 0): the organisation's decryption key must
// be readable by the service user only.
func CheckKeyFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cmsdecrypt: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("cmsdecrypt: key file %s is not a regular file", path)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("cmsdecrypt: key file %s has mode %04o: %w; run `chmod 600 %s`", path, m, ErrKeyFileMode, path)
	}
	return nil
}

// matchesIssuerSerial reports whether an IssuerAndSerialNumber
// (RFC 5652 10.2.4) names this key's certificate.
func (k *Key) matchesIssuerSerial(issuer, serial []byte) bool {
	want, err := asn1.Marshal(k.Cert.SerialNumber)
	return err == nil && bytes.Equal(issuer, k.Cert.RawIssuer) && bytes.Equal(serial, want)
}

func (k *Key) matchesSKI(ski []byte) bool {
	own := k.ski
	if len(own) == 0 { // a Key built without NewKey
		own = k.Cert.SubjectKeyId
	}
	return len(ski) > 0 && bytes.Equal(ski, own)
}

// rsaKey and ecKey return the private key when it is of that kind and the
// Key can be used; a Key built by hand may be incomplete.
func (k *Key) rsaKey() *rsa.PrivateKey {
	p, _ := k.Private.(*rsa.PrivateKey)
	if k.Cert == nil || p == nil {
		return nil
	}
	return p
}

func (k *Key) ecKey() *ecdsa.PrivateKey {
	p, _ := k.Private.(*ecdsa.PrivateKey)
	if k.Cert == nil || p == nil || (p.Curve != elliptic.P256() && p.Curve != elliptic.P384()) {
		return nil
	}
	return p
}
