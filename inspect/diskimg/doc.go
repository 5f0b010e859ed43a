// Package diskimg inspects disk images that Windows mounts (or 7-Zip opens)
// with a double click: raw images (.img) holding a bare FAT volume or an
// MBR/GPT partitioned disk, Virtual Hard Disks (.vhd, fixed and dynamic) and
// VHDX files. Attackers moved to such carriers after 2022 because the files
// inside do not inherit the mark of the web.
//
// It owns:
//   - the virtual disk readers: a fixed VHD's data, a dynamic VHD's block
//     allocation table, a VHDX's headers, region table, metadata and BAT,
//     each presented as an io.ReaderAt in which unallocated blocks read as
//     zeros;
//   - partition tables: MBR (with extended partitions) and GPT;
//   - the FAT12/16/32 reader: boot sector, file allocation table, directory
//     tree with 8.3 and VFAT long names, cluster chains followed with loop
//     and cross-link detection, every count checked against the image size;
//   - the NTFS reader: the master file table record by record (fixups,
//     $FILE_NAME for names and parents, $DATA resident or in data runs,
//     alternate data streams as "file:stream").
//
// Every file found is handed to the engine (Scope.ChildAt) with its path
// ("DIR/setup.exe"), so the engine sniffs and inspects it like any other
// member. What cannot be listed is never clean: a differencing disk, an
// exFAT, ReFS, ext or unknown volume, an NTFS attribute list or compressed
// stream is unscannable (Detail says which); a BitLocker volume and an EFS
// stream are encrypted.
//
// It must not know what a file inside is (that is the engine's sniffing and
// the other inspectors' business). It never logs and never imports another
// inspector package, milter, config or zap.
package diskimg
