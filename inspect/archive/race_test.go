//go:build race

package archive

// raceEnabled: the race detector slows inflation about 25-fold.
const raceEnabled = true
