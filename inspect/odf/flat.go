package odf

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// FlatInspector inspects flat (single XML file) ODF documents
// (inspect.FamilyFlatODF: .fodt .fods .fodp .fodg). It has no state and is
// safe for concurrent use.
type FlatInspector struct{}

var _ inspect.Inspector = (*FlatInspector)(nil)

// NewFlat returns a flat ODF inspector.
func NewFlat() *FlatInspector { return &FlatInspector{} }

// flatTypes maps office:document/@office:mimetype ([ODF 1.2] Part 1,
// office:document) to the type name; there is no name for flat drawings.
var flatTypes = map[string]string{
	"application/vnd.oasis.opendocument.text":         inspect.TypeFODT,
	"application/vnd.oasis.opendocument.spreadsheet":  inspect.TypeFODS,
	"application/vnd.oasis.opendocument.presentation": inspect.TypeFODP,
}

// Inspect implements inspect.Inspector. It streams the document once.
// office:binary-data (images, embedded objects: most of a flat file's
// bytes) is not passed through the XML decoder: it is skipped, or, for an
// OLE object, decoded straight from the input and handed to the engine.
func (in *FlatInspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	f := &flat{ctx: ctx, p: p, s: s}
	f.h = &docHandler{emit: func(k inspect.Kind, d string) { s.Emit(inspect.Finding{Kind: k, Detail: d}) }}
	err := f.run()
	f.h.finish()
	return err
}

type flat struct {
	ctx   context.Context
	p     inspect.Part
	s     inspect.Scope
	h     *docHandler
	typed bool
	oles  int
}

func (f *flat) run() error {
	f.s.SetType(inspect.TypeOther)
	base := int64(0) // input offset the current decoder starts at
	x := zipx.NewXMLReader(f.ctx, io.NewSectionReader(f.p.R, 0, f.p.Size))
	var ole *bytes.Buffer // binary data of an OLE object when it cannot be skipped
	for {
		tok, err := x.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return zipx.XMLError("", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !f.typed && t.Name.Local == "document" {
				f.typed = true
				mt, _ := zipx.Attr(t, "mimetype")
				if typ, ok := flatTypes[strings.ToLower(strings.TrimSpace(mt))]; ok {
					f.s.SetType(typ)
					f.h.prot.spreadsheet = isSpreadsheet(typ)
				}
			}
			act := f.h.start(t)
			if act == actNone {
				continue
			}
			// The binary data's text starts right after this start tag.
			// When the decoder reads the input bytes as they are, skip
			// it by offset and start a new decoder after it.
			start := base + x.InputOffset()
			if x.Transcoded || zipx.SelfClosing(f.p.R, start) {
				if act == actOLEData {
					ole = &bytes.Buffer{}
				}
				continue
			}
			end, err := zipx.IndexByte(f.ctx, f.p.R, start, f.p.Size, '<')
			if err != nil {
				return err
			}
			if act == actOLEData && !zipx.BlankAt(f.p.R, start, end) {
				if err := f.child(io.NewSectionReader(f.p.R, start, end-start)); err != nil {
					return err
				}
			}
			base = end
			x = zipx.NewXMLReader(f.ctx, io.NewSectionReader(f.p.R, end, f.p.Size-end))
		case xml.EndElement:
			if t.Name.Local == "binary-data" && ole != nil {
				data := ole
				ole = nil
				if len(bytes.TrimSpace(data.Bytes())) > 0 {
					if err := f.child(bytes.NewReader(data.Bytes())); err != nil {
						return err
					}
				}
			}
			f.h.end(t)
		case xml.CharData:
			if ole != nil {
				ole.Write(t)
			}
			f.h.text(t)
		}
	}
}

// child reports an embedded OLE object and hands its decoded data to the
// engine.
func (f *flat) child(b64 io.Reader) error {
	f.oles++
	f.s.Emit(inspect.Finding{Kind: inspect.KindEmbeddedObject, Detail: DetailOLEObject})
	return f.s.Child(fmt.Sprintf("object-ole-%d", f.oles), zipx.Base64(b64))
}
