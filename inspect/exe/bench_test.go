package exe

import (
	"bytes"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func bench(b *testing.B, fam inspect.Family, name string, data []byte) {
	inspecttest.Bench(b, New(), inspect.Part{Name: name, Family: fam, Limits: inspect.DefaultLimits}, data,
		func() inspect.Scope { return &inspecttest.Recorder{} })
}

// A 1 MiB PE: only the headers and the section table are read.
func BenchmarkPE(b *testing.B) {
	pe := makePE(peSpec{machine: 0x14c, subsystem: 2, overlay: make([]byte, 1<<20)})
	bench(b, inspect.FamilyPE, "a.exe", pe)
}

func BenchmarkELF(b *testing.B) {
	bench(b, inspect.FamilyELF, "a", append(makeELF(elfSpec{is64: true, typ: 3, machine: 62, interp: true}), make([]byte, 1<<20)...))
}

func BenchmarkMachO(b *testing.B) {
	thin := append(makeMachO(true, false, 0x0100000c, 2), make([]byte, 1<<19)...)
	bench(b, inspect.FamilyMachO, "a", makeFat([]uint32{0x01000007, 0x0100000c}, [][]byte{thin, thin}))
}

func BenchmarkLNK(b *testing.B) {
	bench(b, inspect.FamilyLNK, "a.lnk", makeLNK(lnkSpec{localPath: `C:\Windows\System32\cmd.exe`, args: "/c calc", envTarget: `%windir%\x.exe`}))
}

func BenchmarkScript(b *testing.B) {
	bench(b, inspect.FamilyScript, "a.ps1", bytes.Repeat([]byte("Write-Host hello\n"), 1<<16))
}
