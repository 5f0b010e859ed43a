package ole

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func TestZZDump(t *testing.T) {
	for _, f := range []string{os.Getenv("DUMP")} {
		if f == "" {
			t.Skip()
		}
		b, _ := os.ReadFile(f)
		out, err := New().Text(context.Background(), inspect.Part{R: bytes.NewReader(b), Size: int64(len(b))}, 0)
		fmt.Printf("err=%v\n%s", err, out)
	}
}
