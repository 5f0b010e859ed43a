// Package inspect is officemilter's file-level analysis: it says what a file
// really is (by content, not by name) and whether it carries macros or other
// automation, password protection, or executable code.
//
// It owns type sniffing (sniff.go), the type vocabulary users see (types.go),
// the finding kinds (finding.go), the limits every walk obeys (limits.go), the
// memory-then-disk spool for nested content (spool.go) and the recursion
// engine (engine.go) that feeds every file and every nested member to the
// inspector registered for its family, recovers panics and enforces depth,
// count, size, ratio and time limits.
//
// The per-format inspectors live in subpackages (ole, ooxml, odf, pdf, rtf,
// archive, exe, mime, text, tnef). They import this package for its types but
// never each other; the engine is given its inspectors explicitly (see
// inspect/all). Nothing here logs, knows SMTP, policy or configuration files.
package inspect
