package milter

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkCheckSMIME: Filter.Check of S/MIME mail to the strict mailbox
// (a 10 KB pdf inside), decrypted with RSA-2048 or P-256, against the same
// inner message unencrypted.
func BenchmarkCheckSMIME(b *testing.B) {
	f := newTestFilter(withSMIMEKeys(b, contribConfig(b)))
	for _, tc := range []struct{ name, file string }{
		{"plain", "inner-pdf.eml"},
		{"rsa2048-aes256cbc", "rsa-pdf.eml"},
		{"rsa2048-oaep", "oaep-pdf.eml"},
		{"rsa2048-aes256gcm", "gcm-pdf.eml"},
		{"p256-aes256cbc", "p256-pdf.eml"},
	} {
		msg := readSMIME(b, tc.file)
		b.Run(tc.name, func(b *testing.B) {
			env := Envelope{From: "erika@example.com", Rcpts: []string{"strict@example.org"}}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := f.Check(context.Background(), env, bytes.NewReader(msg), int64(len(msg)))
				if err != nil || res.Action != Accept {
					b.Fatalf("action %v err %v", res.Action, err)
				}
			}
		})
	}
}
