#!/bin/sh
# Makes the S/MIME test messages of milter's tests with Debian's openssl
# (OpenSSL 3.0). Run it in this directory. The keys are the test keys of
# inspect/internal/cmsdecrypt/testdata (copied); setup.exe is the bytes of
# inspecttest.PE(). Every run makes new ciphertext (random content keys):
# the tests pin verdicts, not bytes.
set -eu
files=../../../testdata/files

# inner NAME TYPE FILE: a multipart/mixed message with a short text and FILE
# attached as NAME, CRLF line ends (RFC 5322), base64 lines of 76.
inner() {
	printf 'Content-Type: multipart/mixed; boundary="inner-boundary"\r\n\r\n'
	printf -- '--inner-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
	printf 'Sehr geehrte Damen und Herren,\r\nanbei das Dokument.\r\n'
	printf -- '--inner-boundary\r\nContent-Type: %s; name="%s"\r\n' "$2" "$1"
	printf 'Content-Disposition: attachment; filename="%s"\r\n' "$1"
	printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	base64 -w 76 "$3" | sed 's/$/\r/'
	printf -- '--inner-boundary--\r\n'
}
inner Antrag.pdf    application/pdf                                  $files/letter.pdf    > inner-pdf.eml
inner Rechnung.docm application/vnd.ms-word.document.macroEnabled.12 $files/invoice.docm  > inner-docm.eml
inner setup.exe     application/octet-stream                         setup.exe            > inner-exe.eml
inner Bericht.doc   application/msword                               $files/letter.doc    > inner-doc.eml

# crlf FILE: openssl's -crlfeol ends only the header lines with CRLF; the
# base64 lines too, as on the wire.
crlf() { sed -i 's/\r*$/\r/' "$1"; }

# enc OUT INNER RECIPIENT-AND-CIPHER-ARGS...
enc() {
	out=$1 in=$2
	shift 2
	openssl cms -encrypt -binary -crlfeol -in "$in" -out "$out" \
		-from erika@example.com -to strict@example.org -subject "Antrag (verschluesselt)" "$@"
	crlf "$out"
}
for f in pdf docm exe doc; do
	enc rsa-$f.eml  inner-$f.eml -aes256 rsa.crt
	enc oaep-$f.eml inner-$f.eml -aes256 -recip rsa.crt -keyopt rsa_padding_mode:oaep
	enc gcm-$f.eml  inner-$f.eml -aes-256-gcm rsa.crt
	enc p256-$f.eml inner-$f.eml -aes256 p256.crt
done
# Nesting (RFC 8551 3.7). Signed, then encrypted: a multipart/signed
# inner message, encrypted.
openssl cms -sign -in inner-docm.eml -signer rsa.crt -inkey rsa.key -crlfeol -out signed-docm.tmp
enc signed-enc-docm.eml signed-docm.tmp -aes256 rsa.crt
# Encrypted, then signed (opaque signed-data carrying the encrypted message),
# and triple wrapped: signed, encrypted, signed again.
openssl cms -sign -nodetach -binary -in rsa-docm.eml -signer rsa.crt -inkey rsa.key -crlfeol -out enc-signed-docm.eml \
	-from erika@example.com -to strict@example.org -subject "Antrag (verschluesselt)"
openssl cms -sign -nodetach -binary -in signed-enc-docm.eml -signer rsa.crt -inkey rsa.key -crlfeol -out triple-docm.eml \
	-from erika@example.com -to strict@example.org -subject "Antrag (verschluesselt)"
crlf enc-signed-docm.eml
crlf triple-docm.eml
rm signed-docm.tmp

# A key we do not have.
enc other-pdf.eml inner-pdf.eml -aes256 other.crt

# Corrupted ciphertext: the GCM message with one bit flipped 40 bytes before
# the end of the DER (in the ciphertext), so that the tag fails.
openssl cms -encrypt -binary -in inner-pdf.eml -outform DER -out gcm-pdf.der -aes-256-gcm rsa.crt
size=$(stat -c %s gcm-pdf.der)
printf '\001' | dd of=gcm-pdf.der bs=1 seek=$((size - 40)) conv=notrunc 2>/dev/null
{
	printf 'From: erika@example.com\r\nTo: strict@example.org\r\nSubject: Antrag (verschluesselt)\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n'
	printf 'Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name="smime.p7m"\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	base64 -w 64 gcm-pdf.der | sed 's/$/\r/'
} > corrupt-gcm-pdf.eml
rm gcm-pdf.der

# A signed file whose content is an encrypted file (not a MIME message):
# setup.exe encrypted to rsa.crt, the DER signed into a .p7m, attached to a
# message as application/octet-stream.
openssl cms -encrypt -binary -in setup.exe -outform DER -out setup.exe.p7m.tmp -aes256 rsa.crt
openssl cms -sign -nodetach -binary -in setup.exe.p7m.tmp -outform DER -signer rsa.crt -inkey rsa.key -out setup.exe.p7m.p7m.tmp
{
	printf 'From: erika@example.com\r\nTo: strict@example.org\r\nSubject: Antrag (signiert)\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
	printf -- '--b\r\nContent-Type: text/plain\r\n\r\nAnbei der Antrag.\r\n'
	printf -- '--b\r\nContent-Type: application/octet-stream; name="setup.exe.p7m.p7m"\r\n'
	printf 'Content-Disposition: attachment; filename="setup.exe.p7m.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
	base64 -w 64 setup.exe.p7m.p7m.tmp | sed 's/$/\r/'
	printf -- '--b--\r\n'
} > signed-enc-file-exe.eml
rm setup.exe.p7m.tmp setup.exe.p7m.p7m.tmp
