package officexml

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	ox "github.com/officemilter/officemilter/inspect/officexml/officexmltest"
)

func inspectActiveMime(t *testing.T, b []byte, lim inspect.Limits) (*inspecttest.Recorder, error) {
	t.Helper()
	rec := &inspecttest.Recorder{}
	err := NewActiveMime().Inspect(context.Background(), inspect.Part{Name: "editdata.mso", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyActiveMime, Limits: lim}, rec)
	rec.CheckInvariants(t)
	return rec, err
}

func zlibOf(b []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	return z.Bytes()
}

// withData returns an ActiveMime header of hlen bytes (the fields of the
// fixture writer, then zeros) followed by the zlib stream of data.
func withData(hlen int, data []byte, edit func(h []byte)) []byte {
	h := make([]byte, hlen)
	copy(h, ox.ActiveMime(nil)[:0x32])
	if edit != nil {
		edit(h)
	}
	return append(h, zlibOf(data)...)
}

func TestActiveMime(t *testing.T) {
	cfb := ox.VBAProject()
	le := binary.LittleEndian
	tests := map[string][]byte{
		"word":             ox.ActiveMime(cfb),
		"8-byte field A":   withData(0x36, cfb, func(h []byte) { le.PutUint32(h[0x0E:], 8); le.PutUint32(h[0x22:], 4); le.PutUint32(h[0x26:], 4) }),
		"excel offset":     withData(0x22A, cfb, func(h []byte) { le.PutUint32(h[0x1E:], 0x1FC) }),
		"broken sizes":     withData(0x32, cfb, func(h []byte) { le.PutUint32(h[0x0E:], 77); le.PutUint32(h[0x1E:], 0xFFFF) }),
		"found by a scan":  withData(0x1B3, cfb, func(h []byte) { le.PutUint32(h[0x0E:], 0); le.PutUint32(h[0x1E:], 0) }),
		"junk before data": append(append(ox.ActiveMime(nil)[:0x32:0x32], 0x78, 0x01, 0x02), zlibOf(cfb)...),
	}
	// "junk before data": 0x78 0x01 is a zlib header (0x7801 % 31 == 0)
	// that does not inflate; the scan goes on to the real one.
	tests["junk before data"][0x1E] = 7
	for name, b := range tests {
		rec, err := inspectActiveMime(t, b, inspect.Limits{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rec.Type != inspect.TypeActiveMime || !bytes.Equal(rec.Data(ChildName), cfb) || !has(rec, "embedded-object|ActiveMime|") {
			t.Errorf("%s: type %q, findings %q, %d bytes inflated", name, rec.Type, rec.Short(), len(rec.Data(ChildName)))
		}
	}
}

func TestActiveMimeUnscannable(t *testing.T) {
	for name, b := range map[string][]byte{
		"header only": ox.ActiveMime(nil)[:0x32],
		"short":       []byte("ActiveMime"),
		"not zlib":    append(ox.ActiveMime(nil)[:0x32], bytes.Repeat([]byte{0xAA}, 4096)...),
	} {
		if _, err := inspectActiveMime(t, b, inspect.Limits{}); !errors.Is(err, ErrNoZlibStream) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestActiveMimeBomb: a small blob that inflates to far more than the
// ratio allows stops at the ratio limit, having read no more than it.
func TestActiveMimeBomb(t *testing.T) {
	b := ox.ActiveMime(make([]byte, 16<<20))
	rec, err := inspectActiveMime(t, b, inspect.Limits{MaxRatio: 100})
	var le *inspect.LimitError
	if !errors.As(err, &le) || le.Limit != inspect.LimitRatio {
		t.Fatalf("bomb of %d bytes: %v (%d children)", len(b), err, len(rec.Children))
	}
}
