package rtf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/olenative"
)

// object is what is known of one \object group.
type object struct {
	n        int
	class    string          // \objclass
	ole1     *ole1Header     // from \objdata, when it parsed
	flags    map[string]bool // \objemb, \objlink, \objupdate, ...
	equation bool            // an Equation Editor CLSID was seen
	pkg      string          // file name inside a Package
	notOLE1  bool            // \objdata was not an OLE1 object
	data     bool            // an \objdata destination was seen
}

func newObject(n int) *object { return &object{n: n, flags: map[string]bool{}} }

func (o *object) flag(name string) bool { return o.flags[name] }

// ole1Header is the OLE 1.0 object header ([MS-OLEDS] 2.2.4 ObjectHeader,
// 2.2.5 EmbeddedObject, 2.2.6 LinkedObject).
type ole1Header struct {
	version  uint32
	formatID uint32 // 1 linked, 2 embedded
	class    string
	topic    string // linked: the source file
	item     string
	// NativeData of an embedded object, within the decoded \objdata.
	nativeOff, nativeSize int64
	truncated             bool
}

const (
	formatLinked   = 1
	formatEmbedded = 2
	// maxOLE1String bounds what is kept of a LengthPrefixedAnsiString; the
	// rest is skipped.
	maxOLE1String = 1024
)

var errNotOLE1 = errors.New("not an OLE1 object")

// parseOLE1 reads an OLE1 object header from the decoded \objdata, every
// length checked against size. Word does not check OLEVersion, so neither
// do we.
func parseOLE1(r io.ReaderAt, size int64) (*ole1Header, error) {
	c := cursor{r: r, end: size}
	h := &ole1Header{}
	var err error
	if h.version, err = c.u32(); err != nil {
		return nil, errNotOLE1
	}
	if h.formatID, err = c.u32(); err != nil {
		return nil, errNotOLE1
	}
	if h.formatID != formatLinked && h.formatID != formatEmbedded {
		return nil, fmt.Errorf("%w (FormatID %d)", errNotOLE1, h.formatID)
	}
	// [MS-OLEDS] 2.1.4 LengthPrefixedAnsiString: Length u32 counting the
	// terminating NUL, then the characters.
	if h.class, err = c.lpstr(); err != nil {
		return nil, fmt.Errorf("%w: class name %v", errNotOLE1, err)
	}
	if h.topic, err = c.lpstr(); err != nil {
		return h, fmt.Errorf("topic name %v", err)
	}
	if h.item, err = c.lpstr(); err != nil {
		return h, fmt.Errorf("item name %v", err)
	}
	if h.formatID == formatLinked {
		return h, nil
	}
	n, err := c.u32()
	if err != nil {
		return h, errors.New("no NativeDataSize")
	}
	h.nativeOff, h.nativeSize = c.off, int64(n)
	if h.nativeSize > size-c.off {
		h.nativeSize, h.truncated = size-c.off, true
	}
	return h, nil
}

type cursor struct {
	r   io.ReaderAt
	off int64
	end int64
}

func (c *cursor) read(n int64) ([]byte, error) {
	if n < 0 || n > c.end-c.off {
		return nil, io.ErrUnexpectedEOF
	}
	b := make([]byte, n)
	if k, _ := c.r.ReadAt(b, c.off); int64(k) < n {
		return nil, io.ErrUnexpectedEOF
	}
	c.off += n
	return b, nil
}

