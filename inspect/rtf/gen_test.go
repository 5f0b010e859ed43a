package rtf

// Generators for the RTF fixtures, written from [MS-OLEDS] 2.2 (OLE1
// objects), the Packager layout documented in inspect/internal/olenative and
// inspecttest.WriteCFB (compound files with a root CLSID).

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func lpstr(s string) []byte {
	if s == "" {
		return []byte{0, 0, 0, 0}
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(s)+1))
	return append(append(b, s...), 0)
}

// ole1 builds an OLE1 EmbeddedObject ([MS-OLEDS] 2.2.5).
func ole1(class string, native []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x0501)
	b = binary.LittleEndian.AppendUint32(b, formatEmbedded)
	b = append(b, lpstr(class)...)
	b = append(b, lpstr("")...)
	b = append(b, lpstr("")...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(native)))
	return append(b, native...)
}

// ole1Linked builds an OLE1 LinkedObject ([MS-OLEDS] 2.2.6).
func ole1Linked(class, topic string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x0501)
	b = binary.LittleEndian.AppendUint32(b, formatLinked)
	b = append(b, lpstr(class)...)
	b = append(b, lpstr(topic)...)
	b = append(b, lpstr("")...)
	b = append(b, lpstr("")...)
	return append(b, make([]byte, 8)...)
}

// packager builds a Packager payload (no size prefix, as in RTF).
func packager(label string, data []byte) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&b, le, uint16(2))
	b.WriteString(label + "\x00")
	b.WriteString(`C:\Users\x\` + label + "\x00")
	binary.Write(&b, le, uint16(0))
	binary.Write(&b, le, uint16(3))
	tmp := `C:\Users\x\AppData\Local\Temp\` + label + "\x00"
	binary.Write(&b, le, uint32(len(tmp)))
	b.WriteString(tmp)
	binary.Write(&b, le, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

// cfb builds a compound file whose root entry has the given CLSID
// ([MS-CFB] 2.6.1).
func cfb(clsid []byte) []byte {
	b, _ := inspecttest.WriteCFB(inspecttest.Storage("").WithCLSID([16]byte(clsid)), inspecttest.CFBOptions{})
	return b
}

var mz = append([]byte("MZ\x90\x00This program cannot be run in DOS mode."), make([]byte, 64)...)

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// objGroup wraps hex object data in an \object group.
func objGroup(class, flags, hexdata string) string {
	return `{\object\objemb` + flags + `{\*\objclass ` + class + `}\objw100\objh100{\*\objdata ` + hexdata + `}{\result{\pict\wmetafile8 0100}}}`
}

func doc(body string) []byte {
	return []byte(`{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}` + "\n" + `\pard Hello ` + body + `\par}`)
}

// recScope records what an inspector reports.
type recScope = inspecttest.Recorder

func run(b []byte) (*recScope, error) {
	r := &recScope{}
	p := inspect.Part{Name: "a.rtf", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyRTF, Limits: inspect.DefaultLimits}
	return r, New().Inspect(context.Background(), p, r)
}
