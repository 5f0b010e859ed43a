package ole

import "github.com/officemilter/officemilter/inspect/ole/offcrypto"

// defaultCrypto wires package offcrypto: files keyed with its
// DefaultPassword ("VelvetSweatshop") or, presentations, with
// PowerPointDefaultPassword are decrypted and inspected.
func defaultCrypto() Crypto {
	return Crypto{
		DefaultPassword:    offcrypto.DefaultPassword,
		ErrWrongPassword:   offcrypto.ErrWrongPassword,
		DecryptPackage:     offcrypto.DecryptPackage,
		DescribeEncryption: offcrypto.DescribeEncryption,
		DecryptWorkbook:    offcrypto.DecryptWorkbook,

		PowerPointPassword:  offcrypto.PowerPointDefaultPassword,
		DecryptPresentation: offcrypto.DecryptPresentation,
	}
}
