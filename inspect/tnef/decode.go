package tnef

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Signature is the first four bytes of a TNEF stream ([MS-OXTNEF] 2.1.3.1
// TNEF_SIGNATURE 0x223E9F78, little-endian).
const Signature = 0x223E9F78

// [MS-OXTNEF] 2.1.3.2 attribute levels.
const (
	levelMessage    = 0x01
	levelAttachment = 0x02
)

// [MS-OXTNEF] 2.1.3.3 attribute identifiers (low word; the high word is the
// attribute's type).
const (
	attBody           = 0x800C
	attAttachData     = 0x800F
	attAttachTitle    = 0x8010
	attAttachRenddata = 0x9002
	attMsgProps       = 0x9003
	attAttachment     = 0x9005
)

// MAPI property identifiers ([MS-OXPROPS]).
const (
	pidDisplayName      = 0x3001
	pidAttachDataObj    = 0x3701 // PidTagAttachDataBinary / PidTagAttachDataObject
	pidAttachFilename   = 0x3704
	pidAttachMethod     = 0x3705
	pidAttachLongName   = 0x3707
	pidRTFCompressed    = 0x1009
	attachEmbeddedMsg   = 5 // PidTagAttachMethod afEmbeddedMessage
	attachOLE           = 6 // afOle
	maxNameBytes        = 4096
	attrHeaderLen       = 9 // level u8, id u32, length u32
	attrChecksumLen     = 2
	iidLen              = 16
	minMAPIPropertySize = 8 // tag and the smallest value
)

// MAPI property types ([MS-OXCDATA] 2.11.1).
const (
	ptypInteger16 = 0x0002
	ptypInteger32 = 0x0003
	ptypFloat32   = 0x0004
	ptypFloat64   = 0x0005
	ptypCurrency  = 0x0006
	ptypFloatTime = 0x0007
	ptypErrorCode = 0x000A
	ptypBoolean   = 0x000B
	ptypObject    = 0x000D
	ptypInteger64 = 0x0014
	ptypString8   = 0x001E
	ptypString    = 0x001F
	ptypTime      = 0x0040
	ptypGUID      = 0x0048
	ptypBinary    = 0x0102
	ptypMultiple  = 0x1000
)

// Attachment is one attachment of a TNEF message.
type Attachment struct {
	// Title is attAttachTitle, the short (8.3) ANSI name.
	Title string
	// LongName is PidTagAttachLongFilename, FileName PidTagAttachFilename,
	// DisplayName PidTagDisplayName.
	LongName, FileName, DisplayName string
	// Method is PidTagAttachMethod (1 by value, 5 embedded message, 6 OLE).
	Method uint32
	// Data is the attachment's content (attAttachData, or the value of
	// PidTagAttachDataBinary/Object without its IID); nil when it has none.
	Data *io.SectionReader
	// Embedded says Data is an embedded message: a TNEF stream itself.
	Embedded bool
}

// Name is the best name the attachment has: the long file name, the file
// name, the title or the display name, in that order ("" when none).
func (a *Attachment) Name() string {
	for _, n := range []string{a.LongName, a.FileName, a.Title, a.DisplayName} {
		if n != "" {
			return n
		}
	}
	return ""
}

// Message is what Decode found in a TNEF stream.
type Message struct {
	// Key is the stream's legacy key ([MS-OXTNEF] 2.1.3.1).
	Key uint16
	// Attachments in stream order.
	Attachments []*Attachment
	// RTF is the compressed RTF body (PidTagRtfCompressed), nil when none.
	RTF *io.SectionReader
	// BadChecksums counts attributes whose checksum did not match. Readers
	// (Outlook too) ignore them; so does the inspector.
	BadChecksums int
}

// ErrNotTNEF is returned for a stream without the TNEF signature.
var ErrNotTNEF = errors.New("not a TNEF stream")

// Decode walks the TNEF stream in r (size bytes). On a malformed stream it
// returns what it found before the damage together with the error.
// maxAttachments bounds the attachment list (0: no bound beyond the size).
func Decode(ctx context.Context, r io.ReaderAt, size int64, maxAttachments int) (*Message, error) {
	var hdr [6]byte
	if size < int64(len(hdr)) {
		return nil, ErrNotTNEF
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("read TNEF header: %w", err)
	}
	if binary.LittleEndian.Uint32(hdr[:]) != Signature {
		return nil, ErrNotTNEF
	}
	m := &Message{Key: binary.LittleEndian.Uint16(hdr[4:])}
	var cur *Attachment
	attach := func() *Attachment {
		if cur == nil {
			cur = &Attachment{}
			m.Attachments = append(m.Attachments, cur)
		}
		return cur
	}
	off := int64(len(hdr))
	buf := make([]byte, 8<<10)
	for n := 0; off < size; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return m, err
			}
		}
		if maxAttachments > 0 && len(m.Attachments) > maxAttachments {
			return m, fmt.Errorf("TNEF stream has more than %d attachments", maxAttachments)
		}
		// [MS-OXTNEF] 2.1.3.2 Attribute: level, id, length, data, checksum.
		var ah [attrHeaderLen]byte
		if size-off < attrHeaderLen+attrChecksumLen {
			return m, fmt.Errorf("malformed TNEF: truncated attribute at offset %d", off)
		}
		if _, err := r.ReadAt(ah[:], off); err != nil {
			return m, fmt.Errorf("malformed TNEF: %w", err)
		}
		level := ah[0]
		id := binary.LittleEndian.Uint32(ah[1:]) & 0xFFFF
		length := int64(binary.LittleEndian.Uint32(ah[5:]))
		data := off + attrHeaderLen
		if length > size-data-attrChecksumLen {
			return m, fmt.Errorf("malformed TNEF: attribute 0x%04x length %d exceeds the stream", id, length)
		}
		ok, err := checksum(r, data, length, buf)
		if err != nil {
			return m, fmt.Errorf("malformed TNEF: %w", err)
		}
		if !ok {
			m.BadChecksums++
		}
		switch {
		case level == levelAttachment && id == attAttachRenddata:
			// [MS-OXTNEF] 2.1.3.3.13: attAttachRenddata starts an attachment.
			cur = nil
			attach()
		case level == levelAttachment && id == attAttachTitle:
			attach().Title = readString8(r, data, length)
		case level == levelAttachment && id == attAttachData:
			attach().Data = io.NewSectionReader(r, data, length)
		case level == levelAttachment && id == attAttachment:
			if err := parseProps(ctx, r, data, data+length, attach(), nil); err != nil {
				return m, fmt.Errorf("malformed TNEF attachment properties: %w", err)
			}
		case level == levelMessage && id == attMsgProps:
			if err := parseProps(ctx, r, data, data+length, nil, m); err != nil {
				return m, fmt.Errorf("malformed TNEF message properties: %w", err)
			}
		}
		off = data + length + attrChecksumLen
	}
	return m, nil
}