func (c *cursor) u32() (uint32, error) {
	b, err := c.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (c *cursor) lpstr() (string, error) {
	n, err := c.u32()
	if err != nil {
		return "", err
	}
	if int64(n) > c.end-c.off {
		return "", fmt.Errorf("length %d beyond the data", n)
	}
	b, err := c.read(min(int64(n), maxOLE1String))
	if err != nil {
		return "", err
	}
	c.off += int64(n) - int64(len(b))
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}

var (
	magicCFB = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	// Equation Editor 3.0 {0002CE02-0000-0000-C000-000000000046} and
	// MathType {0002CE03-...} in their on-disk (little-endian GUID) form.
	clsidEquation3 = []byte{0x02, 0xCE, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}
	clsidMathType  = []byte{0x03, 0xCE, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}
)

// objData handles one finished \objdata destination: the OLE1 header, then
// the native data handed to the engine (the file inside a Package, a
// compound file, or anything else the engine recognises).
func (p *parser) objData(c *collector) {
	p.objdata++
	n := p.objdata
	obj := c.obj
	if obj == nil { // \objdata outside \object: still inspected
		p.objects++
		obj = newObject(p.objects)
		defer p.emitObject(obj)
	}
	if c.err != nil {
		p.unscannable(fmt.Sprintf("object %d data: %v", obj.n, c.err))
		return
	}
	size := c.sp.Size()
	if size == 0 {
		return
	}
	obj.data = true
	h, err := parseOLE1(c.sp, size)
	if h == nil {
		// Not an OLE1 object; Word would not load it, but whatever it is
		// may still be a file the recipient can save and open.
		obj.notOLE1 = true
		p.native(obj, fmt.Sprintf("objdata-%d", n), c.sp, 0, size)
		return
	}
	obj.ole1 = h
	if err != nil {
		p.unscannable(fmt.Sprintf("object %d (%s): malformed OLE1 header: %v", obj.n, inspect.Clean(h.class, 60), err))
		return
	}
	if h.formatID != formatEmbedded || h.nativeSize == 0 {
		return
	}
	if h.truncated {
		p.unscannable(fmt.Sprintf("object %d (%s): native data truncated", obj.n, inspect.Clean(h.class, 60)))
	}
	native := io.NewSectionReader(c.sp, h.nativeOff, h.nativeSize)
	if strings.EqualFold(h.class, "Package") {
		// The Packager payload in RTF has no size prefix.
		pk, err := olenative.Parse(native, h.nativeSize, false)
		if err != nil {
			p.unscannable(fmt.Sprintf("object %d (Package): %v", obj.n, err))
			p.native(obj, fmt.Sprintf("objdata-%d", n), native, 0, h.nativeSize)
			return
		}
		name := pk.FileName()
		if name == "" {
			name = fmt.Sprintf("package-%d", n)
		}
		obj.pkg = name
		p.child(name, pk.Data, pk.Data.Size())
		return
	}
	p.native(obj, fmt.Sprintf("objdata-%d", n), native, 0, h.nativeSize)
}

// native hands data[off:off+size] to the engine when it is a compound file
// (named base.ole) or another format the engine knows (base.bin). Native
// data the engine cannot recognise (an equation's MTEF, a Paintbrush
// bitmap) is not worth a child part.
func (p *parser) native(obj *object, base string, r io.ReaderAt, off, size int64) {
	sec := io.NewSectionReader(r, off, size)
	head := make([]byte, min(size, 8))
	if _, err := sec.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		p.unscannable(fmt.Sprintf("object %d data: %v", obj.n, err))
		return
	}
	if bytes.Equal(head, magicCFB) {
		if isEquationCFB(sec, size) {
			obj.equation = true
		}
		p.child(base+".ole", sec, size)
		return
	}
	switch inspect.Sniff(sec, size, "") {
	case inspect.FamilyOther, inspect.FamilyText:
		return
	}
	p.child(base+".bin", sec, size)
}

// isEquationCFB reads the root directory entry of a compound file and
// compares its CLSID with the Equation Editor's ([MS-CFB] 2.2 header:
// sector shift at 0x1E, first directory sector at 0x30; 2.6 directory
// entry: CLSID at 0x50). Two small reads; any inconsistency means no.
func isEquationCFB(r io.ReaderAt, size int64) bool {
	hdr := make([]byte, 0x34)
	if k, _ := r.ReadAt(hdr, 0); k < len(hdr) {
		return false
	}
	shift := binary.LittleEndian.Uint16(hdr[0x1E:])
	if shift != 9 && shift != 12 {
		return false
	}
	dir := int64(binary.LittleEndian.Uint32(hdr[0x30:]))
	off := (dir + 1) << shift
	if dir > 0xFFFFFFFA || off+0x60 > size {
		return false
	}
	clsid := make([]byte, 16)
	if k, _ := r.ReadAt(clsid, off+0x50); k < 16 {
		return false
	}
	return bytes.Equal(clsid, clsidEquation3) || bytes.Equal(clsid, clsidMathType)
}

