package offcrypto

import (
	"bytes"
	"io"
	"testing"
)

// Benchmarks: key derivation cold (cache emptied) and warm (cached), and
// decryption throughput per format (b.SetBytes: MB/s of ciphertext).

func benchAgileInfo(b *testing.B, spin int) *agileInfo {
	b.Helper()
	raw, _ := encryptAgile([]byte("x"), DefaultPassword, agileSpec{256, "SHA512", spin}, testRand(1))
	info, err := parseAgile(raw[8:])
	if err != nil {
		b.Fatal(err)
	}
	return info
}

func BenchmarkAgileKeyDerivation(b *testing.B) {
	info := benchAgileInfo(b, 100000)
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			derivedKeys.reset()
			if _, err := agileKey(info, DefaultPassword); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		derivedKeys.reset()
		if _, err := agileKey(info, DefaultPassword); err != nil { // fill the cache
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() { // the first b.Loop call resets the timer
			if _, err := agileKey(info, DefaultPassword); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStandardKeyDerivation(b *testing.B) {
	raw, _ := encryptStandard([]byte("x"), DefaultPassword, 128, testRand(1))
	info, err := parseStandard(raw)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			derivedKeys.reset()
			if _, err := standardKey(info, 128, DefaultPassword); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		derivedKeys.reset()
		if _, err := standardKey(info, 128, DefaultPassword); err != nil { // fill the cache
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := standardKey(info, 128, DefaultPassword); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSpin100000 is the spin loop alone, per hash (the whole cost of a
// cold Agile or Standard key derivation). The -parallel variants run one
// derivation per core at once (b.RunParallel): ns/op is then wall time per
// derivation with every core busy, what concurrent messages or the inspect
// command's parallel files get.
func BenchmarkSpin100000(b *testing.B) {
	salt := make([]byte, 16)
	pw := utf16le(DefaultPassword)
	for _, h := range []string{"SHA512", "SHA1"} {
		alg := hashByID(h)
		b.Run(h, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				spinHash(alg, salt, pw, 100000)
			}
		})
		b.Run(h+"-parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					spinHash(alg, salt, pw, 100000)
				}
			})
		})
	}
}

func BenchmarkDecryptPackage(b *testing.B) {
	plain := bytes.Repeat([]byte("officemilter "), 1<<20/13)
	agInfo, agPkg := encryptAgile(plain, DefaultPassword, agileSpec{256, "SHA512", 100000}, testRand(1))
	stInfo, stPkg := encryptStandard(plain, DefaultPassword, 128, testRand(2))
	for _, c := range []struct {
		name      string
		info, pkg []byte
	}{{"agile", agInfo, agPkg}, {"standard", stInfo, stPkg}} {
		b.Run(c.name, func(b *testing.B) {
			// Warm: derive the key once, so that the loop measures decryption.
			if err := DecryptPackage(c.info, bytes.NewReader(c.pkg), int64(len(c.pkg)), DefaultPassword, io.Discard); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.pkg)))
			for b.Loop() {
				if err := DecryptPackage(c.info, bytes.NewReader(c.pkg), int64(len(c.pkg)), DefaultPassword, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bigWorkbook is an encrypted Workbook stream of about 1 MB: the test
// workbook followed by many 8 KB records.
func bigWorkbook(method string) []byte {
	_, small := encryptedWorkbook(method, DefaultPassword, testRand(5))
	// Decrypt, extend with plain records, encrypt again with the same
	// FILEPASS: simpler than threading sizes through the generator.
	var plain bytes.Buffer
	if err := DecryptWorkbook(bytes.NewReader(small), int64(len(small)), DefaultPassword, &plain); err != nil {
		panic(err)
	}
	p := plain.Bytes()
	blob := bytes.Repeat([]byte{0x5a}, 8000)
	for len(p) < 1<<20 {
		p = append(p, record(0x003C, blob)...) // Continue
	}
	switch method {
	case "xor":
		pw, _ := xorPassword(DefaultPassword)
		arr := xorArrayMethod1(pw)
		return encryptWorkbook(p, func(b byte, pos int64, recLen int) byte {
			return (b<<5 | b>>3) ^ arr[(pos+int64(recLen))%16]
		})
	default:
		// RC4 is its own inverse: "decrypting" the plain stream with the
		// file's keystream encrypts it.
		_, fp, err := findFilePass(bytes.NewReader(p), int64(len(p)))
		if err != nil {
			panic(err)
		}
		dec, err := newBIFFDecrypter(fp, DefaultPassword)
		if err != nil {
			panic(err)
		}
		return encryptWorkbook(p, func(b byte, pos int64, recLen int) byte {
			x := []byte{b}
			dec.decrypt(x, pos, recLen)
			return x[0]
		})
	}
}

func BenchmarkDecryptWorkbook(b *testing.B) {
	for _, m := range []string{"rc4", "cryptoapi", "xor"} {
		wb := bigWorkbook(m)
		b.Run(m, func(b *testing.B) {
			b.SetBytes(int64(len(wb)))
			for b.Loop() {
				if err := DecryptWorkbook(bytes.NewReader(wb), int64(len(wb)), DefaultPassword, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
