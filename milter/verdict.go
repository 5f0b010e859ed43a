package milter

import (
	"github.com/officemilter/officemilter/inspect"
)

// Verdict is the decision about one message.
type Verdict struct {
	Action Action `json:"action"`
	// Reasons are the findings that led to Action (none for a clean accept).
	Reasons []inspect.Finding `json:"reasons"`
	// Reply is the SMTP reply for reject and tempfail ("550 5.7.1 ...").
	Reply Reply `json:"reply,omitzero"`
	// Stripped names the removed attachments.
	Stripped []string `json:"stripped,omitempty"`
	// Policy is the name of the policy that decided.
	Policy string `json:"policy,omitempty"`
	// Monitor is set when that policy runs in monitor mode: it holds what
	// the policy would have done, and Action is accept (Reasons are the
	// findings that would have led to Monitor.Action).
	Monitor *Monitored `json:"monitor,omitempty"`
}

// Envelope is what the MTA knows about a message besides its content.
type Envelope struct {
	From     string
	Rcpts    []string
	QueueID  string
	Client   string // client address
	Helo     string
	AuthUser string // SASL login name, when the client authenticated
}
