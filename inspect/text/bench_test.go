package text

import (
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func bench(b *testing.B, fam inspect.Family, data []byte) {
	inspecttest.Bench(b, New(), inspect.Part{Family: fam, Limits: inspect.DefaultLimits}, data,
		func() inspect.Scope { return noChildren() })
}

// BenchmarkText: 4 MiB of prose, no armor (the whole file is scanned).
func BenchmarkText(b *testing.B) {
	bench(b, inspect.FamilyText, []byte(strings.Repeat("The quick brown fox jumps over the lazy dog -- again.\n", 4<<20/54)))
}

// BenchmarkSLK: ~1 MiB of cells with values and formulas.
func BenchmarkSLK(b *testing.B) {
	var s strings.Builder
	s.WriteString("ID;PWXL;N;E\r\n")
	for i := 0; s.Len() < 1<<20; i++ {
		s.WriteString(`C;Y1;X1;K"Quarterly revenue";ESUM(R[-3]C:R[-1]C)*1.19+IF(R1C1>0,1,0)` + "\r\n")
	}
	bench(b, inspect.FamilySLK, []byte(s.String()))
}
