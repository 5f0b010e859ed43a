package exe

import (
	"bytes"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// [MS-SHLLINK] 2.1.1 LinkFlags.
const (
	lnkHasIDList     = 1 << 0
	lnkHasLinkInfo   = 1 << 1
	lnkHasName       = 1 << 2
	lnkHasRelPath    = 1 << 3
	lnkHasWorkingDir = 1 << 4
	lnkHasArguments  = 1 << 5
	lnkHasIconLoc    = 1 << 6
	lnkIsUnicode     = 1 << 7
)

const (
	lnkHeaderSize = 0x4C // [MS-SHLLINK] 2.1 ShellLinkHeader
	// lnkStringRead is how many characters of a StringData string or a
	// LinkInfo path we read: the Detail shows ~120 in all.
	lnkStringRead = 260
	// [MS-SHLLINK] 2.5.4 EnvironmentVariableDataBlock.
	lnkEnvBlockSig  = 0xA0000001
	lnkEnvBlockSize = 0x314
	// lnkMaxBlocks bounds the ExtraData blocks walked.
	lnkMaxBlocks = 64
)

// inspectLNK reports a Windows shortcut and, when the structures are sound,
// what it runs: the target path from LinkInfo, the EnvironmentVariableDataBlock
// or the LinkTargetIDList, and the command-line arguments from StringData.
func inspectLNK(p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeLNK)
	target, args, err := lnkTarget(p)
	if err != nil {
		return err
	}
	d := "Windows shortcut"
	if t := strings.TrimSpace(target + " " + args); t != "" {
		d += " -> " + inspect.Clean(t, maxDetailRunes)
	}
	executable(s, d)
	return nil
}

// lnkTarget walks the structures of [MS-SHLLINK] 2 in order. It returns what
// it found before the first inconsistency; a shortcut is executable whatever
// its target, so a broken one is not an error.
func lnkTarget(p inspect.Part) (target, args string, err error) {
	h, err := p.Bytes(0, lnkHeaderSize)
	if err != nil || len(h) < lnkHeaderSize {
		return "", "", err
	}
	flags := le.Uint32(h[20:])
	off := int64(lnkHeaderSize)
	var idPath string
	// 2.2 LinkTargetIDList: IDListSize u16, then the IDList.
	if flags&lnkHasIDList != 0 {
		b, err := p.Bytes(off, 2)
		if err != nil || len(b) < 2 {
			return "", "", err
		}
		n := int64(le.Uint16(b))
		list, err := p.Bytes(off+2, int(n))
		if err != nil {
			return "", "", err
		}
		idPath = idListPath(list)
		off += 2 + n
	}
	// 2.3 LinkInfo.
	if flags&lnkHasLinkInfo != 0 {
		b, err := p.Bytes(off, 4)
		if err != nil || len(b) < 4 {
			return idPath, "", err
		}
		n := int64(le.Uint32(b))
		if n < 0x1C || off+n > p.Size {
			return idPath, "", nil
		}
		info, err := p.Bytes(off, int(min(n, 64<<10)))
		if err != nil {
			return "", "", err
		}
		target = linkInfoPath(info)
		off += n
	}
	// 2.4 StringData: NAME, RELATIVE_PATH, WORKING_DIR, ARGUMENTS, ICON.
	unicode := flags&lnkIsUnicode != 0
	var relPath string
	for _, f := range []uint32{lnkHasName, lnkHasRelPath, lnkHasWorkingDir, lnkHasArguments, lnkHasIconLoc} {
		if flags&f == 0 {
			continue
		}
		str, next, err := lnkString(p, off, unicode)
		if err != nil {
			return "", "", err
		}
		if next < 0 {
			return firstNonEmpty(target, idPath, relPath), args, nil
		}
		switch f {
		case lnkHasRelPath:
			relPath = str
		case lnkHasArguments:
			args = str
		}
		off = next
	}
	// 2.5 ExtraData: BlockSize u32 (< 4 ends the list), BlockSignature u32.
	var envTarget string
	for i := 0; i < lnkMaxBlocks; i++ {
		b, err := p.Bytes(off, 8)
		if err != nil {
			return "", "", err
		}
		if len(b) < 8 {
			break
		}
		size := int64(le.Uint32(b))
		if size < 8 || off+size > p.Size {
			break
		}
		if le.Uint32(b[4:]) == lnkEnvBlockSig && size == lnkEnvBlockSize {
			blk, err := p.Bytes(off+8, 260+520)
			if err != nil {
				return "", "", err
			}
			if len(blk) == 780 {
				// TargetUnicode (520 bytes) is optional; prefer it when set.
				envTarget = utf16z(blk[260:])
				if envTarget == "" {
					envTarget = ansiz(blk[:260])
				}
			}
			break
		}
		off += size
	}
	return firstNonEmpty(target, envTarget, idPath, relPath), args, nil
}

