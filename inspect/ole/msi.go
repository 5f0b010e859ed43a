package ole

import "bytes"

// Installer classes of the root storage: MSI packages, MSP patches.
var (
	clsidMSI = guid(0x000C1084, 0, 0, 0xC000, 0x000000000046)
	clsidMSP = guid(0x000C1086, 0, 0, 0xC000, 0x000000000046)
)

// isMSI reports whether the root is a Windows Installer database: by its
// class, or by the encoded stream names MSI uses (the table streams start
// with U+4840 and the rest is packed into U+3800..U+4840).
func isMSI(root *node) bool {
	if bytes.Equal(root.clsid[:], clsidMSI[:]) || bytes.Equal(root.clsid[:], clsidMSP[:]) {
		return true
	}
	for _, k := range root.kids {
		r := []rune(k.name)
		if len(r) > 1 && r[0] == 0x4840 && r[1] >= 0x3800 && r[1] <= 0x4840 {
			return true
		}
	}
	return false
}
