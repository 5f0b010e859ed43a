package milter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
)

// maxPacket bounds one milter packet. Postfix sends body chunks of at most
// 64 KiB (1 MiB when negotiated); the protocol library would accept 512 MiB
// and allocate it up front.
const maxPacket = 4 << 20

// ErrBadPacket is returned to the protocol library when a peer sends a
// packet that would crash or exhaust it.
var ErrBadPacket = errors.New("milter: malformed packet from peer")

// guardListener wraps accepted connections in guardConn.
type guardListener struct {
	net.Listener
	rejected *atomic.Int64
}

func (l guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, rejected: l.rejected}, nil
}

// guardConn reads whole milter packets ahead of the protocol library and
// refuses those it cannot survive: a zero length (it indexes data[0]), a
// huge length, CONNECT/MAIL/RCPT data without the NUL terminators it slices
// past. The library then sees a read error and closes just this
// connection; the daemon goes on.
type guardConn struct {
	net.Conn
	buf      bytes.Buffer
	err      error
	rejected *atomic.Int64
}

func (c *guardConn) Read(p []byte) (int, error) {
	if c.buf.Len() == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if err := c.fill(); err != nil {
			c.err = err
			if c.buf.Len() == 0 {
				return 0, err
			}
		}
	}
	return c.buf.Read(p)
}

// fill reads and checks one packet into buf.
func (c *guardConn) fill() error {
	var hdr [4]byte
	if _, err := io.ReadFull(c.Conn, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxPacket {
		return c.bad(fmt.Errorf("%w: length %d", ErrBadPacket, n))
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(c.Conn, data); err != nil {
		return err
	}
	if err := checkPacket(data[0], data[1:]); err != nil {
		return c.bad(err)
	}
	c.buf.Write(hdr[:])
	c.buf.Write(data)
	return nil
}

func (c *guardConn) bad(err error) error {
	if c.rejected != nil {
		c.rejected.Add(1)
	}
	return err
}

// checkPacket validates what the library would otherwise slice without
// bounds checks (milter protocol v6: SMFIC_CONNECT, SMFIC_MAIL, SMFIC_RCPT).
func checkPacket(code byte, data []byte) error {
	switch code {
	case 'C': // hostname NUL family [port address NUL]
		i := bytes.IndexByte(data, 0)
		if i < 0 || i+1 >= len(data) {
			return fmt.Errorf("%w: CONNECT without family", ErrBadPacket)
		}
	case 'M', 'R': // address NUL [args NUL]...
		if bytes.IndexByte(data, 0) < 0 {
			return fmt.Errorf("%w: %c without NUL terminator", ErrBadPacket, code)
		}
	case 'O':
		if len(data) < 12 {
			return fmt.Errorf("%w: short option negotiation", ErrBadPacket)
		}
	case 'D', 'H', 'L', 'N', 'B', 'E', 'A', 'Q', 'T', 'K', 'U':
	default:
		return fmt.Errorf("%w: unknown command %q", ErrBadPacket, code)
	}
	return nil
}
