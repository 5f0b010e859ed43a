package offcrypto

import "unicode/utf16"

// XOR obfuscation method 1 ([MS-OFFCRYPTO] 2.3.7.1 to 2.3.7.3), the only
// XOR variant of BIFF8 workbooks.

// xorPassword turns the password into the single bytes the XOR algorithms
// use: per UTF-16 code unit its low byte, or its high byte when the low one
// is zero ([MS-OFFCRYPTO] 2.3.7.4). Method 1 passwords have 1 to 15
// characters; anything else can never match a verifier.
func xorPassword(password string) ([]byte, bool) {
	u := utf16.Encode([]rune(password))
	if len(u) == 0 || len(u) > 15 {
		return nil, false
	}
	b := make([]byte, len(u))
	for i, c := range u {
		if lo := byte(c); lo != 0 {
			b[i] = lo
		} else {
			b[i] = byte(c >> 8)
		}
	}
	return b, true
}

// xorVerifierMethod1 is CreatePasswordVerifier_Method1 ([MS-OFFCRYPTO]
// 2.3.7.1): fold the password bytes, last first, then its length, into 15
// bits.
func xorVerifierMethod1(pw []byte) uint16 {
	var v uint16
	step := func(b byte) {
		v = (v>>14)&1 | (v<<1)&0x7fff
		v ^= uint16(b)
	}
	for i := len(pw) - 1; i >= 0; i-- {
		step(pw[i])
	}
	step(byte(len(pw)))
	return v ^ 0xce4b
}

// [MS-OFFCRYPTO] 2.3.7.2 tables.
var (
	xorPadArray = [15]byte{0xbb, 0xff, 0xff, 0xba, 0xff, 0xff, 0xb9, 0x80, 0x00, 0xbe, 0x0f, 0x00, 0xbf, 0x0f, 0x00}

	xorInitialCode = [15]uint16{
		0xe1f0, 0x1d0f, 0xcc9c, 0x84c0, 0x110c, 0x0e10, 0xf1ce, 0x313e,
		0x1872, 0xe139, 0xd40f, 0x84f9, 0x280c, 0xa96a, 0x4ec3,
	}

	xorMatrix = [105]uint16{
		0xaefc, 0x4dd9, 0x9bb2, 0x2745, 0x4e8a, 0x9d14, 0x2a09,
		0x7b61, 0xf6c2, 0xfda5, 0xeb6b, 0xc6f7, 0x9dcf, 0x2bbf,
		0x4563, 0x8ac6, 0x05ad, 0x0b5a, 0x16b4, 0x2d68, 0x5ad0,
		0x0375, 0x06ea, 0x0dd4, 0x1ba8, 0x3750, 0x6ea0, 0xdd40,
		0xd849, 0xa0b3, 0x5147, 0xa28e, 0x553d, 0xaa7a, 0x44d5,
		0x6f45, 0xde8a, 0xad35, 0x4a4b, 0x9496, 0x390d, 0x721a,
		0xeb23, 0xc667, 0x9cef, 0x29ff, 0x53fe, 0xa7fc, 0x5fd9,
		0x47d3, 0x8fa6, 0x0f6d, 0x1eda, 0x3db4, 0x7b68, 0xf6d0,
		0xb861, 0x60e3, 0xc1c6, 0x93ad, 0x377b, 0x6ef6, 0xddec,
		0x45a0, 0x8b40, 0x06a1, 0x0d42, 0x1a84, 0x3508, 0x6a10,
		0xaa51, 0x4483, 0x8906, 0x022d, 0x045a, 0x08b4, 0x1168,
		0x76b4, 0xed68, 0xcaf1, 0x85c3, 0x1ba7, 0x374e, 0x6e9c,
		0x3730, 0x6e60, 0xdcc0, 0xa9a1, 0x4363, 0x86c6, 0x1dad,
		0x3331, 0x6662, 0xccc4, 0x89a9, 0x0373, 0x06e6, 0x0dcc,
		0x1021, 0x2042, 0x4084, 0x8108, 0x1231, 0x2462, 0x48c4,
	}
)

// xorKeyMethod1 is CreateXorKey_Method1 ([MS-OFFCRYPTO] 2.3.7.2). pw has 1 to
// 15 bytes; the matrix walk visits 7 entries per byte, 105 at most.
func xorKeyMethod1(pw []byte) uint16 {
	key := xorInitialCode[len(pw)-1]
	elem := len(xorMatrix) - 1
	for i := len(pw) - 1; i >= 0; i-- {
		c := pw[i]
		for range 7 {
			if c&0x40 != 0 {
				key ^= xorMatrix[elem]
			}
			c <<= 1
			elem--
		}
	}
	return key
}

// xorRor is XorRor of [MS-OFFCRYPTO] 2.3.7.2: XOR, then rotate right by one.
func xorRor(a, b byte) byte {
	x := a ^ b
	return x>>1 | x<<7
}

// xorArrayMethod1 is CreateXorArray_Method1 ([MS-OFFCRYPTO] 2.3.7.2): the
// 16-byte array built from the password bytes and the pad array, each XORed
// with the high or low byte of the XOR key and rotated.
func xorArrayMethod1(pw []byte) [16]byte {
	key := xorKeyMethod1(pw)
	hi, lo := byte(key>>8), byte(key)
	var arr [16]byte
	i := len(pw)
	if i%2 == 1 {
		arr[i] = xorRor(xorPadArray[0], hi)
		i--
		arr[i] = xorRor(pw[len(pw)-1], lo)
	}
	for i > 0 {
		i--
		arr[i] = xorRor(pw[i], hi)
		i--
		arr[i] = xorRor(pw[i], lo)
	}
	i = 15
	for pad := 15 - len(pw); pad > 0; {
		arr[i] = xorRor(xorPadArray[pad], hi)
		i--
		pad--
		arr[i] = xorRor(xorPadArray[pad], lo)
		i--
		pad--
	}
	return arr
}

// xorStream is DecryptData_Method1 ([MS-OFFCRYPTO] 2.3.7.3) applied to BIFF8:
// the array index of a byte is (its stream offset + the record's data size)
// mod 16 ([MS-XLS] 2.2.10), and each byte is XORed, then rotated right by 5.
type xorStream struct {
	array [16]byte
}

func (s *xorStream) decrypt(data []byte, off int64, recLen int) {
	idx := int((off + int64(recLen)) % 16)
	for i, c := range data {
		x := c ^ s.array[idx]
		data[i] = x>>5 | x<<3
		idx = (idx + 1) & 15
	}
}
