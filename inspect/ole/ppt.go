package ole

import (
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-PPT] 2.13.24 RecordType values used here.
const (
	rtCurrentUserAtom     = 0x0FF6 // 2.3.2 CurrentUserAtom
	rtDocumentContainer   = 0x03E8 // 2.4.1 DocumentContainer
	rtDocInfoList         = 0x07D0 // 2.4.4 DocInfoListContainer
	rtVBAInfo             = 0x03FF // 2.4.9 VBAInfoContainer
	rtVBAInfoAtom         = 0x0400 // 2.4.10 VBAInfoAtom
	rtExOleObjStg         = 0x1011 // 2.10.34 ExOleObjStg
	rtCryptSession10      = 0x2F14 // 2.3.7 CryptSession10Container
	rtPersistDirectoryAtm = 0x1772 // 2.3.4 PersistDirectoryAtom
	rtProgTags            = 0x1388 // 2.4.23 DocProgTagsContainer
	rtProgBinaryTag       = 0x138A // 2.4.23.1 DocProgBinaryTagContainer
	rtBinaryTagDataBlob   = 0x138B // 2.4.23.2 PP10DocBinaryTagExtension data
	rtCString             = 0x0FBA // 2.13.24 RT_CString

	// instModifyPassword is the recInstance of a ModifyPasswordAtom
	// ([MS-PPT] 2.4.7), an RT_CString in the PP10DocBinaryTagExtension.
	instModifyPassword = 3
)

// [MS-PPT] 2.3.2 CurrentUserAtom headerToken.
const (
	headerTokenPlain     = 0xE391C05F
	headerTokenEncrypted = 0xF3D1C4DF
)

const pptRecordHeader = 8 // [MS-PPT] 2.3.1 RecordHeader

// maxPersistDir bounds one PersistDirectoryAtom (4 bytes per slide, master,
// note or object; real ones are a few KiB).
const maxPersistDir = 16 << 20

// pptRec is one record header of the PowerPoint Document stream.
type pptRec struct {
	off  int64  // of the header
	ver  uint16 // 0xF for a container
	inst uint16
	typ  uint16
	len  int64
}

func (r pptRec) body() int64 { return r.off + pptRecordHeader }

// ppt inspects a PowerPoint binary: the Current User stream and the
// PowerPoint Document stream say whether it is encrypted; the VBAInfoAtom
// whether it has macros; the ExOleObjStg records hold the VBA project and
// embedded objects, handed to the engine as compound files of their own.
func (w *walker) ppt(n *node, where string) (docInfo, error) {
	info := docInfo{typ: inspect.TypePPT}
	ds := n.stream("PowerPoint Document")
	dwhere := join(where, ds.name)

	encrypted := ""
	var cu []byte // the start of the Current User stream
	if s := n.stream("Current User"); s != nil {
		b, ok, err := w.readAll(s, join(where, s.name), maxCurrentUser)
		if err != nil {
			return info, err
		}
		if ok {
			cu = b
		}
		if ok && currentUserEncrypted(b) {
			encrypted = "PowerPoint encrypted (Current User headerToken)"
		}
	}
	if encrypted == "" && n.stream("EncryptedSummary") != nil {
		// [MS-PPT] 2.3.7: written only with an encrypted document.
		encrypted = "PowerPoint encrypted (EncryptedSummary stream)"
	}

	sr, ok, err := w.open(ds, dwhere)
	if !ok {
		if encrypted != "" {
			w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: dwhere, Detail: encrypted})
		}
		return info, err
	}
	st, werr := w.pptStream(sr)
	if st.crypt {
		encrypted = "PowerPoint encrypted (CryptSession10Container, RC4 CryptoAPI)"
	}
	if encrypted != "" {
		dec, err := w.decryptPresentation(cu, sr)
		if err != nil {
			if fatal(w.ctx, err) {
				return info, err
			}
			// Another password (the usual case), or no encryption this
			// code reads. The persist objects are encrypted, headers
			// included: the walk ends in noise, which says nothing more.
			w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: dwhere, Detail: encrypted})
			if fatal(w.ctx, werr) {
				return info, werr
			}
			return info, nil
		}
		// Keyed with PowerPoint's default password: PowerPoint opens it
		// without asking, so its content is inspected like a plain file's.
		defer dec.Close()
		sr = dec.Reader()
		st, werr = w.pptStream(sr)
	}
	if werr != nil {
		if err := w.problem(dwhere, werr); err != nil {
			return info, err
		}
	}
	if st.hasMacros {
		w.s.Emit(inspect.Finding{Kind: inspect.KindMacro, Where: dwhere, Detail: "PowerPoint VBA project"})
	}
	if st.modifyPassword {
		w.s.Emit(inspect.Finding{Kind: inspect.KindProtected, Where: dwhere, Detail: "password to modify (PowerPoint ModifyPasswordAtom)"})
	}
	vbaOff := int64(-1)
	if st.vbaRef {
		if off, ok := st.persist[st.vbaPersist]; ok {
			vbaOff = off
		}
	}
	for _, r := range st.objects {
		name := join(dwhere, fmt.Sprintf("ExOleObjStg@%d", r.off))
		if r.off == vbaOff {
			name = join(dwhere, "VBA project storage")
		} else {
			w.s.Emit(inspect.Finding{Kind: inspect.KindEmbeddedObject, Where: name, Detail: "OLE object (PowerPoint ExOleObjStg)"})
		}
		if err := w.pptObject(sr, r, name); err != nil {
			return info, err
		}
	}
	return info, nil
}

