package ole

import (
	"fmt"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// A mainStream is what a reader looks for to recognise a document in a
// storage: the stream (or family of streams) holding the document itself.
// [MS-CFB] has no notion of it; each format names its own. A storage with
// the main streams of two formats is a different document to different
// readers, or to the same reader depending on the file's name: an
// EncryptedPackage beside a decoy WordDocument is a password-protected
// .docx to Word when the name says .docx and a harmless Word 97 document
// to a reader that looks for WordDocument.
type mainStream struct {
	// name is the stream as found (for the ambiguity's detail).
	name string
	// read inspects the document this stream makes the storage.
	read func(w *walker, n *node, where string, root bool) (docInfo, error)
}

// mainStreams lists the main streams of storage n, most dangerous reading
// first: when two readings are equally dangerous, the earlier decides the
// type. Streams of one format (an Excel 97 & 5.0/95 dual-format workbook
// holds both Workbook and Book) are one reading.
func mainStreams(n *node, root bool) []mainStream {
	var ms []mainStream
	// [MS-OFFCRYPTO] 2.3.4.4 (password) or 2.2 (rights management,
	// DRMEncryptedDataSpace, without EncryptionInfo): an encrypted OOXML
	// package.
	if s := n.stream("EncryptedPackage"); s != nil {
		ms = append(ms, mainStream{s.name, (*walker).encryptedPackage})
	}
	// [MS-OFFCRYPTO] 2.2.10, [MS-DOC] 2.1.13, [MS-XLS] 2.1.7.13: the
	// protected content of a rights-managed binary document. The streams
	// beside it are a placeholder document for readers that do not know
	// rights management (1.3.2).
	if s := n.stream("\x09DRMContent"); s != nil {
		ms = append(ms, mainStream{s.name, (*walker).drmContent})
	}
	if root && isMSI(n) {
		ms = append(ms, mainStream{"installer database", func(w *walker, _ *node, _ string, _ bool) (docInfo, error) {
			// An installer runs code by design.
			w.s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "msi installer"})
			return docInfo{typ: inspect.TypeMSI}, nil
		}})
	}
	// [MS-DOC] 2.1.1 WordDocument Stream.
	if s := n.stream("WordDocument"); s != nil {
		ms = append(ms, mainStream{s.name, func(w *walker, n *node, where string, _ bool) (docInfo, error) { return w.word(n, where) }})
	}
	// [MS-XLS] 2.1.2: Workbook (BIFF8), Book (BIFF5).
	if s := n.stream("Workbook"); s != nil || n.stream("Book") != nil {
		if s == nil {
			s = n.stream("Book")
		}
		ms = append(ms, mainStream{s.name, func(w *walker, n *node, where string, _ bool) (docInfo, error) { return w.excel(n, where) }})
	}
	// [MS-PPT] 2.1.1 PowerPoint Document Stream.
	if s := n.stream("PowerPoint Document"); s != nil {
		ms = append(ms, mainStream{s.name, func(w *walker, n *node, where string, _ bool) (docInfo, error) { return w.ppt(n, where) }})
	}
	// [MS-OXMSG] 2.2.1: a message's property stream and property streams.
	if name := msgName(n); name != "" {
		ms = append(ms, mainStream{name, func(w *walker, n *node, where string, _ bool) (docInfo, error) {
			return docInfo{typ: inspect.TypeMSG}, w.msg(n, where)
		}})
	}
	// [MS-OLEDS] 2.3.6 OLENativeStream (an OLE Package's file) and 2.3
	// "Package" (an embedded OOXML document): the content of an object
	// storage saved on its own. The storage walk hands both to the
	// engine; as a reading they only count for the ambiguity.
	for _, name := range []string{"\x01Ole10Native", "Package"} {
		if s := n.stream(name); s != nil {
			ms = append(ms, mainStream{s.name, func(*walker, *node, string, bool) (docInfo, error) { return docInfo{}, nil }})
		}
	}
	return ms
}

// readings inspects every reading of a storage with more than one main
// stream, reports the ambiguity, and returns the most dangerous reading's
// document info. The root's other readings are named to the engine
// (inspect.AlsoType), which applies their types' rules: a decoy Word
// document beside an encrypted package still counts as legacy Office.
func (w *walker) readings(n *node, where string, root bool, ms []mainStream) (docInfo, error) {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = printable(m.name)
	}
	w.s.Emit(inspect.Finding{Kind: inspect.KindAmbiguous, Where: where,
		Detail: fmt.Sprintf("compound file with %s main streams: %s", countWord(len(names)), andList(names))})
	top := w.s
	defer func() { w.s = top }()
	var (
		best  docInfo
		worst = -1
		types []string
	)
	for _, m := range ms {
		rec := &dangerScope{Scope: top}
		w.s = rec
		info, err := m.read(w, n, where, root)
		w.s = top
		if err != nil {
			return best, err
		}
		types = append(types, info.typ)
		if rec.worst > worst {
			best, worst = info, rec.worst
		}
	}
	if root {
		for _, t := range types {
			if t != "" && t != best.typ {
				inspect.AlsoType(top, t)
			}
		}
	}
	return best, nil
}

// dangerScope passes findings on and remembers the most dangerous kind
// among them.
type dangerScope struct {
	inspect.Scope
	worst int
}

func (d *dangerScope) Emit(f inspect.Finding) {
	d.worst = max(d.worst, danger(f.Kind))
	d.Scope.Emit(f)
}

// danger orders finding kinds for choosing between readings: what hides
// content or runs code first.
func danger(k inspect.Kind) int {
	switch k {
	case inspect.KindEncrypted:
		return 6
	case inspect.KindExecutable:
		return 5
	case inspect.KindMacro:
		return 4
	case inspect.KindActiveContent, inspect.KindExternalReference:
		return 3
	case inspect.KindEmbeddedObject:
		return 2
	case inspect.KindUnscannable, inspect.KindAmbiguous:
		return 1
	}
	return 0
}

// drmContent reports the protected content of a rights-managed binary
// document: it opens only for a user the rights server licenses, so it is
// encrypted to everybody else ([MS-OFFCRYPTO] 1.3.2, 2.2.10).
func (w *walker) drmContent(n *node, where string, _ bool) (docInfo, error) {
	s := n.stream("\x09DRMContent")
	w.s.Emit(inspect.Finding{Kind: inspect.KindEncrypted, Where: join(where, s.name), Detail: "rights-managed (IRM) content"})
	return docInfo{}, nil
}

// msgName returns the name of a stream that makes n an Outlook message, or "".
func msgName(n *node) string {
	if s := n.stream(msgProperties); s != nil {
		return s.name
	}
	for _, k := range n.kids {
		if len(k.name) > len(msgSubstg) && strings.EqualFold(k.name[:len(msgSubstg)], msgSubstg) {
			return msgSubstg + "*"
		}
	}
	return ""
}

func countWord(n int) string {
	if n >= 0 && n < len(countWords) {
		return countWords[n]
	}
	return fmt.Sprint(n)
}

var countWords = []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// andList joins "a", "b", "c" as "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
