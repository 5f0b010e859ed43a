package onenote

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/officemilter/officemilter/inspect"
)

var le = binary.LittleEndian

// GUIDs in the [MS-DTYP] 2.3.4.2 byte layout.
var (
	// [MS-ONESTORE] 2.6.13 FileDataStoreObject.guidHeader (the footer is not
	// checked: a missing one does not stop the data being inspected).
	guidFDSOHeader = mustGUID("{BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}")
	// [MS-ONESTORE] 2.3.1 Header.guidFileFormat of a revision store file.
	guidRevisionStore = mustGUID("{109ADD3F-911B-49F5-A5D0-1791EDC8AED8}")
)

const (
	oneHeaderLen = 1024 // [MS-ONESTORE] 2.3.1
	// [MS-ONESTORE] 2.3.1: fcrFileNodeListRoot, a FileChunkReference64x32.
	oneRootListOff = 172
	// [MS-ONESTORE] 2.6.13: guidHeader, cbLength u64, unused u32, reserved u64.
	fdsoHeaderLen = 36
	// [MS-ONESTORE] 2.4.1 FileNodeListFragment: header 16 bytes, then the
	// nodes, then nextFragment (12) and footer (8).
	fragHeaderLen  = 16
	fragTrailerLen = 20
	fragMagic      = 0xA4567AB1F5F7F4C4
	fragFooter     = 0x8BC215C38233BA4B
	fcrNil         = 0xFFFFFFFFFFFFFFFF

	scanWindow     = 1 << 20
	scriptSniffLen = 64 << 10
	maxExtLen      = 16
	embeddedDetail = "OneNote embedded file"
	ifndfPrefix    = "<ifndf>"
)

// inspectOneNote reports a OneNote file and hands every embedded file to the
// engine (see doc.go for why the scan for FileDataStoreObject finds all of
// them). Names come from the node lists where they can be read.
func inspectOneNote(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeOne)
	var problems []string
	nm, walkErr := walkNames(ctx, p)
	if walkErr != nil {
		problems = append(problems, walkErr.Error())
	}
	offs, err := scanFDSO(ctx, p)
	if err != nil {
		return err
	}
	for i, off := range offs {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := p.Bytes(off, fdsoHeaderLen)
		if err != nil {
			return err
		}
		if len(h) < fdsoHeaderLen {
			problems = append(problems, fmt.Sprintf("FileDataStoreObject at %d truncated", off))
			continue
		}
		start := off + fdsoHeaderLen
		cb := le.Uint64(h[16:])
		n := p.Size - start
		if cb <= uint64(n) {
			n = int64(cb)
		} else {
			problems = append(problems, fmt.Sprintf("FileDataStoreObject at %d: cbLength %d beyond the end of the file", off, cb))
		}
		// The names OneNote shows for this file (a file renamed in a later
		// revision has more than one: each reading is inspected), else one
		// made from the file data's extension.
		fileNames := nm.file[off]
		if len(fileNames) == 0 {
			fileNames = []string{fmt.Sprintf("embedded-%d%s", i+1, extOr(nm.ext[off], ".bin"))}
		}
		for _, name := range fileNames {
			s.Emit(inspect.Finding{Kind: inspect.KindEmbeddedObject, Where: name, Detail: embeddedDetail})
			data := io.NewSectionReader(p.R, start, n)
			if err := scriptByContent(data, n, name, s); err != nil {
				return err
			}
			if err := s.ChildAt(name, data, n); err != nil {
				return err
			}
		}
	}
	if !bytes.Equal(headerGUID(p, 48), guidRevisionStore[:]) {
		// [MS-ONESTORE] 2.8 packaging (FSSHTTPB) keeps file data in data
		// elements this package does not read.
		problems = append(problems, "not a revision store file (guidFileFormat), embedded files not read")
	}
	if len(problems) > 0 {
		if len(problems) > 1 {
			return fmt.Errorf("%w OneNote file: %s (and %d more problems)", ErrMalformed, problems[0], len(problems)-1)
		}
		return fmt.Errorf("%w OneNote file: %s", ErrMalformed, problems[0])
	}
	return nil
}

func headerGUID(p inspect.Part, off int64) []byte {
	b, _ := p.Bytes(off, 16)
	return b
}

func extOr(ext, def string) string {
	if ext == "" {
		return def
	}
	return ext
}

// scanFDSO returns the offset of every FileDataStoreObject.guidHeader in the
// file, in file order. It reads the file once in windows that overlap by
// 15 bytes, so a GUID across a window edge is found once.
func scanFDSO(ctx context.Context, p inspect.Part) ([]int64, error) {
	var offs []int64
	buf := make([]byte, min(int64(scanWindow+len(guidFDSOHeader)-1), p.Size))
	for base := int64(0); base < p.Size; base += scanWindow {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, err := p.R.ReadAt(buf[:min(int64(len(buf)), p.Size-base)], base)
		if err != nil && err != io.EOF {
			return nil, err
		}
		w := buf[:k]
		for i := 0; ; {
			j := bytes.Index(w[i:], guidFDSOHeader[:])
			if j < 0 {
				break
			}
			// A hit that starts in the overlap belongs to the next window.
			if i+j >= scanWindow {
				break
			}
			offs = append(offs, base+int64(i+j))
			i += j + 1
		}
	}
	return offs, nil
}

