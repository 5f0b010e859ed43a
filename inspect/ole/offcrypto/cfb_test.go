package offcrypto

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
	"github.com/richardlehane/mscfb"
)

// This file holds test-only compound file ([MS-CFB]) helpers: a reader of
// named streams (on top of mscfb) and the writer of inspecttest, so that the
// tests can build the containers msoffcrypto-tool and the OLE inspector
// read.

// cfbStreams returns every stream of a compound file by its path ("VBA/dir").
func cfbStreams(t testing.TB, file []byte) map[string][]byte {
	t.Helper()
	r, err := mscfb.New(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("mscfb: %v", err)
	}
	out := map[string][]byte{}
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("mscfb: %v", err)
		}
		if f.Size <= 0 && len(f.Path) == 0 && f.Name == "" {
			continue
		}
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatalf("mscfb read %s: %v", f.Name, err)
		}
		name := strings.Join(append(append([]string{}, f.Path...), f.Name), "/")
		out[name] = b
	}
	return out
}

// cfbStream returns one stream or fails the test.
func cfbStream(t testing.TB, file []byte, name string) []byte {
	t.Helper()
	s, ok := cfbStreams(t, file)[name]
	if !ok {
		t.Fatalf("no stream %q in the compound file", name)
	}
	return s
}

// buildCFB writes a version 3 compound file holding the given streams; a
// path "VBA/dir" creates the storage VBA. Streams under 4096 bytes go to
// the mini stream ([MS-CFB] 2.5).
func buildCFB(streams map[string][]byte) []byte {
	b, _ := inspecttest.WriteCFB(inspecttest.CFBTree(streams), inspecttest.CFBOptions{})
	return b
}
