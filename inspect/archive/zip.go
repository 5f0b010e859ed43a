package archive

import (
	"archive/zip"
	"bufio"
	"compress/bzip2"
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

// APPNOTE.TXT (PKWARE .ZIP File Format Specification 6.3.10) 4.4.4 general
// purpose bit flags.
const (
	zipFlagEncrypted   = 1 << 0
	zipFlagDescriptor  = 1 << 3
	zipFlagStrongCrypt = 1 << 6
)

// APPNOTE.TXT 4.4.5 compression methods.
const (
	zipStore   = 0
	zipDeflate = 8
	zipBzip2   = 12
	zipAES     = 99 // WinZip AE-x, see the 0x9901 extra field
)

var zipMethodNames = map[uint16]string{
	1: "shrink", 2: "reduce", 3: "reduce", 4: "reduce", 5: "reduce",
	6: "implode", 9: "deflate64", 10: "PKWARE DCL implode", 14: "lzma",
	16: "IBM z/OS CMPSC", 18: "IBM TERSE", 19: "IBM LZ77", 20: "zstd", 93: "zstd",
	94: "mp3", 95: "xz", 96: "jpeg", 97: "wavpack", 98: "ppmd",
}

func zipMethodName(m uint16) string {
	if n, ok := zipMethodNames[m]; ok {
		return n
	}
	return fmt.Sprintf("method %d", m)
}

// zipLocalHeaderLen is the fixed part of a local file header (APPNOTE 4.3.7).
const zipLocalHeaderLen = 30

func inspectZip(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	zr, err := p.Zip, error(nil)
	if zr == nil { // not through the engine's sniffing
		zr, err = zip.NewReader(p.R, p.Size)
	}
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// No usable central directory (truncated, damaged): the local
		// headers still say what is inside.
		if lerr := walkLocalHeaders(ctx, p, s); lerr != nil {
			return fmt.Errorf("cannot open zip archive: %v; %w", err, lerr)
		}
		return nil
	}
	if len(zr.File) > p.Limits.MaxParts {
		return tooManyMembers(p)
	}
	zr.RegisterDecompressor(zipBzip2, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })
	classifyZip(zr.File, s)
	if err := checkOverlap(ctx, zr.File, p.Size); err != nil {
		return err
	}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := cleanName(f.Name)
		if strings.HasSuffix(f.Name, "/") || f.Mode().IsDir() {
			continue
		}
		if d := zipEncryption(f.Flags, f.Method, f.Extra); d != "" {
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: name, Detail: "encrypted zip entry (" + d + ")"})
			continue
		}
		switch f.Method {
		case zipStore, zipDeflate, zipBzip2:
		default:
			s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name,
				Detail: "unsupported zip compression method " + zipMethodName(f.Method)})
			continue
		}
		if memberTooLarge(p, s, name, int64(min(f.UncompressedSize64, 1<<62))) ||
			ratioTooHigh(p, s, name, int64(min(f.CompressedSize64, 1<<62)), int64(min(f.UncompressedSize64, 1<<62))) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name, Detail: "zip entry: " + err.Error()})
			continue
		}
		err = s.Child(name, inspect.RatioReader(rc, int64(min(f.CompressedSize64, 1<<62)), p.Limits.MaxRatio))
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// zipEncryption returns how a member is encrypted ("" when it is not).
func zipEncryption(flags, method uint16, extra []byte) string {
	switch {
	case flags&zipFlagStrongCrypt != 0 && flags&zipFlagEncrypted != 0:
		// APPNOTE 7.0 Strong Encryption Specification.
		return "strong encryption"
	case method == zipAES:
		// WinZip AES (AE-1/AE-2): extra field 0x9901 says the key size.
		return aesStrength(extra)
	case flags&zipFlagEncrypted != 0:
		// APPNOTE 6.1 traditional PKWARE encryption.
		return "ZipCrypto"
	}
	return ""
}

// aesStrength reads the WinZip AES extra field (header ID 0x9901: version
// u16, vendor "AE", strength u8 1/2/3 = 128/192/256 bits, method u16).
func aesStrength(extra []byte) string {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			break
		}
		if id == 0x9901 && n >= 7 {
			switch extra[4] {
			case 1:
				return "AES-128"
			case 2:
				return "AES-192"
			case 3:
				return "AES-256"
			}
		}
		extra = extra[n:]
	}
	return "AES"
}

