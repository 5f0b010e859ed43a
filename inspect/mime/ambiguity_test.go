package mime

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// viewLeaf is a leaf as the ambiguity tests see it.
type viewLeaf struct {
	Leaf
	content []byte
}

func walkViews(t testing.TB, msg []byte) []viewLeaf {
	t.Helper()
	r := bytes.NewReader(msg)
	root, err := Parse(r, int64(len(msg)), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var out []viewLeaf
	err = Walk(context.Background(), r, root, Limits{}, func(l Leaf) error {
		if l.Entity == nil || l.Open == nil || l.Name == "" {
			t.Fatalf("incomplete leaf %+v", l)
		}
		b, err := io.ReadAll(l.Open())
		if err != nil {
			t.Errorf("%s: read: %v", l.Name, err)
		}
		out = append(out, viewLeaf{Leaf: l, content: b})
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return out
}

func leafStrings(ls []viewLeaf) []string {
	var s []string
	for _, l := range ls {
		s = append(s, leafString(l.Leaf))
	}
	return s
}

// exePart is an attachment part holding payloadExe.
func exePart(name string) string {
	return "Content-Type: application/octet-stream; name=" + name + "\nContent-Transfer-Encoding: base64\n\n" + b64(payloadExe)
}

// ambiguityCase is one attack message: the ambiguity it must raise and
// the attachment an alternative reading must expose.
type ambiguityCase struct {
	name   string
	msg    string
	detail string // an ambiguity leaf with this detail
	where  string // its Name
	view   string // "" when no alternative reading exposes more
	leaf   string // the leaf the view exposes
	want   []byte // its content (payloadExe when nil)
}

func ambiguityMessages() []ambiguityCase {
	exe := b64(payloadExe)
	return []ambiguityCase{
		{
			name: "two boundary parameters, last wins",
			msg: "Content-Type: multipart/mixed; boundary=X; boundary=Y\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n--X\nContent-Type: text/plain\n\nhello\n--X--\n",
			detail: "two boundary parameters", where: "message", view: "last-parameter", leaf: "clam.exe",
		},
		{
			name: "boundary parameters in two cases",
			msg: "Content-Type: multipart/mixed; boundary=X; BOUNDARY=Y\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n--X\n\nhello\n--X--\n",
			detail: "two boundary parameters", where: "message", view: "last-parameter", leaf: "clam.exe",
		},
		{
			name: "plain boundary beside RFC 2231",
			msg: "Content-Type: multipart/mixed; boundary=X; boundary*=us-ascii''Y\n\n" +
				"--X\n" + exePart("clam.exe") + "--X--\n--Y\n\nhello\n--Y--\n",
			detail: "boundary parameter in plain and RFC 2231 form", where: "message", view: "plain-parameter", leaf: "clam.exe",
		},
		{
			name: "RFC 2231 continuation beside plain",
			msg: "Content-Type: multipart/mixed; boundary*0=Y; boundary=X\n\n" +
				"--X\n" + exePart("clam.exe") + "--X--\n--Y\n\nhello\n--Y--\n",
			detail: "boundary parameter in plain and RFC 2231 form", where: "message", view: "plain-parameter", leaf: "clam.exe",
		},
		{
			name: "two Content-Type fields",
			msg: "Content-Type: multipart/mixed; boundary=X\nContent-Type: multipart/mixed; boundary=Y\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n--X\n\nhello\n--X--\n",
			detail: AmbiguityTwoTypes, where: "message", view: "last-field", leaf: "clam.exe",
		},
		{
			name: "two Content-Transfer-Encoding fields",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream; name=a.bin\n" +
				"Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: base64\n\n" + exe + "--b--\n",
			detail: AmbiguityTwoEncodings, where: "a.bin", view: "last-field", leaf: "a.bin",
		},
		{
			name: "two Content-Disposition fields",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n" +
				"Content-Disposition: inline\nContent-Disposition: attachment; filename=run.cmd\n\necho hi\n--b--\n",
			detail: AmbiguityTwoDispositions, where: "part-1", view: "last-field", leaf: "run.cmd", want: []byte("echo hi"),
		},
		{
			name: "Content-Type field name with a comment",
			msg: "Subject: x\nContent-Type(meow): multipart/mixed; boundary=\"Y\"\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n",
			detail: "Content-Type field name with a comment", where: "message", view: "lenient-names", leaf: "clam.exe",
		},
		{
			name: "Content-Type field name with a spaced comment",
			msg: "Subject: x\nContent-Type (meow): multipart/mixed; boundary=\"Y\"\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n",
			detail: "Content-Type field name with a comment", where: "message", view: "lenient-names", leaf: "clam.exe",
		},
		{
			name: "a comment name beside the real field",
			msg: "Content-Type: multipart/mixed; boundary=X\nContent-Type(meow): multipart/mixed; boundary=\"Y\"\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n--X\n\nhello\n--X--\n",
			detail: "Content-Type field name with a comment", where: "message", view: "combined", leaf: "clam.exe",
		},
		{
			name: "Content-Type field name with a control character",
			msg: "Subject: x\nContent-Type\x01: multipart/mixed; boundary=Y\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n",
			detail: "Content-Type field name with a control character", where: "message", view: "lenient-names", leaf: "clam.exe",
		},
		{
			name: "NUL in a field name before Content-Type",
			msg: "Subject: x\nX-A\x00: y\nContent-Type: multipart/mixed; boundary=Y\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n",
			detail: "header field name with a control character", where: "message", view: "lenient-names", leaf: "clam.exe",
		},
		{
			name:   "NUL byte in header",
			msg:    "Subject: a\x00b\n\nhello\n",
			detail: AmbiguityHeaderNUL, where: "message",
		},
		{
			name: "Content-Type field name with 8-bit bytes",
			msg: "Subject: x\nContent-Type\xc2\xa0: multipart/mixed; boundary=Y\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n",
			detail: "Content-Type field name with 8-bit bytes", where: "message", view: "lenient-names", leaf: "clam.exe",
		},
		{
			name: "whitespace before the colon",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type : application/octet-stream; name=x.exe\n" +
				"Content-Transfer-Encoding: base64\n\n" + exe + "--b--\n",
			detail: "Content-Type field name followed by whitespace", where: "x.exe",
		},
		{
			name: "bare CR in header",
			msg: "Subject: x\rContent-Type: multipart/mixed; boundary=Y\n\n" +
				"--Y\n" + exePart("clam.exe") + "--Y--\n",
			detail: AmbiguityHeaderBareCR, where: "message", view: "cr-line-ends", leaf: "clam.exe",
		},
		{
			name:   "mixed line ends in header",
			msg:    "Subject: x\r\nFrom: y\n\nhello\n",
			detail: AmbiguityMixedHeaderEnds, where: "message",
		},
		{
			name:   "mixed line ends at delimiters",
			msg:    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream; name=x.bin\r\n\r\nfirst\n--b\n\nsecond\r\n--b--\r\n",
			detail: AmbiguityMixedDelimEnds, where: "message", view: "crlf-delimiters", leaf: "x.bin", want: []byte("first\n--b\n\nsecond"),
		},
		{
			name: "delimiter prefix match",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--bX\n" +
				exePart("x.exe") + "--b--\n",
			detail: AmbiguityPrefixMatch, where: "message", view: "lenient-delimiters", leaf: "x.exe",
		},
		{
			name: "delimiter with trailing junk",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b junk\n" +
				exePart("x.exe") + "--b--\n",
			detail: AmbiguityTrailingJunk, where: "message", view: "lenient-delimiters", leaf: "x.exe",
		},
		{
			name: "bare CR after a delimiter",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\r" +
				exePart("x.exe") + "--b--\n",
			detail: AmbiguityDelimBareCR, where: "message", view: "cr-line-ends", leaf: "x.exe",
		},
		{
			name: "delimiter after the close delimiter",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n--b--\n--b\n" +
				exePart("x.exe") + "--b--\n",
			detail: AmbiguityDelimAfterClose, where: "message", view: "preamble-epilogue", leaf: "x.exe",
		},
		{
			name: "part after the close delimiter",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n--b--\n" +
				exePart("x.exe"),
			detail: AmbiguityPartAfterClose, where: "message", view: "preamble-epilogue", leaf: "x.exe",
		},
		{
			name: "part in the preamble",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n" + exePart("x.exe") +
				"--b\n\nhi\n--b--\n",
			detail: AmbiguityPartInPreamble, where: "message", view: "preamble-epilogue", leaf: "x.exe",
		},
		{
			name: "part header after a blank line",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n" + exePart("x.exe") +
				"--b--\n",
			detail: AmbiguityBlankHeaderStart, where: "part-1", view: "skip-blank-lines", leaf: "x.exe",
		},
		{
			name: "part header after a whitespace line",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\n \n" + exePart("x.exe") +
				"--b--\n",
			detail: AmbiguityWSPHeaderStart, where: "x.exe",
		},
		{
			name:   "Content-Type without subtype",
			msg:    "Content-Type: multipart; boundary=Y\n\n--Y\n" + exePart("x.exe") + "--Y--\n",
			detail: AmbiguityNoSubtype, where: "message", view: "lenient-type", leaf: "x.exe",
		},
		{
			name:   "quoted Content-Type",
			msg:    "Content-Type: \"multipart/mixed\"; boundary=Y\n\n--Y\n" + exePart("x.exe") + "--Y--\n",
			detail: AmbiguityQuotedType, where: "message", view: "lenient-type", leaf: "x.exe",
		},
		{
			name: "x- transfer encoding",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream; name=x.exe\n" +
				"Content-Transfer-Encoding: x-base64\n\n" + exe + "--b--\n",
			detail: AmbiguityUnknownEncoding, where: "x.exe", view: "lenient-encoding", leaf: "x.exe",
		},
		{
			name: "message/rfc822 without blank line",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n" +
				"From: a@example.org\nSubject: s\nthis is the body\n--b--\n",
			detail: AmbiguityMessageNoBlank, where: "part-1",
		},
		{
			name:   "missing close delimiter",
			msg:    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n",
			detail: AmbiguityMissingClose, where: "message",
		},
		{
			name:   "8-bit byte in Content-Transfer-Encoding",
			msg:    "Content-Transfer-Encoding: base64\xa0\n\naGk=\n",
			detail: "8-bit byte in Content-Transfer-Encoding field", where: "message",
		},
		{
			name: "two name parameters with different extensions",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream; name=a.pdf; name=a.exe\n" +
				"Content-Transfer-Encoding: base64\n\n" + exe + "--b--\n",
			detail: "two name parameters", where: "a.pdf", view: "last-parameter", leaf: "a.exe",
		},
		{
			name: "filename in plain and RFC 2231 form",
			msg: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream\n" +
				"Content-Disposition: attachment; filename=\"a.pdf\"; filename*=utf-8''a.exe\n" +
				"Content-Transfer-Encoding: base64\n\n" + exe + "--b--\n",
			detail: "filename parameter in plain and RFC 2231 form", where: "a.exe", view: "plain-parameter", leaf: "a.pdf",
		},
		{
			name:   "two charset parameters",
			msg:    "Content-Type: text/plain; charset=utf-8; charset=iso-8859-1\n\nhello\n",
			detail: "two charset parameters", where: "message",
		},
	}
}

// TestAmbiguities: every detection, and for each alternative reading that
// the hidden attachment is emitted with its View.
func TestAmbiguities(t *testing.T) {
	tests := ambiguityMessages()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaves := walkViews(t, []byte(tt.msg))
			found := false
			for _, l := range leaves {
				if l.Role == RoleAmbiguous && l.Detail == tt.detail && l.Name == tt.where && l.View == "" {
					found = true
				}
			}
			if !found {
				t.Errorf("no ambiguity %q at %s in %q", tt.detail, tt.where, leafStrings(leaves))
			}
			if tt.view == "" {
				return
			}
			want := tt.want
			if want == nil {
				want = payloadExe
			}
			for _, l := range leaves {
				if l.View == tt.view && l.Name == tt.leaf && l.Role == RoleAttachment {
					if !bytes.Equal(l.content, want) {
						t.Errorf("%s @%s = %.40q, want %.40q", tt.leaf, tt.view, l.content, want)
					}
					return
				}
			}
			t.Errorf("no attachment %s @%s in %q", tt.leaf, tt.view, leafStrings(leaves))
		})
	}
}

