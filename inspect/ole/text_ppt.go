package ole

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
)

// [MS-PPT] 2.13.24 RecordType values of the text.
const (
	rtSlideListWithText = 0x0FF0 // 2.4.14.3 SlideListWithTextContainer
	rtSlidePersistAtom  = 0x03F3 // 2.4.14.5 SlidePersistAtom
	rtTextCharsAtom     = 0x0FA0 // 2.9.21 TextCharsAtom (UTF-16)
	rtTextBytesAtom     = 0x0FA8 // 2.9.22 TextBytesAtom (the low bytes of UTF-16)

	// SlideListWithTextContainer recInstance: slides and notes (1 is the
	// masters, whose placeholder texts are no one's words).
	instSlides = 0
	instNotes  = 2

	// maxTextAtom bounds one text atom read into memory.
	maxTextAtom = 4 << 20
)

// pptText writes the text of a presentation, slide by slide: the text of
// the slide list ([MS-PPT] 2.4.14.3: the placeholders' text after each
// SlidePersistAtom) and the text boxes of the slide's drawing, then the
// notes the same way. The slides are found through the persist directory
// of the last save, so text that earlier saves left behind is not shown.
func (w *walker) pptText(n *node, t *textSink) error {
	encrypted := n.stream("EncryptedSummary") != nil
	var cu []byte
	if s := n.stream("Current User"); s != nil {
		if r, err := w.f.open(s, "Current User"); err == nil {
			b := make([]byte, min(r.Size(), maxCurrentUser))
			if k, _ := r.ReadAt(b, 0); k == len(b) {
				cu = b
				encrypted = encrypted || currentUserEncrypted(b)
			}
		}
	}
	sr, err := w.f.open(n.stream("PowerPoint Document"), "PowerPoint Document")
	if err != nil {
		return err
	}
	var st *pptState
	var docs []pptRec
	walk := func() error { // of sr, from scratch
		st, docs = &pptState{persist: map[uint32]int64{}}, nil
		return w.pptTop(sr, st, func(r pptRec) error {
			if r.typ == rtDocumentContainer {
				docs = append(docs, r)
			}
			return nil
		})
	}
	if !encrypted {
		err = walk()
	}
	if encrypted || st.crypt { // st is set when not encrypted
		// Keyed with PowerPoint's default password, it opens without
		// asking: the text is the decrypted stream's.
		dec, derr := w.decryptPresentation(cu, sr)
		if derr != nil {
			if fatal(w.ctx, derr) {
				return derr
			}
			if encrypted {
				return fmt.Errorf("%w (PowerPoint)", ErrTextEncrypted)
			}
			return fmt.Errorf("%w (PowerPoint, RC4 CryptoAPI)", ErrTextEncrypted)
		}
		defer dec.Close()
		sr = dec.Reader()
		err = walk()
	}
	if err != nil && len(docs) == 0 {
		return err
	}
	live := map[int64]bool{}
	for _, off := range st.persist {
		live[off] = true
	}
	var doc *pptRec
	for i := range docs {
		if live[docs[i].off] || doc == nil {
			doc = &docs[i]
		}
	}
	p := &pptTexts{w: w, sr: sr, t: t, persist: st.persist}
	if doc == nil {
		// No document: every text atom of the stream, in order.
		return p.atoms(0, sr.Size(), 0)
	}
	slides := 0
	for _, inst := range []uint16{instSlides, instNotes} {
		if err := p.list(*doc, inst); err != nil {
			return err
		}
		slides += p.n
	}
	if slides == 0 {
		// A document without a slide list: its text atoms in order.
		return p.atoms(0, sr.Size(), 0)
	}
	return nil
}

// pptTexts is the state of one text walk of a PowerPoint Document stream.
type pptTexts struct {
	w       *walker
	sr      *io.SectionReader
	t       *textSink
	persist map[uint32]int64
	spent   int64  // bytes of slide containers walked
	n       int    // slides or notes seen
	pending string // the heading of a slide whose text is to come
}

// list writes the slides (or notes) of the SlideListWithText of recInstance
// inst in the document container doc.
func (p *pptTexts) list(doc pptRec, inst uint16) error {
	label := "Slide"
	if inst == instNotes {
		label = "Notes"
	}
	p.n, p.pending = 0, ""
	return p.w.pptRecords(p.sr, doc.body(), doc.body()+doc.len, func(l pptRec) (bool, error) {
		if l.typ != rtSlideListWithText || l.inst != inst {
			return false, nil
		}
		slide := int64(-1) // the drawing of the slide whose text is being read
		err := p.w.pptRecords(p.sr, l.body(), l.body()+l.len, func(r pptRec) (bool, error) {
			switch r.typ {
			case rtSlidePersistAtom:
				if err := p.slideDrawing(slide); err != nil {
					return true, err
				}
				slide = -1
				var b [4]byte
				if r.len >= 4 {
					if err := readFull(p.sr, b[:], r.body()); err != nil {
						return true, err
					}
					if off, ok := p.persist[binary.LittleEndian.Uint32(b[:])]; ok {
						slide = off
					}
				}
				p.n++
				p.pending = "[" + label + " " + strconv.Itoa(p.n) + "]"
				return false, nil
			case rtTextCharsAtom, rtTextBytesAtom:
				return false, p.atom(r)
			}
			return false, nil
		})
		if err != nil {
			return true, err
		}
		return false, p.slideDrawing(slide)
	})
}

// slideDrawing writes the text boxes of the slide (or notes) container at
// off, -1 for none.
func (p *pptTexts) slideDrawing(off int64) error {
	if off < 0 || off+pptRecordHeader > p.sr.Size() {
		return nil
	}
	var h [pptRecordHeader]byte
	if err := readFull(p.sr, h[:], off); err != nil {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(h[4:]))
	if binary.LittleEndian.Uint16(h[0:])&0xF != 0xF || n > p.sr.Size()-off-pptRecordHeader {
		return nil // not a container
	}
	// Many slide list entries may name the same container.
	if p.spent += n; p.spent > rereadBudget(p.sr.Size()) {
		return fmt.Errorf("%w: the slide list names the same records too often", ErrNoText)
	}
	return p.atoms(off+pptRecordHeader, off+pptRecordHeader+n, 1)
}

// atoms writes the text atoms in [start, end), entering containers.
func (p *pptTexts) atoms(start, end int64, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("%w: PowerPoint records nested deeper than %d", ErrNoText, maxNesting)
	}
	return p.w.pptRecords(p.sr, start, end, func(r pptRec) (bool, error) {
		switch {
		case r.typ == rtTextCharsAtom || r.typ == rtTextBytesAtom:
			return false, p.atom(r)
		case r.ver == 0xF:
			return false, p.atoms(r.body(), r.body()+r.len, depth+1)
		}
		return false, nil
	})
}

// atom writes one TextCharsAtom or TextBytesAtom as a paragraph.
func (p *pptTexts) atom(r pptRec) error {
	n := min(r.len, maxTextAtom)
	b := make([]byte, n)
	if err := readFull(p.sr, b, r.body()); err != nil {
		return err
	}
	var s string
	if r.typ == rtTextBytesAtom {
		s = latin1(b)
	} else {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		s = string(utf16.Decode(u))
	}
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if p.pending != "" {
		// A slide's heading appears with its first text.
		if err := p.t.para(); err != nil {
			return err
		}
		if err := p.t.str(p.pending + "\n"); err != nil {
			return err
		}
		p.pending = ""
	}
	if err := p.t.str(s); err != nil {
		return err
	}
	return p.t.line()
}
