// Package rtf inspects Rich Text Format documents for what they can run or
// fetch: embedded OLE objects (\object with \objdata, an OLE1 object whose
// native data may be a Packager payload carrying an executable, or a
// compound file with macros), Equation Editor objects, linked objects, DDE
// fields and INCLUDEPICTURE/INCLUDETEXT fields that fetch remote content.
//
// Word is tolerant, and attackers write RTF for Word's parser, not for the
// specification: a document only needs to start with "{\rt", hex data may
// carry whitespace, garbage, control words and nested groups, "\bin N" may
// switch to raw bytes, and braces need not balance. The tokenizer here
// follows Word where it is known to differ (see objdata.go) and never builds
// a tree: it keeps one small state per open group, with nesting capped at
// MaxNesting.
//
// It owns the RTF syntax and the OLE1 ObjectHeader ([MS-OLEDS] 2.2.4). It
// hands native data to the engine (a compound file, or the file inside a
// Package via inspect/internal/olenative); it must not know the compound
// file format, executables, policy, logging or configuration.
package rtf
