package ole

// defaultCrypto wires package offcrypto (see New).
func defaultCrypto() Crypto { return Crypto{} }
