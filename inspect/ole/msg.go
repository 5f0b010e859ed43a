package ole

import (
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-OXMSG] 2.2 storage and stream names of an Outlook .msg file.
const (
	msgProperties   = "__properties_version1.0"
	msgSubstg       = "__substg1.0_"
	msgAttachPrefix = "__attach_version1.0_#"
	msgAttachData   = "__substg1.0_37010102" // PidTagAttachDataBinary
)

// Attachment name properties, best first ([MS-OXPROPS]):
// PidTagAttachLongFilename, PidTagAttachFilename, PidTagDisplayName; each
// as PtypString (001F, UTF-16LE) or PtypString8 (001E, 8-bit).
var msgNameStreams = []string{
	"__substg1.0_3707001F", "__substg1.0_3707001E",
	"__substg1.0_3704001F", "__substg1.0_3704001E",
	"__substg1.0_3001001F", "__substg1.0_3001001E",
}

// maxMsgName bounds what is read of a name property.
const maxMsgName = 2048

// msg hands every by-value attachment of a message to the engine
// ([MS-OXMSG] 2.2.2: one __attach_version1.0_#XXXXXXXX storage each).
// Embedded messages and OLE attachments are storages
// (__substg1.0_3701000D) that the storage walk enters by itself.
func (w *walker) msg(n *node, where string) error {
	for _, a := range n.kids {
		if a.typ != objStorage || len(a.name) < len(msgAttachPrefix) || !strings.EqualFold(a.name[:len(msgAttachPrefix)], msgAttachPrefix) {
			continue
		}
		data := a.stream(msgAttachData)
		if data == nil {
			continue
		}
		awhere := join(where, a.name)
		name, err := w.msgAttachName(a, awhere)
		if err != nil {
			return err
		}
		if err := w.childStream(data, join(awhere, data.name), join(awhere, name)); err != nil {
			return err
		}
	}
	return nil
}

// msgAttachName returns the file name of an attachment, reduced to its base
// name, or "attachment".
func (w *walker) msgAttachName(a *node, where string) (string, error) {
	for _, sn := range msgNameStreams {
		k := a.stream(sn)
		if k == nil {
			continue
		}
		b, ok, err := w.readAll(k, join(where, k.name), maxMsgName)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		var s string
		if strings.HasSuffix(sn, "1F") {
			u := make([]uint16, len(b)/2)
			for i := range u {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			}
			s = string(utf16.Decode(u))
		} else {
			s = latin1(b)
		}
		s = strings.TrimRight(s, "\x00")
		s = strings.ReplaceAll(s, "\\", "/")
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			s = s[i+1:]
		}
		if s = inspect.Clean(s, 255); s != "" && s != "." && s != ".." {
			return s, nil
		}
	}
	return "attachment", nil
}
