package ole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/officemilter/officemilter/inspect"
)

// The text of a legacy document: what is left for the recipient when a
// policy removes a Word, Excel or PowerPoint 97-2003 file. It is read from
// the same structures the inspector reads, never by running or rendering
// the document: the Word piece table (text_doc.go), the Excel cell records
// (text_xls.go), the PowerPoint text atoms (text_ppt.go).

// ErrTextEncrypted: the document is encrypted with a password; its text
// cannot be read. The error's text says which encryption.
var ErrTextEncrypted = inspect.ErrTextEncrypted

// ErrNoText: the file is no Word, Excel or PowerPoint 97-2003 document
// whose text this package can read (another compound file, a Word 6/95
// document, a broken one).
var ErrNoText = inspect.ErrNoText

var _ inspect.TextExtractor = (*Inspector)(nil)

// DefaultMaxText is the cap of one document's text when none is given.
const DefaultMaxText = 1 << 20

// TruncatedLine ends a text that reached its cap.
const TruncatedLine = "[truncated]"

// Text returns the plain text of the Word, Excel or PowerPoint 97-2003
// document in p as UTF-8 with no control characters but tab and newline,
// at most max bytes (DefaultMaxText when max <= 0) followed by a
// "[truncated]" line when there was more. A document encrypted with a real
// password gives ErrTextEncrypted (one keyed with the default Excel
// password is decrypted); ctx bounds the time, p.Limits the sectors read.
func (in *Inspector) Text(ctx context.Context, p inspect.Part, max int) (out []byte, err error) {
	defer func() {
		// The extractors are written not to panic (the fuzz targets call
		// text directly); a bug must still not take the mail down.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: reading the text failed: %v", ErrNoText, r)
		}
	}()
	return in.text(ctx, p, max)
}

func (in *Inspector) text(ctx context.Context, p inspect.Part, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxText
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.Limits = p.Limits.WithDefaults()
	f, err := openCFB(ctx, p.R, p.Size, p.Limits.MaxOLESectors)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrNoText, err)
	}
	w := &walker{ctx: ctx, in: in, f: f, p: p}
	t := &textSink{max: max}
	root := f.root
	switch {
	case root.stream("WordDocument") != nil:
		err = w.wordText(root, t)
	case root.stream("Workbook") != nil || root.stream("Book") != nil:
		err = w.excelText(root, t)
	case root.stream("PowerPoint Document") != nil:
		err = w.pptText(root, t)
	case root.stream("EncryptedPackage") != nil:
		err = fmt.Errorf("%w (EncryptedPackage)", ErrTextEncrypted)
	default:
		err = fmt.Errorf("%w: the compound file holds no document stream", ErrNoText)
	}
	if errors.Is(err, errTextFull) {
		err = nil
	}
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, ErrTextEncrypted) || errors.Is(err, ErrNoText) {
			return nil, err
		}
		var le *inspect.LimitError
		if !errors.As(err, &le) {
			err = fmt.Errorf("%w: %w", ErrNoText, err)
		}
		return nil, err
	}
	return t.bytes(), nil
}

// rereadBudget is how many bytes an extractor may read of a stream of size
// bytes through a structure that can name the same bytes again (Word's
// piece table, PowerPoint's slide list): a real document reads them once,
// so twice over (and a MiB of slack) is a structure built to make work.
func rereadBudget(size int64) int64 { return 2*size + 1<<20 }

// errTextFull stops an extractor once the text reached its cap.
var errTextFull = errors.New("text cap reached")

// textSink collects the text: it drops control characters, turns
// paragraph marks into newlines, replaces what is not UTF-8 and stops at
// the cap.
type textSink struct {
	buf   []byte
	max   int
	full  bool
	nl    int // newlines at the end of buf (blank lines are kept short)
	steps int
}

// rune adds r. It returns errTextFull once the cap is reached.
func (t *textSink) rune(r rune) error {
	if t.full {
		return errTextFull
	}
	switch {
	case r == '\r' || r == '\v' || r == '\f':
		r = '\n'
	case r == '\t' || r == '\n':
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return nil // other C0 and C1 controls
	case r == 0xFFFE || r == 0xFFFF || r == 0xFEFF:
		return nil
	case r >= 0xD800 && r < 0xE000, r > utf8.MaxRune:
		r = utf8.RuneError
	}
	if r == '\n' {
		if t.nl >= 2 || len(t.buf) == 0 {
			return nil // at most one blank line, none at the start
		}
		t.nl++
	} else {
		t.nl = 0
	}
	if len(t.buf)+utf8.RuneLen(r) > t.max {
		t.full = true
		return errTextFull
	}
	t.buf = utf8.AppendRune(t.buf, r)
	return nil
}

// str adds s (UTF-8; invalid bytes become U+FFFD).
func (t *textSink) str(s string) error {
	for _, r := range s {
		if err := t.rune(r); err != nil {
			return err
		}
	}
	return nil
}

// line ends the current line unless it is empty.
func (t *textSink) line() error {
	if t.nl > 0 || len(t.buf) == 0 {
		return nil
	}
	return t.rune('\n')
}

// para ends the current paragraph with a blank line.
func (t *textSink) para() error {
	if err := t.line(); err != nil {
		return err
	}
	if t.nl >= 2 || len(t.buf) == 0 {
		return nil
	}
	return t.rune('\n')
}

// bytes returns the text, ended by a newline, with the "[truncated]" line
// when the cap was reached.
func (t *textSink) bytes() []byte {
	b := t.buf
	if t.full {
		// Cut back to the last complete rune (rune never splits one,
		// but be explicit about the ending).
		for len(b) > 0 && !utf8.FullRune(b) {
			b = b[:len(b)-1]
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		return append(b, TruncatedLine+"\n"...)
	}
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 {
		b = append(b, '\n')
	}
	return b
}

// readFull reads len(b) bytes at off of r.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	if _, err := r.ReadAt(b, off); err != nil {
		return readErr(off, err)
	}
	return nil
}
