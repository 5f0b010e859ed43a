// Package ole inspects OLE2 compound files ([MS-CFB]): Word, Excel and
// PowerPoint 97-2003 binaries, encrypted OOXML documents (an
// EncryptedPackage in a compound file), Outlook .msg messages, Windows
// Installer packages, vbaProject.bin projects handed in from OOXML, and the
// embedded objects any of them carry.
//
// It owns:
//   - a compound file reader written for hostile input (cfb.go): counts
//     checked against the file size before allocation, FAT, MiniFAT, DIFAT
//     and directory chains walked with visited sets, a sector budget
//     (Limits.MaxOLESectors), streams read at random through views;
//   - the type of the file (doc/dot, xls/xlt, ppt, msg, msi, the OOXML type of
//     an encrypted package, else "ole");
//   - the findings only the binary structure shows: VBA projects (a VBA
//     storage with a dir stream, anywhere in the tree), Excel 4.0/XLM macro
//     sheets (BoundSheet8), PowerPoint VBAInfoAtom, encryption (Word FIB
//     fEncrypted, Excel FILEPASS, PowerPoint Current User token and
//     CryptSession10Container, OOXML EncryptionInfo), embedded OLE objects
//     (ObjectPool, MBD*, ExOleObjStg), ActiveX controls among them
//     (active-content), linked objects (external-reference), installers;
//   - passwords that guard editing a document that opens without one
//     (protected): Word write reservation and Dop protection with a
//     password hash, Excel FILESHARING, workbook and sheet PASSWORD and
//     PROT4REVPASS (also in a VelvetSweatshop-decrypted workbook),
//     PowerPoint ModifyPasswordAtom;
//   - the readings of a storage with the main streams of more than one
//     document (readings.go: EncryptedPackage, \x09DRMContent, installer
//     tables, WordDocument, Workbook/Book, PowerPoint Document, Outlook
//     message properties, \x01Ole10Native, Package): each is inspected, the
//     storage is reported ambiguous, the most dangerous reading sets the
//     type and the others are named to the engine (inspect.AlsoType);
//   - handing nested content to the engine: OLE Package payloads
//     (\x01Ole10Native, via inspect/internal/olenative), "Package" and
//     "CONTENTS" streams, PowerPoint ExOleObjStg storages, Outlook
//     attachments, and documents decrypted with a default password where
//     the application that opens them uses it (via package offcrypto):
//     "VelvetSweatshop" on Excel workbooks and on encrypted OOXML packages
//     not named for Word or PowerPoint, "/01Hannes Ruescher/01" on
//     PowerPoint 97-2003 presentations.
//
// It must not know: other formats (a decrypted OOXML package, an exe in a
// Package object or a PDF in a CONTENTS stream is the engine's business, it
// dispatches them), policy, logging, configuration files. The engine emits
// legacy-office from the types set and named here; this package never does. It does not
// decompress VBA source ([MS-OVBA]): the presence of a project is the
// verdict.
package ole
