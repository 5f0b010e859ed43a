// Package noop is the yardstick of the load run and of
// BenchmarkServerMessage: a milter on the same protocol library as
// officemilter (github.com/d--j/go-milter's mailfilter) that decides at
// end-of-message, reads the whole body and accepts. What officemilter costs
// beyond it is the price of inspecting.
package noop

import (
	"context"
	"io"

	"github.com/d--j/go-milter/mailfilter"
)

// Listen serves the do-nothing milter on network and address (as
// net.Listen takes them) until Close.
func Listen(network, address string) (*mailfilter.MailFilter, error) {
	return mailfilter.New(network, address,
		func(_ context.Context, trx mailfilter.Trx) (mailfilter.Decision, error) {
			if _, err := io.Copy(io.Discard, trx.Body()); err != nil {
				return nil, err
			}
			return mailfilter.Accept, nil
		},
		mailfilter.WithDecisionAt(mailfilter.DecisionAtEndOfMessage),
		mailfilter.WithBody(4<<20, 64<<20, mailfilter.RejectMessageWhenTooBig),
	)
}
