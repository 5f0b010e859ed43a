// Package replay feeds stored mail through milter.Filter the way the daemon
// would see it: .eml files, directories of them, mbox files and standard
// input, in parallel with bounded memory, results in input order. It also
// reads, compares and writes golden verdict files (expect files) so that a
// CI pipeline can tell when a policy change alters a verdict.
//
// It knows no file format and no policy: the Filter decides.
package replay
