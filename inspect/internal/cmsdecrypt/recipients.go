package cmsdecrypt

import (
	"crypto"
	"crypto/ecdh"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
)

// candidate is one recipient entry that names one of our keys.
type candidate struct {
	ri      int   // index in RecipientInfos
	key     int   // index in keys
	info    *elem // the KeyTransRecipientInfo or KeyAgreeRecipientInfo
	rek     *elem // the RecipientEncryptedKey (kari only)
	ridDesc string
}

// recoverKey finds the recipients that name one of keys and recovers the
// content-encryption key from the first that yields one. keyLen is the key
// length the content cipher needs (RSA PKCS#1 v1.5 needs it to stay
// constant time). At most attempts candidates are tried: a message may name
// our key many times to make us spend private-key operations.
func recoverKey(b *reader, ris *elem, keys []Key, keyLen, attempts int, info *Info) ([]byte, error) {
	var cands []candidate
	for i := range ris.kids {
		ri := &ris.kids[i]
		// RFC 5652 6.2: RecipientInfo ::= CHOICE { ktri KeyTransRecipientInfo,
		// kari [1] KeyAgreeRecipientInfo, kekri [2], pwri [3], ori [4] }
		switch {
		case ri.isSeq():
			// RFC 5652 6.2.1: KeyTransRecipientInfo ::= SEQUENCE { version,
			// rid RecipientIdentifier, keyEncryptionAlgorithm, encryptedKey }
			if len(ri.kids) != 4 {
				return nil, malformed("bad KeyTransRecipientInfo %d", i)
			}
			for ki := range keys {
				if keys[ki].rsaKey() == nil {
					continue
				}
				if d, ok := matchRID(b, &ri.kids[1], &keys[ki], false); ok {
					cands = append(cands, candidate{ri: i, key: ki, info: ri, ridDesc: d})
				}
			}
		case ri.ctx(1) && ri.constructed:
			// RFC 5652 6.2.2: KeyAgreeRecipientInfo ::= SEQUENCE { version,
			// originator [0] EXPLICIT, ukm [1] EXPLICIT OPTIONAL,
			// keyEncryptionAlgorithm, recipientEncryptedKeys SEQUENCE OF
			// RecipientEncryptedKey }
			n := len(ri.kids)
			if n < 4 || n > 5 || !ri.kids[n-1].isSeq() {
				return nil, malformed("bad KeyAgreeRecipientInfo %d", i)
			}
			reks := &ri.kids[n-1]
			for j := range reks.kids {
				rek := &reks.kids[j]
				if !rek.isSeq() || len(rek.kids) != 2 {
					return nil, malformed("bad RecipientEncryptedKey in recipient %d", i)
				}
				for ki := range keys {
					if keys[ki].ecKey() == nil {
						continue
					}
					if d, ok := matchRID(b, &rek.kids[0], &keys[ki], true); ok {
						cands = append(cands, candidate{ri: i, key: ki, info: ri, rek: rek, ridDesc: d})
					}
				}
			}
		default:
			// kekri, pwri, ori: a shared secret or password we do not hold.
		}
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%w (%d recipients)", ErrNotForUs, len(ris.kids))
	}
	var firstErr error
	for _, c := range cands[:min(len(cands), attempts)] {
		var cek []byte
		var how string
		var err error
		if c.rek == nil {
			cek, how, err = keyTrans(b, c.info, &keys[c.key], keyLen)
		} else {
			cek, how, err = keyAgree(b, c.info, c.rek, &keys[c.key], keyLen)
		}
		if err == nil {
			info.Recipient, info.Key, info.RecipientID, info.KeyTransport = c.ri, c.key, c.ridDesc, how
			return cek, nil
		}
		if firstErr == nil {
			firstErr = err
			info.Recipient, info.Key, info.RecipientID, info.KeyTransport = c.ri, c.key, c.ridDesc, how
		}
	}
	return nil, firstErr
}

