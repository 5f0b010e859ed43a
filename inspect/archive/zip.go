package archive

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strings"
	"sync"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
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
	zipStore     = 0
	zipImplode   = 6 // APPNOTE 5.3, decoded by zipx
	zipDeflate   = 8
	zipDeflate64 = 9 // "enhanced deflate", decoded by zipx
	zipBzip2     = 12
	zipAES       = 99 // WinZip AE-x, see the 0x9901 extra field
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
	// The central directory and the local headers are read separately
	// (ARCHITECTURE "The attacker writes the bytes"): Sniff's archive/zip
	// reading in p.Zip is the central view only.
	v, err := zipx.ReadViews(ctx, p.R, p.Size, zipx.Options{MaxEntries: p.Limits.MaxParts, MaxDecode: p.Limits.MaxPartSize})
	switch {
	case errors.Is(err, zipx.ErrTooManyEntries):
		return tooManyMembers(p)
	case v == nil && ctx.Err() != nil:
		return ctx.Err()
	case v == nil:
		// No usable central directory (truncated, damaged): the local
		// headers still say what is inside, and unzip or Explorer would
		// not open it at all.
		if lerr := walkLocalHeaders(ctx, p, s); lerr != nil {
			return fmt.Errorf("cannot open zip archive: %v; %w", err, lerr)
		}
		s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Detail: "no central directory: read by its local headers only"})
		return nil
	}
	names := make([]string, 0, len(v.Central))
	for i := range v.Central {
		names = append(names, v.Central[i].Name)
	}
	for i := range v.Local {
		if v.Local[i].Central < 0 {
			names = append(names, v.Local[i].Name)
		}
	}
	classifyZip(names, s)
	for _, a := range v.Ambiguities {
		s.Emit(a.Finding())
	}
	if err != nil { // the walk stopped: time
		return err
	}
	if v.Overlapping(p.Size) {
		// No archiver writes that, but non-recursive zip bombs do (one
		// compressed kernel referenced by thousands of entries).
		return errors.New("overlapping zip entries (zip bomb)")
	}
	if v.Prefix > 0 {
		if err := zipPrefix(p, s, v.Prefix); err != nil {
			return err
		}
	}
	// The central directory view: what archive/zip, unzip, 7-Zip and
	// Explorer extract.
	for i := range v.Central {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := &v.Central[i]
		if strings.HasSuffix(h.Name, "/") {
			continue
		}
		if err := inspectMember(p, s, cleanName(h.Name), h, v.CentralData[i], true); err != nil {
			return err
		}
	}
	// The local header view: only what differs from the central view
	// (other bytes, or an entry the directory does not list) is inspected
	// again; the same bytes under another name were inspected above.
	for i := range v.Local {
		if err := ctx.Err(); err != nil {
			return err
		}
		l := &v.Local[i]
		if l.Central >= 0 {
			c := &v.Central[l.Central]
			if l.Data == v.CentralData[l.Central] && l.Method == c.Method && l.Encrypted() == c.Encrypted() &&
				l.CSize == c.CSize && (l.Method != zipImplode || l.USize == c.USize) {
				continue
			}
		}
		if strings.HasSuffix(l.Name, "/") && l.CSize == 0 {
			continue
		}
		if err := inspectMember(p, s, cleanName(l.Name), &l.Header, l.Data, l.Sized); err != nil {
			return err
		}
	}
	return nil
}

// zipPrefix hands the bytes before the first entry to the engine: whatever
// they are (another file, a second archive), some reader sees them. A
// self-extractor's executable stub is the one prefix archivers write
// themselves (zip -A, 7-Zip SFX): it is inspected (and found executable)
// but not called ambiguous. Sniff calls such a file an executable, so this
// path sees it only when the zip inspector is called directly.
func zipPrefix(p inspect.Part, s inspect.Scope, n int64) error {
	var head [4]byte
	p.R.ReadAt(head[:], 0)
	stub := string(head[:2]) == "MZ" || string(head[:4]) == "\x7fELF" || string(head[:2]) == "#!"
	if !stub {
		s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Detail: fmt.Sprintf("data before the first entry (%d bytes)", n)})
	}
	return s.ChildAt("[data before the first entry]", io.NewSectionReader(p.R, 0, n), n)
}

