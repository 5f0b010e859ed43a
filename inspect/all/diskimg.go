package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/diskimg"
)

// addDiskimg registers the disk image inspectors: raw FAT images (bare or
// partitioned), VHD and VHDX.
func addDiskimg(m map[inspect.Family]inspect.Inspector) {
	for _, f := range diskimg.Families() {
		m[f] = diskimg.New(f)
	}
}
