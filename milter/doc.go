// Package milter is officemilter's mail-level filter: it turns an envelope
// and a message into a Verdict (accept, strip, reject, tempfail) and, for
// strip, the rewritten message.
//
// It owns the configuration of policies (config.go), policy evaluation
// (policy.go), the Filter that both the daemon and `officemilter scan` call
// (filter.go), body rewriting with byte-identical kept parts (rewrite.go),
// quarantine (quarantine.go), the message spool and the adapter to the
// milter protocol (server.go, guard.go).
//
// It knows no file format: attachments are found with inspect/mime's walk
// and judged by the inspect engine's findings. It never logs message
// bodies.
package milter