// lnkString reads one StringData entry at off: CountCharacters u16 then the
// characters (UTF-16LE when IsUnicode). It returns the offset after it, or
// -1 when the entry does not fit in the file.
func lnkString(p inspect.Part, off int64, unicode bool) (string, int64, error) {
	b, err := p.Bytes(off, 2)
	if err != nil || len(b) < 2 {
		return "", -1, err
	}
	n := int64(le.Uint16(b))
	width := int64(1)
	if unicode {
		width = 2
	}
	next := off + 2 + n*width
	if next > p.Size {
		return "", -1, nil
	}
	b, err = p.Bytes(off+2, int(min(n, lnkStringRead)*width))
	if err != nil {
		return "", -1, err
	}
	if unicode {
		return utf16z(b), next, nil
	}
	return ansiz(b), next, nil
}

// linkInfoPath builds the target from a LinkInfo structure ([MS-SHLLINK]
// 2.3): LocalBasePath (or, for a network target, the
// CommonNetworkRelativeLink's NetName) followed by CommonPathSuffix. The
// Unicode variants are used when the header is long enough to hold them.
func linkInfoPath(info []byte) string {
	hdrSize := le.Uint32(info[4:])
	flags := le.Uint32(info[8:])
	var base string
	switch {
	case flags&1 != 0: // VolumeIDAndLocalBasePath
		if hdrSize >= 0x24 && len(info) >= 0x24 {
			base = utf16z(sliceFrom(info, le.Uint32(info[0x1C:])))
		}
		if base == "" {
			base = ansiz(sliceFrom(info, le.Uint32(info[0x10:])))
		}
	case flags&2 != 0: // CommonNetworkRelativeLinkAndPathSuffix (2.3.2)
		cnrl := sliceFrom(info, le.Uint32(info[0x14:]))
		if len(cnrl) >= 0x14 {
			netOff := le.Uint32(cnrl[8:])
			if netOff > 0x14 && len(cnrl) >= 0x1C {
				base = utf16z(sliceFrom(cnrl, le.Uint32(cnrl[0x14:])))
			}
			if base == "" {
				base = ansiz(sliceFrom(cnrl, netOff))
			}
		}
	}
	var suffix string
	if hdrSize >= 0x24 && len(info) >= 0x24 {
		suffix = utf16z(sliceFrom(info, le.Uint32(info[0x20:])))
	}
	if suffix == "" {
		suffix = ansiz(sliceFrom(info, le.Uint32(info[0x18:])))
	}
	switch {
	case base == "":
		return suffix
	case suffix == "":
		return base
	case strings.HasSuffix(base, "\\"):
		return base + suffix
	}
	return base + "\\" + suffix
}

// idListPath decodes the short names of the shell items in an IDList
// ([MS-SHLLINK] 2.2.1; the item layouts are the Windows shell's): a volume
// item "C:\" followed by file entry items. Anything else (a GUID-named
// folder, a URI, a control-panel item) stops the walk: the path is a hint,
// not a verdict.
func idListPath(list []byte) string {
	var parts []string
	for i := 0; i < 64 && len(list) >= 2; i++ {
		n := int(le.Uint16(list))
		if n < 2 || n > len(list) { // 0 terminates the list; 1 is invalid
			break
		}
		item := list[2:n]
		list = list[n:]
		if len(item) < 1 {
			break
		}
		switch t := item[0]; {
		case t == 0x1F: // root folder (a GUID: My Computer, ...)
			continue
		case t&0x70 == 0x20: // volume: "C:\" at offset 1
			if len(item) < 3 || item[2] != ':' {
				return strings.Join(parts, "\\") // a GUID-named volume item
			}
			parts = append(parts[:0], strings.TrimRight(ansiz(item[1:min(len(item), 24)]), "\\"))
		case t&0x70 == 0x30: // file entry: primary name at offset 12
			if len(item) < 13 {
				return strings.Join(parts, "\\")
			}
			var name string
			if t&0x04 != 0 {
				name = utf16z(item[12:])
			} else {
				name = ansiz(item[12:])
			}
			parts = append(parts, name)
		default:
			return strings.Join(parts, "\\")
		}
	}
	return strings.Join(parts, "\\")
}

func sliceFrom(b []byte, off uint32) []byte {
	if off == 0 || int64(off) >= int64(len(b)) {
		return nil
	}
	return b[off:]
}

// ansiz decodes a NUL-terminated string in the system code page; Latin-1
// is close enough for a Detail.
func ansiz(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	b = b[:min(len(b), lnkStringRead)]
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// utf16z decodes NUL-terminated (or unterminated) UTF-16LE.
func utf16z(b []byte) string {
	u := make([]uint16, 0, min(len(b)/2, lnkStringRead))
	for i := 0; i+1 < len(b) && len(u) < lnkStringRead; i += 2 {
		c := le.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