// classifyZip recognises packages that run code when opened: Java archives,
// Android packages and Windows app packages (MSIX/APPX).
func classifyZip(files []*zip.File, s inspect.Scope) {
	var manifest, class, android, dex, appx bool
	for _, f := range files {
		n := f.Name
		switch {
		case n == "META-INF/MANIFEST.MF":
			manifest = true
		case n == "AndroidManifest.xml":
			android = true
		case n == "classes.dex":
			dex = true
		case strings.EqualFold(n, "AppxManifest.xml"), strings.EqualFold(n, "AppxMetadata/AppxBundleManifest.xml"):
			appx = true
		case strings.HasSuffix(n, ".class"):
			class = true
		}
	}
	switch {
	case android && dex:
		s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "Android package"})
	case manifest || class:
		s.SetType(inspect.TypeJAR)
		s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "Java archive"})
	}
	if appx {
		s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "app package"})
	}
}

// checkOverlap refuses an archive whose members share bytes: no archiver
// writes that, but non-recursive zip bombs do (one compressed kernel
// referenced by thousands of central directory entries).
func checkOverlap(ctx context.Context, files []*zip.File, size int64) error {
	type span struct{ start, end int64 }
	spans := make([]span, 0, len(files))
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		off, err := f.DataOffset()
		if err != nil {
			continue // Open reports it for this member
		}
		spans = append(spans, span{off, off + int64(min(f.CompressedSize64, uint64(size)))})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		// Each member's data follows its own local header.
		if spans[i].start < spans[i-1].end+zipLocalHeaderLen {
			return errors.New("overlapping zip entries (zip bomb)")
		}
	}
	return nil
}

// walkLocalHeaders inspects a zip by its local file headers (APPNOTE 4.3.7)
// when the central directory is missing or damaged. It returns an error when
// it could not get through the whole archive.
func walkLocalHeaders(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	var off int64
	var hdr [zipLocalHeaderLen]byte
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n > p.Limits.MaxParts {
			return tooManyMembers(p)
		}
		if _, err := p.R.ReadAt(hdr[:4], off); err != nil || string(hdr[:4]) != "PK\x03\x04" {
			switch {
			case n == 0:
				return errors.New("no local file header")
			case err == nil && (string(hdr[:4]) == "PK\x01\x02" || string(hdr[:4]) == "PK\x05\x06"):
				return nil // the (damaged) central directory follows
			case err != nil && off == p.Size:
				return nil // truncated right after a member
			}
			return fmt.Errorf("no local file header at offset %d", off)
		}
		if _, err := p.R.ReadAt(hdr[:], off); err != nil {
			return fmt.Errorf("truncated local file header at offset %d", off)
		}
		flags := binary.LittleEndian.Uint16(hdr[6:])
		method := binary.LittleEndian.Uint16(hdr[8:])
		csize := int64(binary.LittleEndian.Uint32(hdr[18:]))
		usize := int64(binary.LittleEndian.Uint32(hdr[22:]))
		nlen := int64(binary.LittleEndian.Uint16(hdr[26:]))
		elen := int64(binary.LittleEndian.Uint16(hdr[28:]))
		dataStart := off + zipLocalHeaderLen + nlen + elen
		if dataStart > p.Size {
			return fmt.Errorf("truncated local file header at offset %d", off)
		}
		buf := make([]byte, nlen+elen) // at most 128 KiB, checked against p.Size above
		if _, err := p.R.ReadAt(buf, off+zipLocalHeaderLen); err != nil {
			return fmt.Errorf("truncated local file header at offset %d", off)
		}
		name := cleanName(string(buf[:nlen]))
		extra := buf[nlen:]
		if csize == 0xFFFFFFFF || usize == 0xFFFFFFFF {
			// APPNOTE 4.5.3 Zip64 extended information: usize, csize.
			if z := zipExtra(extra, 0x0001); len(z) >= 16 {
				usize = int64(min(binary.LittleEndian.Uint64(z), 1<<62))
				csize = int64(min(binary.LittleEndian.Uint64(z[8:]), 1<<62))
			}
		}
		sized := flags&zipFlagDescriptor == 0 || csize != 0
		if sized && csize > p.Size-dataStart {
			return fmt.Errorf("zip entry %q extends past the end of the archive", name)
		}
		if d := zipEncryption(flags, method, extra); d != "" {
			s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: name, Detail: "encrypted zip entry (" + d + ")"})
			if !sized {
				return fmt.Errorf("cannot find the end of encrypted zip entry %q", name)
			}
			off = skipDescriptor(p, dataStart+csize, flags)
			continue
		}
		isDir := strings.HasSuffix(name, "/")
		switch {
		case method != zipStore && method != zipDeflate && method != zipBzip2:
			s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name,
				Detail: "unsupported zip compression method " + zipMethodName(method)})
			if !sized {
				return fmt.Errorf("cannot find the end of zip entry %q", name)
			}
			off = skipDescriptor(p, dataStart+csize, flags)
			continue
		case sized:
			if !isDir && !memberTooLarge(p, s, name, usize) && !ratioTooHigh(p, s, name, csize, usize) {
				if err := s.Child(name, inspect.RatioReader(zipDecompressor(method, io.NewSectionReader(p.R, dataStart, csize)), csize, p.Limits.MaxRatio)); err != nil {
					return err
				}
			}
			off = skipDescriptor(p, dataStart+csize, flags)
		case method == zipDeflate:
			// Sizes follow the data: the deflate stream ends itself.
			cr := &countingReader{br: bufio.NewReader(io.NewSectionReader(p.R, dataStart, p.Size-dataStart))}
			er := &eofReader{r: flate.NewReader(cr)}
			if err := s.Child(name, inspect.RatioReader(er, p.Size-dataStart, p.Limits.MaxRatio)); err != nil {
				return err
			}
			if !er.eof {
				return fmt.Errorf("cannot find the end of zip entry %q", name)
			}
			off = skipDescriptor(p, dataStart+cr.n, flags)
		default:
			// Stored, sizes in the descriptor: find the descriptor that
			// names the distance to it as the compressed size.
			end, ok := findStoredEnd(ctx, p, dataStart)
			if !ok {
				return fmt.Errorf("cannot find the end of zip entry %q (sizes in data descriptor)", name)
			}
			if !isDir {
				if err := s.Child(name, io.NewSectionReader(p.R, dataStart, end-dataStart)); err != nil {
					return err
				}
			}
			off = skipDescriptor(p, end, flags)
		}
	}
}

