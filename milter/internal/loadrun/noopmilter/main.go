// Command noopmilter is the yardstick of the load run: the do-nothing
// milter of package noop (go-milter's mailfilter reading the body and
// accepting) as a process of its own.
//
//	noopmilter 127.0.0.1:PORT
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/officemilter/officemilter/milter/internal/noop"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: noopmilter HOST:PORT")
		os.Exit(2)
	}
	f, err := noop.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "noopmilter:", err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sig; f.Close() }()
	f.Wait()
}
