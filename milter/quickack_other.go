//go:build !linux

package milter

import "net"

// quickAcker: TCP_QUICKACK is Linux only; elsewhere unix sockets avoid the
// delayed-ACK stall (see quickack_linux.go).
func quickAcker(net.Conn) func() { return nil }
