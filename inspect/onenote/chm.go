package onenote

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// The ITSF layout has no published specification; offsets follow the
// reverse-engineered description ("Microsoft's HTML Help (.chm) format",
// M. Russotto; the chmspec project's "ITSF format").
const (
	chmDetail = "compiled HTML help (CHM)"
	// ITSF initial header: "ITSF", version, header length, ... then the
	// header section table at 0x38: section 0 (offset, length u64) and
	// section 1, the directory (offset, length u64); version 3 adds the
	// content offset (u64) at 0x58.
	itsfDirOff     = 0x48
	itsfContentOff = 0x58
	itsfV3Len      = 0x60
	// ITSP directory header fields.
	itspChunkSize = 0x10
	itspNumChunks = 0x2C
	itspHeaderLen = 0x08
	itspMinLen    = 0x54
	// PMGL listing chunk: "PMGL", free space length u32, 0, prev, next;
	// entries from 0x14.
	pmglEntries = 0x14
	// chmMaxChunk bounds one directory chunk (writers use 4096).
	chmMaxChunk = 1 << 16
)

// inspectCHM reports compiled HTML help as executable (it runs script and
// can start programs through its ActiveX and shortcut objects) and hands
// the files of the uncompressed content section to the engine. Files in
// the LZX-compressed section (where help compilers put nearly everything)
// are not decompressed: the verdict does not depend on them, a CHM is
// executable whatever it holds.
func inspectCHM(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeCHM)
	s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: chmDetail})
	h, err := p.Bytes(0, itsfV3Len)
	if err != nil {
		return err
	}
	if len(h) < itsfDirOff+16 {
		return fmt.Errorf("%w CHM: header truncated", ErrMalformed)
	}
	version := le.Uint32(h[4:])
	dirOff, dirLen := le.Uint64(h[itsfDirOff:]), le.Uint64(h[itsfDirOff+8:])
	if dirOff >= uint64(p.Size) || dirLen > uint64(p.Size)-dirOff {
		return fmt.Errorf("%w CHM: directory outside the file", ErrMalformed)
	}
	// Version 2 has no content offset: content follows the directory.
	content := dirOff + dirLen
	if version >= 3 {
		if len(h) < itsfV3Len {
			return fmt.Errorf("%w CHM: header truncated", ErrMalformed)
		}
		content = le.Uint64(h[itsfContentOff:])
	}
	dir, err := p.Bytes(int64(dirOff), itspMinLen)
	if err != nil {
		return err
	}
	if len(dir) < itspMinLen || string(dir[:4]) != "ITSP" {
		return fmt.Errorf("%w CHM: no ITSP directory header", ErrMalformed)
	}
	hdrLen := uint64(le.Uint32(dir[itspHeaderLen:]))
	chunk := uint64(le.Uint32(dir[itspChunkSize:]))
	nChunks := uint64(le.Uint32(dir[itspNumChunks:]))
	if hdrLen < itspMinLen || hdrLen > dirLen || chunk < pmglEntries || chunk > chmMaxChunk ||
		nChunks > (dirLen-hdrLen)/chunk {
		return fmt.Errorf("%w CHM: directory header inconsistent", ErrMalformed)
	}
	var problems []string
	buf := make([]byte, chunk)
	// Every chunk is read in file order rather than following the PMGL
	// chain: no loops, and a listing chunk left out of the chain is still
	// seen (a superset of what the viewer finds).
	for i := range nChunks {
		if err := ctx.Err(); err != nil {
			return err
		}
		off := int64(dirOff + hdrLen + i*chunk)
		if _, err := p.R.ReadAt(buf, off); err != nil && err != io.EOF {
			return err
		}
		if string(buf[:4]) != "PMGL" {
			continue // PMGI index chunks repeat names only
		}
		free := uint64(le.Uint32(buf[4:]))
		end := chunk
		if free < chunk-pmglEntries {
			end = chunk - free
		}
		for _, e := range pmglList(buf[pmglEntries:end]) {
			if e.section != 0 || e.length == 0 || strings.HasPrefix(e.name, "::") || strings.HasSuffix(e.name, "/") {
				continue
			}
			if content > uint64(p.Size) || e.offset > uint64(p.Size)-content || e.length > uint64(p.Size)-content-e.offset {
				problems = append(problems, fmt.Sprintf("%s outside the file", inspect.Clean(e.name, 80)))
				continue
			}
			name := strings.TrimPrefix(e.name, "/")
			if err := s.ChildAt(name, io.NewSectionReader(p.R, int64(content+e.offset), int64(e.length)), int64(e.length)); err != nil {
				return err
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w CHM: %s (%d in all)", ErrMalformed, problems[0], len(problems))
	}
	return nil
}

type chmEntry struct {
	name                    string
	section, offset, length uint64
}

// pmglList decodes the directory entries of one listing chunk: ENCINT name
// length, the UTF-8 name, ENCINT content section, offset and length. It
// stops at the first entry that does not fit.
func pmglList(b []byte) []chmEntry {
	var out []chmEntry
	for len(b) > 0 {
		n, k := encint(b)
		if k == 0 || n == 0 || n > uint64(len(b)-k) {
			break
		}
		b = b[k:]
		e := chmEntry{name: string(b[:n])}
		b = b[n:]
		var ok bool
		for _, f := range []*uint64{&e.section, &e.offset, &e.length} {
			*f, k = encint(b)
			if ok = k > 0; !ok {
				break
			}
			b = b[k:]
		}
		if !ok {
			break
		}
		out = append(out, e)
	}
	return out
}

// encint decodes a variable-length integer: 7 bits a byte, most significant
// first, the high bit set on every byte but the last. It returns the value
// and its length, or 0 bytes when it is truncated or longer than 9 bytes.
func encint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		v = v<<7 | uint64(b[i]&0x7F)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}
