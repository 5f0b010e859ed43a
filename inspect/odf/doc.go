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
//     event listeners and is not read);
//   - active content: DDE connections, DDE() formulas and presentation
//     actions that execute a program;
//   - embedded objects: binary OLE objects ("Object N" streams that are
//     compound files, office:binary-data of draw:object-ole), handed to the
//     engine with Scope.Child. Embedded ODF sub-documents such as charts are
//     ordinary content and not reported.
//
// Only the manifest, the mimetype, Basic module sources and the document
// XML parts are read, and the XML parts only when a cheap byte search says
// they can hold something to report. Pictures, thumbnails and
// configuration are never read.
//
// It must not know about other inspectors (it never imports them), the
// milter, policy, configuration or logging.
package odf
