// Package ooxml inspects Office Open XML packages (.docx .docm .dotx .dotm
// .xlsx .xlsm .xlsb .xltx .xltm .xlam .pptx .pptm .ppsx .ppsm .potx .potm):
// zip files with a [Content_Types].xml, as [ECMA-376] Part 2 (Open Packaging
// Conventions) describes them.
//
// It owns, for the inspect.FamilyOOXML family:
//   - the type, from the content type of the main part the package
//     relationship "officeDocument" points to ([ECMA-376] Part 1, 11.3, 12.3,
//     13.3 and the macro-enabled variants of [MS-OFFMACRO2]);
//   - macros: vbaProject.bin parts (the VBA project part of [MS-OFFMACRO2])
//     and Excel 4 macro sheets (the macro sheet parts of [MS-XLSX]);
//   - external references: relationships with TargetMode="External" of the
//     types that make Office fetch and run content (attachedTemplate,
//     oleObject, subDocument, frame, externalLinkPath);
//   - active content: DDE fields in WordprocessingML text parts, DDE links
//     in SpreadsheetML external link parts, ActiveX controls;
//   - embedded objects: parts under an embeddings/ folder or targeted by an
//     oleObject/package relationship;
//   - encrypted zip entries;
//   - password protections that are not encryption (protected): a password
//     to modify (Word writeProtection, Excel fileSharing, PowerPoint
//     modifyVerifier), Word restricted editing with a password, protected
//     workbook structure and protected sheets (protection.go). A package's
//     own XML signatures are no finding: Signatures lists them, and a
//     protected finding of a signed package ends in "; signed".
//
// It inflates what a verdict needs: [Content_Types].xml, the relationship
// parts, WordprocessingML text parts that hold field instructions,
// external link parts, and the parts that can hold a protection (Word
// settings, the workbook, every worksheet, the presentation; each is
// scanned for the protection element's start tag without decoding the
// rest of its XML). vbaProject.bin, embedded objects and altChunk
// imports are handed to the engine with Scope.Child, which sniffs them and
// calls the inspector of their own family (the OLE inspector looks inside
// a vbaProject.bin).
//
// Every other member is sniffed from its first bytes (inspect.SniffLen),
// referenced or not: unzip shows them all. One that is content with an
// inspector of its own (an executable, archive, compound file, PDF,
// script ...) is handed on like an embedded object; images, media, fonts
// and XML are left alone after their head. In an Office package, a member
// that no relationship reaches from the package relationships and no
// Override names ([ECMA-376] Part 2, 9.3 and 10.1.2) is reported as
// ambiguous: Office ignores it, an unzip tool shows it. A zip with a
// [Content_Types].xml but no main part is no Office package: its type is
// "zip", and every member is looked at the same way. One with the
// footprint files of a Windows app package (AppxManifest.xml,
// AppxBlockMap.xml, AppxSignature.p7x, or a bundle manifest) is an MSIX
// installer, type "msix".
//
// A package is read both ways a zip can be read (zipx.OpenPackage): by its
// central directory, as Office and unzip read it, and by its local
// headers, as streaming readers (Java's ZipInputStream, some scanners)
// read it. Every disagreement is reported as ambiguous, and a member that
// only the local headers show as it is (hidden there, renamed, other
// bytes) is inspected like any other, by its name and content type: a
// vbaProject.bin is a macro, an external relationship an external
// reference, anything else is sniffed and handed on.
//
// It must not know about other inspectors (it never imports them), the
// milter, policy, configuration or logging. An encrypted OOXML document is
// an OLE compound file ([MS-OFFCRYPTO] ECMA-376 document encryption), not
// a zip: it never reaches this package.
package ooxml
