package onenote

import (
	"bytes"
	"context"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/officemilter/officemilter/inspect/onenote/onenotetest"
)

// fuzzFamily checks the invariants on arbitrary input: no panic, valid
// types and findings, children no larger than the input, and bounded time.
func fuzzFamily(t *testing.T, fam inspect.Family, b []byte) {
	r := &inspecttest.Recorder{ReadCap: 4 << 20}
	p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: inspecttest.FuzzLimits}
	inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { _ = New().Inspect(context.Background(), p, r) })
	r.CheckInvariants(t)
	for _, c := range r.Children {
		if len(c.Data) > len(b) {
			t.Fatalf("child %s of %d bytes from %d", c.Name, len(c.Data), len(b))
		}
	}
}

func FuzzOneNote(f *testing.F) {
	f.Add(onenotetest.One(onenotetest.File{Ext: ".exe", Data: inspecttest.PE()}, onenotetest.File{Data: hta}))
	f.Add(onenotetest.One(onenotetest.File{Name: "a.hta", Ext: ".txt", Data: hta}, onenotetest.File{Name: "b.exe", Data: inspecttest.PE()}))
	f.Add(onenotetest.One())
	f.Add(append(onenotetest.One(), onenotetest.FileDataStoreObject(onenotetest.FileDataStoreObject([]byte("x")))...))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFamily(t, inspect.FamilyOneNote, b) })
}

func FuzzCHM(f *testing.F) {
	f.Add(onenotetest.CHM(onenotetest.CHMFile{Name: "/a.exe", Data: inspecttest.PE()}, onenotetest.CHMFile{Name: "/b.htm", Section: 1, Data: []byte("b")}))
	f.Add([]byte("ITSF\x02\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFamily(t, inspect.FamilyCHM, b) })
}
