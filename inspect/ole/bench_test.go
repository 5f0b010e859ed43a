package ole

import (
	"path/filepath"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func benchInspect(b *testing.B, data []byte) {
	inspecttest.Bench(b, New(), inspect.Part{Name: "bench.doc", Limits: inspect.DefaultLimits}, data, nil)
}

// BenchmarkGenerated inspects generated files of about 1-2 MB per format:
// most of their bytes are streams the verdict does not need.
func BenchmarkGenerated(b *testing.B) {
	var sheets [][]byte
	for i := 0; i < 2000; i++ {
		sheets = append(sheets, boundSheet(0, 0, "Sheet"+itoa(i)))
	}
	sheets = append(sheets, boundSheet(1, dtMacroSheet, "Macro1"), biffRec(0x00FC, fill(8000, 9)))
	var slides [][]byte
	for i := 0; i < 3000; i++ {
		slides = append(slides, pptContainer(0x03EE, pptRecord(0, 0, 0x03EF, fill(300, byte(i)))))
	}
	var atts []tNode
	for i := 0; i < 20; i++ {
		atts = append(atts, storage("__attach_version1.0_#0000000"+string(rune('A'+i)),
			stream("__substg1.0_3707001F", utf16z("file"+itoa(i)+".pdf")),
			stream("__substg1.0_37010102", fill(50000, byte(i)))))
	}
	files := []struct {
		name string
		data []byte
	}{
		{"doc", cfb(storage("",
			stream("WordDocument", cat(fib(0), fill(1<<20, 1))),
			stream("1Table", fill(512<<10, 2)),
			stream("Data", fill(512<<10, 3)),
			vbaStorage("Macros"),
			storage("ObjectPool", storage("_1", stream("\x01CompObj", compObj("Package", "Package")), stream("\x01Ole10Native", ole10Native("a.exe", peFile)))),
		))},
		{"xls", cfb(storage("", stream("Workbook", cat(workbook(sheets...), fill(1<<20, 4)))))},
		{"ppt", cfb(storage("", stream("Current User", currentUser(headerTokenPlain)),
			stream("PowerPoint Document", cat(vbaInfoDocument(1, 1), cat(slides...))), stream("Pictures", fill(512<<10, 5))))},
		{"msg", cfb(storage("", append([]tNode{stream("__properties_version1.0", make([]byte, 32))}, atts...)...))},
	}
	for _, f := range files {
		b.Run(f.name, func(b *testing.B) { benchInspect(b, f.data) })
	}
}

// BenchmarkCorpus inspects each compound file of the shared corpus (read in
// place).
func BenchmarkCorpus(b *testing.B) {
	for _, path := range corpusOLEFiles(b) {
		data := inspecttest.ReadFile(b, path)
		b.Run(filepath.Base(path), func(b *testing.B) { benchInspect(b, data) })
	}
}
