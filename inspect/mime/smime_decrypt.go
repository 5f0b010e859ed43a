package mime

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/cmsdecrypt"
)

// decrypt decrypts the EnvelopedData or AuthEnvelopedData in der (size
// bytes, the decoded body of outer) with Limits.Keys and walks the
// plaintext at nesting cms like the content of opaque-signed S/MIME: a MIME
// entity (RFC 8551 3.3) is parsed and walked, its leaves Inner to outer
// and Decrypted. fail emits the leaf of the encrypted body itself: still
// encrypted when no recipient names our keys (or it is password-based
// EncryptedData, which has no recipients), unscannable for any other
// failure. Plaintext of a failed decryption is never walked: CBC content
// is streamed and may stop anywhere.
func (w *walker) decrypt(der io.ReaderAt, size int64, name, self string, outer *Entity, cms int, fail func(Role, string) error) error {
	if cms > maxCMSNesting {
		return fail(RoleUnscannable, fmt.Sprintf("S/MIME nested deeper than %d", maxCMSNesting))
	}
	if encryptedData(der, size) {
		return fail(RoleEncrypted, DetailSMIMEEnveloped)
	}
	// The plaintext is never longer than the ciphertext (CBC pads, GCM
	// adds nothing), so the DER's size bounds it.
	out := inspect.NewSpool(w.lim.TempDir, w.lim.MemSpool, size, nil)
	defer out.Close()
	_, err := cmsdecrypt.Decrypt(inspect.ContextReaderAt(w.ctx, der), size, w.lim.Keys, inspect.ContextWriter(w.ctx, out), cmsdecrypt.Limits{})
	switch {
	case err == nil:
	case w.ctx.Err() != nil:
		return w.ctx.Err()
	case errors.Is(err, cmsdecrypt.ErrNotForUs):
		return fail(RoleEncrypted, DetailSMIMEEnveloped)
	default:
		return fail(RoleUnscannable, "S/MIME decryption failed: "+decryptReason(err))
	}
	w.decrypted++
	defer func() { w.decrypted-- }()
	return w.signedContent(newSegReader(out, []segment{{0, out.Size()}}), name, self, outer, cms)
}

// encryptedData reports a ContentInfo of type encryptedData (RFC 5652 8):
// content encrypted with a key the sender and recipient agreed on
// elsewhere, never to one of our keys.
func encryptedData(r io.ReaderAt, size int64) bool {
	b := &ber{r: r, size: size}
	ci, err := b.read(0, size)
	if err != nil {
		return false
	}
	limit := size
	if ci.length >= 0 {
		limit = ci.body + ci.length
	}
	ct, err := b.nth(ci, limit, 0)
	if err != nil {
		return false
	}
	id, err := b.oid(ct)
	return err == nil && id.Equal(asn1.ObjectIdentifier(oidEncryptedData))
}

// decryptReason is a decryption error for a finding: without the package
// prefixes, bounded, printable.
func decryptReason(err error) string {
	return inspect.Clean(strings.ReplaceAll(err.Error(), "cmsdecrypt: ", ""), 160)
}
