package html

// SetMaxLiteral lowers the literal bound for a test and returns the
// function that restores it.
func SetMaxLiteral(n int) (restore func()) {
	old := maxLiteral
	maxLiteral = n
	return func() { maxLiteral = old }
}
