#!/bin/sh
# Rebuilds the disk image fixtures of inspect/diskimg. Run from the
# repository root. Needs Debian's dosfstools (mkfs.vfat), mtools (mmd,
# mcopy), qemu-utils (qemu-img), ntfs-3g (mkfs.ntfs, ntfscp), coreutils and
# gzip. The committed files are what this script produced; tests never run it.
set -eu
out=$(pwd)/inspect/diskimg/testdata
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# setup.exe is inspecttest.PE(), letter.doc a Word 97 document (testdata/files).
cp testdata/files/setup.exe testdata/files/letter.doc "$work"
cd "$work"
export MTOOLS_SKIP_CHECK=1

# fill IMAGE: DIR/setup.exe (8.3) and a .doc under a long name in a long
# named directory (VFAT long name entries).
fill() {
	mmd -i "$1" ::DIR "::Long Folder Name"
	mcopy -i "$1" setup.exe ::DIR/setup.exe
	mcopy -i "$1" letter.doc "::Long Folder Name/Letter to the customer.doc"
}

# Bare volumes ("superfloppies"). FAT32 needs 65525 clusters: 512-byte
# clusters make that a 33 MB volume, which compresses well.
mkfs.vfat -F 12 -n FAT12 -C fat12.img 720 >/dev/null
mkfs.vfat -F 16 -s 1 -n FAT16 -C fat16.img 2400 >/dev/null
mkfs.vfat -F 32 -s 1 -n FAT32 -C fat32.img 34000 >/dev/null
for i in fat12 fat16 fat32; do fill $i.img; done

# A 1.5 MiB disk with an MBR whose first partition (type 0x01, FAT12) starts
# at LBA 63 and holds 3009 sectors.
truncate -s 1536K mbr.img
printf '\000\000\000\000\001\000\000\000\077\000\000\000\301\013\000\000' |
	dd of=mbr.img bs=1 seek=446 conv=notrunc status=none
printf '\125\252' | dd of=mbr.img bs=1 seek=510 conv=notrunc status=none
mkfs.vfat -F 12 --offset 63 mbr.img 1504 >/dev/null
fill mbr.img@@32256

# The same disk as virtual disks (force_size keeps qemu from rounding the
# size to a CHS geometry).
qemu-img convert -f raw -O vpc -o subformat=fixed,force_size=on mbr.img fixed.vhd
qemu-img convert -f raw -O vpc -o subformat=dynamic,force_size=on mbr.img dynamic.vhd
qemu-img convert -f raw -O vhdx -o subformat=dynamic,block_size=1M mbr.img disk.vhdx

# An NTFS volume: setup.exe, the .doc under a long name, and setup.exe
# again hidden in an alternate data stream of the .doc (ntfscp makes no
# directories).
truncate -s 2M ntfs.img
mkfs.ntfs -F -Q -q ntfs.img >/dev/null 2>&1 # warns that it is no block device
ntfscp -q ntfs.img setup.exe setup.exe
ntfscp -q ntfs.img letter.doc "Letter to the customer.doc"
ntfscp -q -N payload.exe ntfs.img setup.exe "Letter to the customer.doc"

for f in fat12.img fat16.img fat32.img mbr.img fixed.vhd dynamic.vhd disk.vhdx ntfs.img; do
	gzip -9n <"$f" >"$out/$f.gz"
done
