package pdf

// pull is the output side of a decoder that makes its output a piece at a
// time (a predictor row, an LZW code, a decrypted block): read serves out
// and calls next for more until next sets err (io.EOF at a clean end).
type pull struct {
	out []byte
	err error
}

func (p *pull) read(b []byte, next func()) (int, error) {
	for len(p.out) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		next()
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	return n, nil
}
