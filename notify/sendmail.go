package notify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// Sendmail submits a message through the local MTA's sendmail command
// (Postfix's and Sendmail's take the same arguments): the MTA queues it and
// retries delivery, so a busy or unreachable next hop loses nothing.
//
// Argv is the command with its own arguments, e.g. ["/usr/sbin/sendmail"]
// or ["/usr/sbin/sendmail", "-C", "/etc/postfix-out"]. From is the envelope
// sender; "" is the null sender (RFC 5321 4.5.5), written "<>". The message
// is read from msg with CRLF or LF line ends (the command wants LF and the
// MTA writes CRLF again on the wire).
func Sendmail(ctx context.Context, argv []string, from string, rcpts []string, msg io.Reader) error {
	if len(argv) == 0 || argv[0] == "" {
		return errors.New("notify: no sendmail command configured")
	}
	if len(rcpts) == 0 {
		return errors.New("notify: sendmail: no recipients")
	}
	if from == "" {
		from = "<>"
	}
	for _, r := range append([]string{from}, rcpts...) {
		// An address is one argument; it must not look like an option or
		// carry line breaks.
		if r == "" || strings.HasPrefix(r, "-") || strings.ContainsAny(r, "\r\n\x00") {
			return fmt.Errorf("notify: sendmail: unusable address %q", r)
		}
	}
	args := append(append([]string(nil), argv[1:]...), "-i", "-f", from, "--")
	args = append(args, rcpts...)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	werr := writeLF(stdin, msg)
	if cerr := stdin.Close(); werr == nil {
		werr = cerr
	}
	if err := cmd.Wait(); err != nil || werr != nil {
		if err == nil {
			err = werr
		}
		text := strings.TrimSpace(out.String())
		if len(text) > 500 {
			text = text[:500] + "…"
		}
		if text != "" {
			return fmt.Errorf("notify: %s: %w: %s", argv[0], err, text)
		}
		return fmt.Errorf("notify: %s: %w", argv[0], err)
	}
	return nil
}

// writeLF copies r to w with every CRLF turned into LF.
func writeLF(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	pendCR := false // a long line's chunk ended in CR
	for {
		chunk, err := br.ReadSlice('\n')
		if pendCR && (len(chunk) == 0 || chunk[0] != '\n') {
			if _, werr := w.Write([]byte{'\r'}); werr != nil {
				return werr
			}
		}
		pendCR = false
		n := len(chunk)
		switch {
		case n >= 2 && chunk[n-2] == '\r' && chunk[n-1] == '\n':
			chunk[n-2] = '\n'
			chunk = chunk[:n-1]
		case errors.Is(err, bufio.ErrBufferFull) && n > 0 && chunk[n-1] == '\r':
			chunk, pendCR = chunk[:n-1], true
		}
		if _, werr := w.Write(chunk); werr != nil {
			return werr
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			if pendCR {
				_, err = w.Write([]byte{'\r'})
				return err
			}
			return nil
		default:
			return err
		}
	}
}
