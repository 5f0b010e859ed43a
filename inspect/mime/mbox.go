package mime

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// ReadMbox splits an mbox file into messages and calls fn with each, as a
// reader that ends where the message ends. It streams: no message is held
// in memory. What fn does not read is skipped. fn's error stops the split
// and is returned.
//
// A line starting with "From " starts a message (mboxo, mboxrd; RFC 4155);
// that line is the envelope and not part of the message, and the blank line
// before it is the separator, not the end of the previous message. Lines
// ">From ", ">>From " ... lose one '>' (mboxrd; for mboxo this restores
// what the writer quoted). Content before the first "From " line, if not
// blank, is a message of its own (an .eml given as an mbox).
func ReadMbox(r io.Reader, fn func(msg io.Reader) error) error {
	m := &mbox{br: bufio.NewReaderSize(r, 64<<10), lineStart: true}
	// The first line decides whether there is a headless first message.
	first, err := m.br.Peek(5)
	if err != nil && len(first) == 0 {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	if bytes.HasPrefix(first, []byte("From ")) {
		if err := m.skipLine(); err != nil {
			if errors.Is(err, io.EOF) {
				return fn(bytes.NewReader(nil))
			}
			return err
		}
	} else if blank, err := m.onlyBlank(); err != nil {
		return err
	} else if blank {
		return nil
	}
	for {
		msg := &mboxMsg{m: m}
		if err := fn(msg); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, msg); err != nil {
			return err
		}
		if m.err != nil {
			if errors.Is(m.err, io.EOF) {
				return nil
			}
			return m.err
		}
		// msg ended at a "From " line, which is consumed.
	}
}

type mbox struct {
	br        *bufio.Reader
	lineStart bool   // the next read starts a line
	held      []byte // a blank line held back: it may be the separator
	buf       []byte
	pending   []byte // bytes not yet delivered (a view into buf)
	err       error  // sticky read error (io.EOF at the end)
}

// skipLine consumes the rest of the current line.
func (m *mbox) skipLine() error {
	for {
		_, err := m.br.ReadSlice('\n')
		if err == nil {
			m.lineStart = true
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// onlyBlank reports whether the input holds nothing but blank lines before
// the first message, consuming leading blank lines.
func (m *mbox) onlyBlank() (bool, error) {
	for {
		b, err := m.br.Peek(1)
		if len(b) == 0 {
			if errors.Is(err, io.EOF) {
				return true, nil
			}
			return false, err
		}
		if b[0] != '\r' && b[0] != '\n' {
			return false, nil
		}
		if _, err := m.br.ReadByte(); err != nil {
			return false, err
		}
	}
}

type mboxMsg struct {
	m    *mbox
	done bool
}

func (r *mboxMsg) Read(p []byte) (int, error) {
	m := r.m
	for len(m.pending) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if m.err != nil {
			// The input ended; a held blank line was the last separator.
			m.held = m.held[:0]
			r.done = true
			if errors.Is(m.err, io.EOF) {
				return 0, io.EOF
			}
			return 0, m.err
		}
		line, err := m.br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			m.err = err
		}
		if len(line) == 0 {
			continue
		}
		start := m.lineStart
		m.lineStart = err == nil
		switch {
		case !start:
			// The rest of a line longer than the buffer.
			m.pending = append(m.buf[:0], line...)
		case bytes.HasPrefix(line, []byte("From ")):
			// The next message starts: drop the separator blank line
			// and the envelope line.
			m.held = m.held[:0]
			r.done = true
			if !m.lineStart && m.err == nil {
				if err := m.skipLine(); err != nil {
					m.err = err
				}
			}
			return 0, io.EOF
		case isBlankLine(line):
			m.pending = append(m.buf[:0], m.held...)
			m.held = append(m.held[:0], line...)
		default:
			if quotedFrom(line) > 0 {
				line = line[1:] // mboxrd: one '>' less
			}
			m.pending = append(append(m.buf[:0], m.held...), line...)
			m.held = m.held[:0]
		}
		m.buf = m.pending[:0]
	}
	n := copy(p, m.pending)
	m.pending = m.pending[n:]
	return n, nil
}

func isBlankLine(b []byte) bool {
	return len(b) == 1 && b[0] == '\n' || len(b) == 2 && b[0] == '\r' && b[1] == '\n'
}

// quotedFrom returns the number of '>' before "From " at the start of
// line, 0 when it is no quoted From line.
func quotedFrom(line []byte) int {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i > 0 && bytes.HasPrefix(line[i:], []byte("From ")) {
		return i
	}
	return 0
}
