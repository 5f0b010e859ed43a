// Package xmldsig reads the XML-Signature elements ([XMLDSIG]) that OOXML
// packages (_xmlsignatures/, [ECMA-376] Part 2, 12) and ODF packages
// (META-INF/documentsignatures.xml, [ODF 1.2] Part 3, 5) carry: who signed,
// when, with which certificate. Nothing is verified. Both inspectors use
// it (inspectors do not import each other); it knows no policy.
package xmldsig

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"io"
	"math/big"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Bounds on what one signature keeps: certificates are a few KiB, a chain
// a few certificates; names and times are short.
const (
	maxCertB64 = 64 << 10
	maxCerts   = 8
	maxSigText = 1 << 10
	MaxDetail  = 200
)

// dsigState gathers one ds:Signature ([XMLDSIG] 4.1) while its tokens are
// read.
type dsigState struct {
	sig    Signature
	depth  int      // element depth inside the ds:Signature
	certs  []string // base64 of ds:X509Certificate elements
	cert   *strings.Builder
	text   *strings.Builder // text of the element being gathered
	field  string           // which element text is for
	serial string           // ds:X509SerialNumber (of ds:X509IssuerSerial or xades:IssuerSerial)
	inTime bool             // inside mdssi:SignatureTime
}

// Parse calls add with every ds:Signature element of the XML in r (a
// signature part of an OOXML package, or ODF's META-INF/*signatures.xml
// with its ds:Signature children). Signatures nested in another one
// (XAdES counter-signatures) are part of it.
func Parse(ctx context.Context, r io.Reader, add func(Signature) error) error {
	var st *dsigState
	return zipx.Tokens(ctx, r, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if st == nil {
				if t.Name.Local == "Signature" {
					st = &dsigState{}
					id, _ := zipx.Attr(t, "Id")
					st.sig.ID = inspect.Clean(id, MaxDetail)
				}
				return nil
			}
			st.depth++
			switch t.Name.Local {
			case "X509Certificate":
				if len(st.certs) < maxCerts {
					st.cert = &strings.Builder{}
				}
			case "X509SubjectName", "SigningTime", "X509SerialNumber":
				st.text, st.field = &strings.Builder{}, t.Name.Local
			case "SignatureTime":
				st.inTime = true
			case "Value":
				if st.inTime {
					st.text, st.field = &strings.Builder{}, "SigningTime"
				}
			case "date":
				// ODF 1.2 Part 3, 5: dc:date in a ds:SignatureProperty.
				if st.sig.SigningTime == "" {
					st.text, st.field = &strings.Builder{}, "SigningTime"
				}
			case "QualifyingProperties":
				st.sig.XAdES = true
			}
		case xml.EndElement:
			if st == nil {
				return nil
			}
			if st.depth == 0 {
				if t.Name.Local == "Signature" {
					st.finish()
					if err := add(st.sig); err != nil {
						return err
					}
					st = nil
				}
				return nil
			}
			st.depth--
			switch t.Name.Local {
			case "X509Certificate":
				if st.cert != nil {
					st.certs = append(st.certs, st.cert.String())
					st.cert = nil
				}
			case "SignatureTime":
				st.inTime = false
			}
			if st.text != nil {
				v := strings.TrimSpace(st.text.String())
				switch st.field {
				case "X509SubjectName":
					if st.sig.Subject == "" {
						st.sig.Subject = inspect.Clean(v, MaxDetail)
					}
				case "SigningTime":
					if st.sig.SigningTime == "" {
						st.sig.SigningTime = inspect.Clean(v, 64)
					}
				case "X509SerialNumber":
					if st.serial == "" {
						st.serial = v
					}
				}
				st.text = nil
			}
		case xml.CharData:
			if st == nil {
				return nil
			}
			if st.cert != nil && st.cert.Len()+len(t) <= maxCertB64 {
				st.cert.Write(t)
			}
			if st.text != nil && st.text.Len()+len(t) <= maxSigText {
				st.text.Write(t)
			}
		}
		return nil
	})
}

