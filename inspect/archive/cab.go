package archive

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-CAB] 2.1 CFHEADER flags and 2.2 CFFOLDER compression types.
const (
	cabFlagPrev     = 0x0001
	cabFlagNext     = 0x0002
	cabFlagReserve  = 0x0004
	cabHeaderLen    = 36
	cabCompressNone = 0
	cabCompressZip  = 1
	cabBlockMax     = 32768 // [MS-CAB] 2.4: at most 32 KiB uncompressed per CFDATA
	cabMaxName      = 1024
)

var cabCompressNames = map[uint16]string{2: "Quantum", 3: "LZX"}

type cabFolder struct {
	start  uint32
	blocks uint16
	typ    uint16
}

type cabFile struct {
	name         string
	size, offset uint32
	folder       uint16
}

// inspectCAB lists a cabinet's files ([MS-CAB]) and hands the files of
// uncompressed and MSZIP folders to the engine; files in Quantum or LZX
// folders are unscannable.
func inspectCAB(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	var h [cabHeaderLen]byte
	if _, err := p.R.ReadAt(h[:], 0); err != nil {
		return errors.New("malformed cab: truncated header")
	}
	coffFiles := int64(binary.LittleEndian.Uint32(h[16:]))
	nFolders := int(binary.LittleEndian.Uint16(h[26:]))
	nFiles := int(binary.LittleEndian.Uint16(h[28:]))
	flags := binary.LittleEndian.Uint16(h[30:])
	if nFiles > p.Limits.MaxParts {
		return tooManyMembers(p)
	}
	// Each folder takes 8 bytes and each file at least 17: the counts must
	// fit in the cabinet.
	if int64(nFolders)*8+int64(nFiles)*17 > p.Size {
		return errors.New("malformed cab: more folders and files than the cabinet holds")
	}
	r := bufio.NewReader(io.NewSectionReader(p.R, cabHeaderLen, p.Size-cabHeaderLen))
	var folderReserve, dataReserve int
	if flags&cabFlagReserve != 0 {
		var rv [4]byte
		if _, err := io.ReadFull(r, rv[:]); err != nil {
			return errors.New("malformed cab: truncated header")
		}
		folderReserve, dataReserve = int(rv[2]), int(rv[3])
		if _, err := r.Discard(int(binary.LittleEndian.Uint16(rv[:]))); err != nil {
			return errors.New("malformed cab: truncated header")
		}
	}
	for _, f := range []uint16{cabFlagPrev, cabFlagNext} {
		if flags&f != 0 {
			// Cabinet and disk names of the neighbouring cabinet.
			for k := 0; k < 2; k++ {
				if _, err := cabString(r); err != nil {
					return err
				}
			}
		}
	}
	folders := make([]cabFolder, nFolders) // bounded by p.Size above
	for i := range folders {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return errors.New("malformed cab: truncated folder list")
		}
		folders[i] = cabFolder{binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint16(b[4:]), binary.LittleEndian.Uint16(b[6:]) & 0x000F}
		if _, err := r.Discard(folderReserve); err != nil {
			return errors.New("malformed cab: truncated folder list")
		}
	}
	r = bufio.NewReader(io.NewSectionReader(p.R, coffFiles, max(p.Size-coffFiles, 0)))
	byFolder := make([][]cabFile, nFolders)
	for i := 0; i < nFiles; i++ {
		var b [16]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return errors.New("malformed cab: truncated file list")
		}
		name, err := cabString(r)
		if err != nil {
			return err
		}
		f := cabFile{name: cleanName(name), size: binary.LittleEndian.Uint32(b[:]), offset: binary.LittleEndian.Uint32(b[4:]), folder: binary.LittleEndian.Uint16(b[8:])}
		if int(f.folder) >= nFolders {
			// 0xFFFD-0xFFFF: continued from or into another cabinet.
			s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: f.name, Detail: "cab file continues in another cabinet"})
			continue
		}
		byFolder[f.folder] = append(byFolder[f.folder], f)
	}
	for i, fo := range folders {
		files := byFolder[i]
		if len(files) == 0 {
			continue
		}
		if fo.typ != cabCompressNone && fo.typ != cabCompressZip {
			for _, f := range files {
				s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: f.name, Detail: "unsupported cab compression " + cabCompressNames[fo.typ]})
			}
			continue
		}
		if err := cabFolderFiles(ctx, p, s, fo, dataReserve, files); err != nil {
			return err
		}
	}
	return nil
}

