// Package text inspects plain text and SYLK spreadsheets.
//
// Plain text ("txt") carries nothing that runs; the one thing worth a
// finding is an OpenPGP-armored message (RFC 4880 6.2, "-----BEGIN PGP
// MESSAGE-----"): its content is encrypted and cannot be inspected, so it is
// reported as encrypted ("pgp-encrypted") and policy decides.
//
// An App Installer file ("appinstaller": XML whose root is AppInstaller in
// an http://schemas.microsoft.com/appx/appinstaller/ namespace) is text
// too, but Windows hands it to App Installer, which downloads and installs
// the MSIX package it names: it is reported as executable ("App Installer
// file"), whatever its name.
//
// SYLK ("slk", a text spreadsheet format starting with "ID;P") can hold
// Excel 4 (XLM) macro formulas that run code when the file is opened in
// Excel: EXEC, CALL, REGISTER, RUN in a cell's expression, a sheet marked as
// a macro sheet ("O;E"), an Auto_Open name; and DDE formulas
// (=cmd|'/c ...'!A0). Those are reported as macro or active-content.
//
// Both scans stream the part once, with memory bounded by a small window;
// nothing is decoded or converted. The package knows no other format,
// policy, logging or configuration.
package text
