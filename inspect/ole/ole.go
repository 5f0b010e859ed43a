package ole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// Inspector inspects compound files (inspect.FamilyOLE).
type Inspector struct {
	crypto Crypto
}

var _ inspect.Inspector = (*Inspector)(nil)

// Crypto is what the inspector needs of package inspect/ole/offcrypto: the
// decryption of files keyed with a default password ("VelvetSweatshop",
// PowerPoint's "/01Hannes Ruescher/01").
// A zero Crypto (nil functions) means "cannot decrypt": such files are
// reported encrypted.
type Crypto struct {
	// DefaultPassword is the password tried ("VelvetSweatshop").
	DefaultPassword string
	// ErrWrongPassword is the sentinel the functions wrap when the password
	// does not open the file.
	ErrWrongPassword error
	// DecryptPackage writes the plain OOXML zip of an EncryptedPackage.
	DecryptPackage func(encryptionInfo []byte, pkg io.ReaderAt, pkgSize int64, password string, w io.Writer) error
	// DescribeEncryption names the cipher of an EncryptionInfo stream.
	DescribeEncryption func(encryptionInfo []byte) string
	// DecryptWorkbook writes a BIFF8 Workbook stream with its record data
	// decrypted (FILEPASS kept).
	DecryptWorkbook func(workbook io.ReaderAt, size int64, password string, w io.Writer) error
	// PowerPointPassword is PowerPoint 97-2003's own default password
	// ("/01Hannes Ruescher/01"), tried on an encrypted presentation.
	PowerPointPassword string
	// DecryptPresentation writes a PowerPoint Document stream with its
	// persist objects decrypted; currentUser is the start of the Current
	// User stream.
	DecryptPresentation func(currentUser []byte, doc io.ReaderAt, size int64, password string, w io.Writer) error
}

// New returns an inspector that tries the default password with package
// offcrypto.
func New() *Inspector { return &Inspector{crypto: defaultCrypto()} }

// NewWithCrypto returns an inspector that uses c to decrypt files keyed
// with the default password (tests, or a build without offcrypto).
func NewWithCrypto(c Crypto) *Inspector { return &Inspector{crypto: c} }

// maxNesting bounds how deep storages may nest (an embedded message in a
// message in an object ...); real files stay in single digits.
const maxNesting = 64

// Inspect implements inspect.Inspector.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	p.Limits = p.Limits.WithDefaults()
	f, err := openCFB(ctx, p.R, p.Size, p.Limits.MaxOLESectors)
	if err != nil {
		return err
	}
	w := &walker{ctx: ctx, in: in, f: f, p: p, s: s}
	return w.walk()
}

// walker is the state of one Inspect call.
type walker struct {
	ctx context.Context
	in  *Inspector
	f   *cfbFile
	p   inspect.Part
	s   inspect.Scope
}

// docInfo is what the analysis of one storage says about the document it
// holds (used for the type of the root).
type docInfo struct {
	typ string // an inspect.Type* name, "" when the storage is no document
}

func (w *walker) walk() error {
	info, err := w.storage(w.f.root, "", 0)
	if err != nil {
		return err
	}
	typ := info.typ
	if typ == "" {
		typ = inspect.TypeOLE
	}
	w.s.SetType(typ)
	return nil
}

// storage analyses one storage (the root or one nested in it) and every
// storage below it.
func (w *walker) storage(n *node, where string, depth int) (docInfo, error) {
	if depth > maxNesting {
		return docInfo{}, malformed("storages nested deeper than %d", maxNesting)
	}
	if err := w.ctx.Err(); err != nil {
		return docInfo{}, err
	}
	info, err := w.document(n, where, depth == 0)
	if err != nil {
		return info, err
	}
	for _, k := range n.kids {
		kw := join(where, k.name)
		switch {
		case k.typ == objStorage:
			if strings.EqualFold(k.name, "VBA") && k.stream("dir") != nil {
				// [MS-OVBA] 2.2.1: a VBA storage holds the dir stream
				// (the compressed project information) and the modules.
				// Its presence is the verdict; the code is not needed.
				w.s.Emit(inspect.Finding{Kind: inspect.KindMacro, Where: join(kw, "dir"), Detail: "VBA project"})
				continue
			}
			if isObjectStorage(n, k) {
				if err := w.object(k, kw); err != nil {
					return info, err
				}
			}
			if _, err := w.storage(k, kw, depth+1); err != nil {
				return info, err
			}
		case k.typ == objStream && strings.EqualFold(k.name, "\x01Ole10Native"):
			if err := w.oleNative(k, kw); err != nil {
				return info, err
			}
		case k.typ == objStream && (strings.EqualFold(k.name, "Package") || strings.EqualFold(k.name, "CONTENTS")):
			// [MS-OLEDS] 2.3: an embedded OOXML document ("Package")
			// or an object's file content ("CONTENTS", e.g. a PDF). At
			// the root too: a PowerPoint ExOleObjStg or an object saved
			// alone is such a storage.
			if err := w.childStream(k, kw, kw); err != nil {
				return info, err
			}
		}
	}
	return info, nil
}

