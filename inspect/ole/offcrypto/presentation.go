package offcrypto

import (
	"cmp"
	"crypto/rc4"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// PowerPointDefaultPassword is the key PowerPoint 97-2003 uses when a
// presentation is encrypted without a password ([MS-OFFCRYPTO] 2.4.2.3: the
// bytes 2f 30 31 48 61 6e 6e 65 73 20 52 75 65 73 63 68 65 72 2f 30 31);
// PowerPoint opens such a file without asking.
const PowerPointDefaultPassword = "/01Hannes Ruescher/01"

// [MS-PPT] record types of the encryption's skeleton.
const (
	pptCurrentUserAtom   = 0x0FF6 // 2.3.2
	pptUserEditAtom      = 0x0FF5 // 2.3.3
	pptPersistDirAtom    = 0x1772 // 2.3.4
	pptCryptSession10    = 0x2F14 // 2.3.7
	pptRecordHeaderSize  = 8
	pptUserEditMinLen    = 0x1C // without encryptSessionPersistIdRef
	pptUserEditCryptLen  = 0x20 // with it
	pptMaxUserEdits      = 1024 // saves chained by offsetLastEdit
	pptMaxPersistDir     = 16 << 20
	pptMaxCryptSession   = 64 << 10
	pptMaxPersistObjects = 1 << 20
)

// DecryptPresentation decrypts the PowerPoint Document stream of a
// PowerPoint 97-2003 file encrypted with RC4 CryptoAPI ([MS-PPT] 2.3.7,
// [MS-OFFCRYPTO] 2.3.5) with password. currentUser is the start of the
// Current User stream (its CurrentUserAtom locates the last UserEditAtom).
// It writes size bytes to w: every persist object decrypted in place (the
// RC4 key of block persistId, restarted for each object, runs over the
// record header and the data), everything else (UserEditAtom,
// PersistDirectoryAtom, the CryptSession10Container) as it is.
//
// The password is checked against the verifier in the
// CryptSession10Container before anything is written: a mismatch is
// ErrWrongPassword and w stays untouched.
func DecryptPresentation(currentUser []byte, doc io.ReaderAt, size int64, password string, w io.Writer) error {
	dir, cryptID, err := pptPersistDirectory(currentUser, doc, size)
	if err != nil {
		return err
	}
	cryptOff, ok := dir[cryptID]
	if !ok {
		return fmt.Errorf("%w: encryptSessionPersistIdRef %d not in the persist directory", ErrMalformed, cryptID)
	}
	rh, err := pptHeader(doc, size, cryptOff)
	if err != nil {
		return err
	}
	if rh.typ != pptCryptSession10 || rh.len > pptMaxCryptSession || rh.len > size-cryptOff-pptRecordHeaderSize {
		return fmt.Errorf("%w: no CryptSession10Container at offset %d", ErrMalformed, cryptOff)
	}
	info := make([]byte, rh.len)
	if err := readFullAt(doc, info, cryptOff+pptRecordHeaderSize); err != nil {
		return err
	}
	fp, err := parseCryptoAPIInfo(info, "CryptSession10Container")
	if err != nil {
		return err
	}
	keys, err := cryptoAPIStream(fp, password)
	if err != nil {
		return err
	}

	type object struct {
		id  uint32
		off int64
	}
	objs := make([]object, 0, len(dir))
	for id, off := range dir {
		if id != cryptID {
			objs = append(objs, object{id, off})
		}
	}
	slices.SortFunc(objs, func(a, b object) int { return cmp.Compare(a.off, b.off) })

	var key []byte
	buf := make([]byte, min(size, 32<<10))
	pos := int64(0)
	// copyTo writes the stream up to end, decrypted with c (nil: as it is).
	copyTo := func(end int64, c *rc4.Cipher) error {
		for pos < end {
			n := int(min(int64(len(buf)), end-pos))
			if err := readFullAt(doc, buf[:n], pos); err != nil {
				return err
			}
			if c != nil {
				c.XORKeyStream(buf[:n], buf[:n])
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			pos += int64(n)
		}
		return nil
	}
	for _, o := range objs {
		if o.off < pos || o.off > size-pptRecordHeaderSize {
			return fmt.Errorf("%w: persist object %d at offset %d overlaps another or the end of the stream", ErrMalformed, o.id, o.off)
		}
		if err := copyTo(o.off, nil); err != nil {
			return err
		}
		key = keys.keyFor(o.id, key)
		c, err := rc4.NewCipher(key)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		var hdr [pptRecordHeaderSize]byte
		if err := readFullAt(doc, hdr[:], o.off); err != nil {
			return err
		}
		c.XORKeyStream(hdr[:], hdr[:])
		n := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if n > size-o.off-pptRecordHeaderSize {
			return fmt.Errorf("%w: persist object %d at offset %d runs past the end of the stream", ErrMalformed, o.id, o.off)
		}
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		pos = o.off + pptRecordHeaderSize
		if err := copyTo(pos+n, c); err != nil {
			return err
		}
	}
	return copyTo(size, nil)
}

type pptRH struct {
	typ uint16
	len int64
}

func pptHeader(doc io.ReaderAt, size, off int64) (pptRH, error) {
	var h [pptRecordHeaderSize]byte
	if off < 0 || off > size-pptRecordHeaderSize {
		return pptRH{}, fmt.Errorf("%w: record offset %d outside a stream of %d bytes", ErrMalformed, off, size)
	}
	if err := readFullAt(doc, h[:], off); err != nil {
		return pptRH{}, err
	}
	return pptRH{typ: binary.LittleEndian.Uint16(h[2:]), len: int64(binary.LittleEndian.Uint32(h[4:]))}, nil
}

// pptPersistDirectory follows the UserEditAtom chain from the
// CurrentUserAtom ([MS-PPT] 2.1.2 "persist object directory") and returns
// the persist id → offset map of the last save, and the current edit's
// encryptSessionPersistIdRef.
func pptPersistDirectory(currentUser []byte, doc io.ReaderAt, size int64) (map[uint32]int64, uint32, error) {
	le := binary.LittleEndian
	if len(currentUser) < 20 || le.Uint16(currentUser[2:]) != pptCurrentUserAtom {
		return nil, 0, fmt.Errorf("%w: no CurrentUserAtom", ErrMalformed)
	}
	off := int64(le.Uint32(currentUser[16:])) // offsetToCurrentEdit
	var dirs []int64
	var cryptID uint32
	seen := map[int64]bool{}
	for i := 0; ; i++ {
		if i == pptMaxUserEdits || seen[off] {
			return nil, 0, fmt.Errorf("%w: UserEditAtom chain loops or is longer than %d", ErrMalformed, pptMaxUserEdits)
		}
		seen[off] = true
		rh, err := pptHeader(doc, size, off)
		if err != nil {
			return nil, 0, err
		}
		if rh.typ != pptUserEditAtom || rh.len < pptUserEditMinLen || rh.len > size-off-pptRecordHeaderSize {
			return nil, 0, fmt.Errorf("%w: no UserEditAtom at offset %d", ErrMalformed, off)
		}
		var ue [pptUserEditCryptLen]byte
		body := ue[:min(rh.len, pptUserEditCryptLen)]
		if err := readFullAt(doc, body, off+pptRecordHeaderSize); err != nil {
			return nil, 0, err
		}
		if i == 0 {
			if len(body) < pptUserEditCryptLen {
				return nil, 0, fmt.Errorf("%w: the current UserEditAtom has no encryptSessionPersistIdRef", ErrMalformed)
			}
			cryptID = le.Uint32(body[28:])
		}
		dirs = append(dirs, int64(le.Uint32(body[12:]))) // offsetPersistDirectory
		off = int64(le.Uint32(body[8:]))                 // offsetLastEdit
		if off == 0 {
			break
		}
	}
	dir := map[uint32]int64{}
	for i := len(dirs) - 1; i >= 0; i-- { // the oldest save first; later ones override
		rh, err := pptHeader(doc, size, dirs[i])
		if err != nil {
			return nil, 0, err
		}
		if rh.typ != pptPersistDirAtom || rh.len > pptMaxPersistDir || rh.len > size-dirs[i]-pptRecordHeaderSize {
			return nil, 0, fmt.Errorf("%w: no PersistDirectoryAtom at offset %d", ErrMalformed, dirs[i])
		}
		b := make([]byte, rh.len)
		if err := readFullAt(doc, b, dirs[i]+pptRecordHeaderSize); err != nil {
			return nil, 0, err
		}
		for len(b) >= 4 {
			v := le.Uint32(b)
			id, n := v&0xFFFFF, int(v>>20)
			b = b[4:]
			if len(b) < 4*n {
				return nil, 0, fmt.Errorf("%w: PersistDirectoryEntry of %d offsets in %d bytes", ErrMalformed, n, len(b))
			}
			for j := 0; j < n; j++ {
				dir[id+uint32(j)] = int64(le.Uint32(b[4*j:]))
			}
			b = b[4*n:]
			if len(dir) > pptMaxPersistObjects {
				return nil, 0, fmt.Errorf("%w: more than %d persist objects", ErrUnsupported, pptMaxPersistObjects)
			}
		}
	}
	return dir, cryptID, nil
}
