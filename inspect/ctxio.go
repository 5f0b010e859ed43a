package inspect

import (
	"context"
	"io"
)

// ContextReader returns a reader of r that fails with ctx's error once ctx
// is done, so that a long copy or decode stops when the walk's time is up.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return &ctxIO{ctx: ctx, r: r} }

// ContextReaderAt is ContextReader for an io.ReaderAt.
func ContextReaderAt(ctx context.Context, r io.ReaderAt) io.ReaderAt {
	return &ctxIO{ctx: ctx, ra: r}
}

// ContextWriter is ContextReader for an io.Writer.
func ContextWriter(ctx context.Context, w io.Writer) io.Writer { return &ctxIO{ctx: ctx, w: w} }

// ctxIO checks its context before each call of the reader, reader-at or
// writer it wraps (one of them is set).
type ctxIO struct {
	ctx context.Context
	r   io.Reader
	ra  io.ReaderAt
	w   io.Writer
}

func (c *ctxIO) Read(p []byte) (n int, err error) {
	if err = c.ctx.Err(); err == nil {
		n, err = c.r.Read(p)
	}
	return n, err
}

func (c *ctxIO) ReadAt(p []byte, off int64) (n int, err error) {
	if err = c.ctx.Err(); err == nil {
		n, err = c.ra.ReadAt(p, off)
	}
	return n, err
}

func (c *ctxIO) Write(p []byte) (n int, err error) {
	if err = c.ctx.Err(); err == nil {
		n, err = c.w.Write(p)
	}
	return n, err
}
