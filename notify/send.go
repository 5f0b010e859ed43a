package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// Mailer submits notification mails to the local MTA: through its
// sendmail command (the MTA queues and retries), or over SMTP when Addr is
// set.
type Mailer struct {
	// Sendmail is the sendmail command with its arguments (used when Addr
	// is empty).
	Sendmail []string
	// Addr is host:port of an SMTP server to submit to instead.
	Addr string
	// From is the header sender (the envelope sender is the null sender).
	From string
	// Timeout bounds one submission (default 30s).
	Timeout time.Duration
}

// Message builds a notification mail: plain text, UTF-8, quoted-printable,
// marked as auto-generated (RFC 3834) so that auto-responders stay quiet.
func Message(from, to, subject, text string, now time.Time) []byte {
	var id [12]byte
	_, _ = rand.Read(id[:])
	host := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		host = from[i+1:]
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id[:]), host)
	b.WriteString("Auto-Submitted: auto-generated\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	qw := quotedprintable.NewWriter(&b)
	_, _ = qw.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
	_ = qw.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

// SenderSubject is the subject of the notification to a sender.
func SenderSubject(langs []string) string {
	var parts []string
	for _, l := range langs {
		switch l {
		case "de":
			parts = append(parts, "Anhänge entfernt")
		case "en":
			parts = append(parts, "Attachments removed")
		}
	}
	if len(parts) == 0 {
		return "Attachments removed"
	}
	return strings.Join(parts, " / ")
}

// Send submits msg to rcpt with the null reverse path (RFC 5321 4.5.5), so
// that a failed notification never bounces back to anyone.
func (m *Mailer) Send(ctx context.Context, rcpt string, msg []byte) error {
	timeout := m.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if m.Addr == "" {
		return Sendmail(ctx, m.Sendmail, "", []string{rcpt}, bytes.NewReader(msg))
	}
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(m.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("notify: %w", err)
	}
	defer c.Close()
	if err := c.Mail(""); err != nil {
		return fmt.Errorf("notify: MAIL: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fmt.Errorf("notify: RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: end of DATA: %w", err)
	}
	return c.Quit()
}
