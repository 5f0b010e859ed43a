package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/bodgit/sevenzip"
	"github.com/officemilter/officemilter/inspect"
)

// szMaxHeader bounds a plain 7z header read into memory.
const szMaxHeader = 64 << 20

func inspect7z(ctx context.Context, p inspect.Part, s inspect.Scope) (err error) {
	// The library indexes slices with header values it has not always
	// checked.
	defer malformedOnPanic("7z", &err)
	folders, encHeaders, err := check7z(p)
	if err != nil {
		return err
	}
	if encHeaders {
		// Names and content are hidden: nothing else can be said.
		s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: "7z encrypted headers"})
		return nil
	}
	zr, err := sevenzip.NewReader(p.R, p.Size)
	if err != nil {
		if szEncrypted(err) {
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Detail: "7z encrypted headers"})
			return nil
		}
		return fmt.Errorf("cannot open 7z archive: %w", err)
	}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.FileInfo().IsDir() {
			continue
		}
		name := cleanName(f.Name)
		if f.UncompressedSize > 0 && f.Stream >= 0 && f.Stream < len(folders) && folders[f.Stream].encrypted() {
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: name, Detail: "7z encrypted entry"})
			continue
		}
		if memberTooLarge(p, s, name, int64(min(f.UncompressedSize, 1<<62))) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			if szEncrypted(err) {
				s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: name, Detail: "7z encrypted entry"})
			} else {
				s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name, Detail: "7z entry: " + err.Error()})
			}
			continue
		}
		err = s.Child(name, inspect.RatioReader(rc, p.Size, p.Limits.MaxRatio))
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func szEncrypted(err error) bool {
	var re *sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted {
		return true
	}
	var rv sevenzip.ReadError
	return errors.As(err, &rv) && rv.Encrypted
}

// check7z pre-parses the archive's header (decoding it first when it is
// compressed) and returns its folders, or says that the header itself is
// encrypted.
func check7z(p inspect.Part) (folders []szFolder, encryptedHeader bool, err error) {
	st, err := readSzStart(p.R, p.Size)
	if err != nil {
		return nil, false, err
	}
	if st.nextSize > szMaxHeader {
		return nil, false, fmt.Errorf("7z header of %d bytes (at most %d)", st.nextSize, szMaxHeader)
	}
	hdr := make([]byte, st.nextSize) // bounded by p.Size (readSzStart) and szMaxHeader
	if _, err := p.R.ReadAt(hdr, int64(szSignatureHeaderLen+st.nextOffset)); err != nil {
		return nil, false, fmt.Errorf("malformed 7z: %w", err)
	}
	if crc32.ChecksumIEEE(hdr) != st.nextCRC {
		return nil, false, errors.New("malformed 7z: header checksum mismatch")
	}
	sp := &szParser{b: hdr[1:], lim: p.Limits}
	switch hdr[0] {
	case szHeader:
		main := sp.header()
		return main.folders, false, sp.err
	case szEncodedHeader:
	default:
		return nil, false, errors.New("malformed 7z: no header")
	}
	si := sp.streamsInfo()
	switch {
	case sp.err != nil:
		return nil, false, sp.err
	case len(si.folders) != 1:
		return nil, false, errors.New("malformed 7z: encoded header needs one folder")
	case si.folders[0].encrypted():
		return nil, true, nil
	}
	decoded, err := decodeSzHeader(p, hdr)
	if err != nil {
		return nil, false, err
	}
	if len(decoded) == 0 || decoded[0] != szHeader {
		return nil, false, errors.New("malformed 7z: encoded header is no header")
	}
	sp = &szParser{b: decoded[1:], lim: p.Limits}
	main := sp.header()
	return main.folders, false, sp.err
}

// decodeSzHeader expands a compressed 7z header (kEncodedHeader followed by
// the streams info of its one folder). The library does not expose its
// decoders, so the header is presented to it as the only file of a
// synthetic archive: the original bytes with a new signature header and,
// after them, a plain header that declares that folder as a file.
func decodeSzHeader(p inspect.Part, encoded []byte) ([]byte, error) {
	var plain bytes.Buffer
	plain.WriteByte(szHeader)
	plain.WriteByte(szMainStreamsInfo)
	plain.Write(encoded[1:])
	plain.Write([]byte{szFilesInfo, 1, szEnd, szEnd}) // one file, no properties
	hb := plain.Bytes()

	var sig [szSignatureHeaderLen]byte
	if _, err := p.R.ReadAt(sig[:8], 0); err != nil {
		return nil, fmt.Errorf("malformed 7z: %w", err)
	}
	binary.LittleEndian.PutUint64(sig[12:], uint64(p.Size-szSignatureHeaderLen))
	binary.LittleEndian.PutUint64(sig[20:], uint64(len(hb)))
	binary.LittleEndian.PutUint32(sig[28:], crc32.ChecksumIEEE(hb))
	binary.LittleEndian.PutUint32(sig[8:], crc32.ChecksumIEEE(sig[12:32]))
	v := &overlay{r: p.R, size: p.Size, head: sig[:], tail: hb}
	zr, err := sevenzip.NewReader(v, p.Size+int64(len(hb)))
	if err != nil {
		return nil, fmt.Errorf("malformed 7z: encoded header: %w", err)
	}
	if len(zr.File) != 1 {
		return nil, errors.New("malformed 7z: encoded header")
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		return nil, fmt.Errorf("malformed 7z: encoded header: %w", err)
	}
	defer rc.Close()
	out, err := io.ReadAll(io.LimitReader(rc, szMaxEncodedHeader+1))
	if err != nil {
		return nil, fmt.Errorf("malformed 7z: encoded header: %w", err)
	}
	if len(out) > szMaxEncodedHeader {
		return nil, fmt.Errorf("7z header expands beyond %d bytes", szMaxEncodedHeader)
	}
	return out, nil
}

// overlay is r (size bytes) with its first len(head) bytes replaced by head
// and tail appended.
type overlay struct {
	r          io.ReaderAt
	size       int64
	head, tail []byte
}

func (o *overlay) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for len(b) > 0 {
		switch {
		case off < int64(len(o.head)):
			k := copy(b, o.head[off:])
			b, off, n = b[k:], off+int64(k), n+k
		case off < o.size:
			want := min(int64(len(b)), o.size-off)
			k, err := o.r.ReadAt(b[:want], off)
			b, off, n = b[k:], off+int64(k), n+k
			if err != nil && err != io.EOF {
				return n, err
			}
			if int64(k) < want {
				return n, io.ErrUnexpectedEOF
			}
		case off < o.size+int64(len(o.tail)):
			k := copy(b, o.tail[off-o.size:])
			b, off, n = b[k:], off+int64(k), n+k
		default:
			return n, io.EOF
		}
	}
	return n, nil
}