// matchRID reports whether a RecipientIdentifier (RFC 5652 6.2.1) or a
// KeyAgreeRecipientIdentifier (RFC 5652 6.2.2, kari true) names key.
//
//	RecipientIdentifier ::= CHOICE { issuerAndSerialNumber, subjectKeyIdentifier [0] }
//	KeyAgreeRecipientIdentifier ::= CHOICE { issuerAndSerialNumber,
//	  rKeyId [0] IMPLICIT RecipientKeyIdentifier }
//	RecipientKeyIdentifier ::= SEQUENCE { subjectKeyIdentifier, date OPTIONAL, other OPTIONAL }
func matchRID(b *reader, rid *elem, key *Key, kari bool) (string, bool) {
	switch {
	case rid.isSeq():
		// RFC 5652 10.2.4: IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber }
		if len(rid.kids) != 2 || !rid.kids[1].is(classUniversal, tagInteger, false) {
			return "", false
		}
		issuer, err1 := b.raw(&rid.kids[0], maxSmallValue)
		serial, err2 := b.raw(&rid.kids[1], 64)
		if err1 != nil || err2 != nil || !key.matchesIssuerSerial(issuer, serial) {
			return "", false
		}
		return fmt.Sprintf("issuer %q serial 0x%X", key.Cert.Issuer.String(), key.Cert.SerialNumber), true
	case rid.ctx(0):
		ski := rid
		if kari {
			if !rid.constructed || len(rid.kids) < 1 {
				return "", false
			}
			ski = &rid.kids[0]
			if !ski.is(classUniversal, tagOctetString, ski.constructed) {
				return "", false
			}
		}
		v, err := b.octets(ski, 64)
		if err != nil || !key.matchesSKI(v) {
			return "", false
		}
		return fmt.Sprintf("subjectKeyIdentifier %x", v), true
	}
	return "", false
}

// keyTrans recovers the content-encryption key from a
// KeyTransRecipientInfo with an RSA key (RFC 5652 6.2.1).
func keyTrans(b *reader, ri *elem, key *Key, keyLen int) ([]byte, string, error) {
	priv := key.rsaKey()
	alg, err := b.algorithm(&ri.kids[2])
	if err != nil {
		return nil, "", err
	}
	ekElem := &ri.kids[3]
	if !ekElem.is(classUniversal, tagOctetString, ekElem.constructed) {
		return nil, "", malformed("encryptedKey is no OCTET STRING")
	}
	ek, err := b.octets(ekElem, 2048)
	if err != nil {
		return nil, "", err
	}
	switch {
	case alg.oid.Equal(oidRSAEncryption):
		// RFC 3370 4.2.1, RFC 8017 7.2. Against Bleichenbacher (RFC 3218
		// 2.3.2): start from a random key; a bad padding leaves it in place,
		// and the failure shows only later, as a content decryption error
		// like any other wrong key.
		const how = "rsa-pkcs1v15"
		cek := make([]byte, keyLen)
		if _, err := rand.Read(cek); err != nil {
			return nil, how, err
		}
		if err := rsa.DecryptPKCS1v15SessionKey(nil, priv, ek, cek); err != nil {
			// only for a ciphertext of the wrong length, not for bad padding
			return nil, how, fmt.Errorf("%w: RSA encrypted key of %d bytes", ErrDecrypt, len(ek))
		}
		return cek, how, nil
	case alg.oid.Equal(oidRSAESOAEP):
		opts, how, err := oaepParams(b, alg)
		if err != nil {
			return nil, how, err
		}
		cek, err := priv.Decrypt(nil, ek, opts)
		if err != nil {
			return nil, how, fmt.Errorf("%w: RSAES-OAEP", ErrDecrypt)
		}
		if len(cek) != keyLen {
			return nil, how, fmt.Errorf("%w: content key of %d bytes, the cipher needs %d", ErrDecrypt, len(cek), keyLen)
		}
		return cek, how, nil
	}
	return nil, oidName(alg.oid), fmt.Errorf("%w: key transport algorithm %s", ErrUnsupported, oidName(alg.oid))
}

