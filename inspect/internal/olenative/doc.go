// Package olenative parses the native data of an OLE "Package" object: the
// \x01Ole10Native stream of an embedded object in a compound file, and the
// native data of an OLE1 Package object in RTF (\objdata), which share one
// layout. The Windows Packager wraps any file this way ("insert object, create
// from file"), so this is where an executable hides inside a document.
//
// It owns only the byte layout: it returns the label, the paths and a view
// of the embedded data. It does not know compound files, RTF, findings or
// the engine; the ole and rtf inspectors hand Data to the engine themselves.
//
// Microsoft documents the stream only as "size + native data" ([MS-OLEDS]
// 2.3.6 OLENativeStream); the Packager's own layout inside it is
// undocumented and described in Parse from observed files.
package olenative
