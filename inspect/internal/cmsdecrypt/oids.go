package cmsdecrypt

import (
	"crypto"
	"encoding/asn1"
)

// Object identifiers, each from the RFC named beside it.
var (
	// RFC 5652 4, 6.1; RFC 5083 1.
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidEnvelopedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3}
	oidEncryptedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidAuthEnvelopedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 23}

	// RFC 8017 A.2; RFC 4055 2.1, 3.1.
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAESOAEP     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 7}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidPSpecified    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 9}

	// RFC 5480 2.1.1.
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidP256        = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384        = asn1.ObjectIdentifier{1, 3, 132, 0, 34}

	// RFC 3565 4.1 (AES-CBC), 2.3.2 (AES key wrap); RFC 5084 3.2 (AES-GCM);
	// RFC 2630 12.4.1 (DES-EDE3-CBC), 12.6.2 / RFC 3217 (3DES key wrap).
	oidAES128CBC   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidAES128Wrap  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 5}
	oidAES192Wrap  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 25}
	oidAES256Wrap  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 45}
	oidAES128GCM   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 6}
	oidAES192GCM   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 26}
	oidAES256GCM   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 46}
	oidDESEDE3CBC  = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
	oidCMS3DESWrap = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 3, 6}
)

// hashes by OID: RFC 3279 2.2.1 (SHA-1), RFC 5754 2 (SHA-2).
var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
	name string
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1, "sha1"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, crypto.SHA224, "sha224"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256, "sha256"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384, "sha384"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512, "sha512"},
}

// ECDH key agreement schemes: RFC 5753 7.1.4 (and RFC 3278 8.2 for the
// SHA-1 ones). On P-256 and P-384 the cofactor is 1, so cofactor DH is the
// same computation as standard DH (SEC 1 3.3.2).
var kdfSchemes = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
	name string
}{
	{asn1.ObjectIdentifier{1, 3, 133, 16, 840, 63, 0, 2}, crypto.SHA1, "stdDH-sha1kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 11, 0}, crypto.SHA224, "stdDH-sha224kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 11, 1}, crypto.SHA256, "stdDH-sha256kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 11, 2}, crypto.SHA384, "stdDH-sha384kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 11, 3}, crypto.SHA512, "stdDH-sha512kdf"},
	{asn1.ObjectIdentifier{1, 3, 133, 16, 840, 63, 0, 3}, crypto.SHA1, "cofactorDH-sha1kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 14, 0}, crypto.SHA224, "cofactorDH-sha224kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 14, 1}, crypto.SHA256, "cofactorDH-sha256kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 14, 2}, crypto.SHA384, "cofactorDH-sha384kdf"},
	{asn1.ObjectIdentifier{1, 3, 132, 1, 14, 3}, crypto.SHA512, "cofactorDH-sha512kdf"},
}

// oidName names the OIDs that show up in errors and Info; others are
// given dotted.
func oidName(id asn1.ObjectIdentifier) string {
	named := []struct {
		oid  asn1.ObjectIdentifier
		name string
	}{
		{oidData, "data"}, {oidSignedData, "signedData"}, {oidEnvelopedData, "envelopedData"},
		{oidEncryptedData, "encryptedData"}, {oidAuthEnvelopedData, "authEnvelopedData"},
		{oidRSAEncryption, "rsaEncryption"}, {oidRSAESOAEP, "rsaesOAEP"}, {oidMGF1, "mgf1"},
		{oidECPublicKey, "ecPublicKey"},
		{oidAES128CBC, "aes-128-cbc"}, {oidAES192CBC, "aes-192-cbc"}, {oidAES256CBC, "aes-256-cbc"},
		{oidAES128GCM, "aes-128-gcm"}, {oidAES192GCM, "aes-192-gcm"}, {oidAES256GCM, "aes-256-gcm"},
		{oidAES128Wrap, "aes128-wrap"}, {oidAES192Wrap, "aes192-wrap"}, {oidAES256Wrap, "aes256-wrap"},
		{oidDESEDE3CBC, "des-ede3-cbc"}, {oidCMS3DESWrap, "cms3deswrap"},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 2}, "rc2-cbc"},
		{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 7}, "des-cbc"},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 3, 9}, "pwri-kek"},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 3, 18}, "chacha20-poly1305"},
	}
	for _, n := range named {
		if n.oid.Equal(id) {
			return n.name
		}
	}
	for _, h := range hashOIDs {
		if h.oid.Equal(id) {
			return h.name
		}
	}
	for _, s := range kdfSchemes {
		if s.oid.Equal(id) {
			return "dhSinglePass-" + s.name + "-scheme"
		}
	}
	return id.String()
}
