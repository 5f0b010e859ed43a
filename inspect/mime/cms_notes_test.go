package mime

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// TestCMSNotes: a .p7m is a signed document and a .p7s a detached
// signature; the note names the signer from the certificate, in DER,
// streamed BER and PEM alike.
func TestCMSNotes(t *testing.T) {
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyCMS: NewCMS(Limits{})}, inspect.Limits{})
	const p7m, p7s = "signed:@CMS signature (p7m) by officemilter test", "signed:@detached CMS signature by officemilter test"
	for file, want := range map[string][]string{
		"setup.exe.p7m":           {p7m},
		"setup-pem.exe.p7m":       {p7m},
		"invoice-stream.docm.p7m": {p7m},
		"letter.pdf.p7s":          {p7s},
		"setup.exe.p7m.p7m":       {p7m, "signed:setup.exe.p7m@CMS signature (p7m) by officemilter test"},
		"truncated.p7m":           nil,
	} {
		b := readCMSFixture(t, file)
		r := e.Inspect(context.Background(), file, "", bytes.NewReader(b), int64(len(b)))
		var got []string
		for _, n := range r.Notes {
			got = append(got, n.Kind+":"+n.Where+"@"+n.Detail)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: notes %q, want %q", file, got, want)
		}
	}
}

// TestCMSSignerHostile: cmsSigner on cut and garbled SignedData says
// nothing rather than failing.
func TestCMSSignerHostile(t *testing.T) {
	b := readCMSFixture(t, "setup.exe.p7m")
	for n := 0; n < len(b); n += 97 {
		_ = cmsSigner(bytes.NewReader(b[:n]), int64(n))
	}
	g := bytes.Clone(b)
	for i := 0; i < len(g); i += 13 {
		g[i] ^= 0x5a
		_ = cmsSigner(bytes.NewReader(g), int64(len(g)))
	}
}
