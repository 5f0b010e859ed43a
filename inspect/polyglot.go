package inspect

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"sync"
)

// A polyglot is a file that opens as two types: a PDF header inside a zip or
// behind an image, a zip appended to a PDF, a message appended to a PDF
// that Word opens as MHT ("MalDoc in PDF"). Sniffing names one family; the
// readers of the other see content nobody inspected. The engine asks
// sniffReadings for the other readings, reports each as ambiguous and
// inspects it too.
//
// The common case must cost (almost) nothing: the checks look only at the
// head Sniff read anyway and at the tail of the file (at most the last
// 64 KiB, where a zip's end record must be), and they parse nothing unless
// a signature is there.

// reading is another way to read a part: a family, the byte range its
// readers take, and how the ambiguity reads.
type reading struct {
	fam    Family
	off, n int64
	zr     *zip.Reader // the central directory, for a zip-based family
	detail string
}

// sniffReadings is sniffPart that also returns the part's other readings.
func sniffReadings(r io.ReaderAt, size int64, name string) (Family, *zip.Reader, []reading) {
	n := min(int64(SniffLen), size)
	if b := InMemory(r, size); b != nil {
		fam, zr := sniff(r, size, b[:n], name)
		return fam, zr, polyglots(r, size, b[:n], fam, name)
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	head := (*bp)[:n]
	k, _ := r.ReadAt(head, 0)
	head = head[:k]
	fam, zr := sniff(r, size, head, name)
	return fam, zr, polyglots(r, size, head, fam, name)
}

// pdfWindow is where Acrobat looks for "%PDF-" (ISO 32000-2 7.5.2 wants it
// at offset 0; Acrobat and pdf.js accept it within the first KiB).
const pdfWindow = 1024

// zipTail is how far from the end a zip's end of central directory record
// can be: the record (22 bytes, APPNOTE 4.3.16) and its comment (at most
// 65535 bytes).
const zipTail = 22 + 65535

// maxZipTries bounds the end records zipInTail hands to archive/zip.
const maxZipTries = 3

var tailBufs = sync.Pool{New: func() any { b := make([]byte, zipTail); return &b }}

// polyglots returns the readings of the part besides fam, its sniffed
// family, in file order and without duplicates.
func polyglots(r io.ReaderAt, size int64, head []byte, fam Family, name string) []reading {
	var out []reading
	add := func(x reading) {
		for _, o := range out {
			if o.fam == x.fam && o.off == x.off && o.n == x.n {
				return
			}
		}
		out = append(out, x)
	}
	primary := polyglotName(fam, head)
	if fam == FamilyCMS {
		// A signed file carries its content near the start (a .pdf.p7m
		// holds "%PDF-" in its first KiB, as the content): the CMS
		// inspector tells content from bytes outside it and reports a
		// PDF header outside the content itself.
		return nil
	}

	// A PDF header in the first KiB: behind another format's header, or
	// behind leading bytes that are something else themselves.
	win := head[:min(len(head), pdfWindow)]
	if i := bytes.Index(win, []byte("%PDF-")); i > 0 || (i == 0 && fam != FamilyPDF) {
		if fam != FamilyPDF {
			add(reading{fam: FamilyPDF, n: size, detail: "polyglot: " + primary + " and pdf"})
		} else if prefix := head[:i]; !blank(prefix) {
			// What the leading bytes are to a reader that does not
			// look for "%PDF-": a script host, a mail reader, a
			// viewer. Word opens RTF only with "{\rt" at offset 0,
			// so RTF is found at 0 (as the primary) or not at all.
			pf := sniffHead(r, size, prefix, name)
			add(reading{fam: pf, n: size, detail: "polyglot: " + polyglotName(pf, prefix) + " and pdf"})
		}
	}

	if size <= 0 {
		return out
	}
	switch fam {
	case FamilyZip, FamilyOOXML, FamilyODF:
		// A PDF after a zip: PDF readers that start from the trailer
		// ("startxref", "%%EOF" in the last KiB) open it. After the
		// zip's end record, so that a PDF stored as the last member
		// (inspected as that member) does not count.
		if t := tailOf(r, size, head, pdfWindow, func(t []byte) bool {
			z := lastIndex(t, []byte("PK\x05\x06"))
			return z < lastIndex(t, []byte("startxref")) && z < lastIndex(t, []byte("%%EOF"))
		}); t {
			add(reading{fam: FamilyPDF, n: size, detail: "polyglot: " + primary + " and pdf"})
		}
		return out
	case FamilyPE:
		// A self-extractor keeps its zip in the overlay; the exe
		// inspector hands that to the engine and the file is an
		// executable whatever else it is.
		return out
	case FamilyTar, FamilyISO, FamilyCAB, Family7z, FamilyRAR, FamilyGzip, FamilyBzip2, FamilyXZ, FamilyEML, FamilyTNEF:
		// Archives whose members are inspected anyway (a stored zip as
		// the last member of a tar is a zip to unzip, and is inspected
		// as that member); a message's attachments are walked.
		return out
	}
	var found []reading
	tailOf(r, size, head, zipTail, func(t []byte) bool {
		base := size - int64(len(t))
		if z, ok := zipInTail(r, size, t, base, fam == FamilyOLE); ok {
			z.detail = "polyglot: " + primary + " and " + polyglotName(z.fam, nil)
			found = append(found, z)
		}
		if fam == FamilyPDF {
			if m, ok := afterPDF(r, size, t, base); ok {
				m.detail = "polyglot: pdf and " + m.detail
				found = append(found, m)
			}
		}
		return false
	})
	for _, x := range found {
		add(x)
	}
	return out
}

// tailOf calls f with the last n bytes of the part (fewer when it is
// smaller): from memory or the head when they hold it, else read once into
// a pooled buffer valid during f.
func tailOf(r io.ReaderAt, size int64, head []byte, n int64, f func([]byte) bool) bool {
	n = min(n, size)
	if b := InMemory(r, size); b != nil {
		return f(b[size-n:])
	}
	if int64(len(head)) == size {
		return f(head[size-n:])
	}
	bp := tailBufs.Get().(*[]byte)
	defer tailBufs.Put(bp)
	t := (*bp)[:n]
	k, err := r.ReadAt(t, size-n)
	if int64(k) < n {
		_ = err // an unreadable tail holds no reading
		return false
	}
	return f(t)
}

// zipInTail finds a zip end of central directory record in t (the last
// bytes of the part, starting at offset base) and returns the zip it ends
// when archive/zip opens that: the range from the zip's first byte (its
// central directory offset counted from there) to the end of its comment.
// strict asks that the record end the file: a compound file may hold a
// zip (an embedded OOXML object) in its last stream, inspected as such.
func zipInTail(r io.ReaderAt, size int64, t []byte, base int64, strict bool) (reading, bool) {
	sig := []byte("PK\x05\x06")
	// A reader takes the last record it finds; trying a few more copes
	// with a signature inside a comment, and bounds the work an attacker
	// can ask for with thousands of fake records.
	tries := 0
	for end := len(t); end > 0 && tries < maxZipTries; {
		i := lastIndex(t[:end], sig)
		if i < 0 {
			return reading{}, false
		}
		end = i
		if i+22 > len(t) {
			continue
		}
		rec := t[i : i+22]
		comment := int64(binary.LittleEndian.Uint16(rec[20:]))
		eocd := base + int64(i)
		stop := eocd + 22 + comment
		if stop > size || (strict && stop != size) {
			continue
		}
		cdSize := int64(binary.LittleEndian.Uint32(rec[12:]))
		cdOff := int64(binary.LittleEndian.Uint32(rec[16:]))
		start := eocd - cdSize - cdOff
		if cdSize == 0xFFFFFFFF || cdOff == 0xFFFFFFFF || start < 0 {
			// Zip64, or offsets counted from the file's start:
			// archive/zip finds its way from the whole file.
			start = 0
		}
		tries++
		sub := sectionOf(r, size, start, stop-start)
		fam, zr := sniffZip(sub, stop-start)
		if zr == nil || len(zr.File) == 0 {
			continue
		}
		return reading{fam: fam, off: start, n: stop - start, zr: zr}, true
	}
	return reading{}, false
}

// afterPDF finds what readers other than PDF ones take from a PDF's tail:
// a MIME message (an MHT document Word opens, whatever the PDF says) or
// HTML after the PDF's last "%%EOF". t is the tail, from offset base.
func afterPDF(r io.ReaderAt, size int64, t []byte, base int64) (reading, bool) {
	// Field names end in a colon, rare in PDF syntax: step from colon to
	// colon and look at the name before each.
	mime, part := -1, false
	for p := 0; p < len(t) && mime < 0; {
		j := bytes.IndexByte(t[p:], ':')
		if j < 0 {
			break
		}
		p += j
		switch {
		case fieldBefore(t, p, "mime-version"):
			mime = p - len("mime-version")
		case fieldBefore(t, p, "content-location"),
			fieldBefore(t, p, "content-type") && hasPrefixFold(bytes.TrimLeft(t[p+1:min(len(t), p+40)], " \t"), "multipart/"):
			part = true
		}
		p++
	}
	if mime >= 0 {
		return reading{fam: FamilyEML, off: base + int64(mime), n: size - base - int64(mime), detail: "mht"}, true
	}
	if part {
		// The parts of an MHT whose header lies further back.
		if off := findLineBack(r, base, "mime-version:"); off >= 0 {
			return reading{fam: FamilyEML, off: off, n: size - off, detail: "mht"}, true
		}
	}
	if e := lastIndex(t, []byte("%%EOF")); e >= 0 {
		rest := bytes.ToLower(t[e:])
		if bytes.Contains(rest, []byte("<html")) || bytes.Contains(rest, []byte("<script")) || bytes.Contains(rest, []byte("<!doctype html")) {
			off := base + int64(e) + 5
			return reading{fam: FamilyText, off: off, n: size - off, detail: "html"}, true
		}
	}
	return reading{}, false
}

// fieldBefore reports whether the line holding the colon at t[colon]
// starts with the field name name (ASCII, lower case).
func fieldBefore(t []byte, colon int, name string) bool {
	start := colon - len(name)
	return start >= 0 && (start == 0 || t[start-1] == '\n') && bytes.EqualFold(t[start:colon], []byte(name))
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

// lineFoldFrom returns the offset in b, from from on, of the first line
// that starts with prefix (ASCII, lower case; compared case-insensitively),
// or -1. It steps from line to line, one IndexByte per line.
func lineFoldFrom(b []byte, from int, prefix string) int {
	for p := from; p < len(b); {
		if (p == 0 || b[p-1] == '\n') && hasPrefixFold(b[p:], prefix) {
			return p
		}
		j := bytes.IndexByte(b[p:], '\n')
		if j < 0 {
			return -1
		}
		p += j + 1
	}
	return -1
}

// findLineBack looks for a line starting with prefix before offset end,
// reading backwards in windows that overlap by the prefix's length; -1
// when there is none. It runs only when the tail already shows MIME part
// headers, so its cost is never the common case's.
func findLineBack(r io.ReaderAt, end int64, prefix string) int64 {
	const win = 64 << 10
	buf := make([]byte, min(win, end))
	for end > 0 {
		start := max(0, end-win)
		b := buf[:end-start]
		k, _ := r.ReadAt(b, start)
		b = b[:k]
		last := -1
		for i := lineFoldFrom(b, 0, prefix); i >= 0; i = lineFoldFrom(b, i+1, prefix) {
			last = i
		}
		if last >= 0 {
			return start + int64(last)
		}
		if start == 0 {
			break
		}
		end = start + int64(len(prefix))
	}
	return -1
}

// lastIndex is bytes.LastIndex for signatures that are rare in b: it
// scans forward with the vectorised bytes.Index, many times faster than
// the byte-by-byte hash bytes.LastIndex uses.
func lastIndex(b, sig []byte) int {
	last := -1
	for off := 0; ; {
		i := bytes.Index(b[off:], sig)
		if i < 0 {
			return last
		}
		last = off + i
		off = last + 1
	}
}

// sectionOf returns bytes [off, off+n) of r, without a copy when r is in
// memory.
func sectionOf(r io.ReaderAt, size, off, n int64) io.ReaderAt {
	if off == 0 && n == size {
		return r
	}
	if b := InMemory(r, size); b != nil {
		return BytesReaderAt(b[off : off+n])
	}
	return io.NewSectionReader(r, off, n)
}

// blank reports whether leading bytes are only what PDF writers and
// transports put before a header by accident: white space, NUL bytes, a
// byte order mark.
func blank(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', '\f', 0:
		default:
			return false
		}
	}
	return true
}

// polyglotName is how a reading is called in an ambiguity's detail.
func polyglotName(f Family, head []byte) string {
	if f != FamilyOther {
		return string(f)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "gif"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "tiff"
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return "webp"
	}
	return "data"
}