// TestAmbiguityDedupe: an ambiguity is reported once per entity, and a
// reading that exposes the same bytes adds no leaf.
func TestAmbiguityDedupe(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=b; boundary=b\nX-A: \x00\nX-B: \x00\n\n--b\n" + exePart("x.exe") +
		"--b\nContent-Type: text/plain\n\nhello\n--b--\n"
	got := leafStrings(walkViews(t, []byte(msg)))
	want := []string{"ambiguous message NUL byte in header", "ambiguous message two boundary parameters", "attachment x.exe", "text part-2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("leaves\n got %q\nwant %q", got, want)
	}
}

// TestNoAmbiguity: the fixtures without tricks parse to no ambiguity and
// no alternative reading.
func TestNoAmbiguity(t *testing.T) {
	for _, name := range []string{"nested_multipart.eml", "nested_rfc822.eml", "names.eml", "pgp.eml", "smime_signed_der.eml"} {
		msg := fixtureByName(t, name).build()
		root := mustParse(t, msg)
		if root.views != nil {
			t.Errorf("%s: readings %v", name, alternatives(root.views.alts))
		}
	}
}

func TestAlternativesBounded(t *testing.T) {
	for rd := reading(0); rd <= rdAll; rd++ {
		alts := alternatives(rd)
		if len(alts) > maxReadings {
			t.Fatalf("%b: %d readings", rd, len(alts))
		}
		if rd != 0 && len(alts) == 0 {
			t.Fatalf("%b: no reading", rd)
		}
	}
	if n := (rdLastField | rdLenientNames).name(); n != "combined" {
		t.Errorf("combined name %q", n)
	}
	if got := RoleAmbiguous.String(); got != "ambiguous" {
		t.Errorf("RoleAmbiguous = %q", got)
	}
}

