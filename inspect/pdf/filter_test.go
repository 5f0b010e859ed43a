package pdf

import (
	"bytes"
	"compress/flate"
	"compress/lzw"
	"encoding/ascii85"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

func decodeWith(f name, p dict, in []byte) ([]byte, error) {
	r, err := newDecoder(f, p, bytes.NewReader(in))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func sample() []byte {
	var b bytes.Buffer
	for i := range 3000 {
		b.WriteString("line ")
		b.WriteByte(byte('a' + i%26))
		if i%7 == 0 {
			b.WriteString(strings.Repeat("z", i%200))
		}
		b.WriteByte(byte(i))
	}
	return b.Bytes()
}

func rawDeflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func a85(b []byte) []byte {
	var out bytes.Buffer
	w := ascii85.NewEncoder(&out)
	w.Write(b)
	w.Close()
	return append(out.Bytes(), "~>"...)
}

func goLZW(b []byte) []byte {
	var out bytes.Buffer
	w := lzw.NewWriter(&out, lzw.MSB, 8)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestFilters(t *testing.T) {
	data := sample()
	z := deflate(data)
	badSum := append([]byte(nil), z...)
	badSum[len(badSum)-1] ^= 0xFF
	tests := []struct {
		name   string
		filter name
		params dict
		in     []byte
		want   []byte
		err    string
	}{
		{"zlib", "FlateDecode", nil, z, data, ""},
		{"zlib abbreviated", "Fl", nil, z, data, ""},
		{"raw deflate", "FlateDecode", nil, rawDeflate(data), data, ""},
		{"bad checksum", "FlateDecode", nil, badSum, data, ""},
		{"no checksum", "FlateDecode", nil, z[:len(z)-4], data, ""},
		{"empty", "FlateDecode", nil, nil, nil, ""},
		{"hex", "ASCIIHexDecode", nil, []byte(hex.EncodeToString(data) + ">"), data, ""},
		{"hex odd spaced", "AHx", nil, []byte("4 14\n2 4>"), []byte("AB@"), ""},
		{"hex no end", "AHx", nil, []byte("414"), []byte("A@"), ""},
		{"hex bad", "AHx", nil, []byte("41xx>"), nil, "bad character"},
		{"ascii85", "ASCII85Decode", nil, a85(data), data, ""},
		{"ascii85 z and tail", "A85", nil, []byte("z 87cURD]i,\"Ebo80~>"), []byte("\x00\x00\x00\x00Hello World!"), ""},
		{"ascii85 bad", "A85", nil, []byte("ab{cd~>"), nil, "bad character"},
		{"ascii85 overflow", "A85", nil, []byte("uuuuu~>"), nil, "out of range"},
		{"runlength", "RunLengthDecode", nil, rlEncode(data), data, ""},
		{"runlength no eod", "RL", nil, []byte{2, 'a', 'b', 'c', 254, 'x'}, []byte("abcxxx"), ""},
		{"lzw early 1", "LZWDecode", nil, lzwEncode(data, 1), data, ""},
		{"lzw early 0", "LZWDecode", dict{{"EarlyChange", int64(0)}}, lzwEncode(data, 0), data, ""},
		{"lzw go encoder", "LZW", dict{{"EarlyChange", int64(0)}}, goLZW(data), data, ""},
		{"lzw spec example", "LZW", nil, []byte{0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01}, []byte("-----A---B"), ""},
		{"unsupported", "JBIG2Decode", nil, nil, nil, "unsupported filter /JBIG2Decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeWith(tt.filter, tt.params, tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got %d bytes %q..., want %d bytes", len(got), got[:min(len(got), 32)], len(tt.want))
			}
		})
	}
}

func TestTruncatedFlate(t *testing.T) {
	data := sample()
	z := deflate(data)
	got, err := decodeWith("FlateDecode", nil, z[:len(z)/2])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !bytes.HasPrefix(data, got) {
		t.Fatalf("truncated: got %d bytes, not a prefix", len(got))
	}
}

