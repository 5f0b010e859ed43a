package exe

import (
	"bytes"
	"context"
	"testing"
	"unicode/utf8"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// fuzzFamily inspects arbitrary bytes as family fam and checks the
// invariants: no panic, exactly one executable finding with a short valid
// UTF-8 detail, and children that lie within the input.
func fuzzFamily(t *testing.T, fam inspect.Family, name string, b []byte) {
	r := &recScope{}
	p := inspect.Part{Name: name, Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: inspect.DefaultLimits}
	var err error
	inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { err = New().Inspect(context.Background(), p, r) })
	if err != nil {
		t.Fatalf("error on in-memory input: %v", err)
	}
	r.CheckInvariants(t)
	if len(r.Findings) != 1 || r.Findings[0].Kind != inspect.KindExecutable {
		t.Fatalf("findings %+v", r.Findings)
	}
	if d := r.Findings[0].Detail; !utf8.ValidString(d) || utf8.RuneCountInString(d) > 250 {
		t.Fatalf("detail %q", d)
	}
	for _, c := range r.Children {
		if len(c.Data) > len(b) {
			t.Fatalf("child %s of %d bytes from %d", c.Name, len(c.Data), len(b))
		}
	}
}

func FuzzPE(f *testing.F) {
	f.Add(makePE(peSpec{machine: 0x14c, subsystem: 2}))
	f.Add(makePE(peSpec{plus: true, machine: 0x8664, dll: true, clr: true}))
	f.Add(makePE(peSpec{machine: 0x14c, overlay: makeZip("a", []byte("b"))}))
	f.Add(makePE(peSpec{machine: 0x14c, cert: 16, overlay: []byte("\x00\x00\x00\x00\xef\xbe\xad\xdeNullsoftInst")}))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFamily(t, inspect.FamilyPE, "a.exe", b) })
}

func FuzzELF(f *testing.F) {
	f.Add(makeELF(elfSpec{is64: true, typ: 2, machine: 62}))
	f.Add(makeELF(elfSpec{big: true, typ: 3, machine: 8, interp: true}))
	f.Add([]byte("\x7fELF\x01\x02"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFamily(t, inspect.FamilyELF, "a", b) })
}

func FuzzMachO(f *testing.F) {
	thin := makeMachO(true, false, 0x0100000c, 2)
	f.Add(thin)
	f.Add(makeMachO(false, true, 18, 6))
	f.Add(makeFat([]uint32{0x01000007, 0x0100000c}, [][]byte{thin, thin}))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFamily(t, inspect.FamilyMachO, "a", b) })
}

func FuzzLNK(f *testing.F) {
	f.Add(makeLNK(lnkSpec{localPath: `C:\Windows\System32\cmd.exe`, args: "/c calc"}))
	f.Add(makeLNK(lnkSpec{netName: `\\h\s`, suffix: "x.exe", unicode: true, args: "-x"}))
	f.Add(makeLNK(lnkSpec{idList: []string{"C:", "a", "b.exe"}, envTarget: `%windir%\x.exe`, relPath: "r"}))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFamily(t, inspect.FamilyLNK, "a.lnk", b) })
}

func FuzzScript(f *testing.F) {
	f.Add("a.vbe", []byte("#@~^AA==^#~@"))
	f.Add("run", []byte("#!/bin/sh\n"))
	f.Fuzz(func(t *testing.T, name string, b []byte) { fuzzFamily(t, inspect.FamilyScript, name, b) })
}
