package tnef

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// A small TNEF encoder ([MS-OXTNEF] 2.1.3) for test fixtures.

type tnefWriter struct{ bytes.Buffer }

func newTNEF() *tnefWriter {
	w := &tnefWriter{}
	binary.Write(w, binary.LittleEndian, uint32(Signature))
	binary.Write(w, binary.LittleEndian, uint16(0x0101))
	return w
}

// attr writes one attribute; id is the full 32-bit id (type in high word).
func (w *tnefWriter) attr(level byte, id uint32, data []byte) *tnefWriter {
	var sum uint16
	for _, b := range data {
		sum += uint16(b)
	}
	w.WriteByte(level)
	binary.Write(w, binary.LittleEndian, id)
	binary.Write(w, binary.LittleEndian, uint32(len(data)))
	w.Write(data)
	binary.Write(w, binary.LittleEndian, sum)
	return w
}

const (
	idAttachRenddata = 0x00069002
	idAttachTitle    = 0x00018010
	idAttachData     = 0x0006800F
	idAttachment     = 0x00069005
	idMsgProps       = 0x00069003
	idMessageClass   = 0x00078008
)

func (w *tnefWriter) attachment(title string, data []byte, props []byte) *tnefWriter {
	w.attr(levelAttachment, idAttachRenddata, make([]byte, 14))
	if title != "" {
		w.attr(levelAttachment, idAttachTitle, append([]byte(title), 0))
	}
	if data != nil {
		w.attr(levelAttachment, idAttachData, data)
	}
	if props != nil {
		w.attr(levelAttachment, idAttachment, props)
	}
	return w
}

// propList encodes a MAPI property list.
type propList struct {
	n int
	b bytes.Buffer
}

func (p *propList) u32(v uint32) { binary.Write(&p.b, binary.LittleEndian, v) }
func (p *propList) pad()         { p.b.Write(make([]byte, (4-p.b.Len()%4)%4)) }

func (p *propList) tag(typ, id uint16) { p.n++; p.u32(uint32(id)<<16 | uint32(typ)) }

func (p *propList) int32(id uint16, v uint32) *propList {
	p.tag(ptypInteger32, id)
	p.u32(v)
	return p
}

func (p *propList) unicode(id uint16, s string) *propList {
	u := utf16.Encode([]rune(s + "\x00"))
	p.tag(ptypString, id)
	p.u32(1)
	p.u32(uint32(2 * len(u)))
	for _, c := range u {
		binary.Write(&p.b, binary.LittleEndian, c)
	}
	p.pad()
	return p
}

func (p *propList) binary(typ, id uint16, v []byte) *propList {
	p.tag(typ, id)
	p.u32(1)
	p.u32(uint32(len(v)))
	p.b.Write(v)
	p.pad()
	return p
}

// named writes a named property with a string name and an int32 value.
func (p *propList) named(name string) *propList {
	p.tag(ptypInteger32, 0x8001)
	p.b.Write(make([]byte, 16)) // GUID
	p.u32(1)                    // MNID_STRING
	u := utf16.Encode([]rune(name + "\x00"))
	p.u32(uint32(2 * len(u)))
	for _, c := range u {
		binary.Write(&p.b, binary.LittleEndian, c)
	}
	p.pad()
	p.u32(7)
	return p
}

// multi writes a multi-valued int32 and a multi-valued binary property.
func (p *propList) multi() *propList {
	p.tag(ptypInteger32|ptypMultiple, 0x6001)
	p.u32(3)
	p.u32(1)
	p.u32(2)
	p.u32(3)
	p.tag(ptypBinary|ptypMultiple, 0x6002)
	p.u32(2)
	p.u32(3)
	p.b.Write([]byte{1, 2, 3, 0})
	p.u32(1)
	p.b.Write([]byte{9, 0, 0, 0})
	return p
}

func (p *propList) bytes() []byte {
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint32(p.n))
	out.Write(p.b.Bytes())
	return out.Bytes()
}

// iidIMessage is IID_IMessage {00020307-0000-0000-C000-000000000046}.
var iidIMessage = []byte{0x07, 0x03, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}

// lzfuLiterals compresses s with [MS-OXRTFCP] LZFu using only literals and
// the end marker (a reference to the write position).
func lzfuLiterals(s string) []byte {
	var body bytes.Buffer
	wpos := len(rtfPrebuf) + len(s)
	for i := 0; i < len(s); i += 8 {
		chunk := s[i:min(i+8, len(s))]
		if len(chunk) == 8 {
			body.WriteByte(0)
			body.WriteString(chunk)
			continue
		}
		body.WriteByte(1 << len(chunk))
		body.WriteString(chunk)
		ref := uint16(wpos%rtfDictSize) << 4
		binary.Write(&body, binary.BigEndian, ref)
		wpos = -1
	}
	if wpos >= 0 {
		body.WriteByte(1)
		binary.Write(&body, binary.BigEndian, uint16(wpos%rtfDictSize)<<4)
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()+12))
	binary.Write(&out, binary.LittleEndian, uint32(len(s)))
	binary.Write(&out, binary.LittleEndian, uint32(compressedLZFu))
	binary.Write(&out, binary.LittleEndian, uint32(0))
	out.Write(body.Bytes())
	return out.Bytes()
}