// checksum verifies an attribute's checksum: the sum of its data bytes
// modulo 65536 ([MS-OXTNEF] 2.1.3.2).
func checksum(r io.ReaderAt, off, length int64, buf []byte) (bool, error) {
	var sum uint16
	for done := int64(0); done < length; {
		n := min(int64(len(buf)), length-done)
		if _, err := r.ReadAt(buf[:n], off+done); err != nil {
			return false, err
		}
		for _, b := range buf[:n] {
			sum += uint16(b)
		}
		done += n
	}
	var c [2]byte
	if _, err := r.ReadAt(c[:], off+length); err != nil {
		return false, err
	}
	return binary.LittleEndian.Uint16(c[:]) == sum, nil
}

// readString8 reads an ANSI string (at most maxNameBytes) without its NULs.
func readString8(r io.ReaderAt, off, length int64) string {
	b := make([]byte, min(length, maxNameBytes))
	n, _ := r.ReadAt(b, off)
	b = b[:n]
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	// ANSI code page unknown: keep ASCII, map the rest as Latin-1.
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// readString16 reads a UTF-16LE string (at most maxNameBytes).
func readString16(r io.ReaderAt, off, length int64) string {
	b := make([]byte, min(length, maxNameBytes)&^1)
	n, _ := r.ReadAt(b, off)
	u := make([]uint16, n/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}

// cursor reads little-endian values from r within [off, end).
type cursor struct {
	r        io.ReaderAt
	off, end int64
	err      error
}

func (c *cursor) left() int64 { return c.end - c.off }

func (c *cursor) u32() uint32 {
	var b [4]byte
	if c.err != nil {
		return 0
	}
	if c.left() < 4 {
		c.err = errors.New("truncated property list")
		return 0
	}
	if _, err := c.r.ReadAt(b[:], c.off); err != nil {
		c.err = err
		return 0
	}
	c.off += 4
	return binary.LittleEndian.Uint32(b[:])
}

func (c *cursor) skip(n int64) {
	if c.err != nil {
		return
	}
	if n < 0 || n > c.left() {
		c.err = fmt.Errorf("property value of %d bytes exceeds the list", n)
		return
	}
	c.off += n
}

// pad4 rounds n up to a multiple of 4 ([MS-OXTNEF] 2.1.3.4: values are
// padded to 4 bytes).
func pad4(n int64) int64 { return (n + 3) &^ 3 }

// fixedSize is the encoded size of one value of a fixed-size type (padded
// to 4 bytes), 0 for variable-size types and -1 for unknown types.
func fixedSize(typ uint16) int64 {
	switch typ {
	case ptypInteger16, ptypInteger32, ptypFloat32, ptypErrorCode, ptypBoolean:
		return 4
	case ptypFloat64, ptypCurrency, ptypFloatTime, ptypInteger64, ptypTime:
		return 8
	case ptypGUID:
		return 16
	case ptypString8, ptypString, ptypBinary, ptypObject:
		return 0
	}
	return -1
}

// parseProps parses a MAPI property list ([MS-OXTNEF] 2.1.3.4 MsgPropertyList:
// count, then tag, optional named-property id, value(s)) in [off, end) and
// stores what matters in a (attachment properties) or m (message
// properties).
func parseProps(ctx context.Context, r io.ReaderAt, off, end int64, a *Attachment, m *Message) error {
	c := &cursor{r: r, off: off, end: end}
	count := int64(c.u32())
	if c.err == nil && count > c.left()/minMAPIPropertySize {
		return fmt.Errorf("%d properties cannot fit in %d bytes", count, c.left())
	}
	for i := int64(0); i < count && c.err == nil; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		tag := c.u32()
		typ, id := uint16(tag), uint16(tag>>16)
		if id >= 0x8000 {
			// Named property: GUID, kind, then an id or a name.
			c.skip(16)
			switch c.u32() {
			case 0: // MNID_ID
				c.u32()
			case 1: // MNID_STRING: length, UTF-16 name, padding
				n := int64(c.u32())
				c.skip(pad4(n))
			default:
				if c.err == nil {
					return fmt.Errorf("named property of unknown kind")
				}
			}
		}
		base := typ &^ ptypMultiple
		size := fixedSize(base)
		if size < 0 {
			if c.err == nil {
				return fmt.Errorf("unknown MAPI property type 0x%04x", typ)
			}
			break
		}
		if size > 0 && typ&ptypMultiple == 0 {
			if a != nil && id == pidAttachMethod && base == ptypInteger32 && c.left() >= 4 {
				a.Method = c.u32()
				continue
			}
			c.skip(size)
			continue
		}
		// Variable-size and multi-valued properties carry a value count.
		n := int64(c.u32())
		if c.err == nil && n > c.left()/4 {
			return fmt.Errorf("%d values cannot fit in %d bytes", n, c.left())
		}
		for j := int64(0); j < n && c.err == nil; j++ {
			if size > 0 {
				c.skip(size)
				continue
			}
			l := int64(c.u32())
			if c.err == nil && l > c.left() {
				return fmt.Errorf("property value of %d bytes exceeds the list", l)
			}
			if j == 0 && c.err == nil {
				value(r, c.off, l, typ, id, a, m)
			}
			c.skip(pad4(l))
		}
	}
	return c.err
}

// value stores one property value that matters.
func value(r io.ReaderAt, off, l int64, typ, id uint16, a *Attachment, m *Message) {
	str := func() string {
		if typ == ptypString {
			return readString16(r, off, l)
		}
		return readString8(r, off, l)
	}
	if m != nil {
		if id == pidRTFCompressed && typ == ptypBinary {
			m.RTF = io.NewSectionReader(r, off, l)
		}
		return
	}
	switch {
	case id == pidAttachLongName && (typ == ptypString || typ == ptypString8):
		a.LongName = str()
	case id == pidAttachFilename && (typ == ptypString || typ == ptypString8):
		a.FileName = str()
	case id == pidDisplayName && (typ == ptypString || typ == ptypString8):
		a.DisplayName = str()
	case id == pidAttachDataObj && typ == ptypBinary:
		if a.Data == nil {
			a.Data = io.NewSectionReader(r, off, l)
		}
	case id == pidAttachDataObj && typ == ptypObject && l >= iidLen:
		// [MS-OXTNEF] 2.1.3.4.1: an object value starts with the IID of its
		// interface; an embedded message follows as a TNEF stream.
		a.Data = io.NewSectionReader(r, off+iidLen, l-iidLen)
		var sig [4]byte
		if _, err := r.ReadAt(sig[:], off+iidLen); err == nil && binary.LittleEndian.Uint32(sig[:]) == Signature {
			a.Embedded = true
		}
	}
}
