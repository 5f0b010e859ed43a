package officexml

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// Root element namespaces of the shells. Word, Excel and PowerPoint open
// an XML file by its root element (the <?mso-application?> processing
// instruction only tells Windows which application to start).
const (
	// WordprocessingML 2003 ("Word 2003 XML Reference"): root w:wordDocument.
	nsWordML = "http://schemas.microsoft.com/office/word/2003/wordml"
	// The namespace of Word 2003's beta, which Word 2003 still opens.
	nsWordMLBeta = "http://schemas.microsoft.com/office/word/2003/2/wordml"
	// SpreadsheetML 2003 ("XML Spreadsheet Reference"): root ss:Workbook.
	nsSpreadsheet = "urn:schemas-microsoft-com:office:spreadsheet"
	// Flat OPC: root pkg:package, one pkg:part per OPC part ([ECMA-376]
	// Part 2 parts written inline: pkg:xmlData or base64 pkg:binaryData).
	nsPackage = "http://schemas.microsoft.com/office/2006/xmlPackage"
	// [MS-OFFMACRO2] 2.2.1.3: the content type of a VBA project part.
	ctVBAProject = "application/vnd.ms-office.vbaproject"
)

// Details of the findings this inspector reports itself.
const (
	// DetailFlatOPCVBA: a Flat OPC package holds a VBA project part.
	DetailFlatOPCVBA = "vbaProject.bin in Flat OPC"
	// DetailActiveMime: an ActiveMime blob (editdata.mso, oledata.mso).
	DetailActiveMime = "ActiveMime"
)

// Bounds of one document's XML. Real documents nest a few dozen levels
// deep; the element bound keeps the work proportional to something sane
// even for a file of millions of tiny empty elements.
const (
	maxDepth    = 256
	maxElements = 1 << 22
)

// shell is the kind of XML document Office sees.
type shell int

const (
	shellNone shell = iota
	shellWord
	shellExcel
	shellFlatOPC
)

// shellTypes are the type names of the shells, and legacy are what each is
// when named like a legacy Office file: Word opens a Word 2003 XML named
// .doc as a Word document, so it is a "doc" for allow_types and rule 1.
var (
	shellTypes = map[shell]string{shellWord: inspect.TypeWordXML, shellExcel: inspect.TypeXLSXML, shellFlatOPC: inspect.TypeFlatOPC}
	shellNames = map[shell]string{shellWord: "Word 2003 XML document", shellExcel: "Excel 2003 XML workbook", shellFlatOPC: "Flat OPC document"}
	legacy     = map[shell]map[string]bool{
		shellWord:  {inspect.TypeDoc: true, inspect.TypeDot: true},
		shellExcel: {inspect.TypeXLS: true, inspect.TypeXLT: true},
		// A Flat OPC names its application only in its content; the
		// legacy name says which application opens it.
		shellFlatOPC: {inspect.TypeDoc: true, inspect.TypeDot: true, inspect.TypeXLS: true,
			inspect.TypeXLT: true, inspect.TypePPT: true, inspect.TypePOT: true, inspect.TypePPS: true},
	}
)

// Inspector inspects Office's XML shells (inspect.FamilyOfficeXML). It has
// no state and is safe for concurrent use.
type Inspector struct{}

var _ inspect.Inspector = (*Inspector)(nil)

// New returns the FamilyOfficeXML inspector.
func New() *Inspector { return &Inspector{} }

// Inspect implements inspect.Inspector. It streams the document once. The
// base64 text of binData and binaryData (most of a shell's bytes) is not
// passed through the XML decoder when it can be read in place: it is
// decoded straight from the input and handed to the engine.
func (in *Inspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	d := &doc{ctx: ctx, p: p, s: s, lim: p.Limits.WithDefaults()}
	return d.run()
}

// doc is the state of one Inspect call.
type doc struct {
	ctx   context.Context
	p     inspect.Part
	s     inspect.Scope
	lim   inspect.Limits
	shell shell
	// The pkg:part being read (Flat OPC).
	partName, partType string
	payloads           int
}

