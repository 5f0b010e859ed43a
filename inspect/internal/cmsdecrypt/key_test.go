package cmsdecrypt

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPEM(t *testing.T) {
	tests := []struct {
		cert, key string
		rsa       bool
	}{
		{"rsa.crt", "rsa.key", true},                   // PKCS#8
		{"rsa.crt", "rsa-pkcs1.key", true},             // PKCS#1
		{"rsa-combined.pem", "rsa-combined.pem", true}, // one file
		{"p256.crt", "p256.key", false},                // PKCS#8
		{"p256.crt", "p256-sec1.key", false},           // SEC 1
		{"p384.crt", "p384.key", false},
	}
	for _, tt := range tests {
		k := loadKey(t, tt.cert, tt.key)
		switch k.Private.(type) {
		case *rsa.PrivateKey:
			if !tt.rsa {
				t.Errorf("%s: RSA key", tt.key)
			}
		case *ecdsa.PrivateKey:
			if tt.rsa {
				t.Errorf("%s: EC key", tt.key)
			}
		}
		if len(k.ski) == 0 {
			t.Errorf("%s: no subject key identifier", tt.cert)
		}
	}
	// a chain: the matching certificate is found after a foreign one
	chain := append(readFile(t, "other.crt"), readFile(t, "p256.crt")...)
	if k, err := LoadPEM(chain, readFile(t, "p256.key")); err != nil || !strings.Contains(k.Cert.Subject.CommonName, "P-256") {
		t.Errorf("chain: %v", err)
	}
}

func TestLoadPEMErrors(t *testing.T) {
	tests := []struct {
		name      string
		cert, key []byte
		want      string
	}{
		{"mismatch", readFile(t, "rsa.crt"), readFile(t, "other.key"), "does not belong"},
		{"no key", readFile(t, "rsa.crt"), nil, "no private key"},
		{"no cert", nil, readFile(t, "rsa.key"), "no certificate"},
		{"two keys", readFile(t, "rsa.crt"), append(readFile(t, "rsa.key"), readFile(t, "other.key")...), "2 private keys"},
		{"encrypted", readFile(t, "rsa.crt"), []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), "encrypted"},
		{"garbage cert", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), readFile(t, "rsa.key"), "certificate"},
	}
	for _, tt := range tests {
		_, err := LoadPEM(tt.cert, tt.key)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "org.key")
	if err := os.WriteFile(path, readFile(t, "rsa-combined.pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckKeyFile(path); err != nil {
		t.Errorf("0600: %v", err)
	}
	if _, err := LoadFiles(path, path); err != nil {
		t.Errorf("LoadFiles: %v", err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		err := CheckKeyFile(path)
		if !errors.Is(err, ErrKeyFileMode) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %o: %v", mode, err)
		}
		if _, err := LoadFiles(path, path); !errors.Is(err, ErrKeyFileMode) {
			t.Errorf("LoadFiles mode %o: %v", mode, err)
		}
	}
	if err := CheckKeyFile(filepath.Join(dir, "missing.key")); err == nil {
		t.Error("missing file accepted")
	}
}

// A Key built by hand may be incomplete; Decrypt skips it instead of
// panicking.
func TestIncompleteKeys(t *testing.T) {
	k := loadKey(t, "rsa.crt", "rsa.key")
	der := readFile(t, "rsa-keyid.der")
	for _, bad := range []Key{{}, {Private: k.Private}, {Cert: k.Cert}, {Cert: k.Cert, Private: (*rsa.PrivateKey)(nil)}} {
		if _, _, err := decryptBytes(der, []Key{bad}); !errors.Is(err, ErrNotForUs) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	// without NewKey the subject key identifier comes from the certificate
	if _, _, err := decryptBytes(der, []Key{{Cert: k.Cert, Private: k.Private}}); err != nil {
		t.Errorf("hand-built key: %v", err)
	}
}
