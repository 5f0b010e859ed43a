package offcrypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// The fuzz targets check that no input panics or hangs, and the contracts
// that callers rely on: nothing is written on ErrWrongPassword, and a
// successful decryption has the promised length. Seeds come from the
// generators; the spin count is capped low so that each input stays cheap.
//
//	go test ./inspect/ole/offcrypto -run '^$' -fuzz '^FuzzDecryptWorkbook$' -fuzztime 30s -fuzzminimizetime 1s
//
// Keep -fuzzminimizetime short: minimizing a new multi-kilobyte input for
// the default minute stalls the worker (and its progress display).

func lowerSpinCap(f *testing.F) {
	old := maxSpinCount
	maxSpinCount = 2000
	f.Cleanup(func() { maxSpinCount = old })
}

func FuzzDecryptPackage(f *testing.F) {
	lowerSpinCap(f)
	plain := plainDocx()
	for i, s := range []agileSpec{{256, "SHA512", 10}, {128, "SHA1", 3}, {192, "SHA256", 1}, {256, "SHA384", 0}, {128, "MD5", 2}} {
		info, pkg := encryptAgile(plain, DefaultPassword, s, testRand(uint64(i)))
		f.Add(info, pkg)
	}
	info, pkg := encryptStandard(plain, DefaultPassword, 128, testRand(9))
	f.Add(info, pkg)
	f.Add([]byte{4, 0, 3, 0}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, info, pkg []byte) {
		var out bytes.Buffer
		err := DecryptPackage(info, bytes.NewReader(pkg), int64(len(pkg)), DefaultPassword, &out)
		switch {
		case err == nil:
			if len(pkg) < 8 || out.Len() == 0 || out.Len() > len(pkg)-8 {
				t.Fatalf("decrypted %d bytes from a %d-byte package", out.Len(), len(pkg))
			}
		case errors.Is(err, ErrWrongPassword):
			if out.Len() != 0 {
				t.Fatalf("wrong password wrote %d bytes", out.Len())
			}
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnsupported):
		default:
			t.Fatalf("error outside the sentinels: %v", err)
		}
	})
}

func FuzzDecryptWorkbook(f *testing.F) {
	for i, m := range []string{"rc4", "cryptoapi", "cryptoapi40", "xor"} {
		_, enc := encryptedWorkbook(m, DefaultPassword, testRand(uint64(i)))
		f.Add(enc)
	}
	f.Add(plainWorkbook(nil))
	f.Add([]byte{0x09, 0x08, 0x02, 0x00, 0x00, 0x06, 0x2f, 0x00, 0x06, 0x00, 0, 0, 0x0a, 0x9a, 0x0a, 0x9a})
	f.Fuzz(func(t *testing.T, wb []byte) {
		var out bytes.Buffer
		err := DecryptWorkbook(bytes.NewReader(wb), int64(len(wb)), DefaultPassword, &out)
		switch {
		case err == nil:
			if out.Len() != len(wb) {
				t.Fatalf("decrypted %d bytes of a %d-byte stream", out.Len(), len(wb))
			}
			// Record headers are never changed.
			got := out.Bytes()
			for pos := 0; pos+4 <= len(wb); {
				if !bytes.Equal(got[pos:pos+4], wb[pos:pos+4]) {
					t.Fatalf("record header at %d changed", pos)
				}
				pos += 4 + int(binary.LittleEndian.Uint16(wb[pos+2:]))
			}
		case errors.Is(err, ErrWrongPassword):
			if out.Len() != 0 {
				t.Fatalf("wrong password wrote %d bytes", out.Len())
			}
		case errors.Is(err, ErrMalformed):
			if out.Len() > len(wb) {
				t.Fatalf("wrote %d bytes for a %d-byte stream", out.Len(), len(wb))
			}
		case errors.Is(err, ErrUnsupported):
		default:
			t.Fatalf("error outside the sentinels: %v", err)
		}
	})
}

func FuzzDescribe(f *testing.F) {
	plain := []byte("x")
	for i, s := range []agileSpec{{256, "SHA512", 1}, {128, "SHA1", 1}} {
		info, _ := encryptAgile(plain, DefaultPassword, s, testRand(uint64(i)))
		f.Add(info)
	}
	info, _ := encryptStandard(plain, DefaultPassword, 256, testRand(3))
	f.Add(info)
	f.Add([]byte{4, 0, 3, 0})
	f.Add([]byte{4, 0, 4, 0, 0x40, 0, 0, 0, '<'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, info []byte) {
		d := DescribeEncryption(info)
		if d == "" || len(d) > 100 {
			t.Fatalf("description %q", d)
		}
		for _, r := range d {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in %q", d)
			}
		}
	})
}

func FuzzDecryptPresentation(f *testing.F) {
	for i, bits := range []int{128, 40} {
		_, enc, cu := encryptedPresentation(PowerPointDefaultPassword, bits, testRand(uint64(30+i)))
		f.Add(cu, enc)
	}
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, cu, doc []byte) {
		var out bytes.Buffer
		err := DecryptPresentation(cu, bytes.NewReader(doc), int64(len(doc)), PowerPointDefaultPassword, &out)
		switch {
		case err == nil:
			if out.Len() != len(doc) {
				t.Fatalf("decrypted %d bytes of a %d-byte stream", out.Len(), len(doc))
			}
		case errors.Is(err, ErrWrongPassword):
			if out.Len() != 0 {
				t.Fatalf("wrong password wrote %d bytes", out.Len())
			}
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnsupported):
			if out.Len() > len(doc) {
				t.Fatalf("wrote %d bytes for a %d-byte stream", out.Len(), len(doc))
			}
		default:
			t.Fatalf("error outside the sentinels: %v", err)
		}
	})
}
