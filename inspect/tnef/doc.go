// Package tnef decodes Transport Neutral Encapsulation Format streams
// ([MS-OXTNEF]; winmail.dat, application/ms-tnef) far enough to find their
// attachments and their compressed RTF body, and inspects them: every
// attachment (by-value data, OLE storages, embedded messages, which are TNEF
// streams themselves) is handed to the engine through Scope.Child, and the
// RTF body ([MS-OXRTFCP] LZFu) as "message.rtf", since RTF can carry objects.
//
// It owns the TNEF attribute walk, the MAPI property list parser and the LZFu
// decompressor, each checking every length and count against the bytes that
// remain. It must not know what an attachment is (that is the engine's
// sniffing and the other inspectors' business); it never logs and never
// imports another inspector package, milter, config or zap.
package tnef
