package pdf

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// A document's own signatures (ISO 32000-1 12.8; PAdES, ETSI EN 319 142-1)
// are facts, not findings: the strict mailbox welcomes signed documents, and
// no finding kind says "signed". The inspector reports them as notes
// (inspect.Note, kind "signed") when the object walk saw a /ByteRange;
// Signatures reads them for whoever asks, and the protected finding of an owner-password PDF names them in its Detail.
// Nothing here verifies a signature: the CMS blob is not even parsed.

// Signature is one signature field's signature as the document states it.
// Every string is what the file says (cleaned for display), not verified.
type Signature struct {
	// Field is the field's fully qualified name (ISO 32000-1 12.7.3.2:
	// the /T of the field and its ancestors joined with ".").
	Field string
	// SubFilter is the signature's encoding (ISO 32000-1 12.8.3, ETSI EN
	// 319 142-1 5.1): "ETSI.CAdES.detached", "adbe.pkcs7.detached",
	// "adbe.pkcs7.sha1", "ETSI.RFC3161" (a document timestamp), ...
	SubFilter string
	// Name is /Name: the signer as the signing software wrote it.
	Name string
	// DocTimeStamp: a document time-stamp (ISO 32000-2 12.8, ETSI EN
	// 319 142-1: /Type /DocTimeStamp or /SubFilter /ETSI.RFC3161), not a
	// person's signature.
	DocTimeStamp bool
	// DocMDP is the /P of a certification signature (the catalog's /Perms
	// /DocMDP, ISO 32000-1 12.8.2.2): 1 no changes, 2 form filling and
	// signing, 3 also annotations. 0 for an approval signature. A
	// certification restricts changes without any password: it is not a
	// protected finding.
	DocMDP int
	// CoversFile: /ByteRange is [0 a b c], the gap a..b is exactly this
	// signature's /Contents string, and b+c is the end of the file (up to
	// trailing white space): the signed bytes are the whole file.
	CoversFile bool
	// ModifiedAfterSigning: /ByteRange is well-formed but the file goes on
	// after it, as after an incremental update (ISO 32000-1 7.5.6). Normal
	// for every signature but the last of a document signed more than
	// once; worth knowing for the last one.
	ModifiedAfterSigning bool
	// Problem says why /ByteRange or /Contents is not what a signature
	// needs (empty when both are): CoversFile and ModifiedAfterSigning
	// are then false.
	Problem string
}

// Signatures lists the signatures of the PDF in r (size bytes), in the
// order their signature dictionaries appear in the file. It parses the
// document as Inspect does, with inspect.DefaultLimits, and returns an
// error when that fails. A document encrypted with a user password still
// shows its signature fields unless they are in object streams, but not
// their names.
func Signatures(ctx context.Context, r io.ReaderAt, size int64) ([]Signature, error) {
	src, err := newSource(r, size)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	d := newDoc(ctx, src, inspect.DefaultLimits)
	if err := d.run(); err != nil {
		return nil, err
	}
	return d.signatures()
}

// maxFieldDepth bounds the /Parent chain followed for an inherited /FT and
// the fully qualified name (ISO 32000-1 12.7.3.1); real forms nest a few
// levels.
const maxFieldDepth = 32

// sigFound is a signature with where its dictionary lies, for ordering.
type sigFound struct {
	pos int64
	sig Signature
}