// inspectMember inspects one entry whose data starts at data (-1: no local
// header). crc says whether h.CRC is known and checked.
func inspectMember(p inspect.Part, s inspect.Scope, name string, h *zipx.Header, data int64, crc bool) error {
	if d := zipEncryption(h.Flags, h.Method, h.Extra); d != "" {
		s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: name, Detail: "encrypted zip entry (" + d + ")"})
		return nil
	}
	switch h.Method {
	case zipStore, zipDeflate, zipBzip2, zipImplode, zipDeflate64:
	default:
		s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name,
			Detail: "unsupported zip compression method " + zipMethodName(h.Method)})
		return nil
	}
	switch {
	case data < 0:
		s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name, Detail: "zip entry: " + zip.ErrFormat.Error()})
		return nil
	case h.CSize > p.Size-data:
		s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name, Detail: "zip entry: data past the end of the archive"})
		return nil
	}
	if memberTooLarge(p, s, name, h.USize) || ratioTooHigh(p, s, name, h.CSize, h.USize) {
		return nil
	}
	sec := io.NewSectionReader(p.R, data, h.CSize)
	var dec io.Reader = sec
	cr := &zipx.ByteCounter{}
	if h.Method != zipStore {
		br := bufReaders.Get().(*bufio.Reader)
		br.Reset(sec)
		defer bufReaders.Put(br)
		cr.Br = br
	}
	switch h.Method {
	case zipDeflate:
		// archive/zip pools its flate readers too: each holds ~40 KiB.
		fr := flateReaders.Get().(io.ReadCloser)
		fr.(flate.Resetter).Reset(cr, nil)
		defer flateReaders.Put(fr)
		dec = fr
	case zipBzip2:
		dec = bzip2.NewReader(cr)
	case zipImplode:
		dec = zipx.NewImplodeReader(cr, h.Flags, h.USize)
	case zipDeflate64:
		dec = zipx.NewDeflate64Reader(cr)
	}
	chk := &checkReader{r: dec, size: h.USize, crc: h.CRC, checkCRC: crc, hash: crc32.NewIEEE()}
	if err := s.Child(name, inspect.RatioReader(chk, h.CSize, p.Limits.MaxRatio)); err != nil {
		return err
	}
	if chk.eof && (h.Method == zipDeflate || h.Method == zipDeflate64) && cr.N < h.CSize {
		// The deflate data ends before the entry does: archive/zip stops
		// there, a streaming reader goes on at the next byte to look for
		// a data descriptor and the next header. Inspect the rest too.
		rest := h.CSize - cr.N
		s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Where: name,
			Detail: fmt.Sprintf("%d bytes after the end of the deflate data (local header view)", rest)})
		off := data + cr.N
		if h.Flags&zipFlagDescriptor != 0 {
			off, rest = skipToHeader(p, off, rest)
		}
		return s.ChildAt(name+" [after deflate data]", io.NewSectionReader(p.R, off, rest), rest)
	}
	return nil
}

var (
	bufReaders   = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	flateReaders = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// skipToHeader skips a data descriptor (APPNOTE 4.3.9) at off when a local
// header follows it.
func skipToHeader(p inspect.Part, off, n int64) (int64, int64) {
	var b [28]byte
	k, _ := p.R.ReadAt(b[:min(int64(len(b)), n)], off)
	for _, d := range []int{16, 12, 24, 20} {
		if d+4 <= k && string(b[d:d+4]) == "PK\x03\x04" {
			return off + int64(d), n - int64(d)
		}
	}
	return off, n
}

// checkReader checks an entry's expanded size and CRC-32 as archive/zip
// does (APPNOTE 4.4.7, 4.4.9) and remembers whether it reached the end.
type checkReader struct {
	r        io.Reader
	size     int64
	n        int64
	crc      uint32
	checkCRC bool
	hash     hash.Hash32
	eof      bool
}

func (c *checkReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.hash.Write(p[:n])
	if c.n > c.size {
		return n, zip.ErrFormat
	}
	if err == io.EOF {
		c.eof = true
		switch {
		case c.n != c.size:
			err = io.ErrUnexpectedEOF
		case c.checkCRC && c.hash.Sum32() != c.crc:
			err = zip.ErrChecksum
		}
	}
	return n, err
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
	for id, z := range zipx.ExtraFields(extra) {
		if id == 0x9901 && len(z) >= 7 {
			switch z[4] {
			case 1:
				return "AES-128"
			case 2:
				return "AES-192"
			case 3:
				return "AES-256"
			}
		}
	}
	return "AES"
}

// classifyZip recognises packages that run code when opened: Java archives,
// Android packages and Windows app packages (MSIX/APPX).
func classifyZip(names []string, s inspect.Scope) {
	var manifest, class, android, dex, appx bool
	for _, n := range names {
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

// walkLocalHeaders inspects a zip by its local file headers (APPNOTE 4.3.7)
// when the central directory is missing or damaged. It returns an error when
// it could not get through the whole archive.
func walkLocalHeaders(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	var off int64
	var hdr [zipLocalHeaderLen]byte
	for n := 0; ; n++ {
		if err := nextMember(ctx, p, n); err != nil {
			return err
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
			if z := zipx.ExtraField(extra, 0x0001); len(z) >= 16 {
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
		case method != zipStore && method != zipDeflate && method != zipBzip2 &&
			(!sized || (method != zipImplode && method != zipDeflate64)):
			s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: name,
				Detail: "unsupported zip compression method " + zipMethodName(method)})
			if !sized {
				return fmt.Errorf("cannot find the end of zip entry %q", name)
			}
			off = skipDescriptor(p, dataStart+csize, flags)
			continue
		case sized:
			if !isDir && !memberTooLarge(p, s, name, usize) && !ratioTooHigh(p, s, name, csize, usize) {
				if err := s.Child(name, inspect.RatioReader(zipDecompressor(method, flags, usize, io.NewSectionReader(p.R, dataStart, csize)), csize, p.Limits.MaxRatio)); err != nil {
					return err
				}
			}
			off = skipDescriptor(p, dataStart+csize, flags)
		case method == zipDeflate:
			// Sizes follow the data: the deflate stream ends itself.
			cr := &zipx.ByteCounter{Br: bufio.NewReader(io.NewSectionReader(p.R, dataStart, p.Size-dataStart))}
			er := &eofReader{r: flate.NewReader(cr)}
			if err := s.Child(name, inspect.RatioReader(er, p.Size-dataStart, p.Limits.MaxRatio)); err != nil {
				return err
			}
			if !er.eof {
				return fmt.Errorf("cannot find the end of zip entry %q", name)
			}
			off = skipDescriptor(p, dataStart+cr.N, flags)
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

func zipDecompressor(method, flags uint16, usize int64, r io.Reader) io.Reader {
	switch method {
	case zipImplode:
		return zipx.NewImplodeReader(r, flags, usize)
	case zipDeflate64:
		return zipx.NewDeflate64Reader(r)
	case zipDeflate:
		return flate.NewReader(r)
	case zipBzip2:
		return bzip2.NewReader(r)
	}
	return r
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
