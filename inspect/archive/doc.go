// Package archive inspects archive and compressed-stream formats: zip (and
// the jar, apk and msix/appx packages built on it), gzip, bzip2, tar, 7z,
// rar, cab (uncompressed and MSZIP folders) and ISO 9660 images; xz is
// reported as not supported. It walks each archive's member list,
// reports what the list itself reveals (encrypted members, unsupported
// compression, overlapping or oversized members, Java/Android/app packages)
// and hands every member's content to the engine through Scope.Child, so that
// the engine sniffs and inspects it recursively under its limits.
//
// A zip is read twice (inspect/internal/zipx.ReadViews): by its central
// directory, as archive/zip, unzip, 7-Zip and Explorer read it, and by
// walking its local headers, as Java's ZipInputStream and streaming
// extractors do. Every disagreement (counts, names, sizes, CRCs, methods,
// entries in one view only, overlaps, data before the first entry, a
// second end record, Zip64 records that contradict the plain ones, data
// after a member's deflate stream) is an ambiguous finding, and the union
// is inspected: members of the local view whose bytes differ from the
// central view's, or that it lacks, are handed to the engine too. Data
// before the first entry is inspected as a part of its own; it is
// ambiguous unless it is an executable stub (a self-extractor), which
// archivers write themselves.
//
// It owns the guards that keep a hostile archive cheap: member and ratio
// limits, overlap detection for zip bombs, a 7z header pre-parser that bounds
// every count before github.com/bodgit/sevenzip allocates from it, and
// dictionary caps for LZMA/PPMd/RAR decoders.
//
// It must not know what a member is (an OOXML package, a PE file ...): that is
// the engine's sniffing and the other inspectors' business. It never logs and
// never imports another inspector package, milter, config or zap.
package archive
