// Package notify holds the texts officemilter shows people — the notice
// part that replaces removed attachments, SMTP reply texts, notification
// mails to senders — in German and English, and sends notification mails
// over SMTP.
//
// It knows nothing of the milter protocol or of file formats: callers hand
// it plain data (file names, type names, sentences) and the reason codes of
// the inspect engine (inspect.Kind), by which its texts are keyed.
package notify
