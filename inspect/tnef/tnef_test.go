package tnef

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func inspectBytes(t testing.TB, b []byte) (*inspecttest.Recorder, error) {
	rec := &inspecttest.Recorder{KeepReadErrors: true}
	p := inspect.Part{Name: "winmail.dat", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyTNEF}
	return rec, New().Inspect(context.Background(), p, rec)
}

func twoAttachments() []byte {
	return newTNEF().
		attr(levelMessage, idMessageClass, []byte("IPM.Microsoft Mail.Note\x00")).
		attachment("REPORT~1.DOC", []byte("first"), (&propList{}).
			unicode(pidAttachLongName, "Quarterly report 2024.doc").int32(pidAttachMethod, 1).
			named("x-custom").multi().bytes()).
		attachment("notes.txt", []byte("second"), nil).
		Bytes()
}

func embedded() []byte {
	inner := newTNEF().attachment("inner.lnk", append([]byte{0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}, make([]byte, 60)...), nil).Bytes()
	return newTNEF().attachment("", nil, (&propList{}).
		unicode(pidDisplayName, "Fwd: invoice").int32(pidAttachMethod, attachEmbeddedMsg).
		binary(ptypObject, pidAttachDataObj, append(append([]byte{}, iidIMessage...), inner...)).bytes()).
		Bytes()
}

// withLength rewrites the length field of the attribute at offset off.
func withLength(b []byte, off int, l uint32) []byte {
	c := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(c[off+5:], l)
	return c
}

func TestInspect(t *testing.T) {
	two := twoAttachments()
	absurdProps := newTNEF().attachment("a.txt", []byte("a"), binary.LittleEndian.AppendUint32(nil, 0x7FFFFFFF)).Bytes()
	absurdValues := newTNEF().attachment("a.txt", []byte("a"), func() []byte {
		p := &propList{}
		p.tag(ptypBinary, pidAttachDataObj)
		p.u32(0x40000000) // value count
		p.u32(0)
		return p.bytes()
	}()).Bytes()
	absurdLen := newTNEF().attachment("a.txt", []byte("a"), func() []byte {
		p := &propList{}
		p.tag(ptypBinary, pidAttachDataObj)
		p.u32(1)
		p.u32(0xFFFFFFF0) // value length
		return p.bytes()
	}()).Bytes()
	badSum := twoAttachments()
	badSum[len(badSum)-1] ^= 0xFF
	rtf := newTNEF().attr(levelMessage, idMsgProps, (&propList{}).
		binary(ptypBinary, pidRTFCompressed, lzfuLiterals("{\\rtf1 hello {\\object}}")).bytes()).Bytes()

	cases := []struct {
		name     string
		data     []byte
		children []string
		content  map[string]string
		wantErr  string
	}{
		{name: "two attachments", data: two, children: []string{"Quarterly report 2024.doc", "notes.txt"},
			content: map[string]string{"Quarterly report 2024.doc": "first", "notes.txt": "second"}},
		{name: "embedded message", data: embedded(), children: []string{"Fwd: invoice"}},
		{name: "rtf body", data: rtf, children: []string{"message.rtf"},
			content: map[string]string{"message.rtf": "{\\rtf1 hello {\\object}}"}},
		{name: "bad checksum still decodes", data: badSum, children: []string{"Quarterly report 2024.doc", "notes.txt"}},
		{name: "truncated", data: two[:len(two)-3], children: []string{"Quarterly report 2024.doc"}, wantErr: "exceeds the stream"},
		{name: "truncated header", data: two[:len(two)-12], children: []string{"Quarterly report 2024.doc"}, wantErr: "truncated attribute"},
		{name: "overlong attribute", data: withLength(two, 6, 0xFFFFFFF0), wantErr: "exceeds the stream"},
		{name: "absurd property count", data: absurdProps, children: []string{"a.txt"}, wantErr: "cannot fit"},
		{name: "absurd value count", data: absurdValues, children: []string{"a.txt"}, wantErr: "cannot fit"},
		{name: "absurd value length", data: absurdLen, children: []string{"a.txt"}, wantErr: "exceeds the list"},
		{name: "not tnef", data: []byte("hello world"), wantErr: "not a TNEF stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := inspectBytes(t, c.data)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			if strings.Join(rec.Names(), "|") != strings.Join(c.children, "|") {
				t.Fatalf("children %q, want %q", rec.Names(), c.children)
			}
			for n, want := range c.content {
				if string(rec.Data(n)) != want {
					t.Errorf("%s = %q, want %q", n, rec.Data(n), want)
				}
			}
		})
	}
}

