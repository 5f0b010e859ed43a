// Package offcrypto decrypts Office files that are keyed with a known
// password, above all the default "VelvetSweatshop" key that Excel uses when a
// workbook is encrypted without a password: such a file opens without asking,
// so it is not password protection, but its content (macros included) is
// invisible until it is decrypted.
//
// It owns the cryptography of [MS-OFFCRYPTO] as used by the OLE2 containers:
//   - OOXML EncryptedPackage streams with Standard (2.3.4.5, AES-ECB) and
//     Agile (2.3.4.10, AES-CBC) encryption: DecryptPackage, DescribeEncryption;
//   - BIFF8 Workbook streams protected by a FILEPASS record ([MS-XLS] 2.2.10,
//     2.4.117) with RC4 (2.3.6), RC4 CryptoAPI (2.3.5) or XOR obfuscation
//     method 1 (2.3.7): DecryptWorkbook;
//   - PowerPoint 97-2003 Document streams encrypted with RC4 CryptoAPI per
//     persist object ([MS-PPT] 2.3.7): DecryptPresentation, tried with
//     PowerPoint's own default password PowerPointDefaultPassword
//     ([MS-OFFCRYPTO] 2.4.2.3);
//   - a small bounded cache of password-derived keys, so that the costly spin
//     loop (100000 SHA-512 rounds for Agile) is paid once per (password, salt)
//     even when the same attachment is inspected again.
//
// It is a library, not an inspector: it knows nothing of compound files,
// findings, the engine, policy or logging. The OLE inspector (package
// inspect/ole) reads the streams, calls this package, and hands the decrypted
// package or workbook back to the engine. Every length and count in the input
// is checked against the input's size before anything is allocated; bad input
// yields an error (ErrWrongPassword, ErrUnsupported or ErrMalformed, wrapped
// with a short reason), never a panic.
package offcrypto
