package milter

import (
	"net"
	"syscall"
)

// quickAcker returns what re-arms TCP_QUICKACK on a TCP connection, or nil.
//
// With the no-reply options the MTA writes several small packets in a row
// and waits for nothing; Postfix leaves Nagle's algorithm on, so its second
// packet waits for the ACK of the first, and a silent receiver delays that
// ACK by up to 40 ms (measured: +50 ms per message in one session). Linux
// leaves quick-ACK mode on its own, so it is set again after every read:
// one setsockopt per read instead of a reply per packet.
func quickAcker(c net.Conn) func() {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	set := func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1) }
	return func() { _ = rc.Control(set) }
}
