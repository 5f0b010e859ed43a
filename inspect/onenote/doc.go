// Package onenote inspects the carriers attackers moved to when Office
// stopped running macros from internet files (2022): OneNote revision store
// files (.one sections, .onetoc2 tables of contents, type "one") and
// Microsoft compiled HTML help (type "chm").
//
// # OneNote
//
// A OneNote page can hold embedded files; a double click writes one to a
// temporary folder and opens it. The 2023 wave used .hta, .bat, .cmd, .vbs,
// .wsf, .lnk and .exe files behind a "click to view" picture. Every
// embedded file is an "embedded-object" finding ("OneNote embedded file")
// and is handed to the engine as a child, which judges it by its content.
//
// Which bytes are embedded files is decided by a scan, not by the node
// lists. [MS-ONESTORE] 2.1.5/2.5.22: the data of a file data object stored
// in the file is a FileDataStoreObject (2.6.13), reached through the ref of
// a FileDataStoreObjectReferenceFND, and that structure MUST start with
// guidHeader {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}, followed by cbLength
// and the data. So every embedded file OneNote can show starts, at some
// offset of the file, with those 16 bytes. The scan looks at every offset
// (overlapping hits included, nothing skipped after a hit) and hands
// cbLength bytes after each hit, clipped to the file: whatever the node
// lists say, however they are broken, forged or cyclic, the set handed to
// the engine contains every FileDataStoreObject OneNote would open, and
// perhaps some it would not (a stray GUID, an old revision's data, the
// objects of a .one embedded in a .one): more work, never less inspection.
// A cbLength beyond the end of the file, a truncated header or a file that
// is not a revision store (guidFileFormat, e.g. the [MS-ONESTORE] 2.8
// packaging format) is unscannable. Files stored outside the .one (a
// "<file>" reference to the onefiles folder) are not in the attachment.
//
// Names are best effort. The file node lists (2.4) are walked from the
// header's root, breadth first, each fragment once, with a node budget of a
// quarter of the file size. Three kinds of node name a file:
// FileDataStoreObjectReferenceFND (2.5.22) ties a FileDataStoreObject's
// offset to a GUID; ObjectDeclarationFileData3RefCountFND (2.5.27) ties
// that "<ifndf>{GUID}" to a file data object and gives its Extension; and
// the property set of a jcidEmbeddedFileNode ([MS-ONE] 2.2.32, read from
// an ObjectDeclaration2RefCountFND, 2.5.25) ties its EmbeddedFileContainer
// (an ObjectID, resolved through the object group's global identification
// table, 2.1.3) to that file data object and gives the EmbeddedFileName,
// the name OneNote writes the file under when it is opened. A child is
// named by its EmbeddedFileName (last path element); a file with several
// (renamed in a later revision, or forged) is handed on once per distinct
// name, up to 4; else "embedded-N" plus the Extension (".hta"); else
// "embedded-N.bin".
//
// The engine sniffs binaries by content whatever the name, but text is a
// script only by its name or a shebang, and a name this walk reads may not
// be the one OneNote uses (a forged old revision, a node format it skips:
// ObjectDeclarationWithRefCountFNDX, GlobalIdTableEntry2/3). So every
// embedded text file whose name is not already a script's is checked for
// script markers (an HTA application tag, <script>, WScript, CreateObject,
// "@echo off", cmd /c, powershell, mshta, ...) and reported executable
// ("OneNote embedded script (by content: ...)"). That may call a note that
// quotes a command line code; for a mail attachment that is the safe side.
//
// Not read: password-protected sections (detecting them would need the
// [MS-ONE] encrypted object space; their embedded files are not in the
// clear, so the scan finds none); the transaction log (nodes beyond the
// committed count are read too, a superset).
//
// # CHM
//
// An "ITSF" file is compiled HTML help: hh.exe renders its pages with
// script enabled and its ActiveX shortcut objects start programs, so it is
// "executable" ("compiled HTML help (CHM)") whatever it holds. Its
// directory (ITSP header, PMGL listing chunks, read in file order without
// following the chunk chain) is listed, and the files of content section 0
// ("Uncompressed") are handed to the engine. Section 1 ("MSCompressed",
// LZX) is not decompressed: help compilers put nearly everything there,
// and the verdict does not depend on it.
//
// The package knows no other format's internals, no policy, logging or
// configuration.
package onenote