// currentUserEncrypted reports whether b, the start of a Current User
// stream, is a CurrentUserAtom whose headerToken marks an encrypted
// document.
func currentUserEncrypted(b []byte) bool {
	return len(b) >= 16 && binary.LittleEndian.Uint16(b[2:]) == rtCurrentUserAtom &&
		binary.LittleEndian.Uint32(b[12:]) == headerTokenEncrypted
}

// maxCurrentUser bounds the read of the Current User stream: its
// CurrentUserAtom ([MS-PPT] 2.3.2) has what is needed in its first 20 bytes.
const maxCurrentUser = 64

// pptStream walks the top-level records of a PowerPoint Document stream.
func (w *walker) pptStream(sr *io.SectionReader) (*pptState, error) {
	st := &pptState{persist: map[uint32]int64{}}
	err := w.pptTop(sr, st, func(r pptRec) error {
		switch r.typ {
		case rtDocumentContainer:
			return w.pptDocument(sr, r, st)
		case rtExOleObjStg:
			st.objects = append(st.objects, r)
		}
		return nil
	})
	return st, err
}

// pptTop walks the top-level records of a PowerPoint Document stream for
// the inspector and the text extractor: the persist directory and
// CryptSession10 go into st, the other records to fn.
func (w *walker) pptTop(sr *io.SectionReader, st *pptState, fn func(pptRec) error) error {
	return w.pptRecords(sr, 0, sr.Size(), func(r pptRec) (bool, error) {
		switch r.typ {
		case rtCryptSession10:
			st.crypt = true
			return false, nil
		case rtPersistDirectoryAtm:
			return false, w.pptPersist(sr, r, st)
		}
		return false, fn(r)
	})
}

