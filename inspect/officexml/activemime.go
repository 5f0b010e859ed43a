package officexml

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/officemilter/officemilter/inspect"
)

// ActiveMimeInspector inspects ActiveMime blobs (inspect.FamilyActiveMime):
// Word keeps the VBA project of a Word 2003 XML or MHT document in one
// (editdata.mso), OLE objects in another (oledata.mso). It inflates the
// compound file inside and hands it to the engine, whose OLE inspector
// reports the macro. It has no state and is safe for concurrent use.
type ActiveMimeInspector struct{}

var _ inspect.Inspector = (*ActiveMimeInspector)(nil)

// NewActiveMime returns the FamilyActiveMime inspector.
func NewActiveMime() *ActiveMimeInspector { return &ActiveMimeInspector{} }

// The ActiveMime header. Microsoft publishes no specification; this is the
// layout public analyses describe (oletools' olevba mso_file_extract and
// others), all fields little-endian:
//
//	0x00 "ActiveMime\0\0"
//	0x0C uint16 0xF001
//	0x0E uint32 size A of the field at 0x12 (4 or 8)
//	0x12 A bytes (all ones)
//	     uint32 flags, uint32 compressed size,
//	     uint32 size B, uint32 size C, B bytes, C bytes,
//	     uint32 uncompressed size
//	     zlib stream (RFC 1950) of a compound file ([MS-CFB])
//
// With A = B = C = 4 the data starts at 0x32, which olevba computes as
// uint16 at 0x1E + 46; Excel has been seen to write it at 0x22A. The
// candidates are tried in that order, then every zlib header in the first
// KiB; the first that inflates is taken, as olevba does. None: the blob is
// unscannable, never clean.
const (
	activeMimeWordOffset  = 0x32
	activeMimeExcelOffset = 0x22A
	// activeMimeScan is how far into the blob a zlib header is looked for
	// when no described offset holds one.
	activeMimeScan = 1024
	// maxHeaderField bounds the header's variable field sizes (B, C):
	// larger values are not a header any writer produced.
	maxHeaderField = 0x1000
	// ChildName is the name of the inflated compound file.
	ChildName = "inflated"
)

// ErrNoZlibStream: an ActiveMime blob with no zlib stream where the header
// or a scan says.
var ErrNoZlibStream = errors.New("ActiveMime: no zlib stream found")

// Inspect implements inspect.Inspector.
func (in *ActiveMimeInspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeActiveMime)
	lim := p.Limits.WithDefaults()
	var head [activeMimeScan + 2]byte
	n, err := p.R.ReadAt(head[:min(int64(len(head)), p.Size)], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("ActiveMime: read: %w", err)
	}
	h := head[:n]
	if !bytes.HasPrefix(h, []byte("ActiveMime")) {
		return fmt.Errorf("ActiveMime: no header")
	}
	s.Emit(inspect.Finding{Kind: inspect.KindEmbeddedObject, Detail: DetailActiveMime})
	for _, off := range candidates(h) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if off <= 0 || off >= p.Size || !inflates(p.R, off, p.Size) {
			continue
		}
		zr, err := zlib.NewReader(io.NewSectionReader(p.R, off, p.Size-off))
		if err != nil {
			continue
		}
		defer zr.Close()
		// The ratio bound keeps a bomb cheap; the engine's spool caps the
		// expanded size (part-size, total-size).
		return s.Child(ChildName, inspect.RatioReader(zr, p.Size-off, lim.MaxRatio))
	}
	return ErrNoZlibStream
}

// candidates returns the offsets the zlib stream may start at: from the
// header's field sizes, olevba's reading of it, the offsets Word and Excel
// write, and every zlib header in the first KiB. Duplicates are dropped.
func candidates(h []byte) []int64 {
	var out []int64
	seen := map[int64]bool{}
	add := func(off int64) {
		if off > 0 && !seen[off] {
			seen[off] = true
			out = append(out, off)
		}
	}
	le := binary.LittleEndian
	if len(h) >= 0x12 {
		if a := int64(le.Uint32(h[0x0E:])); a == 4 || a == 8 {
			// 0x12 + A: flags, compressed size, B, C.
			o := 0x12 + a
			if int64(len(h)) >= o+16 {
				b, c := int64(le.Uint32(h[o+8:])), int64(le.Uint32(h[o+12:]))
				if b <= maxHeaderField && c <= maxHeaderField {
					add(o + 16 + b + c + 4)
				}
			}
		}
	}
	if len(h) >= 0x20 {
		add(int64(le.Uint16(h[0x1E:])) + 46)
	}
	add(activeMimeWordOffset)
	add(activeMimeExcelOffset)
	for i := 12; i+1 < len(h) && i < activeMimeScan; i++ {
		// RFC 1950 2.2: CM 8 (deflate) in the low nibble of CMF, and
		// CMF*256+FLG a multiple of 31.
		if h[i]&0x0F == 8 && (uint16(h[i])<<8|uint16(h[i+1]))%31 == 0 {
			add(int64(i))
		}
	}
	return out
}

// inflates reports whether a zlib stream starting at off inflates to at
// least a few bytes: a header that only looks right (two bytes pass the
// check one time in 31) is not taken.
func inflates(r io.ReaderAt, off, size int64) bool {
	zr, err := zlib.NewReader(io.NewSectionReader(r, off, size-off))
	if err != nil {
		return false
	}
	defer zr.Close()
	var b [8]byte
	n, err := io.ReadFull(zr, b[:])
	return n > 0 && (err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF))
}