// oaepParams reads RSAES-OAEP-params (RFC 8017 A.2.1, RFC 4055 3.1).
//
//	RSAES-OAEP-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1,
//	  maskGenAlgorithm [1] DEFAULT mgf1SHA1, pSourceAlgorithm [2] DEFAULT pSpecifiedEmpty }
func oaepParams(b *reader, alg algorithm) (*rsa.OAEPOptions, string, error) {
	opts := &rsa.OAEPOptions{Hash: crypto.SHA1, MGFHash: crypto.SHA1}
	if p := alg.params; p != nil && !alg.paramsAbsentOrNull() {
		if !p.isSeq() {
			return nil, "rsaes-oaep", malformed("bad RSAES-OAEP-params")
		}
		last := -1
		for i := range p.kids {
			f := &p.kids[i]
			if f.class != classContext || f.tag <= last || f.tag > 2 || !f.constructed || len(f.kids) != 1 {
				return nil, "rsaes-oaep", malformed("bad RSAES-OAEP-params field %s", f)
			}
			last = f.tag
			a, err := b.algorithm(&f.kids[0])
			if err != nil {
				return nil, "rsaes-oaep", err
			}
			switch f.tag {
			case 0:
				if opts.Hash, err = hashAlg(a); err != nil {
					return nil, "rsaes-oaep", err
				}
			case 1:
				if !a.oid.Equal(oidMGF1) || a.params == nil {
					return nil, "rsaes-oaep", fmt.Errorf("%w: OAEP mask generation %s", ErrUnsupported, oidName(a.oid))
				}
				h, err := b.algorithm(a.params)
				if err != nil {
					return nil, "rsaes-oaep", err
				}
				if opts.MGFHash, err = hashAlg(h); err != nil {
					return nil, "rsaes-oaep", err
				}
			case 2:
				if !a.oid.Equal(oidPSpecified) {
					return nil, "rsaes-oaep", fmt.Errorf("%w: OAEP label source %s", ErrUnsupported, oidName(a.oid))
				}
				if a.params != nil {
					if opts.Label, err = b.octets(a.params, maxSmallValue); err != nil {
						return nil, "rsaes-oaep", err
					}
				}
			}
		}
	}
	how := "rsaes-oaep-" + hashName(opts.Hash) + "-mgf1-" + hashName(opts.MGFHash)
	return opts, how, nil
}

func hashAlg(a algorithm) (crypto.Hash, error) {
	for _, h := range hashOIDs {
		if h.oid.Equal(a.oid) {
			if !a.paramsAbsentOrNull() {
				return 0, malformed("parameters on hash %s", h.name)
			}
			return h.hash, nil
		}
	}
	return 0, fmt.Errorf("%w: hash algorithm %s", ErrUnsupported, oidName(a.oid))
}

func hashName(h crypto.Hash) string {
	return strings.ToLower(strings.ReplaceAll(h.String(), "-", ""))
}

// keyAgree recovers the content-encryption key from a
// KeyAgreeRecipientInfo with an ephemeral-static ECDH originator key
// (RFC 5753 3.1.2).
func keyAgree(b *reader, ri, rek *elem, key *Key, keyLen int) ([]byte, string, error) {
	priv := key.ecKey()
	curveName, curve, curveOID := "p256", ecdh.P256(), oidP256
	if priv.Curve == elliptic.P384() {
		curveName, curve, curveOID = "p384", ecdh.P384(), oidP384
	}
	how := "ecdh-" + curveName
	k := ri.kids
	if !k[0].is(classUniversal, tagInteger, false) {
		return nil, how, malformed("bad KeyAgreeRecipientInfo version")
	}
	// originator [0] EXPLICIT OriginatorIdentifierOrKey ::= CHOICE {
	//   issuerAndSerialNumber, subjectKeyIdentifier [0], originatorKey [1] }
	orig := &k[1]
	if !orig.ctx(0) || !orig.constructed || len(orig.kids) != 1 {
		return nil, how, malformed("bad originator")
	}
	ok := &orig.kids[0]
	if !ok.ctx(1) || !ok.constructed {
		return nil, how, fmt.Errorf("%w: static-static ECDH (originator named by certificate, not by an ephemeral key)", ErrUnsupported)
	}
	// OriginatorPublicKey ::= SEQUENCE { algorithm, publicKey BIT STRING }
	if len(ok.kids) != 2 {
		return nil, how, malformed("bad originatorKey")
	}
	oalg, err := b.algorithm(&ok.kids[0])
	if err != nil {
		return nil, how, err
	}
	if !oalg.oid.Equal(oidECPublicKey) {
		return nil, how, fmt.Errorf("%w: originator key %s", ErrUnsupported, oidName(oalg.oid))
	}
	if !oalg.paramsAbsentOrNull() { // RFC 5753 7.1.2: absent or NULL; a named curve must be ours
		c, err := b.oid(oalg.params)
		if err != nil || !c.Equal(curveOID) {
			return nil, how, malformed("originator key on another curve than our key")
		}
	}
	bits, err := b.prim(&ok.kids[1], 1+2*66+1)
	if err != nil {
		return nil, how, err
	}
	if !ok.kids[1].is(classUniversal, tagBitString, false) || len(bits) < 2 || bits[0] != 0 {
		return nil, how, malformed("bad originator public key")
	}
	pub, err := curve.NewPublicKey(bits[1:]) // SEC 1 2.3.4, uncompressed points only
	if err != nil {
		return nil, how, malformed("originator public key: %v", err)
	}
	i := 2
	var ukm []byte
	if k[i].ctx(1) { // ukm [1] EXPLICIT UserKeyingMaterial (OCTET STRING)
		if !k[i].constructed || len(k[i].kids) != 1 {
			return nil, how, malformed("bad ukm")
		}
		if ukm, err = b.octets(&k[i].kids[0], maxSmallValue); err != nil {
			return nil, how, err
		}
		i++
	}
	if i != len(k)-2 {
		return nil, how, malformed("bad KeyAgreeRecipientInfo")
	}
	kalg, err := b.algorithm(&k[i])
	if err != nil {
		return nil, how, err
	}
	var hash crypto.Hash
	for _, s := range kdfSchemes {
		if s.oid.Equal(kalg.oid) {
			hash, how = s.hash, how+"-"+s.name
		}
	}
	if hash == 0 {
		return nil, how, fmt.Errorf("%w: key agreement algorithm %s", ErrUnsupported, oidName(kalg.oid))
	}
	// RFC 5753 7.1.5: the parameters are the KeyWrapAlgorithm.
	if kalg.params == nil || !kalg.params.isSeq() {
		return nil, how, malformed("no key wrap algorithm")
	}
	walg, err := b.algorithm(kalg.params)
	if err != nil {
		return nil, how, err
	}
	w, err := wrapFor(walg)
	if err != nil {
		return nil, how, err
	}
	how += "-" + w.name
	wrapDER, err := b.raw(kalg.params, maxSmallValue)
	if err != nil {
		return nil, how, err
	}
	ekElem := &rek.kids[1]
	if !ekElem.is(classUniversal, tagOctetString, ekElem.constructed) {
		return nil, how, malformed("encryptedKey is no OCTET STRING")
	}
	ek, err := b.octets(ekElem, 1024)
	if err != nil {
		return nil, how, err
	}

	ep, err := priv.ECDH()
	if err != nil {
		return nil, how, fmt.Errorf("%w: our key: %v", ErrUnsupported, err)
	}
	z, err := ep.ECDH(pub) // SEC 1 3.3.1: Z is the x-coordinate
	if err != nil {
		return nil, how, fmt.Errorf("%w: ECDH: %v", ErrDecrypt, err)
	}
	kek := x963KDF(hash, z, sharedInfo(wrapDER, ukm, w.kekLen), w.kekLen)
	cek, err := w.unwrap(kek, ek)
	if err != nil {
		return nil, how, err
	}
	if len(cek) != keyLen {
		return nil, how, fmt.Errorf("%w: content key of %d bytes, the cipher needs %d", ErrDecrypt, len(cek), keyLen)
	}
	return cek, how, nil
}

