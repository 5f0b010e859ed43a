// Command noopmilter is the yardstick of the load run: a milter on the same
// protocol library as officemilter (github.com/d--j/go-milter's mailfilter)
// that decides at end-of-message, reads the whole body and accepts. What
// officemilter costs beyond it is the price of inspecting.
//
//	noopmilter 127.0.0.1:PORT
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/d--j/go-milter/mailfilter"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: noopmilter HOST:PORT")
		os.Exit(2)
	}
	f, err := mailfilter.New("tcp", os.Args[1],
		func(_ context.Context, trx mailfilter.Trx) (mailfilter.Decision, error) {
			if _, err := io.Copy(io.Discard, trx.Body()); err != nil {
				return nil, err
			}
			return mailfilter.Accept, nil
		},
		mailfilter.WithDecisionAt(mailfilter.DecisionAtEndOfMessage),
		mailfilter.WithBody(4<<20, 64<<20, mailfilter.RejectMessageWhenTooBig),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "noopmilter:", err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sig; f.Close() }()
	f.Wait()
}