// decryptPresentation tries PowerPoint's default password on an encrypted
// PowerPoint Document stream and returns the decrypted stream. A key
// derivation here is one SHA-1 and one per persist object (no spin loop):
// it does not count against Limits.MaxKeyDerivations.
func (w *walker) decryptPresentation(cu []byte, sr *io.SectionReader) (*inspect.Spool, error) {
	c := w.in.crypto
	if c.DecryptPresentation == nil || cu == nil {
		return nil, errors.New("no decryption available")
	}
	sp := w.decryptSpool()
	if err := c.DecryptPresentation(cu, sr, sr.Size(), c.PowerPointPassword, &ctxWriter{w: sp, w2: w}); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

type pptState struct {
	hasMacros  bool
	vbaRef     bool
	vbaPersist uint32
	crypt      bool
	objects    []pptRec

	modifyPassword bool             // a non-empty ModifyPasswordAtom
	persist        map[uint32]int64 // persist id → stream offset
}

// pptRecords calls fn for each record header in [start, end) of sr, at one
// level (containers are not entered). fn returns true to stop.
func (w *walker) pptRecords(sr *io.SectionReader, start, end int64, fn func(pptRec) (bool, error)) error {
	var h [pptRecordHeader]byte
	for off := start; off < end; {
		if err := w.f.tick(); err != nil {
			return err
		}
		if end-off < pptRecordHeader {
			return nil // padding too short to hold a record
		}
		if _, err := sr.ReadAt(h[:], off); err != nil {
			return readErr(off, err)
		}
		verInst := binary.LittleEndian.Uint16(h[0:])
		r := pptRec{off: off, ver: verInst & 0xF, inst: verInst >> 4, typ: binary.LittleEndian.Uint16(h[2:]), len: int64(binary.LittleEndian.Uint32(h[4:]))}
		if r.len > end-r.body() {
			return malformed("PowerPoint record %#04x at offset %d overruns its container", r.typ, off)
		}
		stop, err := fn(r)
		if err != nil || stop {
			return err
		}
		off = r.body() + r.len
	}
	return nil
}

// pptDocument reads the DocumentContainer ([MS-PPT] 2.4.1): the
// VBAInfoAtom in DocInfoListContainer → VBAInfoContainer (2.4.4, 2.4.9,
// 2.4.10), and a password to modify, the ModifyPasswordAtom (2.4.7) in
// DocProgTagsContainer → DocProgBinaryTagContainer → the
// PP10DocBinaryTagExtension (2.4.23).
func (w *walker) pptDocument(sr *io.SectionReader, doc pptRec, st *pptState) error {
	return w.pptRecords(sr, doc.body(), doc.body()+doc.len, func(r pptRec) (bool, error) {
		switch r.typ {
		case rtDocInfoList:
			return false, w.pptVBAInfo(sr, r, st)
		case rtProgTags:
			return false, w.pptProgTags(sr, r, st)
		}
		return false, nil
	})
}

func (w *walker) pptVBAInfo(sr *io.SectionReader, list pptRec, st *pptState) error {
	return w.pptRecords(sr, list.body(), list.body()+list.len, func(r pptRec) (bool, error) {
		if r.typ != rtVBAInfo {
			return false, nil
		}
		return false, w.pptRecords(sr, r.body(), r.body()+r.len, func(r pptRec) (bool, error) {
			if r.typ != rtVBAInfoAtom || r.len < 12 {
				return false, nil
			}
			var b [12]byte
			if _, err := sr.ReadAt(b[:], r.body()); err != nil {
				return false, readErr(r.body(), err)
			}
			st.vbaRef = true
			st.vbaPersist = binary.LittleEndian.Uint32(b[0:])
			if binary.LittleEndian.Uint32(b[4:]) == 1 { // fHasMacros
				st.hasMacros = true
			}
			return true, nil
		})
	})
}

// pptProgTags looks for a ModifyPasswordAtom: [MS-OFFCRYPTO] 2.4.2.3
// keeps PowerPoint's password to modify in plain text there. An empty one
// is no password.
func (w *walker) pptProgTags(sr *io.SectionReader, tags pptRec, st *pptState) error {
	return w.pptRecords(sr, tags.body(), tags.body()+tags.len, func(r pptRec) (bool, error) {
		if r.typ != rtProgBinaryTag {
			return false, nil
		}
		return false, w.pptRecords(sr, r.body(), r.body()+r.len, func(r pptRec) (bool, error) {
			if r.typ != rtBinaryTagDataBlob {
				return false, nil
			}
			err := w.pptRecords(sr, r.body(), r.body()+r.len, func(r pptRec) (bool, error) {
				if r.typ == rtCString && r.inst == instModifyPassword && r.len > 0 {
					st.modifyPassword = true
					return true, nil
				}
				return false, nil
			})
			if err != nil && !fatal(w.ctx, err) {
				// A tag's data is a record sequence for Office's own
				// tags; another writer's blob need not be one.
				err = nil
			}
			return false, err
		})
	})
}

// pptPersist reads a PersistDirectoryAtom ([MS-PPT] 2.3.4): entries of a
// 20-bit first persist id and a 12-bit count, then that many offsets.
// Later atoms (later saves) override earlier ones.
func (w *walker) pptPersist(sr *io.SectionReader, r pptRec, st *pptState) error {
	if r.len > maxPersistDir {
		return malformed("PersistDirectoryAtom of %d bytes", r.len)
	}
	b := make([]byte, r.len)
	if _, err := sr.ReadAt(b, r.body()); err != nil {
		return readErr(r.body(), err)
	}
	for len(b) >= 4 {
		v := binary.LittleEndian.Uint32(b)
		id, n := v&0xFFFFF, int(v>>20)
		b = b[4:]
		for i := 0; i < n && len(b) >= 4; i++ {
			st.persist[id+uint32(i)] = int64(binary.LittleEndian.Uint32(b))
			b = b[4:]
		}
	}
	return nil
}

// pptObject hands the storage of an ExOleObjStg record to the engine:
// recInstance 1 means a 4-byte decompressed size then zlib data
// ([MS-PPT] 2.10.35 ExOleObjStgCompressedAtom), 0 the storage itself.
func (w *walker) pptObject(sr *io.SectionReader, r pptRec, name string) error {
	if r.inst != 1 {
		return w.s.ChildAt(name, io.NewSectionReader(sr, r.body(), r.len), r.len)
	}
	if r.len < 4 {
		return w.problem(name, malformed("compressed ExOleObjStg of %d bytes", r.len))
	}
	comp := io.NewSectionReader(sr, r.body()+4, r.len-4)
	zr, err := zlib.NewReader(comp)
	if err != nil {
		return w.problem(name, fmt.Errorf("ExOleObjStg: %w", err))
	}
	defer zr.Close()
	return w.s.Child(name, inspect.RatioReader(zr, r.len-4, w.p.Limits.MaxRatio))
}
