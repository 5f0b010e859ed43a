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
//   - encrypted zip entries.
//
// It inflates only what a verdict needs: [Content_Types].xml, the
// relationship parts, WordprocessingML text parts that hold field
// instructions, and external link parts. vbaProject.bin, embedded objects
// and altChunk imports are handed to the engine with Scope.Child, which
// sniffs them and calls the inspector of their own family (the OLE
// inspector looks inside a vbaProject.bin). Images, media and fonts are
// never read.
//
// It must not know about other inspectors (it never imports them), the
// milter, policy, configuration or logging. An encrypted OOXML document is
// an OLE compound file ([MS-OFFCRYPTO] ECMA-376 document encryption), not
// a zip: it never reaches this package.
package ooxml