func TestChecksumNoted(t *testing.T) {
	b := twoAttachments()
	b[len(b)-1] ^= 0xFF
	m, err := Decode(context.Background(), bytes.NewReader(b), int64(len(b)), 0)
	if err != nil || m.BadChecksums != 1 {
		t.Fatalf("err %v, bad checksums %d, want 1", err, m.BadChecksums)
	}
}

// TestEmbeddedThroughEngine: the embedded message comes back to the TNEF
// inspector through the engine, and its attachment's path says where it is.
func TestEmbeddedThroughEngine(t *testing.T) {
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyTNEF: New()}, inspect.Limits{})
	b := embedded()
	res := e.Inspect(context.Background(), "winmail.dat", "", bytes.NewReader(b), int64(len(b)))
	if res.Type != inspect.TypeTNEF || res.Parts != 3 {
		t.Fatalf("type %s parts %d", res.Type, res.Parts)
	}
	// No lnk inspector here: the engine says so, naming the nested path.
	if !res.HasAt(inspect.KindUnscannable, "Fwd: invoice/inner.lnk") {
		t.Fatalf("findings %+v", res.Findings)
	}
}

func corpusFile(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join(inspecttest.CorpusPath(t), "other", "poi__quick-winmail.dat"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared corpus missing under CI: %v", err)
		}
		t.Skip(err)
	}
	return b
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:])[:16] }

// TestCorpusWinmail checks the shared corpus winmail.dat (read in place)
// against what the Debian tnef tool extracts from it (sha256 prefixes of
// `tnef --save-body --body-pref=R`).
func TestCorpusWinmail(t *testing.T) {
	rec, err := inspectBytes(t, corpusFile(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"quick.doc": "1240639edc264abf", "quick.html": "5e7daab0b3edcfee", "quick.pdf": "263bea348ce44185",
		"quick.txt": "becf39adaa5a3526", "quick.xml": "cc1704ac3bf0c4b8", "message.rtf": "81f0340e47351ec2",
	}
	if len(rec.Names()) != len(want) {
		t.Errorf("children %q", rec.Names())
	}
	for n, h := range want {
		if got := sum(rec.Data(n)); got != h {
			t.Errorf("%s: sha256 %s, want %s", n, got, h)
		}
	}
}

// TestAgainstTnefTool cross-checks the generated fixtures with the Debian
// tnef tool when it is installed.
func TestAgainstTnefTool(t *testing.T) {
	tool, err := exec.LookPath("tnef")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tnef tool missing under CI (make test installs it)")
		}
		t.Skip("tnef tool not installed")
	}
	f := filepath.Join(t.TempDir(), "two.dat")
	os.WriteFile(f, twoAttachments(), 0o600)
	out, err := exec.Command(tool, "-t", f).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "Quarterly report 2024.doc") || !strings.Contains(string(out), "notes.txt") {
		t.Fatalf("tnef -t lists %q", out)
	}
}

func TestDecompressRTF(t *testing.T) {
	for _, s := range []string{"", "a", "{\\rtf1}", strings.Repeat("0123456789", 1000)} {
		c := lzfuLiterals(s)
		got, err := DecompressRTF(bytes.NewReader(c), int64(len(c)), 1<<20)
		if err != nil || string(got) != s {
			t.Errorf("%q: got %q, %v", s, got, err)
		}
	}
	big := lzfuLiterals(strings.Repeat("x", 100))
	if _, err := DecompressRTF(bytes.NewReader(big), int64(len(big)), 10); err != ErrRTFTooLarge {
		t.Errorf("limit: err %v", err)
	}
}
