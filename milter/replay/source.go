package replay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/officemilter/officemilter/inspect/mime"
)

// Item is one message to replay (or one input that could not be read).
type Item struct {
	// ID names the message: the file path, "path#N" for the N-th message
	// of an mbox, "-" (or "-#N") for standard input.
	ID string
	// Path is the file the message came from ("-" for stdin).
	Path string
	// Open returns the message's bytes; it is nil when Err is set.
	r io.Reader
	// Err says why the input could not be read.
	Err error
}

// Walk calls fn for every message below paths, in a stable order:
// directories recursively (sorted; hidden files and directories skipped),
// files as a single message or, when they start with an mbox "From " line,
// as an mbox. "-" reads standard input the same way. A path that cannot be
// read is reported through fn as an Item with Err and the walk goes on.
//
// Files whose absolute path is in skip are left out of directory walks (an
// expect file kept beside the messages).
func Walk(paths []string, stdin io.Reader, skip map[string]bool, fn func(Item) error) error {
	for _, p := range paths {
		if p == "-" {
			if err := readStream("-", stdin, fn); err != nil {
				return err
			}
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			if err := fn(Item{ID: p, Path: p, Err: err}); err != nil {
				return err
			}
			continue
		}
		if !st.IsDir() {
			if err := readFile(p, fn); err != nil {
				return err
			}
			continue
		}
		var files []string
		werr := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				files = append(files, path) // reported when opened
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			name := d.Name()
			if path != p && len(name) > 0 && name[0] == '.' {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				if abs, err := filepath.Abs(path); err == nil && skip[abs] {
					return nil
				}
				files = append(files, path)
			}
			return nil
		})
		if werr != nil {
			if err := fn(Item{ID: p, Path: p, Err: werr}); err != nil {
				return err
			}
		}
		sort.Strings(files)
		for _, f := range files {
			if err := readFile(f, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func readFile(path string, fn func(Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fn(Item{ID: path, Path: path, Err: err})
	}
	defer f.Close()
	return readStream(path, f, fn)
}

// errStop carries fn's error out of the mbox split untouched.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

// readStream hands on one message, or each message of an mbox.
func readStream(path string, r io.Reader, fn func(Item) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fn(Item{ID: path, Path: path, Err: err})
	}
	if !bytes.Equal(head, []byte("From ")) {
		return fn(Item{ID: path, Path: path, r: br})
	}
	n := 0
	err = mime.ReadMbox(br, func(msg io.Reader) error {
		n++
		if err := fn(Item{ID: fmt.Sprintf("%s#%d", path, n), Path: path, r: msg}); err != nil {
			return errStop{err}
		}
		return nil
	})
	var stop errStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fn(Item{ID: fmt.Sprintf("%s#%d", path, n+1), Path: path, Err: fmt.Errorf("mbox: %w", err)})
	}
	return nil
}