// cabFolderFiles expands one folder's data blocks as a stream and hands
// its files, in offset order, to the engine.
func cabFolderFiles(ctx context.Context, p inspect.Part, s inspect.Scope, fo cabFolder, reserve int, files []cabFile) error {
	sort.Slice(files, func(i, j int) bool { return files[i].offset < files[j].offset })
	fr := &cabFolderReader{ctx: ctx, r: p.R, size: p.Size, off: int64(fo.start), left: int(fo.blocks), reserve: reserve, zip: fo.typ == cabCompressZip}
	var pos int64
	for _, f := range files {
		if int64(f.offset) < pos {
			return errors.New("malformed cab: overlapping files")
		}
		if _, err := io.CopyN(io.Discard, fr, int64(f.offset)-pos); err != nil {
			return fmt.Errorf("malformed cab: %w", err)
		}
		pos = int64(f.offset)
		if memberTooLarge(p, s, f.name, int64(f.size)) {
			// Later files of the folder need the stream past this one.
			return errors.New("cab folder with a file over the part-size limit")
		}
		lr := &io.LimitedReader{R: fr, N: int64(f.size)}
		if err := s.Child(f.name, inspect.RatioReader(lr, p.Size, p.Limits.MaxRatio)); err != nil {
			return err
		}
		if lr.N > 0 {
			if fr.err != nil {
				return fmt.Errorf("malformed cab: %w", fr.err)
			}
			return errors.New("malformed cab: file not read to its end")
		}
		pos += int64(f.size)
	}
	return nil
}

// cabFolderReader reads the uncompressed stream of a folder from its CFDATA
// blocks ([MS-CAB] 2.4; MSZIP blocks per [MS-MCI] 2.3: "CK" then a deflate
// stream whose dictionary is the previous block's output).
type cabFolderReader struct {
	ctx     context.Context
	r       io.ReaderAt
	size    int64
	off     int64
	left    int
	reserve int
	zip     bool
	buf     []byte // current block's uncompressed bytes not yet read
	dict    []byte
	err     error
}

func (c *cabFolderReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.left == 0 {
			return 0, io.EOF
		}
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
		c.err = c.next()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *cabFolderReader) next() error {
	var h [8]byte
	if _, err := c.r.ReadAt(h[:], c.off); err != nil {
		return errors.New("truncated data block")
	}
	cb := int64(binary.LittleEndian.Uint16(h[4:]))
	ucb := int(binary.LittleEndian.Uint16(h[6:]))
	start := c.off + 8 + int64(c.reserve)
	if start+cb > c.size || ucb > cabBlockMax {
		return errors.New("bad data block")
	}
	c.off = start + cb
	c.left--
	data := make([]byte, cb) // at most 64 KiB
	if _, err := c.r.ReadAt(data, start); err != nil {
		return errors.New("truncated data block")
	}
	if !c.zip {
		c.buf = data
		return nil
	}
	if len(data) < 2 || data[0] != 'C' || data[1] != 'K' {
		return errors.New("MSZIP block without CK signature")
	}
	out := make([]byte, 0, ucb)
	zr := flate.NewReaderDict(bytes.NewReader(data[2:]), c.dict)
	w := bytes.NewBuffer(out)
	if _, err := io.Copy(w, io.LimitReader(zr, cabBlockMax+1)); err != nil {
		return fmt.Errorf("MSZIP block: %w", err)
	}
	if w.Len() != ucb {
		return errors.New("MSZIP block of the wrong size")
	}
	c.buf = w.Bytes()
	c.dict = c.buf
	return nil
}

// cabString reads a NUL-terminated string of at most cabMaxName bytes.
func cabString(r *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", errors.New("malformed cab: truncated name")
		}
		if c == 0 {
			return sb.String(), nil
		}
		if sb.Len() >= cabMaxName {
			return "", errors.New("malformed cab: name too long")
		}
		sb.WriteByte(c)
	}
}
