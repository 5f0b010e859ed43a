// Package milter is officemilter's mail-level filter: it turns an envelope
// and a message into a Verdict (accept, strip, reject, tempfail) and, for
// strip, the rewritten message.
//
// What each file owns:
//   - config.go: the configuration file (types, defaults, validation).
//   - policy.go: every decision: which policy applies (recipient, sender,
//     authentication, client network), what each finding costs under it
//     (actions, allow-list, stricter-of), the finding that decided each
//     attachment, how a strip is carried out or why it became a refusal
//     (on_signed, encrypted_strip, ambiguous_strip), monitor mode.
//   - filter.go: the Filter that both the daemon and `officemilter scan`
//     call: parse, walk and inspect the attachments, then decide.
//   - verdict.go, reply.go: the verdict and the SMTP reply as values, and
//     the reply texts.
//   - rewrite.go: the stripped message, cut by byte offsets so that kept
//     parts stay byte-identical, its notice and the status header.
//   - rebuild.go: a message made anew from its inspected parts (ambiguous
//     or decrypted S/MIME messages).
//   - quarantine.go: originals of stripped and rejected messages.
//   - server.go, guard.go: the adapter to the milter protocol (sessions,
//     the message spool, progress, carrying out the verdict) and the packet
//     guard in front of it; metrics.go: the counters.
//
// It knows no file format: attachments are found with inspect/mime's walk
// and judged by the inspect engine's findings. It never logs message
// bodies.
package milter
