package mime

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/officemilter/officemilter/inspect"
)

// CMSInspector reads a CMS ContentInfo on its own (inspect.FamilyCMS): a
// .p7m or .p7s file, or any attachment that is one whatever its name, in
// DER, BER (streamed, RFC 5652 with X.690 indefinite lengths and chunked
// OCTET STRINGs), PEM armor or base64.
//
//   - SignedData with content (RFC 5652 5.1, 5.2): type p7m; the content
//     is a child named like the file without .p7m ("setup.exe.p7m" →
//     "setup.exe"), so the engine sniffs and inspects it, CMS inside CMS
//     included, as deep as the engine's depth limit lets it. Content that
//     is a MIME entity (RFC 8551 3.5.3.2) is walked like an .eml instead;
//     when it is also taken for a binary format it is a child too.
//   - SignedData without content: type p7s, a detached signature, clean.
//   - EnvelopedData, AuthEnvelopedData, EncryptedData: type p7m, encrypted
//     (smime-enveloped).
//   - Anything it cannot read (truncated, malformed, compressed, another
//     content type) is an error, which the engine makes unscannable.
type CMSInspector struct {
	lim Limits
}

var _ inspect.Inspector = (*CMSInspector)(nil)

// NewCMS returns the FamilyCMS inspector. Zero fields of lim come from the
// engine's limits (inspect.Part.Limits).
func NewCMS(lim Limits) *CMSInspector { return &CMSInspector{lim: lim} }

// Errors of CMSInspector.Inspect, wrapped with what it saw.
var (
	ErrCMSMalformed   = errors.New("malformed CMS content")
	ErrCMSUnsupported = errors.New("unsupported CMS content")
)

// Inspect implements inspect.Inspector.
func (in *CMSInspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeP7M)
	lim := in.lim.under(p.Limits).withDefaults()
	f, err := openCMS(ctx, p.R, p.Size, lim.TempDir, lim.MemSpool)
	if err != nil {
		if errors.Is(err, errNotCMS) {
			return fmt.Errorf("%w: %v", ErrCMSMalformed, err)
		}
		return fmt.Errorf("CMS: %w", err)
	}
	defer f.Close()
	if err := pdfReading(p, f, s); err != nil {
		return err
	}
	switch f.kind {
	case cmsEnveloped:
		s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: DetailSMIMEEnveloped})
		return nil
	case cmsDetached:
		s.SetType(inspect.TypeP7S)
		noteCMS(p, f, s, "detached CMS signature")
		return nil
	case cmsCompressed:
		return fmt.Errorf("%w: compressed data (RFC 3274)", ErrCMSUnsupported)
	case cmsOther:
		return fmt.Errorf("%w type", ErrCMSUnsupported)
	case cmsMalformed:
		return ErrCMSMalformed
	}
	noteCMS(p, f, s, "CMS signature (p7m)")
	c := f.content
	name := cmsContentName(p.Name)
	if name == p.Name || name == "" {
		// No .p7m to strip: the content keeps no name of its own (the
		// engine numbers it), so that it is not taken for the file itself.
		name = ""
	}
	entity, doubt := looksLikeEntity(c, c.size)
	if !entity {
		return s.ChildAt(name, c, c.size)
	}
	if !doubt {
		switch inspect.Sniff(c, c.size, name) {
		case inspect.FamilyText, inspect.FamilyEML, inspect.FamilyOther:
		default:
			doubt = true
		}
	}
	lim.RootDepth = p.Depth + 1 // the content is inside the .p7m
	err = walkMessage(ctx, p, c, c.size, lim, s, "signed message", false)
	if err != nil || !doubt {
		return err
	}
	s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Detail: "signed content is a MIME entity and a file of another format"})
	return s.ChildAt(name, c, c.size)
}

// pdfReading inspects the other reading of a CMS file with "%PDF-" in its
// first KiB: PDF readers open such a file as a PDF (they look for the
// header there, ISO 32000-1 7.5.2 notwithstanding), so a .pdf that is a
// signature around something harmless may show a PDF hidden in a
// certificate or an attribute. Unless that header is in the signed
// content (a signed pdf), the file is ambiguous and the PDF from the
// header on is inspected too.
func pdfReading(p inspect.Part, f *cmsFile, s inspect.Scope) error {
	if f.der != nil {
		return nil // PEM or base64: text, which inspect.Sniff takes for a PDF first
	}
	head, _ := p.Bytes(0, 1024)
	i := bytes.Index(head, []byte("%PDF-"))
	if i < 0 {
		return nil
	}
	if f.content != nil {
		for _, g := range f.content.segs {
			if int64(i) >= g.off && int64(i) < g.off+g.n {
				// In the signed content: inspected with it (it starts
				// within the content's first KiB, so it sniffs as PDF).
				return nil
			}
		}
	}
	s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Detail: fmt.Sprintf("CMS file that PDF readers open as a PDF (%%PDF- at offset %d)", i)})
	return s.ChildAt("", io.NewSectionReader(p.R, int64(i), p.Size-int64(i)), p.Size-int64(i))
}

