package offcrypto

import (
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// This file holds test-only compound file ([MS-CFB]) helpers on top of
// inspecttest's reader (mscfb) and writer, so that the tests can build the
// containers msoffcrypto-tool and the OLE inspector read.

// cfbStream returns one stream or fails the test.
func cfbStream(t testing.TB, file []byte, name string) []byte {
	t.Helper()
	s, ok := inspecttest.MscfbStreams(t, file)[name]
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
