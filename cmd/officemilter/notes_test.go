package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// TestSignedJSON: inspect --json and scan --json name the signatures of a
// signed document in their optional fields; nothing else changes.
func TestSignedJSON(t *testing.T) {
	dir := t.TempDir()
	pdf := inspecttest.SignedPDF("Erika Mustermann")
	pdfPath := filepath.Join(dir, "Antrag.pdf")
	if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "inspect", "--json", pdfPath)
	want := `"findings":[],"notes":[{"kind":"signed","detail":"PAdES signature (ETSI.CAdES.detached) by Erika Mustermann"}]}`
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("inspect exit %d: %s%s\nwant %s", code, out, errOut, want)
	}
	msg := "From: erika@example.com\r\nTo: strict@example.org\r\nSubject: Antrag\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: application/pdf; name=\"Antrag.pdf\"\r\nContent-Disposition: attachment; filename=\"Antrag.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(pdf) + "\r\n"
	emlPath := filepath.Join(dir, "antrag.eml")
	if err := os.WriteFile(emlPath, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "scan", "--config", contribConfig, "--json", "--progress=false", emlPath)
	want = `"action":"accept","reasons":[],"policy":"strict-mailbox","rcpt":"strict@example.org","signed":["Antrag.pdf: PAdES signature (ETSI.CAdES.detached) by Erika Mustermann"]}`
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("scan exit %d: %s%s\nwant %s", code, out, errOut, want)
	}
}
