// Package pdf inspects PDF files (ISO 32000-1, ISO 32000-2) for what the
// policy cares about: password protection (a user password: encrypted; an
// owner password that guards the permissions only: protected), active
// content (JavaScript, automatic actions, launch actions, embedded files,
// rich media, XFA forms) and the files embedded in them, which it hands back
// to the engine as children so that an executable or a macro document inside
// a PDF is found like one inside a zip.
//
// Signatures (ISO 32000-1 12.8, PAdES) are not findings: Signatures lists a
// document's own signature fields without verifying them.
//
// It owns a tolerant PDF object parser: a lexer for the token syntax
// (ISO 32000-1 7.2, 7.3), objects found by scanning for "N G obj" rather than
// trusting the cross-reference table alone (7.5.4 is what attackers break
// and readers repair), streams whose /Length may be wrong (7.3.8), object
// streams (7.5.7), cross-reference streams (7.5.8), the stream filters needed
// to read those and embedded files (7.4), and the standard security handler
// (7.6.3, ISO 32000-2 7.6.4) so that a PDF that opens without a password is
// decrypted and inspected like a plain one.
//
// It deliberately does not decode page content streams, images or fonts: no
// verdict depends on them, and the whole walk must stay fast.
//
// It must not know about mail, SMTP, policy, configuration or logging, and it
// never imports another inspector: an embedded file goes to the engine via
// Scope.Child, which dispatches it to whatever inspector its content needs.
package pdf
