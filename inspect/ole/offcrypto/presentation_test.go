package offcrypto

import (
	"bytes"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// pptRecord is a [MS-PPT] 2.3.1 RecordHeader and its data.
func pptRecord(ver, inst, typ uint16, data []byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, ver|inst<<4)
	b = le.AppendUint16(b, typ)
	b = le.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// pptContainer is a container record of the given children.
func pptContainer(typ uint16, kids ...[]byte) []byte {
	return pptRecord(0xF, 0, typ, bytes.Join(kids, nil))
}

// presentationParts are the parts of a minimal encrypted-layout PowerPoint
// Document stream: persist object 1 a DocumentContainer whose VBAInfoAtom
// names persist object 2 (an ExOleObjStg holding storage bytes) as its VBA
// project, persist object 3 the CryptSession10Container, then the
// PersistDirectoryAtom and the UserEditAtom, as PowerPoint lays them out.
type presentationParts struct {
	plain       []byte           // the stream with every persist object in the clear
	currentUser []byte           // the Current User stream
	objects     map[uint32]int64 // persist id → offset (the CryptSession10Container excluded)
}

func plainPresentation(cryptInfo []byte) presentationParts {
	le := binary.LittleEndian
	vbaAtom := le.AppendUint32(nil, 2) // persistIdRef
	vbaAtom = le.AppendUint32(vbaAtom, 1)
	vbaAtom = le.AppendUint32(vbaAtom, 2)
	doc := pptContainer(0x03E8, // DocumentContainer
		pptRecord(0, 1, 0x03E9, make([]byte, 40)), // DocumentAtom
		pptContainer(0x07D0, pptContainer(0x03FF, pptRecord(0, 0, 0x0400, vbaAtom))))
	obj := pptRecord(0, 0, 0x1011, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 a VBA project storage"))
	crypt := pptRecord(0xF, 0, 0x2F14, cryptInfo)

	var s []byte
	objects := map[uint32]int64{}
	offs := []uint32{}
	for i, rec := range [][]byte{doc, obj, crypt} {
		if i < 2 {
			objects[uint32(i+1)] = int64(len(s))
		}
		offs = append(offs, uint32(len(s)))
		s = append(s, rec...)
	}
	pdOff := len(s)
	dir := le.AppendUint32(nil, 1|3<<20) // persist ids 1..3
	for _, o := range offs {
		dir = le.AppendUint32(dir, o)
	}
	s = append(s, pptRecord(0, 0, 0x1772, dir)...)
	ueOff := len(s)
	ue := le.AppendUint32(nil, 0) // lastSlideIdRef
	ue = le.AppendUint16(ue, 0)   // version
	ue = append(ue, 0, 3)         // minorVersion, majorVersion
	ue = le.AppendUint32(ue, 0)   // offsetLastEdit
	ue = le.AppendUint32(ue, uint32(pdOff))
	ue = le.AppendUint32(ue, 1) // docPersistIdRef
	ue = le.AppendUint32(ue, 3) // persistIdSeed
	ue = le.AppendUint16(ue, 1) // lastView
	ue = le.AppendUint16(ue, 0) // unused
	ue = le.AppendUint32(ue, 3) // encryptSessionPersistIdRef
	s = append(s, pptRecord(0, 0, 0x0FF5, ue)...)

	cu := le.AppendUint32(nil, 0x14)     // size
	cu = le.AppendUint32(cu, 0xF3D1C4DF) // headerToken: encrypted
	cu = le.AppendUint32(cu, uint32(ueOff))
	cu = le.AppendUint16(cu, 0)      // lenUserName
	cu = le.AppendUint16(cu, 0x03F4) // docFileVersion
	cu = append(cu, 3, 0)            // majorVersion, minorVersion
	cu = le.AppendUint16(cu, 0)      // unused
	cu = le.AppendUint32(cu, 8)      // relVersion
	return presentationParts{plain: s, currentUser: pptRecord(0, 0, 0x0FF6, cu), objects: objects}
}

// encryptedPresentation returns the plain and the encrypted PowerPoint
// Document stream and the Current User stream of a presentation keyed with
// password ([MS-PPT] 2.3.7: each persist object but the
// CryptSession10Container encrypted with the RC4 CryptoAPI key of block
// persistId, restarted per object).
func encryptedPresentation(password string, keyBits int, rnd io.Reader) (plain, enc, currentUser []byte) {
	fp, keyFor := xlsCryptoAPI(password, keyBits, rnd)
	p := plainPresentation(fp[2:]) // the FILEPASS's EncryptionInfo after its type field
	enc = append([]byte{}, p.plain...)
	for id, off := range p.objects {
		n := 8 + int(binary.LittleEndian.Uint32(p.plain[off+4:]))
		c, err := rc4.NewCipher(keyFor(id))
		if err != nil {
			panic(err)
		}
		c.XORKeyStream(enc[off:off+int64(n)], p.plain[off:off+int64(n)])
	}
	return p.plain, enc, p.currentUser
}

// pptFile wraps the streams in a compound file.
func pptFile(doc, currentUser []byte) []byte {
	return buildCFB(map[string][]byte{"PowerPoint Document": doc, "Current User": currentUser})
}

func pptFixture(keyBits int) func(string, uint64) ([]byte, []byte) {
	return func(pw string, seed uint64) ([]byte, []byte) {
		plain, enc, cu := encryptedPresentation(pw, keyBits, testRand(seed))
		return pptFile(enc, cu), plain
	}
}

func TestDecryptPresentation(t *testing.T) {
	for _, bits := range []int{128, 40} {
		plain, enc, cu := encryptedPresentation(PowerPointDefaultPassword, bits, testRand(21))
		if bytes.Equal(plain, enc) {
			t.Fatal("nothing encrypted")
		}
		var out bytes.Buffer
		if err := DecryptPresentation(cu, bytes.NewReader(enc), int64(len(enc)), PowerPointDefaultPassword, &out); err != nil {
			t.Fatalf("%d-bit: %v", bits, err)
		}
		if !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("%d-bit: decrypted stream differs from the plain one", bits)
		}
		out.Reset()
		err := DecryptPresentation(cu, bytes.NewReader(enc), int64(len(enc)), DefaultPassword, &out)
		if !errors.Is(err, ErrWrongPassword) || out.Len() != 0 {
			t.Fatalf("%d-bit, VelvetSweatshop: err = %v, %d bytes written; want ErrWrongPassword and nothing", bits, err, out.Len())
		}
	}
}

// TestDecryptPresentationMalformed: a broken skeleton is an error, never a
// panic or a stream written from noise.
func TestDecryptPresentationMalformed(t *testing.T) {
	_, enc, cu := encryptedPresentation(PowerPointDefaultPassword, 128, testRand(22))
	le := binary.LittleEndian
	ueOff := int(le.Uint32(cu[16:]))
	pdOff := int(le.Uint32(enc[ueOff+8+12:]))
	set := func(b []byte, off int, v uint32) []byte {
		c := append([]byte{}, b...)
		le.PutUint32(c[off:], v)
		return c
	}
	cases := []struct {
		name    string
		cu, doc []byte
		want    error
	}{
		{"no CurrentUserAtom", cu[:12], enc, ErrMalformed},
		{"offsetToCurrentEdit past the end", set(cu, 16, 1<<30), enc, ErrMalformed},
		{"UserEditAtom without encryptSessionPersistIdRef", cu, set(enc, ueOff+4, 0x1C), ErrMalformed},
		{"UserEditAtom chain loops", cu, set(enc, ueOff+8+8, uint32(ueOff)), ErrMalformed},
		{"crypt session not in the directory", cu, set(enc, ueOff+8+28, 9), ErrMalformed},
		{"persist directory count beyond the atom", cu, set(enc, pdOff+8, 1|200<<20), ErrMalformed},
		{"persist offset past the end", cu, set(enc, pdOff+8+4+4, 1<<30), ErrMalformed},
		{"persist objects overlap", cu, set(enc, pdOff+8+4+4, 4), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := DecryptPresentation(c.cu, bytes.NewReader(c.doc), int64(len(c.doc)), PowerPointDefaultPassword, io.Discard)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

// TestCorpusPresentation decrypts the real RC4 CryptoAPI presentation of the
// shared corpus (written by PowerPoint, from msoffcrypto-tool's test data)
// with its password: the persist object of docPersistIdRef becomes a
// DocumentContainer. Neither default password opens it.
func TestCorpusPresentation(t *testing.T) {
	s := inspecttest.MscfbStreams(t, readCorpus(t, "office-legacy/msoffcrypto__rc4cryptoapi_password.ppt"))
	cu, doc := s["Current User"], s["PowerPoint Document"]
	var out bytes.Buffer
	if err := DecryptPresentation(cu, bytes.NewReader(doc), int64(len(doc)), "Password1234_", &out); err != nil {
		t.Fatal(err)
	}
	dec := out.Bytes()
	if len(dec) != len(doc) {
		t.Fatalf("decrypted %d bytes of a %d-byte stream", len(dec), len(doc))
	}
	dir, _, err := pptPersistDirectory(cu, bytes.NewReader(dec), int64(len(dec)))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	ue := int(le.Uint32(cu[16:]))
	docOff, ok := dir[le.Uint32(dec[ue+8+16:])]
	if !ok {
		t.Fatal("docPersistIdRef not in the persist directory")
	}
	if typ := le.Uint16(dec[docOff+2:]); typ != 0x03E8 || le.Uint16(doc[docOff+2:]) == 0x03E8 {
		t.Fatalf("record type %#x at the document's offset, want a DocumentContainer (0x3e8) that only decryption reveals", typ)
	}
	for _, pw := range []string{DefaultPassword, PowerPointDefaultPassword} {
		err := DecryptPresentation(cu, bytes.NewReader(doc), int64(len(doc)), pw, io.Discard)
		if !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s: err = %v, want ErrWrongPassword", pw, err)
		}
	}
}

// pptObjects returns the persist objects 1 and 2 of a stream laid out as
// plainPresentation lays it out (the DocumentContainer, the ExOleObjStg).
func pptObjects(t testing.TB, doc []byte) []byte {
	t.Helper()
	var out []byte
	off := 0
	for range 2 {
		if off+8 > len(doc) {
			t.Fatalf("stream of %d bytes ends before persist object at %d", len(doc), off)
		}
		n := 8 + int(binary.LittleEndian.Uint32(doc[off+4:]))
		if off+n > len(doc) {
			t.Fatalf("persist object at %d of %d bytes overruns the stream", off, n)
		}
		out = append(out, doc[off:off+n]...)
		off += n
	}
	return out
}