// signatures finds every signature field (ISO 32000-1 12.7.4.5: /FT /Sig,
// possibly inherited) among the current definitions of the indirect
// objects whose value /V is a signature dictionary (12.8.1 Table 252).
// Widget annotations must be indirect (12.5.2), and a signature field is
// its widget in every writer in use, so the object table finds them
// without trusting the /AcroForm tree, which an update may have broken.
func (d *doc) signatures() ([]Signature, error) {
	nums := make([]int32, 0, len(d.table))
	for n := range d.table {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	mdpRef, mdpP := d.docMDP()
	seen := map[int32]bool{}
	var found []sigFound
	for i, n := range nums {
		if i%256 == 0 {
			if err := d.ctx.Err(); err != nil {
				return nil, err
			}
		}
		e := d.table[n]
		fd, ok := e.v.(dict)
		if !ok || !d.isSigField(fd) {
			continue
		}
		v := fd.get("V")
		sd, sdOwner := d.resolveOwner(v)
		sigd, ok := sd.(dict)
		if !ok {
			continue // an unsigned signature field
		}
		pos := e.pos
		r, isRef := v.(ref)
		if isRef {
			if seen[r.num] {
				continue // two widgets of one signature
			}
			seen[r.num] = true
			if se := d.table[r.num]; se != nil {
				pos = se.pos
			}
		} else {
			sdOwner = e.owner
		}
		s := Signature{
			Field: d.fieldName(fd, e.owner),
			Name:  inspect.Clean(d.text(sigd.get("Name"), sdOwner), 200),
		}
		sf, _ := sigd.get("SubFilter").(name)
		s.SubFilter = inspect.Clean(string(sf), 64)
		s.DocTimeStamp = sigd.get("Type") == name("DocTimeStamp") || sf == "ETSI.RFC3161"
		if isRef && mdpRef == r.num {
			s.DocMDP = mdpP
		}
		if isRef && !sdOwner.inStm {
			d.checkByteRange(&s, sigd, pos)
		} else {
			// A direct dictionary or an object stream member has no
			// place of its own in the file for the byte range to leave
			// out.
			d.checkByteRange(&s, sigd, -1)
		}
		if err := d.budget(); err != nil {
			return nil, err
		}
		found = append(found, sigFound{pos: pos, sig: s})
	}
	slices.SortStableFunc(found, func(a, b sigFound) int {
		switch {
		case a.pos < b.pos:
			return -1
		case a.pos > b.pos:
			return 1
		}
		return 0
	})
	out := make([]Signature, len(found))
	for i, f := range found {
		out[i] = f.sig
	}
	return out, nil
}

// isSigField reports whether fd is a signature field: its /FT, or the
// nearest ancestor's (ISO 32000-1 12.7.3.1 Table 220: /FT is inheritable),
// is /Sig.
func (d *doc) isSigField(fd dict) bool {
	for range maxFieldDepth {
		if ft, ok := fd.get("FT").(name); ok {
			return ft == "Sig"
		}
		p, ok := d.resolve(fd.get("Parent")).(dict)
		if !ok {
			return false
		}
		fd = p
	}
	return false
}

// fieldName is the fully qualified field name (ISO 32000-1 12.7.3.2).
func (d *doc) fieldName(fd dict, owner objInfo) string {
	var parts []string
	for range maxFieldDepth {
		if t := d.text(fd.get("T"), owner); t != "" {
			parts = append(parts, t)
		}
		p, pOwner := d.resolveOwner(fd.get("Parent"))
		pd, ok := p.(dict)
		if !ok {
			break
		}
		fd, owner = pd, pOwner
	}
	slices.Reverse(parts)
	return inspect.Clean(strings.Join(parts, "."), 200)
}

// text decodes a text string of object owner, decrypted when the document
// is encrypted and opened (strings inside object streams are not encrypted
// on their own, ISO 32000-1 7.5.7). In a document we cannot decrypt it is
// "".
func (d *doc) text(v object, owner objInfo) string {
	s, ok := d.resolve(v).(str)
	if !ok || len(s) == 0 {
		return ""
	}
	b := []byte(s[:min(len(s), maxNameBytes)])
	if d.sec != nil {
		if !d.sec.opened {
			return ""
		}
		if !owner.inStm {
			b = d.sec.decrypt(b, owner.num, owner.gen, d.sec.str)
		}
	}
	return textString(b)
}

// docMDP returns the object number of the certification signature's
// dictionary and its /P (ISO 32000-1 12.8.2.2 Table 254, default 2), or
// -1 when the document is not certified.
func (d *doc) docMDP() (int32, int) {
	root := d.root()
	perms, _ := d.resolve(root.get("Perms")).(dict)
	r, ok := perms.get("DocMDP").(ref)
	if !ok {
		return -1, 0
	}
	p := 2
	sd, _ := d.resolve(r).(dict)
	refs, _ := d.resolve(sd.get("Reference")).(array)
	for i, x := range refs {
		if i >= 8 {
			break
		}
		sr, _ := d.resolve(x).(dict)
		if sr.get("TransformMethod") != name("DocMDP") {
			continue
		}
		tp, _ := d.resolve(sr.get("TransformParams")).(dict)
		if v, ok := d.resolve(tp.get("P")).(int64); ok && v >= 1 && v <= 3 {
			p = int(v)
		}
	}
	return r.num, p
}

// root is the document catalog of the newest trailer that names one.
func (d *doc) root() dict {
	for i := len(d.trailers) - 1; i >= 0; i-- {
		t := d.trailers[i]
		if t.inStream {
			continue
		}
		if c, ok := d.resolve(t.d.get("Root")).(dict); ok {
			return c
		}
	}
	return nil
}

// checkByteRange checks /ByteRange against the file and /Contents (ISO
// 32000-1 12.8.1 Table 252: the byte range covers the whole file except
// the /Contents value, its hex string delimiters included; ETSI EN 319
// 142-1 asks the same of a PAdES signature). pos is the offset of the signature dictionary's object, -1
// when it is not an object of its own in the file.
func (d *doc) checkByteRange(s *Signature, sigd dict, pos int64) {
	contents, ok := sigd.get("Contents").(str)
	if !ok {
		s.Problem = "no /Contents string"
		return
	}
	br, _ := d.resolve(sigd.get("ByteRange")).(array)
	if len(br) != 4 {
		s.Problem = "no /ByteRange of four numbers"
		return
	}
	var v [4]int64
	for i, x := range br {
		n, ok := x.(int64)
		if !ok || n < 0 || n > d.src.size {
			s.Problem = "/ByteRange outside the file"
			return
		}
		v[i] = n
	}
	a, b, end := v[1], v[2], v[2]+v[3]
	switch {
	case v[0] != 0:
		s.Problem = "/ByteRange does not start at the beginning of the file"
		return
	case b <= a+1 || end > d.src.size:
		s.Problem = "/ByteRange outside the file"
		return
	case pos < 0:
		s.Problem = "signature dictionary is not an object of the file"
		return
	case a <= pos:
		s.Problem = "/ByteRange gap is not in the signature dictionary"
		return
	case b-a > maxObjectBytes:
		s.Problem = "/ByteRange gap larger than an object"
		return
	}
	if ob, _, err := d.parseAt(pos); err == nil && ob.end > 0 && b > pos+int64(ob.end) {
		s.Problem = "/ByteRange gap is not in the signature dictionary"
		return
	}
	gap, _ := d.src.window(a, int(b-a))
	l := lexer{b: gap, eof: true}
	gv, err := l.parseValue()
	d.src.lexed += int64(l.pos)
	if gs, ok := gv.(str); err != nil || !ok || l.pos != len(gap) || gap[0] != '<' || string(gs) != string(contents) {
		s.Problem = "/ByteRange gap is not the /Contents string"
		return
	}
	rest := d.src.size - end
	if rest == 0 {
		s.CoversFile = true
		return
	}
	// A writer may end the file with an end-of-line after the signed
	// "%%EOF"; more than a little white space is an update.
	if t, _ := d.src.window(end, 64); rest <= 64 && isAllSpace(t) {
		s.CoversFile = true
		return
	}
	s.ModifiedAfterSigning = true
}

func isAllSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// signaturesNote says what signatures a document has for the Detail of
// another finding: "signed: ETSI.CAdES.detached certification P=1,
// ETSI.RFC3161 timestamp; modified after the last signature". Empty when
// there are none.
func signaturesNote(sigs []Signature) string {
	if len(sigs) == 0 {
		return ""
	}
	parts := make([]string, 0, len(sigs))
	for _, s := range sigs {
		p := s.SubFilter
		if p == "" {
			p = "unknown"
		}
		if s.DocMDP > 0 {
			p += fmt.Sprintf(" certification P=%d", s.DocMDP)
		}
		if s.DocTimeStamp && s.SubFilter != "ETSI.RFC3161" {
			p += " timestamp"
		}
		parts = append(parts, p)
	}
	note := "signed: " + strings.Join(parts, ", ")
	if last := sigs[len(sigs)-1]; last.ModifiedAfterSigning {
		note += "; modified after the last signature"
	}
	return note
}

// noteSignatures records each signature of the document as a note
// (inspect.NoteSigned) in s. Only called when the walk saw a /ByteRange:
// a document without one has no signature to find. Document timestamps
// sign nothing of a person's and are left out.
func (d *doc) noteSignatures(s inspect.Scope) {
	sigs, err := d.signatures()
	if err != nil {
		return
	}
	for i, sg := range sigs {
		if sg.DocTimeStamp {
			continue
		}
		detail := "PDF"
		if strings.HasPrefix(sg.SubFilter, "ETSI.") {
			detail = "PAdES"
		}
		if sg.DocMDP > 0 {
			detail += " certification"
		}
		detail += " signature"
		if sg.SubFilter != "" {
			detail += " (" + sg.SubFilter + ")"
		}
		if sg.Name != "" {
			detail += " by " + sg.Name
		}
		switch {
		case sg.Problem != "":
			detail += "; " + sg.Problem
		case sg.ModifiedAfterSigning && i == len(sigs)-1:
			detail += "; modified after signing"
		}
		inspect.AddNote(s, inspect.Note{Kind: inspect.NoteSigned, Detail: detail})
	}
}