// child hands nested content to the engine; an error stops the walk.
func (p *parser) child(name string, r io.ReaderAt, size int64) {
	if p.stop != nil {
		return
	}
	if err := p.s.ChildAt(name, r, size); err != nil {
		p.stop = err
	}
}

func (p *parser) unscannable(detail string) {
	p.emit(inspect.KindUnscannable, detail)
}

// maxFindings caps the distinct findings of one document: each distinct
// object class or field instruction is a finding, and a document of a
// million tiny objects with distinct classes must not cost a million
// findings. Past the cap one unscannable finding says so: what was not
// reported did not count for the verdict.
const maxFindings = 100

func (p *parser) emit(k inspect.Kind, detail string) {
	key := string(k) + "\x00" + detail
	if p.seen[key] {
		return
	}
	if p.emitted < maxFindings {
		p.seen[key] = true
	}
	p.emitted++
	switch {
	case p.emitted <= maxFindings:
		p.s.Emit(inspect.Finding{Kind: k, Detail: detail})
	case p.emitted == maxFindings+1:
		p.s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Detail: fmt.Sprintf("more than %d objects and fields", maxFindings)})
	}
}

// emitObject reports one object: embedded-object for an embedded (or
// unknown) object, external-reference for a linked one, with what makes it
// dangerous in the Detail.
func (p *parser) emitObject(o *object) {
	if !o.data && strings.TrimSpace(o.class) == "" {
		// "\object" without class or data (often a decoy word sprinkled
		// through obfuscated documents) embeds nothing.
		return
	}
	class := strings.TrimSpace(o.class)
	if o.ole1 != nil && strings.TrimSpace(o.ole1.class) != "" {
		class = o.ole1.class
	}
	class = inspect.Clean(class, 60)
	if class == "" {
		class = "of unknown class"
	}
	var notes []string
	if o.equation || strings.HasPrefix(strings.ToLower(class), "equation.") ||
		strings.HasPrefix(strings.ToLower(strings.TrimSpace(o.class)), "equation.") {
		notes = append(notes, "Equation Editor object")
	}
	if o.pkg != "" {
		notes = append(notes, "file "+inspect.Clean(o.pkg, 60))
	}
	if o.flag("objocx") {
		notes = append(notes, "ActiveX control")
	}
	if o.notOLE1 {
		notes = append(notes, "data is not an OLE1 object")
	}
	for _, f := range []string{"objupdate", "objautlink"} {
		if o.flag(f) {
			notes = append(notes, `\`+f)
		}
	}
	suffix := ""
	if len(notes) > 0 {
		suffix = " (" + strings.Join(notes, ", ") + ")"
	}
	linked := o.flag("objlink") || o.flag("objautlink") || (o.ole1 != nil && o.ole1.formatID == formatLinked)
	if linked {
		d := "linked OLE object " + class
		if o.ole1 != nil && o.ole1.topic != "" {
			d += " -> " + inspect.Clean(o.ole1.topic, 80)
		}
		p.emit(inspect.KindExternalReference, d+suffix)
	}
	if !linked || (o.ole1 != nil && o.ole1.formatID == formatEmbedded) {
		p.emit(inspect.KindEmbeddedObject, "OLE object "+class+suffix)
	}
}

// field checks a field instruction ([MS-DOCX]/Word field codes; in RTF the
// \fldinst destination): DDE and DDEAUTO run a program through DDE;
// INCLUDEPICTURE and INCLUDETEXT with a URL fetch it when the document
// opens.
func (p *parser) field(instr string) {
	instr = strings.TrimLeft(instr, " \t\r\n\f\v\"")
	word := instr
	if i := strings.IndexAny(word, " \t\r\n\"\\"); i >= 0 {
		word = word[:i]
	}
	switch strings.ToUpper(word) {
	case "DDE", "DDEAUTO":
		p.emit(inspect.KindActiveContent, "DDE field: "+inspect.Clean(instr, 100))
	case "INCLUDEPICTURE", "INCLUDETEXT":
		low := strings.ToLower(instr)
		i := strings.Index(low, "http://")
		if j := strings.Index(low, "https://"); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			return
		}
		url := instr[i:]
		if k := strings.IndexAny(url, " \t\r\n\""); k >= 0 {
			url = url[:k]
		}
		p.emit(inspect.KindExternalReference, strings.ToUpper(word)+" "+inspect.Clean(url, 100))
	}
}
