package inspect

import "bytes"

// The carriers attackers moved to after Office stopped running macros from
// the internet (2022): OneNote files with embedded scripts and executables,
// and compiled HTML help.
const (
	// FamilyOneNote is a OneNote revision store file: a .one section or a
	// .onetoc2 table of contents ([MS-ONESTORE] 2.3.1 Header).
	FamilyOneNote Family = "onenote"
	// FamilyCHM is Microsoft compiled HTML help (an "ITSF" file).
	FamilyCHM Family = "chm"
)

// [MS-ONESTORE] 2.3.1 Header.guidFileType, as the bytes of a GUID in the
// [MS-DTYP] 2.3.4.2 layout (first three fields little-endian).
var (
	// {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3}: a .one section.
	MagicOneNoteSection = []byte{0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D, 0xAE, 0xB1, 0x53, 0x78, 0xD0, 0x29, 0x96, 0xD3}
	// {43FF2FA1-EFD9-4C76-9EE2-10EA5722765F}: a .onetoc2 table of contents.
	MagicOneNoteTOC = []byte{0xA1, 0x2F, 0xFF, 0x43, 0xD9, 0xEF, 0x76, 0x4C, 0x9E, 0xE2, 0x10, 0xEA, 0x57, 0x22, 0x76, 0x5F}
)

// sniffOneNoteCHM returns FamilyOneNote or FamilyCHM for a file that starts
// like one, "" otherwise. Any "ITSF" file is CHM whatever its version: the
// help viewer is what an attacker targets, and a version we do not know is
// still a file it may open.
func sniffOneNoteCHM(head []byte) Family {
	switch {
	case bytes.HasPrefix(head, MagicOneNoteSection), bytes.HasPrefix(head, MagicOneNoteTOC):
		return FamilyOneNote
	case bytes.HasPrefix(head, []byte("ITSF")):
		return FamilyCHM
	}
	return ""
}
