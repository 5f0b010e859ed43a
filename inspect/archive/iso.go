package archive

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

// ECMA-119 (ISO 9660) layout.
const (
	isoSector       = 2048
	isoFirstVD      = 16 // volume descriptors start at sector 16 (ECMA-119 6.2.1)
	isoMaxVDs       = 32
	isoMaxDirDepth  = 16
	isoMaxDirSize   = 16 << 20
	isoDirRecordMin = 34 // ECMA-119 9.1 with a one-byte name
)

// isoDir is a directory extent to read.
type isoDir struct {
	path      string
	lba, size uint32
	depth     int
}

// inspectISO lists an ISO 9660 image's directory tree (Joliet names when the
// image has them) and hands every file to the engine. Disk images are a
// common wrapper for shortcuts and executables sent by mail.
func inspectISO(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	root, joliet, err := isoRoot(p)
	if err != nil {
		return err
	}
	seen := map[uint32]bool{}
	queue := []isoDir{root}
	files := 0
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := queue[0]
		queue = queue[1:]
		if seen[d.lba] {
			continue // a directory listed twice (or a loop)
		}
		seen[d.lba] = true
		if d.size > isoMaxDirSize || int64(d.lba)*isoSector+int64(d.size) > p.Size {
			return fmt.Errorf("malformed iso: directory %q outside the image", d.path)
		}
		buf := make([]byte, d.size) // bounded by isoMaxDirSize and p.Size
		if _, err := p.R.ReadAt(buf, int64(d.lba)*isoSector); err != nil {
			return fmt.Errorf("malformed iso: %w", err)
		}
		for i := 0; i < len(buf); {
			n := int(buf[i])
			if n == 0 {
				// Records do not cross sectors: go on at the next one.
				i = (i/isoSector + 1) * isoSector
				continue
			}
			if n < isoDirRecordMin-1 || i+n > len(buf) {
				return fmt.Errorf("malformed iso: bad directory record in %q", d.path)
			}
			rec := buf[i : i+n]
			i += n
			nameLen := int(rec[32])
			if 33+nameLen > n {
				return fmt.Errorf("malformed iso: bad directory record in %q", d.path)
			}
			rawName := rec[33 : 33+nameLen]
			if nameLen == 1 && (rawName[0] == 0 || rawName[0] == 1) {
				continue // "." and ".."
			}
			name := isoName(rawName, joliet)
			full := path.Join(d.path, name)
			lba := binary.LittleEndian.Uint32(rec[2:])
			size := binary.LittleEndian.Uint32(rec[10:])
			if files++; files > p.Limits.MaxParts {
				return tooManyMembers(p)
			}
			if rec[25]&0x02 != 0 { // directory
				if d.depth+1 > isoMaxDirDepth {
					return fmt.Errorf("malformed iso: directories nested over %d deep", isoMaxDirDepth)
				}
				queue = append(queue, isoDir{path: full, lba: lba, size: size, depth: d.depth + 1})
				continue
			}
			off := int64(lba) * isoSector
			if off+int64(size) > p.Size {
				s.Emit(inspect.Finding{Kind: inspect.KindUnscannable, Where: full, Detail: "iso file extends past the image"})
				continue
			}
			if err := s.ChildAt(full, io.NewSectionReader(p.R, off, int64(size)), int64(size)); err != nil {
				return err
			}
		}
	}
	return nil
}

// isoRoot finds the root directory: the Joliet one (ECMA-119 8.5
// supplementary descriptor with a UCS-2 escape sequence) when present, else
// the primary one (ECMA-119 8.4).
func isoRoot(p inspect.Part) (isoDir, bool, error) {
	var primary *isoDir
	var vd [isoSector]byte
	for i := 0; i < isoMaxVDs; i++ {
		if _, err := p.R.ReadAt(vd[:], int64(isoFirstVD+i)*isoSector); err != nil {
			break
		}
		if string(vd[1:6]) != "CD001" || vd[0] == 255 {
			break
		}
		if bs := binary.LittleEndian.Uint16(vd[128:]); (vd[0] == 1 || vd[0] == 2) && bs != isoSector {
			return isoDir{}, false, fmt.Errorf("cannot open iso archive: block size %d not supported", bs)
		}
		// Root directory record at offset 156: extent at +2, size at +10.
		root := isoDir{lba: binary.LittleEndian.Uint32(vd[158:]), size: binary.LittleEndian.Uint32(vd[166:])}
		switch {
		case vd[0] == 2 && vd[88] == '%' && vd[89] == '/' && strings.ContainsRune("@CE", rune(vd[90])):
			return root, true, nil
		case vd[0] == 1 && primary == nil:
			primary = &root
		}
	}
	if primary == nil {
		return isoDir{}, false, errors.New("cannot open iso archive: no primary volume descriptor")
	}
	return *primary, false, nil
}

// isoName decodes a file identifier: UCS-2 big-endian for Joliet, else
// d-characters; the ";1" version suffix is dropped.
func isoName(b []byte, joliet bool) string {
	var name string
	if joliet {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		name = string(utf16.Decode(u))
	} else {
		name = string(b)
	}
	if i := strings.LastIndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	name = strings.TrimSuffix(name, ".")
	name = strings.ReplaceAll(name, "/", "_")
	if name == "" || name == "." || name == ".." {
		name = "_"
	}
	return name
}
