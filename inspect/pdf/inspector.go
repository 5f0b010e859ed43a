package pdf

import (
	"context"
	"fmt"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector inspects PDF documents (inspect.FamilyPDF). It holds no state
// and is safe for concurrent use.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns a PDF inspector.
func New() *Inspector { return &Inspector{} }

// PermissionsOnly is in the Detail of the findings of a PDF that is
// encrypted but opens with the empty user password (an owner password that
// only restricts printing, changing or copying): it is not encrypted but
// protected, and its content was decrypted and inspected.
const PermissionsOnly = "permissions-only"

// Inspect reports:
//   - encrypted, Detail "PDF user password (R4 AESV2)" and the like, when
//     the document does not open with the empty user password, or uses a
//     handler other than the standard one;
//   - protected, Detail "PDF owner password (permissions-only; R6 AESV3;
//     restricts: modify, copy)" and the like, when it opens with the empty
//     user password but an owner password guards its permissions (see
//     permissions.go), with "; signed: ETSI.CAdES.detached" and the like
//     when the document is also signed (see signature.go); never together
//     with encrypted;
//   - active-content, Detail one of /JavaScript, /OpenAction, /AA, /Launch,
//     /EmbeddedFile, /RichMedia, /XFA (see active.go);
//   - each embedded file, decoded, as a child named by its file
//     specification, so the engine finds an executable or a macro inside.
//
// It returns an error (unscannable) when the file cannot be parsed at all,
// a limit is hit, or an object stream or embedded file that must be read
// cannot be decoded.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypePDF)
	src, err := newSource(p.R, p.Size)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	d := newDoc(ctx, src, p.Limits.WithDefaults())
	runErr := d.run()
	if d.encDetail != "" {
		s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: d.encDetail})
	}
	if d.permOnly {
		s.Emit(inspect.Finding{Kind: inspect.KindProtected, Detail: d.protectedDetail(runErr == nil)})
	}
	for _, f := range d.found {
		if d.permOnly {
			f += " (" + PermissionsOnly + ")"
		}
		s.Emit(inspect.Finding{Kind: inspect.KindActiveContent, Detail: f})
	}
	if runErr != nil {
		return runErr
	}
	if d.sigHint {
		d.noteSignatures(s)
	}
	if d.locked() {
		// Embedded files are encrypted with a key we do not have: the
		// encrypted finding says that their content cannot be seen.
		return d.err
	}
	for _, e := range d.embedded {
		r, err := d.open(e.st, true)
		if err != nil {
			d.deferErr(fmt.Errorf("PDF embedded file %s: %w", e.name, err))
			continue
		}
		if err := s.Child(e.name, r); err != nil {
			return err
		}
	}
	return d.err
}
