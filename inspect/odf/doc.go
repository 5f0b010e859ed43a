// Package odf inspects OpenDocument files: packages (.odt .ott .ods .odp
// .odg and the OpenOffice.org 1.x .sxw .sxc .sxi .sxd, zip files described
// by [ODF 1.2] Part 3) for inspect.FamilyODF, and flat XML documents
// (.fodt .fods .fodp .fodg, [ODF 1.2] Part 1 office:document) for
// inspect.FamilyFlatODF.
//
// It owns, for those families:
//   - the type, from the "mimetype" member, the manifest's root entry or
//     the office:mimetype attribute;
//   - encryption: manifest:encryption-data on a file entry (Part 3);
//   - macros: StarBasic modules with code (Basic/<library>/<module>.xml, or
//     ooo:source-code in a flat document's office:scripts), scripts of the
//     scripting framework (Scripts/), event listeners and links bound to
//     scripts (vnd.sun.star.script:, macro:) in content.xml and styles.xml
//     (settings.xml holds only configuration items: office:settings has no
//     event listeners, and it is read for the protections below only);
//   - active content: DDE connections, DDE() formulas and presentation
//     actions that execute a program;
//   - embedded objects: binary OLE objects ("Object N" streams that are
//     compound files, office:binary-data of draw:object-ole), handed to the
//     engine with Scope.Child. Embedded ODF sub-documents such as charts are
//     ordinary content and not reported;
//   - password protections that are not encryption (protected): a
//     protection-key on a section, index, sheet, the spreadsheet structure
//     or tracked changes in content.xml and styles.xml, and LibreOffice's
//     settings.xml items for a password to modify (ModifyPasswordInfo) and
//     for change recording (RedlineProtectionKey) (protection.go). A
//     package's own signatures are no finding: Signatures lists them, and a
//     protected finding of a package with a document signature ends in
//     "; signed".
//
// The manifest, the mimetype, Basic module sources, the document XML
// parts and settings.xml are read for their findings, the XML parts only
// when a cheap byte search says they can hold something to report. Every other member
// (pictures, thumbnails, configuration, anything added) is sniffed from its
// first bytes (inspect.SniffLen): unzip shows it. One that is content with
// an inspector of its own (an executable, archive, compound file, PDF,
// script ...) is handed to the engine like an embedded object. In an
// OpenDocument package, a member that the manifest does not list ([ODF
// 1.2] Part 3, 3.2: every file but mimetype and META-INF/) is reported as
// ambiguous: LibreOffice calls such a package broken, unzip shows the
// member.
//
// A package is read both ways a zip can be read (zipx.OpenPackage): by its
// central directory, as LibreOffice and unzip read it, and by its local
// headers, as streaming readers (Java's ZipInputStream, some scanners)
// read it. Every disagreement is reported as ambiguous, and a member that
// only the local headers show as it is (hidden there, renamed, other
// bytes) is inspected like any other: a Basic module or a script is a
// macro, anything else is sniffed and handed on.
//
// It must not know about other inspectors (it never imports them), the
// milter, policy, configuration or logging.
package odf