// scriptMarkers are what a script's text says early on: an HTML
// Application, a batch file, a Windows Script Host file, a PowerShell
// download. A OneNote embedded file is opened by its EmbeddedFileName, which
// this package does not read ([MS-ONE] property sets): a text file with
// these markers is reported as code whatever its extension says.
var scriptMarkers = []string{
	"<hta:application", "<script", "wscript.", "createobject(",
	"shell.application", "@echo off", "cmd /c", "cmd.exe", "powershell",
	"mshta", "rundll32", "regsvr32", "certutil", "bitsadmin", "<job", "<package>",
	"invoke-webrequest", "downloadstring", "start /min", "start /b",
}

// scriptByContent reports an embedded text file that reads like a script
// and whose name does not already make it one.
func scriptByContent(r io.ReaderAt, n int64, name string, s inspect.Scope) error {
	if _, ok := inspect.ScriptExts[inspect.Ext(name)]; ok {
		return nil
	}
	head := make([]byte, min(n, scriptSniffLen))
	k, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return err
	}
	head = head[:k]
	if !inspect.IsText(head) {
		return nil
	}
	lower := bytes.ToLower(head)
	for _, m := range scriptMarkers {
		if bytes.Contains(lower, []byte(m)) {
			s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Where: name,
				Detail: "OneNote embedded script (by content: " + m + ")"})
			return nil
		}
	}
	return nil
}

// chunkReference decodes a FileNodeChunkReference ([MS-ONESTORE] 2.2.4.2)
// and returns how many bytes it took.
func chunkReference(b []byte, stpFormat, cbFormat uint32) (chunkRef, int, bool) {
	var r chunkRef
	n := 0
	switch stpFormat {
	case 0:
		if len(b) < 8 {
			return r, 0, false
		}
		v := le.Uint64(b)
		if v == fcrNil || v > 1<<62 {
			return r, 0, false
		}
		r.stp, n = int64(v), 8
	case 1:
		if len(b) < 4 {
			return r, 0, false
		}
		r.stp, n = int64(le.Uint32(b)), 4
	case 2:
		if len(b) < 2 {
			return r, 0, false
		}
		r.stp, n = int64(le.Uint16(b))*8, 2
	case 3:
		if len(b) < 4 {
			return r, 0, false
		}
		r.stp, n = int64(le.Uint32(b))*8, 4
	}
	b = b[n:]
	switch cbFormat {
	case 0:
		if len(b) < 4 {
			return r, 0, false
		}
		r.cb, n = int64(le.Uint32(b)), n+4
	case 1:
		if len(b) < 8 || le.Uint64(b) > 1<<62 {
			return r, 0, false
		}
		r.cb, n = int64(le.Uint64(b)), n+8
	case 2:
		if len(b) < 1 {
			return r, 0, false
		}
		r.cb, n = int64(b[0])*8, n+1
	case 3:
		if len(b) < 2 {
			return r, 0, false
		}
		r.cb, n = int64(le.Uint16(b))*8, n+2
	}
	return r, n, true
}

// storageString decodes a StringInStorageBuffer ([MS-ONESTORE] 2.2.3):
// cch (u32), then cch UTF-16LE code units. The length is checked against
// the node, which is at most 8191 bytes.
func storageString(b []byte) (string, []byte, bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	cch := uint64(le.Uint32(b))
	if cch*2 > uint64(len(b)-4) {
		return "", nil, false
	}
	u := make([]uint16, cch)
	for i := range u {
		u[i] = le.Uint16(b[4+2*i:])
	}
	return string(utf16.Decode(u)), b[4+2*cch:], true
}

// cleanExt keeps an extension that a file name could end in: a dot and a
// few letters, digits, '-' or '_'. Anything else is dropped (the child is
// then ".bin" and judged by content).
func cleanExt(ext string) string {
	ext = strings.TrimRight(ext, " .\x00")
	if len(ext) < 2 || len(ext) > maxExtLen || ext[0] != '.' {
		return ""
	}
	for _, c := range ext[1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return strings.ToLower(ext)
}

// guidString formats 16 bytes in [MS-DTYP] 2.3.4.2 layout as
// "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}".
func guidString(b []byte) string {
	return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}", le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16])
}

// mustGUID is the inverse of guidString, for constants and tests.
func mustGUID(s string) [16]byte {
	var g [16]byte
	var a uint32
	var b, c uint16
	var d [8]byte
	n, err := fmt.Sscanf(s, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", &a, &b, &c,
		&d[0], &d[1], &d[2], &d[3], &d[4], &d[5], &d[6], &d[7])
	if err != nil || n != 11 {
		panic("onenote: bad GUID " + s)
	}
	le.PutUint32(g[:], a)
	le.PutUint16(g[4:], b)
	le.PutUint16(g[6:], c)
	copy(g[8:], d[:])
	return g
}
