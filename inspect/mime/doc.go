// Package mime reads Internet messages the way officemilter needs them: a
// tolerant MIME parser that keeps the byte offset of every header field,
// entity, body and delimiter (so that the milter can remove a part and leave
// every other byte of the message as it was), decoders for the transfer
// encodings, the attachment walk that says what each leaf of a message is
// (body text, attachment, signature, encrypted, unscannable), mbox
// splitting, and the inspector for inspect.FamilyEML: an .eml file or a
// message/rfc822 attachment is walked like a zip and its attachments are
// handed back to the engine as children.
//
// The milter uses Parse and Walk for the top-level message; the inspector
// uses the same code for nested messages, so both see the same structure.
//
// One message, one reading: where mainstream readers (MIME-tools, Go's
// mime/multipart, Thunderbird, Outlook, ClamAV) would read the bytes
// differently from this parser (two boundary parameters, a field name with
// a comment, a delimiter that only starts like one, a part after the close
// delimiter, ...), Parse records the ambiguity on the entity and Walk
// reports it (RoleAmbiguous), re-parses the message under the alternative
// readings that matter and emits the leaves they expose that were not
// emitted already (Leaf.View). See ambiguity.go and
// draft-chen-email-mime-ambiguity-defense-00. A leaf's role follows its
// content where clients do: body text that sniffs as a file format is an
// attachment.
//
// This package knows MIME (RFC 2045-2047, 2183, 2231), RFC 5322 headers,
// S/MIME containers (RFC 5652 ContentInfo, RFC 8551) as far as telling
// encrypted from signed and unwrapping opaque-signed content, PGP/MIME
// (RFC 3156), inline PGP, and the file encodings mail clients decode in
// text: uuencode, BinHex 4.0 (RFC 1741) and yEnc. It must not know file
// formats (a decoded attachment goes to the engine, which sniffs it), policy,
// SMTP, configuration or logging, and it never imports another inspector.
package mime
