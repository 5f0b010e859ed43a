package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// TextExtractor is an inspector that can also give the plain text of the
// documents of its family (inspect/ole: Word, Excel and PowerPoint
// 97-2003), for a policy that delivers the text of a document it removes.
type TextExtractor interface {
	// Text returns the document's text as UTF-8 with no control
	// characters but tab and newline, at most max bytes and then a
	// "[truncated]" line. It fails with ErrTextEncrypted or ErrNoText
	// (wrapped, saying why), or with ctx's error or a *LimitError.
	Text(ctx context.Context, p Part, max int) ([]byte, error)
}

// ErrTextEncrypted: the document is encrypted with a password; its text
// cannot be read.
var ErrTextEncrypted = errors.New("the document is encrypted with a password")

// ErrNoText: the document's text cannot be read (not a format with text
// extraction, a variant that is not supported, a broken file).
var ErrNoText = errors.New("no text can be read from the document")

// Text returns the plain text of the document in r (size bytes) named
// name, from the inspector of its family (sniffed as Inspect does), within
// the engine's time and sector limits.
func (e *Engine) Text(ctx context.Context, name string, r io.ReaderAt, size int64, max int) ([]byte, error) {
	fam := Sniff(r, size, name)
	x, ok := e.inspectors[fam].(TextExtractor)
	if !ok {
		return nil, fmt.Errorf("%w: no text extraction for %s content", ErrNoText, fam)
	}
	ctx, cancel := context.WithTimeout(ctx, e.limits.MaxTime)
	defer cancel()
	return x.Text(ctx, Part{Name: name, Size: size, R: r, Family: fam, Limits: e.limits}, max)
}