func (d *doc) run() error {
	base := int64(0) // input offset the current decoder starts at
	x := zipx.NewXMLReader(d.ctx, io.NewSectionReader(d.p.R, 0, d.p.Size))
	depth, elements := 0, 0
	rooted := false
	// The decoded text of a payload that cannot be read in place
	// (transcoded input, character references, CDATA).
	var buf *bytes.Buffer
	var bufName string
	bufCap := d.lim.MaxPartSize/3*4 + 4
	for {
		tok, err := x.Next()
		if err == io.EOF {
			if !rooted {
				d.s.SetType(inspect.TypeTXT)
			}
			return nil
		}
		if err != nil {
			if !rooted {
				// Not XML Office would open as a document (the sniff
				// only saw a marker in the head).
				d.s.SetType(inspect.TypeTXT)
				return nil
			}
			return zipx.XMLError("", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if elements++; elements > maxElements {
				return &inspect.LimitError{Limit: inspect.LimitXMLElements, Value: maxElements}
			}
			if depth++; depth > maxDepth {
				return &inspect.LimitError{Limit: inspect.LimitXMLDepth, Value: maxDepth}
			}
			if !rooted {
				rooted = true
				if !d.root(t) {
					d.s.SetType(inspect.TypeTXT)
					return nil
				}
				continue
			}
			name, ok := d.start(t)
			if !ok {
				continue
			}
			// The payload's text starts right after this start tag. When
			// the decoder reads the input bytes as they are, decode it
			// in place and start a new decoder after it.
			start := base + x.InputOffset()
			if x.Transcoded || zipx.SelfClosing(d.p.R, start) {
				buf, bufName = &bytes.Buffer{}, name
				continue
			}
			end, err := zipx.IndexByte(d.ctx, d.p.R, start, d.p.Size, '<')
			if err != nil {
				return err
			}
			plain, err := d.plain(start, end)
			if err != nil {
				return err
			}
			if !plain {
				buf, bufName = &bytes.Buffer{}, name
				continue
			}
			if !zipx.BlankAt(d.p.R, start, end) {
				if err := d.child(name, io.NewSectionReader(d.p.R, start, end-start)); err != nil {
					return err
				}
			}
			base = end
			x = zipx.NewXMLReader(d.ctx, io.NewSectionReader(d.p.R, end, d.p.Size-end))
		case xml.EndElement:
			depth--
			switch t.Name.Local {
			case "binData", "binaryData":
				if buf != nil {
					b := buf
					buf = nil
					if len(bytes.TrimSpace(b.Bytes())) == 0 {
						continue
					}
					if err := d.child(bufName, bytes.NewReader(b.Bytes())); err != nil {
						return err
					}
				}
			case "part":
				d.partName, d.partType = "", ""
			}
		case xml.CharData:
			if buf == nil {
				continue
			}
			if int64(buf.Len()+len(t)) > bufCap {
				d.s.Emit(inspect.LimitFinding(inspect.LimitPartSize, d.lim.MaxPartSize).At(bufName))
				buf = nil
				continue
			}
			buf.Write(t)
		}
	}
}

// root decides the shell from the root element and sets the type. It
// reports false for XML that is none of them.
func (d *doc) root(t xml.StartElement) bool {
	ns := map[string]string{}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			ns[""] = a.Value
		case a.Name.Space == "xmlns":
			ns[a.Name.Local] = a.Value
		}
	}
	uri := strings.TrimSpace(ns[t.Name.Space])
	switch {
	case t.Name.Local == "wordDocument" && (uri == nsWordML || uri == nsWordMLBeta):
		d.shell = shellWord
	case t.Name.Local == "Workbook" && uri == nsSpreadsheet:
		d.shell = shellExcel
	case t.Name.Local == "package" && uri == nsPackage:
		d.shell = shellFlatOPC
	default:
		return false
	}
	typ := shellTypes[d.shell]
	if nt := inspect.TypeFromName(d.p.Name); legacy[d.shell][nt] {
		// The name decides which application opens the file, and Word
		// opens a Word 2003 XML named .doc as a Word document: for the
		// policy it is one (allowed where doc is, stripped by rule 1).
		typ = nt
		d.s.Emit(inspect.Finding{Kind: inspect.KindLegacyOffice,
			Detail: fmt.Sprintf("%s named .%s", shellNames[d.shell], inspect.Ext(d.p.Name))})
	}
	d.s.SetType(typ)
	return true
}

