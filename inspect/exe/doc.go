// Package exe recognises executable code by its headers: Windows PE (and
// DOS/NE/LE images), ELF, Mach-O (thin and universal), Java class files,
// Windows shortcuts (.lnk) and scripts. Every such file is an "executable"
// finding whose Detail says precisely what it is ("PE32+ DLL (amd64)",
// "ELF 64-bit LSB executable, x86-64", "Windows shortcut -> C:\...\cmd.exe
// /c ...", "script (powershell)").
//
// It reads headers only: a fixed number of bytes at offsets checked against
// the part's size. It does not disassemble, emulate or unpack. The one thing
// it hands back to the engine is the overlay of a self-extracting PE (a zip,
// 7z, rar or cab archive appended after the last section), so that what the
// installer carries is inspected too.
//
// It must not know about other formats' internals (the engine dispatches the
// overlay), policy, logging or configuration.
package exe
