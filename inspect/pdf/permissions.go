package pdf

import "strings"

// An owner password that comes with the empty user password does not keep
// anyone from reading the document: it guards the permissions in /P (and
// the encryption settings themselves). Readers open such a file without
// asking and enforce the permissions; officemilter decrypts and inspects it
// like a plain one and reports the protection as inspect.KindProtected.

// permission is one user access permission of /P (ISO 32000-1 7.6.3.2
// Table 22; bit positions count from 1 at the low-order bit).
type permission struct {
	bit  uint
	name string
	// r3: the bit has this meaning only from /R 3 on; with /R 2 the
	// permission follows the bits 3-6.
	r3 bool
	// grantedBy is a bit whose being set grants the permission even when
	// bit is clear (0 for none): bit 9 grants filling in forms without
	// bit 6, bit 11 assembling without bit 4 (Table 22).
	grantedBy uint
	// impliedBy is a restriction that already says this one: without
	// printing (bit 3) there is no high-quality printing (bit 12).
	impliedBy uint
}

// ISO 32000-1 7.6.3.2 Table 22, in the order of the table.
var permissions = []permission{
	{bit: 3, name: "print"},
	{bit: 4, name: "modify"},
	{bit: 5, name: "copy"},
	{bit: 6, name: "annotate"},
	{bit: 9, name: "fill forms", r3: true, grantedBy: 6},
	// Extract for accessibility: deprecated in ISO 32000-2 Table 22,
	// where writers shall set it; reported as it stands.
	{bit: 10, name: "extract", r3: true},
	{bit: 11, name: "assemble", r3: true, grantedBy: 4},
	{bit: 12, name: "print high quality", r3: true, impliedBy: 3},
}

func (s *security) allows(bit uint) bool { return s.p&(1<<(bit-1)) != 0 }

// restricted lists the permissions /P withholds, in the words of Table 22.
func (s *security) restricted() []string {
	var out []string
	for _, p := range permissions {
		switch {
		case p.r3 && s.r < 3:
		case s.allows(p.bit):
		case p.grantedBy != 0 && s.allows(p.grantedBy):
		case p.impliedBy != 0 && !s.allows(p.impliedBy):
		default:
			out = append(out, p.name)
		}
	}
	return out
}

// restrictions says what /P withholds for a finding's Detail:
// "restricts: modify, copy", or "restricts nothing" for an owner password
// that grants every permission (it still guards the encryption itself).
func (s *security) restrictions() string {
	r := s.restricted()
	if len(r) == 0 {
		return "restricts nothing"
	}
	return "restricts: " + strings.Join(r, ", ")
}

// protectedDetail is the Detail of the protected finding of a document
// that opens with the empty user password. When the document is also
// signed it says so there: inspect has no place yet for facts that are not
// findings, and whoever reads why a signed document was refused should see
// that it was signed. parsed is false when the walk stopped early: the
// signatures are then not looked for.
func (d *doc) protectedDetail(parsed bool) string {
	detail := PermissionsOnly + "; " + d.sec.label() + "; " + d.sec.restrictions()
	if parsed {
		if sigs, err := d.signatures(); err == nil {
			if note := signaturesNote(sigs); note != "" {
				detail += "; " + note
			}
		}
	}
	return "PDF owner password (" + detail + ")"
}
