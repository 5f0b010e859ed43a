package mime

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// signedContent walks what an S/MIME signedData carries (its content, at
// nesting cms), unwrapped from the body of outer. RFC 8551 3.5.3.2 says it
// is a MIME entity, and a mail client reads it as one; but a .p7m made by
// a signing tool (openssl cms -sign -nodetach, a qualified signature
// application) carries a file, and a signature viewer saves that file
// under the .p7m's name without the extension. So: a MIME entity is
// walked; anything else is an attachment leaf named name; content that
// is both (a header block, then something a binary format reader takes)
// is walked and is a leaf too; content that is CMS again is unwrapped in
// turn.
func (w *walker) signedContent(c *segReader, name, self string, outer *Entity, cms int) error {
	leaf := func(role Role, detail string) error {
		return w.emit(Leaf{Entity: outer, Inner: true, Name: name, Role: role, Detail: detail, Depth: w.below,
			Open: func() io.Reader { return io.NewSectionReader(c, 0, c.size) }})
	}
	if cms > maxCMSNesting {
		return leaf(RoleUnscannable, fmt.Sprintf("S/MIME nested deeper than %d", maxCMSNesting))
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	// A MIME entity first: its text may quote a PEM block, which must not
	// hide the rest of it.
	entity, doubt := looksLikeEntity(c, c.size)
	if !entity {
		return w.signedFile(c, name, self, outer, cms, leaf)
	}
	if !doubt {
		switch inspect.Sniff(c, c.size, name) {
		case inspect.FamilyText, inspect.FamilyEML, inspect.FamilyOther:
		default:
			doubt = true
		}
	}
	root, err := Parse(c, c.size, w.limAt(w.below))
	if err != nil {
		if !errors.Is(err, inspect.ErrLimit) {
			return leaf(RoleUnscannable, "S/MIME content: "+err.Error())
		}
		if err := leaf(RoleUnscannable, "S/MIME content: "+err.Error()); err != nil {
			return err
		}
	}
	if err := w.message(c, root, self, outer, cms); err != nil {
		return err
	}
	if doubt {
		return leaf(RoleAttachment, "")
	}
	return nil
}

// signedFile is signedContent for content that is no MIME entity: a file,
// or CMS again.
func (w *walker) signedFile(c *segReader, name, self string, outer *Entity, cms int, leaf func(Role, string) error) error {
	head := make([]byte, min(c.size, cmsHead))
	k, _ := c.ReadAt(head, 0)
	if form, _ := cmsFormOf(head[:k]); form != cmsFormNone {
		if form == cmsFormPEM && !bytes.HasPrefix(bytes.TrimLeft(head[:k], " \t\r\n"), []byte("-----BEGIN ")) {
			// Text with a PEM block further down: the text is a file too.
			if err := leaf(RoleAttachment, ""); err != nil {
				return err
			}
		}
		// A .p7m signed again (a second signature, a countersigning
		// office): the type of the leaf is that of the innermost content.
		f, err := openCMS(w.ctx, c, c.size, w.lim.TempDir, w.lim.MemSpool)
		if err != nil {
			if cerr := w.ctx.Err(); cerr != nil {
				return cerr
			}
			return leaf(RoleUnscannable, "S/MIME content: "+err.Error())
		}
		defer f.Close()
		// Signed, then encrypted to us: decrypted like a message part.
		return w.unwrapCMS(f, c, c.size, name, self, outer, cms, w.below+1, leaf,
			func(why string) error { return leaf(RoleUnscannable, why) })
	}
	return leaf(RoleAttachment, "")
}
