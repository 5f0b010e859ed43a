#!/bin/sh
# Regenerates every fixture in this directory with Debian's openssl CLI.
# Test keys only: they protect nothing. Run from this directory.
set -eu
days=36500

# Recipient keys and self-signed certificates.
openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=officemilter test RSA" -keyout rsa.key -out rsa.crt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days $days -subj "/CN=officemilter test P-256" -keyout p256.key -out p256.crt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -days $days -subj "/CN=officemilter test P-384" -keyout p384.key -out p384.crt
# A key that is not ours: mail for it must give ErrNotForUs.
openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=someone else" -keyout other.key -out other.crt
# The same keys in the traditional encodings (PKCS#1, SEC1) and a combined file.
openssl rsa -in rsa.key -traditional -out rsa-pkcs1.key
openssl ec -in p256.key -out p256-sec1.key
cat rsa.crt rsa.key > rsa-combined.pem

# Plaintexts: a small MIME message and a ~100 KB one for the benchmarks.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nSehr geehrte Damen und Herren,\r\nanbei der Antrag.\r\n' > msg.eml
yes 'Sehr geehrte Damen und Herren, anbei der Antrag auf Erteilung einer Genehmigung.' | head -c 102400 > big.txt

enc() { out=$1; shift; openssl cms -encrypt -binary -in msg.eml -out "$out" "$@"; }
enc rsa-default.der   -outform DER rsa.crt
enc rsa-default.smime              rsa.crt
enc rsa-aes128.der    -outform DER -aes128 rsa.crt
enc rsa-aes256.der    -outform DER -aes256 rsa.crt
enc rsa-des3.der      -outform DER -des3 rsa.crt
enc rsa-oaep.der      -outform DER -recip rsa.crt -keyopt rsa_padding_mode:oaep
enc rsa-oaep256.der   -outform DER -recip rsa.crt -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256
enc rsa-keyid.der     -outform DER -keyid rsa.crt
enc rsa-gcm.der       -outform DER -aes-256-gcm rsa.crt
enc rsa-gcm.smime                  -aes-256-gcm rsa.crt
enc rsa-stream.der    -outform DER -stream rsa.crt
enc rsa-stream.smime               -stream rsa.crt
enc rsa-gcm-stream.der -outform DER -stream -aes-128-gcm rsa.crt
enc two-recipients.der -outform DER other.crt rsa.crt
enc not-for-us.der    -outform DER other.crt
enc p256.der          -outform DER p256.crt
enc p256.smime                     p256.crt
enc p256-keyid.der    -outform DER -keyid p256.crt
enc p256-gcm.der      -outform DER -aes-128-gcm p256.crt
enc p384.der          -outform DER -aes192 p384.crt
enc p384-stream.der   -outform DER -stream p384.crt
enc p256-sha256kdf.der -outform DER -aes256 -recip p256.crt -keyopt ecdh_kdf_md:sha256
enc p384-sha512kdf.der -outform DER -aes256 -recip p384.crt -keyopt ecdh_kdf_md:sha512
enc mixed.der         -outform DER other.crt p384.crt p256.crt rsa.crt
# Corrupt ones: cut in the middle of the content, and a flipped ciphertext byte.
head -c 300 rsa-default.der > truncated.der
cp rsa-gcm.der gcm-flipped.der && printf '\001' | dd of=gcm-flipped.der bs=1 seek=$(( $(stat -c %s rsa-gcm.der) - 40 )) conv=notrunc 2>/dev/null

openssl cms -encrypt -binary -in big.txt -outform DER -out big-rsa.der rsa.crt
openssl cms -encrypt -binary -in big.txt -outform DER -out big-p256.der p256.crt
openssl cms -encrypt -binary -in big.txt -outform DER -aes256 -out big-rsa-aes256.der rsa.crt
openssl cms -encrypt -binary -in big.txt -outform DER -aes256 -out big-p256-aes256.der p256.crt