// isObjectStorage reports whether storage k (in parent) is an embedded OLE
// object ([MS-OLEDS] 2.3): Word keeps them under ObjectPool, Excel in MBD*
// storages, and every object storage carries \x01CompObj or \x01Ole.
func isObjectStorage(parent, k *node) bool {
	if strings.EqualFold(parent.name, "ObjectPool") && parent.typ == objStorage {
		return true
	}
	if len(k.name) > 3 && strings.EqualFold(k.name[:3], "MBD") {
		return true
	}
	return k.stream("\x01CompObj") != nil || k.stream("\x01Ole") != nil || k.stream("\x01Ole10Native") != nil
}

// document recognises the documents a storage holds and inspects their
// main streams. root says whether n is the root of the inspected file.
//
// A storage normally holds one document. One that holds the main streams
// of two (an EncryptedPackage beside a decoy WordDocument) is read
// differently by different readers, or by the same reader depending on the
// file name: every reading is inspected, the ambiguity is reported, and the
// most dangerous reading decides the type (readings.go).
func (w *walker) document(n *node, where string, root bool) (docInfo, error) {
	rs := mainStreams(n, root)
	switch len(rs) {
	case 0:
		return docInfo{}, nil
	case 1:
		return rs[0].read(w, n, where, root)
	}
	return w.readings(n, where, root, rs)
}

// open returns a view of stream n at where, turning a broken stream into
// an unscannable finding (ok false) unless the error must stop the walk.
func (w *walker) open(n *node, where string) (*io.SectionReader, bool, error) {
	sr, err := w.f.open(n, where)
	if err != nil {
		return nil, false, w.problem(where, err)
	}
	return sr, true, nil
}

// problem reports err about where. Errors that end the whole walk (time,
// sector budget, engine stops) are returned; a broken stream or record
// structure becomes an unscannable finding and the walk goes on, so that
// the rest of the file is still inspected.
func (w *walker) problem(where string, err error) error {
	if fatal(w.ctx, err) {
		return err
	}
	w.s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: where, Detail: err.Error()})
	return nil
}

func fatal(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var le *inspect.LimitError
	return errors.As(err, &le)
}

// childStream hands stream n to the engine as nested content named name.
func (w *walker) childStream(n *node, where, name string) error {
	sr, ok, err := w.open(n, where)
	if !ok {
		return err
	}
	return w.s.ChildAt(name, sr, sr.Size())
}

// readAll reads a whole small stream, at most max bytes.
func (w *walker) readAll(n *node, where string, max int64) ([]byte, bool, error) {
	sr, ok, err := w.open(n, where)
	if !ok {
		return nil, false, err
	}
	size := min(sr.Size(), max)
	b := make([]byte, size)
	if k, err := sr.ReadAt(b, 0); int64(k) < size {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, w.problem(where, fmt.Errorf("reading %s: %w", where, err))
	}
	return b, true, nil
}

// readErr says where a stream read failed (a sector past the end of a
// truncated file, an I/O error of the spool).
func readErr(off int64, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading at offset %d: %w", off, err)
}

// join appends a stream or storage name to a path.
func join(parent, name string) string {
	if parent == "" {
		return printable(name)
	}
	return parent + "/" + printable(name)
}

// printable renders a CFB name readably: the control characters some names
// start with ("\x01Ole10Native", "\x05SummaryInformation") become \xNN.
func printable(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
