package cmsdecrypt

// The hashes OAEP and the X9.63 KDF look up through crypto.Hash.
import (
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)