// start handles one start element below the root. It returns the child
// name and true when the element holds a base64 payload.
func (d *doc) start(t xml.StartElement) (string, bool) {
	switch t.Name.Local {
	case "binData":
		// Word 2003 XML: w:binData w:name="editdata.mso" (the VBA
		// project, in w:docSuppData), "oledata.mso" (OLE objects),
		// "wordml://02000001.png" (images). Whatever the name, the
		// engine sniffs the content.
		name, _ := zipx.Attr(t, "name")
		return d.payloadName(name), true
	case "part":
		if d.shell != shellFlatOPC {
			return "", false
		}
		d.partName, _ = zipx.Attr(t, "name")
		d.partType, _ = zipx.Attr(t, "contentType")
		d.partName = strings.TrimSpace(d.partName)
		if strings.EqualFold(path.Base(d.partName), "vbaProject.bin") ||
			strings.EqualFold(strings.TrimSpace(d.partType), ctVBAProject) {
			d.s.Emit(inspect.Finding{Kind: inspect.KindMacro, Where: inspect.Clean(d.partName, 256), Detail: DetailFlatOPCVBA})
		}
	case "binaryData":
		if d.shell != shellFlatOPC {
			return "", false
		}
		return d.payloadName(d.partName), true
	case "Relationship":
		if d.shell == shellFlatOPC && strings.HasSuffix(strings.ToLower(d.partName), ".rels") {
			d.relationship(t)
		}
	}
	return "", false
}

// payloadName is the child name of a payload: its own name, or a
// numbered one.
func (d *doc) payloadName(name string) string {
	d.payloads++
	name = inspect.Clean(name, 256)
	if name == "" {
		return fmt.Sprintf("binary-%d", d.payloads)
	}
	return name
}

// externalRelTypes are relationship types whose external target Office
// fetches when the document opens ([ECMA-376] Part 1, 17.15.1
// attachedTemplate, 17.17.1 subDoc, 17.15.2 frame, 17.17.3 altChunk; linked
// OLE objects; 18.14 external workbooks): remote template injection and
// its kin, in a Flat OPC's relationship parts as in a zip package.
var externalRelTypes = map[string]string{
	"attachedtemplate": "attachedTemplate", "oleobject": "oleObject",
	"subdocument": "subDocument", "frame": "frame", "afchunk": "aFChunk",
	"externallinkpath": "externalLinkPath",
}

// relationship reports a relationship of a .rels part with an external
// target Office fetches.
func (d *doc) relationship(t xml.StartElement) {
	mode, _ := zipx.Attr(t, "TargetMode")
	if !strings.EqualFold(strings.TrimSpace(mode), "External") {
		return
	}
	typ, _ := zipx.Attr(t, "Type")
	typ = strings.ToLower(strings.TrimSpace(typ))
	name, ok := externalRelTypes[typ[strings.LastIndexByte(typ, '/')+1:]]
	if !ok {
		return
	}
	target, _ := zipx.Attr(t, "Target")
	d.s.Emit(inspect.Finding{Kind: inspect.KindExternalReference, Where: inspect.Clean(d.partName, 256),
		Detail: name + " " + inspect.Clean(strings.TrimSpace(target), 100)})
}

// child hands the base64 text in b64 to the engine, decoded.
func (d *doc) child(name string, b64 io.Reader) error {
	return d.s.Child(name, zipx.Base64(b64))
}

// plain reports whether the input from start to end is payload text that
// can be decoded in place: no character or entity references, and it ends
// where the payload element does (not at CDATA, a comment or a processing
// instruction, whose text the decoder would have to read).
func (d *doc) plain(start, end int64) (bool, error) {
	if end >= d.p.Size {
		return false, nil
	}
	var next [2]byte
	if n, _ := d.p.R.ReadAt(next[:], end); n < 2 || next[1] != '/' {
		return false, nil
	}
	i, err := zipx.IndexByte(d.ctx, d.p.R, start, end, '&')
	return i >= end, err
}