// sharedInfo encodes ECC-CMS-SharedInfo (RFC 5753 7.2) in DER:
//
//	ECC-CMS-SharedInfo ::= SEQUENCE { keyInfo AlgorithmIdentifier,
//	  entityUInfo [0] EXPLICIT OCTET STRING OPTIONAL,
//	  suppPubInfo [2] EXPLICIT OCTET STRING }
//
// keyInfo is the key wrap AlgorithmIdentifier as the sender encoded it;
// suppPubInfo is the KEK length in bits, 32 bits big-endian.
func sharedInfo(keyInfo, ukm []byte, kekLen int) []byte {
	var body []byte
	body = append(body, keyInfo...)
	if ukm != nil {
		body = appendTLV(body, 0xa0, appendTLV(nil, tagOctetString, ukm))
	}
	bitsLen := uint32(kekLen * 8)
	supp := []byte{byte(bitsLen >> 24), byte(bitsLen >> 16), byte(bitsLen >> 8), byte(bitsLen)}
	body = appendTLV(body, 0xa2, appendTLV(nil, tagOctetString, supp))
	return appendTLV(nil, 0x30, body)
}

// appendTLV appends a DER element (X.690 10.1: definite, minimal length).
func appendTLV(dst []byte, tag byte, v []byte) []byte {
	dst = append(dst, tag)
	switch n := len(v); {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	case n < 0x10000:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, v...)
}

// x963KDF is the ANSI X9.63 key derivation function (SEC 1 3.6.1) as
// RFC 5753 7.1.4 uses it: K(i) = Hash(Z || counter_i || SharedInfo),
// counter from 1, 32 bits big-endian; the first n octets of K(1)||K(2)||...
func x963KDF(h crypto.Hash, z, shared []byte, n int) []byte {
	var out []byte
	for counter := uint32(1); len(out) < n; counter++ {
		d := h.New()
		d.Write(z)
		d.Write([]byte{byte(counter >> 24), byte(counter >> 16), byte(counter >> 8), byte(counter)})
		d.Write(shared)
		out = d.Sum(out)
	}
	return out[:n]
}