// finish picks the signer's certificate and fills in its names.
func (st *dsigState) finish() {
	if len(st.certs) == 0 {
		return
	}
	var want *big.Int
	if st.serial != "" {
		want, _ = new(big.Int).SetString(strings.TrimSpace(st.serial), 10)
	}
	var first *x509.Certificate
	for _, b64 := range st.certs {
		der, err := base64.StdEncoding.DecodeString(stripSpace(b64))
		if err != nil {
			st.sig.Problem = "certificate: not base64"
			continue
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			st.sig.Problem = inspect.Clean("certificate: "+err.Error(), MaxDetail)
			continue
		}
		if first == nil {
			first = c
		}
		if want != nil && c.SerialNumber.Cmp(want) == 0 {
			first = c
			break
		}
	}
	if first == nil {
		return
	}
	st.sig.Problem = ""
	st.sig.Subject = inspect.Clean(first.Subject.String(), MaxDetail)
	st.sig.Issuer = inspect.Clean(first.Issuer.String(), MaxDetail)
	st.sig.SerialNumber = first.SerialNumber.String()
}

// stripSpace drops the white space base64 text in XML is wrapped with.
func stripSpace(s string) string {
	var b bytes.Buffer
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Signature is one XML signature of a package, as the package states it.
// Every string is what the file says (cleaned for display), not verified.
type Signature struct {
	// Part is the zip name of the part that holds it
	// ("_xmlsignatures/sig1.xml", "META-INF/documentsignatures.xml").
	Part string
	// Macros: an ODF signature in META-INF/macrosignatures.xml, which
	// signs the Basic libraries and scripts only, not the document.
	Macros bool
	// ID is the ds:Signature element's Id attribute ("idPackageSignature").
	ID string
	// Subject and Issuer are the signer's certificate subject and issuer
	// distinguished names (crypto/x509 pkix.Name.String, RFC 2253 order)
	// from ds:KeyInfo/ds:X509Data/ds:X509Certificate: the certificate
	// that ds:X509IssuerSerial (or the XAdES signing certificate's issuer
	// and serial) names, else the first one. Without a certificate,
	// Subject is ds:X509SubjectName as written.
	Subject, Issuer string
	// SerialNumber is the certificate's serial number in decimal.
	SerialNumber string
	// SigningTime is the time the signer's software wrote
	// (xades:SigningTime, or the [ECMA-376] Part 2 mdssi:SignatureTime
	// value), as written.
	SigningTime string
	// XAdES: the signature has xades:QualifyingProperties (ETSI EN 319
	// 132-1), as Office 2010 and later write.
	XAdES bool
	// Problem says why the certificate could not be read (empty when it
	// could, or when there is none).
	Problem string
}

// NoteDetail is the text of a "signed" note: what (e.g. "XML signature"),
// whether XAdES, and by whom (the certificate's common name).
func NoteDetail(what string, sg Signature) string {
	if sg.XAdES {
		what += " (XAdES)"
	}
	if cn := CommonName(sg.Subject); cn != "" {
		what += " by " + cn
	}
	return what
}

// CommonName is the CN of a distinguished name as crypto/x509 writes it
// (RFC 2253: "CN=Erika Mustermann,O=Amt\, Abteilung 2"), or the whole
// name when it has no CN.
func CommonName(dn string) string {
	var attr strings.Builder
	esc := false
	for i := 0; i <= len(dn); i++ {
		if i < len(dn) && (esc || dn[i] != ',' && dn[i] != '+') {
			if !esc && dn[i] == '\\' {
				esc = true
				continue
			}
			esc = false
			attr.WriteByte(dn[i])
			continue
		}
		a := strings.TrimSpace(attr.String())
		if len(a) > 3 && strings.EqualFold(a[:3], "CN=") {
			return strings.TrimSpace(a[3:])
		}
		attr.Reset()
	}
	return dn
}