// noteCMS records that the file is a CMS signature (inspect.NoteSigned),
// with the signer's name when a certificate in it says it.
func noteCMS(p inspect.Part, f *cmsFile, s inspect.Scope, detail string) {
	r, size := p.R, p.Size
	if f.der != nil {
		r, size = f.der, f.der.Size()
	}
	if cn := cmsSigner(r, size); cn != "" {
		detail += " by " + cn
	}
	inspect.AddNote(s, inspect.Note{Kind: inspect.NoteSigned, Detail: detail})
}

// maxCMSCerts and maxCMSCertBytes bound what cmsSigner parses: a signature
// carries its signer's chain, a few certificates of a few KiB.
const (
	maxCMSCerts     = 16
	maxCMSCertBytes = 64 << 10
)

// cmsSigner is the common name (else the subject) of the certificate the
// first SignerInfo names by issuer and serial number (RFC 5652 5.3, 10.2.4),
// else of the first certificate of the SignedData (5.1); "" when there is
// none to read. Nothing is verified: it is what the file says.
func cmsSigner(r io.ReaderAt, size int64) string {
	b := &ber{r: r, size: size}
	ci, err := b.read(0, size)
	if err != nil || !ci.constructed {
		return ""
	}
	limit := size
	if ci.length >= 0 {
		limit = ci.body + ci.length
	}
	c0, err := b.nth(ci, limit, 1)
	if err != nil || !c0.constructed {
		return ""
	}
	sd, err := b.nth(c0, limit, 0)
	if err != nil || !sd.constructed {
		return ""
	}
	var certs []*x509.Certificate
	var serial *big.Int
	n := 0
	// SignedData ::= SEQUENCE { version, digestAlgorithms,
	// encapContentInfo, certificates [0] IMPLICIT OPTIONAL, crls [1]
	// IMPLICIT OPTIONAL, signerInfos SET }
	_, _ = b.childrenEnd(sd, limit, 0, func(c tlv) (bool, error) {
		n++
		switch {
		case n <= 3:
		case c.class == 2 && c.tag == 0 && c.constructed:
			_, _ = b.childrenEnd(c, limit, 1, func(x tlv) (bool, error) {
				if x.class == 0 && x.tag == 16 && x.length > 0 && x.body+x.length-x.start <= maxCMSCertBytes {
					buf := make([]byte, x.body+x.length-x.start)
					if _, err := r.ReadAt(buf, x.start); err == nil {
						if cert, err := x509.ParseCertificate(buf); err == nil {
							certs = append(certs, cert)
						}
					}
				}
				return len(certs) >= maxCMSCerts, nil
			})
		case c.class == 0 && c.tag == 17 && c.constructed:
			// SignerInfo ::= SEQUENCE { version, sid, ... }; sid is
			// IssuerAndSerialNumber ::= SEQUENCE { issuer, serialNumber }
			// or a [0] subjectKeyIdentifier.
			if si, err := b.nth(c, limit, 0); err == nil && si.constructed {
				if sid, err := b.nth(si, limit, 1); err == nil && sid.class == 0 && sid.tag == 16 && sid.constructed {
					if sn, err := b.nth(sid, limit, 1); err == nil && sn.class == 0 && sn.tag == 2 && sn.length > 0 && sn.length <= 64 {
						buf := make([]byte, sn.length)
						if _, err := r.ReadAt(buf, sn.body); err == nil {
							serial = new(big.Int).SetBytes(buf)
						}
					}
				}
			}
			return true, nil
		}
		return false, nil
	})
	if len(certs) == 0 {
		return ""
	}
	cert := certs[0]
	for _, c := range certs {
		if serial != nil && c.SerialNumber.Cmp(serial) == 0 {
			cert = c
			break
		}
	}
	name := cert.Subject.CommonName
	if name == "" {
		name = cert.Subject.String()
	}
	return inspect.Clean(name, 200)
}