// pngEncode applies PNG filter type ft to every row (RFC 2083 6).
func pngEncode(data []byte, cols, bpp int, ft byte) []byte {
	var out []byte
	prev := make([]byte, cols)
	for i := 0; i < len(data); i += cols {
		row := make([]byte, cols)
		copy(row, data[i:])
		out = append(out, ft)
		for j := range row {
			var a, b, c byte
			if j >= bpp {
				a, c = row[j-bpp], prev[j-bpp]
			}
			b = prev[j]
			var p byte
			switch ft {
			case 1:
				p = a
			case 2:
				p = b
			case 3:
				p = byte((int(a) + int(b)) / 2)
			case 4:
				p = paeth(a, b, c)
			}
			out = append(out, row[j]-p)
		}
		prev = row
	}
	return out
}

func TestPredictors(t *testing.T) {
	data := sample()[:7*300]
	for ft := byte(0); ft <= 4; ft++ {
		p := dict{{"Predictor", int64(12)}, {"Columns", int64(7)}}
		got, err := decodeWith("FlateDecode", p, deflate(pngEncode(data, 7, 1, ft)))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("PNG filter %d: %v, %d bytes", ft, err, len(got))
		}
	}
	// Three colours: bytes per pixel 3.
	p := dict{{"Predictor", int64(15)}, {"Columns", int64(2)}, {"Colors", int64(3)}}
	data6 := data[:6*100]
	if got, err := decodeWith("FlateDecode", p, deflate(pngEncode(data6, 6, 3, 4))); err != nil || !bytes.Equal(got, data6) {
		t.Errorf("PNG Paeth 3 colours: %v", err)
	}
	// TIFF predictor 2, 8 bits.
	var tiff []byte
	for i := 0; i < len(data); i += 7 {
		row := data[i : i+7]
		tiff = append(tiff, row[0])
		for j := 1; j < 7; j++ {
			tiff = append(tiff, row[j]-row[j-1])
		}
	}
	if got, err := decodeWith("FlateDecode", dict{{"Predictor", int64(2)}, {"Columns", int64(7)}}, deflate(tiff)); err != nil || !bytes.Equal(got, data) {
		t.Errorf("TIFF: %v", err)
	}
	for _, bad := range []dict{
		{{"Predictor", int64(12)}, {"Columns", int64(0)}},
		{{"Predictor", int64(12)}, {"Columns", int64(1 << 30)}},
		{{"Predictor", int64(12)}, {"BitsPerComponent", int64(3)}},
		{{"Predictor", int64(7)}},
	} {
		if _, err := decodeWith("FlateDecode", bad, deflate(data)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, err := decodeWith("FlateDecode", dict{{"Predictor", int64(12)}, {"Columns", int64(2)}}, deflate([]byte{9, 1, 2})); err == nil {
		t.Error("bad PNG filter type: no error")
	}
}

func TestCBCReader(t *testing.T) {
	s := &security{key: bytes.Repeat([]byte{7}, 32), opened: true}
	// Encrypt with the string path's inverse: decrypt(encrypt(x)) == x for
	// every length, the padding removed.
	for _, n := range []int{0, 1, 15, 16, 17, 4080, 4096, 10000} {
		plain := bytes.Repeat([]byte{'p'}, n)
		ct := aesEncrypt(t, s.objectKey(5, 0, cryptAESV3), plain)
		r, err := s.decryptReader(bytes.NewReader(ct), 5, 0, cryptAESV3)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("length %d: %v, got %d bytes", n, err, len(got))
		}
		if got := s.decrypt(ct, 5, 0, cryptAESV3); !bytes.Equal(got, plain) && n > 0 {
			t.Errorf("string length %d: got %d bytes", n, len(got))
		}
	}
	if _, err := s.decryptReader(bytes.NewReader(nil), 1, 0, cryptUnknown); !errors.Is(err, errUnsupportedFilter) {
		t.Errorf("unknown method: %v", err)
	}
}
