package milter

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
)

// TestGuardPassesPacketsThrough: what the guard accepts reaches the
// protocol library byte for byte, whether packets arrive many per read
// (headers), larger than the read buffer (body chunks, long MAIL
// arguments) or in pieces; the first bad packet ends the stream after
// everything before it.
func TestGuardPassesPacketsThrough(t *testing.T) {
	var want bytes.Buffer
	want.Write(negotiation())
	want.Write(packet('C', []byte("mx.example.com\x004\x00\x19127.0.0.1\x00")))
	for i := 0; i < 50; i++ {
		want.Write(packet('L', []byte("Subject\x00 hello\x00")))
	}
	want.Write(packet('N', nil))
	want.Write(packet('B', bytes.Repeat([]byte("0123456789abcdef"), 65535/16)))
	want.Write(packet('M', append(append([]byte("<a@b>\x00"), bytes.Repeat([]byte("X"), 40000)...), 0)))
	want.Write(packet('B', []byte("tail\r\n")))
	want.Write(packet('E', nil))
	good := want.Len()
	want.Write(packet('M', []byte("<no-nul>")))
	want.Write(packet('Q', nil))

	for _, piece := range []int{1 << 20, 7, 4096} {
		client, server := net.Pipe()
		go func() {
			data := want.Bytes()
			for len(data) > 0 {
				n := min(piece, len(data))
				if _, err := client.Write(data[:n]); err != nil {
					return
				}
				data = data[n:]
			}
			client.Close()
		}()
		var rejected atomic.Int64
		g := newGuardConn(server, &rejected)
		got, err := io.ReadAll(readerFunc(func(p []byte) (int, error) { return g.Read(p[:min(len(p), 3000)]) }))
		if !errors.Is(err, ErrBadPacket) {
			t.Errorf("piece %d: err %v, want ErrBadPacket", piece, err)
		}
		if !bytes.Equal(got, want.Bytes()[:good]) {
			t.Errorf("piece %d: passed %d bytes, want the %d before the bad packet", piece, len(got), good)
		}
		if rejected.Load() != 1 {
			t.Errorf("piece %d: rejected %d", piece, rejected.Load())
		}
		g.Close()
		if _, err := g.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after close: %v", err)
		}
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// countingConn counts the writes that reach the connection.
type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes++
	return c.Conn.Write(p)
}

// TestGuardWrites: replies reach the MTA unchanged and in order, a
// packet's length and code joined with its data, packets without data at
// once, modifications together with the reply that ends the message.
func TestGuardWrites(t *testing.T) {
	client, server := net.Pipe()
	cc := &countingConn{Conn: server}
	g := newGuardConn(cc, nil)
	defer g.Close()
	var want bytes.Buffer
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(client); got <- b }()
	write := func(p []byte) {
		t.Helper()
		want.Write(p)
		if n, err := g.Write(p); n != len(p) || err != nil {
			t.Fatalf("write %q: %d %v", p, n, err)
		}
	}
	writes := func(what string, n int) {
		t.Helper()
		if cc.writes != n {
			t.Errorf("%s: %d writes reached the connection, want %d", what, cc.writes, n)
		}
		cc.writes = 0
	}
	write([]byte{0, 0, 0, 1, 'c'}) // continue: no data follows
	writes("continue", 1)
	write([]byte{0, 0, 0, 3, 'y'})             // held ...
	write([]byte("not the 2 bytes announced")) // ... and sent as it is when the data does not match
	writes("mismatched reply", 1)
	// End of message: add a header, change one, a body chunk, accept.
	write([]byte{0, 0, 0, 6, 'h'})
	write([]byte("X-A\x00v\x00"[:5]))
	write([]byte{0, 0, 0, 11, 'm'})
	write([]byte("\x00\x00\x00\x01X-B\x00w\x00"[:10]))
	writes("modifications before the final reply", 0)
	write([]byte{0, 0, 0, 5, 'b'})
	write([]byte("body"))
	write([]byte{0, 0, 0, 1, 'a'})
	writes("modifications and accept", 1)
	// A replaced body larger than holdMax goes out in pieces, in order.
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 65535/16)
	for i := 0; i < 4; i++ {
		write([]byte{0, 0, 0xff, 0xf1, 'b'}) // 65,520 bytes of data
		write(chunk)
	}
	write([]byte{0, 0, 0, 1, 'a'})
	if cc.writes < 2 || cc.writes > 5 {
		t.Errorf("a 256 KiB body in %d writes", cc.writes)
	}
	g.Conn.Close()
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Errorf("MTA got %q\nwant %q", b, want.Bytes())
	}
}
