package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/archive"
)

// addArchive registers the archive inspectors: zip, gzip, bzip2, tar, 7z,
// rar, xz, cab and ISO 9660.
func addArchive(m map[inspect.Family]inspect.Inspector) {
	for _, f := range archive.Families() {
		m[f] = archive.New(f)
	}
}
