package milter

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
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
	return newGuardConn(c, l.rejected), nil
}

func newGuardConn(c net.Conn, rejected *atomic.Int64) *guardConn {
	g := &guardConn{Conn: c, quickAck: quickAcker(c), rejected: rejected}
	g.r = readers.Get().(*bufio.Reader)
	g.r.Reset((*rawConn)(g))
	return g
}

// rawConn reads from the network for the read buffer.
type rawConn guardConn

func (c *rawConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.quickAck != nil {
		c.quickAck()
	}
	return n, err
}

// guardBuf is the read buffer of one connection: one read system call
// brings in several of the small packets an MTA writes in a row (macros,
// headers, end of headers); body chunks larger than it are read straight
// into the protocol library's buffer.
const guardBuf = 16 << 10

// readers recycles the read buffers: Postfix opens a milter connection per
// SMTP session, often one per message.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, guardBuf) }}

// guardConn checks whole milter packets ahead of the protocol library and
// refuses those it cannot survive: a zero length (it indexes data[0]), a
// huge length, CONNECT/MAIL/RCPT data without the NUL terminators it slices
// past. The library then sees a read error and closes just this
// connection; the daemon goes on. A packet is passed on only once it has
// been checked whole: a small one in the read buffer, a longer one whose
// data needs checking in pending; a body chunk (only its code needs a
// check) streams through.
type guardConn struct {
	net.Conn
	mu       sync.Mutex // Read against Close (the server may close from another goroutine)
	r        *bufio.Reader
	left     int     // bytes of the checked packet not yet passed on
	pending  []byte  // a checked packet read whole (larger than the buffer)
	err      error   // the error after the last checked packet
	quickAck func()  // re-arms TCP_QUICKACK (Linux TCP), or nil
	whdr     [5]byte // a reply's length and code, held for its data
	wheld    bool
	out      []byte // replies held for one write (see Write)
	rejected *atomic.Int64
}

func (c *guardConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.r == nil {
		return 0, net.ErrClosed
	}
	if len(c.pending) == 0 && c.left == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.err = c.next(); c.err != nil {
			return 0, c.err
		}
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= n
	if err == io.EOF && c.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// next checks the packet that starts in the read buffer.
func (c *guardConn) next() error {
	hdr, err := c.r.Peek(4)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	n := binary.BigEndian.Uint32(hdr)
	if n == 0 || n > maxPacket {
		return c.bad(fmt.Errorf("%w: length %d", ErrBadPacket, n))
	}
	if hdr, err = c.r.Peek(5); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	total := 4 + int(n)
	code := hdr[4]
	switch {
	case total <= c.r.Size():
		pkt, err := c.r.Peek(total)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if err := checkPacket(code, pkt[5:]); err != nil {
			return c.bad(err)
		}
		c.left = total
	case needsData(code):
		pkt := make([]byte, total)
		if _, err := io.ReadFull(c.r, pkt); err != nil {
			return err
		}
		if err := checkPacket(code, pkt[5:]); err != nil {
			return c.bad(err)
		}
		c.pending = pkt
	default:
		if err := checkPacket(code, nil); err != nil {
			return c.bad(err)
		}
		c.left = total
	}
	return nil
}

// Write sends a reply. The protocol library writes a packet's length and
// code, then its data, in two writes; they are joined. Modifications
// (header and body changes, recipients) are held, up to holdMax bytes, and
// go out with the reply that ends the message: an end of message with
// its status header and accept is one system call and one segment for the
// MTA, not four. Modifications are only valid before that reply, so the
// MTA never waits for a held one; a connection that breaks before the
// reply breaks the transaction, held or not.
func (c *guardConn) Write(p []byte) (int, error) {
	if c.wheld {
		c.wheld = false
		c.out = append(c.out, c.whdr[:]...)
		if n := binary.BigEndian.Uint32(c.whdr[:4]); int(n) == len(p)+1 {
			c.out = append(c.out, p...)
			if modification(c.whdr[4]) && len(c.out) < holdMax {
				return len(p), nil
			}
			return c.flush(len(p))
		}
		// A length and code without their data: sent as they came.
	}
	if len(p) == len(c.whdr) && binary.BigEndian.Uint32(p) > 1 {
		copy(c.whdr[:], p)
		c.wheld = true
		return len(p), nil
	}
	c.out = append(c.out, p...)
	return c.flush(len(p))
}

// holdMax bounds the modifications held for one write: a replaced body
// goes out in chunks of about this size.
const holdMax = 64 << 10

// modification says whether a reply code changes the message rather than
// answering a command (SMFIR_ADDRCPT, DELRCPT, ADDRCPT_PAR, REPLBODY,
// CHGFROM, ADDHEADER, INSHEADER, CHGHEADER, QUARANTINE).
func modification(code byte) bool {
	switch code {
	case '+', '-', '2', 'b', 'e', 'h', 'i', 'm', 'q':
		return true
	}
	return false
}

// flush writes what is held in one system call; n is what Write reports.
func (c *guardConn) flush(n int) (int, error) {
	_, err := c.Conn.Write(c.out)
	if cap(c.out) > holdMax+guardBuf {
		c.out = nil // a large body chunk: do not keep its buffer per connection
	} else {
		c.out = c.out[:0]
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Close closes the connection and gives its read buffer back once no Read
// uses it any more.
func (c *guardConn) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.r != nil {
		c.r.Reset(nil)
		readers.Put(c.r)
		c.r = nil
	}
	return err
}

func (c *guardConn) bad(err error) error {
	if c.rejected != nil {
		c.rejected.Add(1)
	}
	return err
}

// needsData reports whether checkPacket looks into the data of a packet
// with this code (the others are checked by their code alone).
func needsData(code byte) bool {
	switch code {
	case 'C', 'M', 'R', 'O':
		return true
	}
	return false
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
