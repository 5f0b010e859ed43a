// Package html inspects what a browser renders from a file: HTML and SVG
// attachments, and App Installer files (.appinstaller).
//
// HTML smuggling: since 2022 attackers mail an .html or .svg file whose
// script assembles the real payload (an ISO, a zip, an executable, a
// macro document) inside the browser and offers it as a download: a Blob
// and URL.createObjectURL with an <a download> click,
// navigator.msSaveOrOpenBlob, a data: URI href with a download attribute
// or a navigation to one. The gateway never sees the payload as an
// attachment. This package
//
//   - reports any script (a <script> element, an on* event handler, a
//     javascript: URL) as active-content "script", so that a policy may
//     refuse scripted HTML attachments;
//   - reports download assembly as active-content "HTML smuggling: <how>";
//   - decodes what can be decoded statically — data: URIs (base64 or
//     percent-encoded) in attributes, style sheets and script string
//     literals, base64 string literals (also concatenations of literals and
//     arrays of literals), lists of 256 or more byte values
//     ([77, 90, ...], fromCharCode(0x4d, ...)), iframe srcdoc documents —
//     and hands the bytes to the engine as children, named by the download
//     attribute or the download name the script sets where it can tell
//     (else "payload-N.<ext by MIME type>" or "script-payload-N.bin"), so
//     that an executable or a Word 97 document inside is found as if it had
//     been attached.
//
// It is a bounded byte-level tokenizer for markup (WHATWG HTML tokenizer
// states for comments, tags, attributes and raw text; XML rules for CDATA
// and entities in SVG scripts) and a small lexer for script (strings,
// comments, regular expressions, identifiers, numbers): it runs no script,
// builds no DOM and follows no variable. A payload the script computes
// (XOR, reversed or shuffled strings, fetched at run time) is not decoded;
// the download assembly is still reported. Every kept literal, attribute
// and style sheet is bounded (maxLiteral), as are the payloads per file and
// the payloads held until the end of the file; a bound hit where a payload
// may have been cut is an unscannable finding, and the kept head is still
// inspected.
//
// An App Installer file is reported as executable ("App Installer file
// (ms-appinstaller)"): opening it installs an app from the URI it names.
//
// The package knows no other format (the engine sniffs the children), no
// policy, logging or configuration.
package html