// findStoredEnd finds the end of stored data that starts at start and is
// followed by a data descriptor with signature (APPNOTE 4.3.9.3) whose
// compressed size (4 or 8 bytes, Zip64) equals the data's length.
func findStoredEnd(ctx context.Context, p inspect.Part, start int64) (int64, bool) {
	const chunk = 64 << 10
	buf := make([]byte, chunk+24)
	for off := start; off < p.Size; off += chunk {
		if ctx.Err() != nil {
			return 0, false
		}
		n, _ := p.R.ReadAt(buf, off)
		b := buf[:n]
		for i := 0; i+16 <= len(b); i++ {
			if b[i] != 'P' || b[i+1] != 'K' || b[i+2] != 7 || b[i+3] != 8 {
				continue
			}
			size := uint64(off + int64(i) - start)
			if uint64(binary.LittleEndian.Uint32(b[i+8:])) == size ||
				(i+24 <= len(b) && binary.LittleEndian.Uint64(b[i+8:]) == size) {
				return off + int64(i), true
			}
		}
	}
	return 0, false
}

func zipDecompressor(method uint16, r io.Reader) io.Reader {
	switch method {
	case zipDeflate:
		return flate.NewReader(r)
	case zipBzip2:
		return bzip2.NewReader(r)
	}
	return r
}

// zipExtra returns the data of extra field id (APPNOTE 4.5.1).
func zipExtra(extra []byte, id uint16) []byte {
	for len(extra) >= 4 {
		eid := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return nil
		}
		if eid == id {
			return extra[:n]
		}
		extra = extra[n:]
	}
	return nil
}

// skipDescriptor returns the offset after a member's data that ends at end:
// past its data descriptor (APPNOTE 4.3.9: optional signature, crc, sizes of
// 4 or 8 bytes) when flag bit 3 says there is one.
func skipDescriptor(p inspect.Part, end int64, flags uint16) int64 {
	if flags&zipFlagDescriptor == 0 {
		return end
	}
	// Try the descriptor layouts; the right one is followed by a header.
	var sig [4]byte
	for _, n := range []int64{16, 12, 24, 20} {
		if _, err := p.R.ReadAt(sig[:], end+n); err == nil && sig[0] == 'P' && sig[1] == 'K' {
			return end + n
		}
	}
	return end + 16
}

// countingReader counts the bytes a decompressor consumed. It implements
// io.ByteReader so that flate does not read ahead.
type countingReader struct {
	br *bufio.Reader
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.br.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.br.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// eofReader remembers whether its reader reached io.EOF.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}
