package archive

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/officemilter/officemilter/inspect"
)

// inspectGzip hands the expanded content of a gzip file (RFC 1952; several
// members are read as one stream, as gunzip does) to the engine.
func inspectGzip(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	zr, err := gzip.NewReader(bufio.NewReader(section(p)))
	if err != nil {
		return fmt.Errorf("malformed gzip: %w", err)
	}
	defer zr.Close()
	// RFC 1952 2.3.1 FNAME: the original file name, without directory.
	name := cleanName(path.Base(cleanName(zr.Name)))
	if name == "" || name == "." {
		name = streamName(p.Name, map[string]string{".gz": "", ".tgz": ".tar", "-gz": "", ".z": ""}, "gunzip")
	}
	return s.Child(name, inspect.RatioReader(zr, p.Size, p.Limits.MaxRatio))
}

// inspectBzip2 hands the expanded content of a bzip2 file to the engine.
func inspectBzip2(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	name := streamName(p.Name, map[string]string{".bz2": "", ".tbz2": ".tar", ".tbz": ".tar", ".bz": ""}, "bunzip2")
	return s.Child(name, inspect.RatioReader(bzip2.NewReader(bufio.NewReader(section(p))), p.Size, p.Limits.MaxRatio))
}

// inspectTar hands every regular file of a tar archive (POSIX.1-2001 pax,
// GNU and ustar formats) to the engine.
func inspectTar(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	tr := tar.NewReader(section(p))
	for n := 0; ; n++ {
		if err := nextMember(ctx, p, n); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("malformed tar: %w", err)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA && h.Typeflag != tar.TypeGNUSparse {
			continue // directories, links, devices: no content
		}
		name := cleanName(h.Name)
		if memberTooLarge(p, s, name, h.Size) {
			continue
		}
		// A sparse file expands holes: bound it like a decompressor.
		if err := s.Child(name, inspect.RatioReader(tr, p.Size, p.Limits.MaxRatio)); err != nil {
			return err
		}
	}
}
