package zipx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"

	"github.com/officemilter/officemilter/inspect"
)

// ErrNoQuickHead is returned by MemberHead for a member it cannot read the
// start of cheaply (a compression method other than stored and deflate):
// the caller opens it the ordinary way.
var ErrNoQuickHead = errors.New("zipx: no quick head for this compression method")

// headInput bounds the compressed bytes MemberHead feeds the decoder:
// compress/flate decodes up to a whole 32 KiB window per Read however
// little is asked for, but it can decode no further than its input goes.
// A KiB of input gives about a KiB of incompressible content (enough for
// every magic number and the KiB a PDF reader searches for its header) and
// several KiB of XML or text (enough for a prolog and the root element).
const headInput = 1024 + 64

// QuickInput is the input of a first, cheaper look: a dynamic Huffman
// block's tables and a few hundred bytes of content, which decide nearly
// every member (binary content by its magic number, XML by its root
// element). NeedsMoreHead says when it did not.
const QuickInput = 320

var flatePool sync.Pool

// MemberHead fills p with the first bytes of f's content (fewer when the
// member is shorter) and returns how many. Sniffing every member of a
// package needs only a head; a deflated member is decoded from its first
// headInput compressed bytes only. Neither the CRC nor the size is checked:
// the head is for sniffing, and content that is handed on is read again
// through zip.File.Open.
func MemberHead(f *zip.File, p []byte) (int, error) {
	return MemberHeadInput(f, p, headInput)
}

// MemberHeadInput is MemberHead with at most input compressed bytes read
// (deflate only; stored members are read as they are).
func MemberHeadInput(f *zip.File, p []byte, input int64) (int, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return 0, err
	}
	want := p[:min(int64(len(p)), int64(f.UncompressedSize64))]
	switch f.Method {
	case zip.Store:
		return io.ReadFull(raw, want)
	case zip.Deflate:
		in := io.LimitReader(raw, input)
		fr, _ := flatePool.Get().(io.ReadCloser)
		if fr == nil {
			fr = flate.NewReader(in)
		} else if err := fr.(flate.Resetter).Reset(in, nil); err != nil {
			return 0, err
		}
		defer flatePool.Put(fr)
		n, err := io.ReadFull(fr, want)
		if err == io.ErrUnexpectedEOF && n > 0 {
			err = nil // the input was cut, not the member
		}
		return n, err
	}
	return 0, ErrNoQuickHead
}

// NeedsMoreHead reports whether a head decoded from QuickInput is too
// short to sniff: text whose first element (after an XML prolog) is not
// complete yet. Binary content is decided by its first bytes.
func NeedsMoreHead(head []byte) bool {
	b := bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return true
	}
	if b[0] != '<' {
		// Text that is no XML (a script, a message, SYLK …) or binary:
		// binary is decided, text gets the longer look.
		return isTextish(b)
	}
	for len(b) > 0 && b[0] == '<' {
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return true
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b, []byte("-->"))
			if i < 0 {
				return true
			}
			b = b[i+3:]
		case bytes.HasPrefix(b, []byte("<!")):
			i := bytes.IndexByte(b, '>')
			if i < 0 {
				return true
			}
			b = b[i+1:]
		default:
			// The root element: complete when its start tag ends here.
			return bytes.IndexByte(b, '>') < 0
		}
		b = bytes.TrimLeft(b, " \t\r\n")
	}
	return true
}

// isTextish reports printable text: no NUL and few control bytes.
func isTextish(b []byte) bool {
	ctl := 0
	for _, c := range b {
		if c == 0 {
			return false
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x0c && c != 0x1b {
			ctl++
		}
	}
	return ctl*100 <= len(b)
}

// WithHead reads the first inspect.SniffLen bytes of r and calls fn with
// them and with a reader of all of r (the head followed by the rest), so
// that a member read for its own findings is sniffed without a second
// inflation. The head is valid only during fn.
func WithHead(r io.Reader, fn func(head []byte, all io.Reader) error) error {
	return withHeadN(r, inspect.SniffLen, fn)
}

// MemberSniffLen is how much of a member that is read for nothing else is
// looked at to sniff it: every magic number sits in the first bytes, a PDF
// header in the first KiB, an HTML or XML root after a short prolog.
const MemberSniffLen = 2048

func withHeadN(r io.Reader, n int, fn func(head []byte, all io.Reader) error) error {
	bp := SmallBufs.Get().(*[]byte)
	defer SmallBufs.Put(bp)
	head := (*bp)[:min(n, len(*bp))]
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	head = head[:n]
	return fn(head, io.MultiReader(bytes.NewReader(head), r))
}

// HandOn reports whether a member sniffed as f has an inspector worth
// running: anything but text (XML included) and unrecognised bytes
// (images, media, fonts, binary data).
func HandOn(f inspect.Family) bool {
	return f != "" && f != inspect.FamilyText && f != inspect.FamilyOther
}

// SniffMember hands member f to child when want says its head is content
// worth inspecting (a program, document, archive …). Most members are left
// alone (images, media, XML): their head is decoded cheaply (MemberHead,
// QuickInput first), and only a member that is handed on is opened and
// read in full, under the ratio limit, its head sniffed again from the
// checked stream. stop is child's error (the walk must stop); err is a
// read error of the member.
func SniffMember(f *zip.File, maxRatio int64, want func(head []byte) bool, child func(all io.Reader) error) (stop, err error) {
	bp := SmallBufs.Get().(*[]byte)
	buf := (*bp)[:min(MemberSniffLen, len(*bp))]
	n, herr := MemberHeadInput(f, buf, QuickInput)
	if herr == nil && n < len(buf) && uint64(n) < f.UncompressedSize64 && NeedsMoreHead(buf[:n]) {
		n, herr = MemberHead(f, buf)
	}
	skip := herr == nil && !want(buf[:n])
	SmallBufs.Put(bp)
	if skip {
		return nil, nil
	}
	// No part-size refusal up front: a large video is sniffed from its
	// head and left alone, and the engine caps what is handed on.
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	r := inspect.RatioReader(rc, int64(min(f.CompressedSize64, 1<<62)), maxRatio)
	err = withHeadN(r, MemberSniffLen, func(head []byte, all io.Reader) error {
		if want(head) {
			stop = child(all)
		}
		return nil
	})
	return stop, err
}
