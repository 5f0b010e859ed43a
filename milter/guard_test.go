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