// TestReadingOverLimit: an alternative reading that runs into a parser
// limit is unscannable, never silently cut short.
func TestReadingOverLimit(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n" + strings.Repeat("--bX\n\nx\n", 30) + "--b--\n"
	r := strings.NewReader(msg)
	lim := Limits{MaxParts: 20}
	root, err := Parse(r, int64(len(msg)), lim)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = Walk(context.Background(), r, root, lim, func(l Leaf) error {
		got = append(got, leafString(l))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "unscannable part-1 reading lenient-delimiters: limit parts=20 @lenient-delimiters"
	for _, l := range got {
		if l == want {
			return
		}
	}
	t.Errorf("no %q in %q", want, got)
}

// TestAmbiguityInsideSMIME: unwrapped opaque-signed content is read in
// every reading too; its leaves belong to the outer entity.
func TestAmbiguityInsideSMIME(t *testing.T) {
	inner := crlf("Content-Type: multipart/mixed; boundary=X; boundary=Y\n\n--Y\n" + exePart("clam.exe") + "--Y--\n--X\n\nhi\n--X--\n")
	msg := smimeMessage("signed, ambiguous inside", "signed-data", "smime.p7m", cmsSignedDER([]byte(inner)))
	leaves := walkViews(t, msg)
	var amb, exe bool
	for _, l := range leaves {
		if l.Role == RoleAmbiguous && l.Detail == "two boundary parameters" && l.Inner {
			amb = true
		}
		if l.Name == "clam.exe" && l.View == "last-parameter" && l.Inner && bytes.Equal(l.content, payloadExe) && l.Entity.MediaType == "application/pkcs7-mime" {
			exe = true
		}
	}
	if !amb || !exe {
		t.Errorf("ambiguity %v, clam.exe %v in %q", amb, exe, leafStrings(leaves))
	}
}
