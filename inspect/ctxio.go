package inspect

import (
	"context"
	"io"
)

// ContextReader returns a reader of r that fails with ctx's error once ctx
// is done, so that a long copy or decode stops when the walk's time is up.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return &ctxReader{ctx: ctx, r: r} }

// ContextReaderAt is ContextReader for an io.ReaderAt.
func ContextReaderAt(ctx context.Context, r io.ReaderAt) io.ReaderAt {
	return &ctxReaderAt{ctx: ctx, r: r}
}

// ContextWriter is ContextReader for an io.Writer.
func ContextWriter(ctx context.Context, w io.Writer) io.Writer { return &ctxWriter{ctx: ctx, w: w} }

type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c *ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
