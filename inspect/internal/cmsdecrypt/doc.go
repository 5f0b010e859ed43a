// Package cmsdecrypt decrypts S/MIME (CMS) encrypted content with the
// organisation's own keys, so that the inner message can be inspected like
// any other instead of being reported as `encrypted`.
//
// It owns the CMS EnvelopedData (RFC 5652 6) and AuthEnvelopedData
// (RFC 5083) structures in DER or BER, the recipient infos for RSA key
// transport (PKCS#1 v1.5, RSAES-OAEP) and ECDH key agreement (RFC 5753) on
// P-256 and P-384, the key wraps those use (RFC 3394, RFC 3217), and the
// content ciphers AES-CBC (RFC 3565), DES-EDE3-CBC (RFC 3370 5.1) and
// AES-GCM (RFC 5084). It also loads keys from PEM files and refuses key
// files others can read.
//
// It does not know MIME, findings, policy, configuration or logging: the
// caller unwraps the application/pkcs7-mime part, hands the DER/BER bytes
// here, and decides what an error means (ErrNotForUs: the message stays
// `encrypted`; anything else: `unscannable`). It does not verify
// signatures and does not trust certificates: a Key is whatever the site
// configured.
package cmsdecrypt
