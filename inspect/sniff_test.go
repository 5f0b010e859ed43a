package inspect_test

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

func zipWith(names ...string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		f, _ := w.Create(n)
		f.Write([]byte("x"))
	}
	w.Close()
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	iso := make([]byte, 0x9000)
	copy(iso[0x8001:], "CD001")
	tests := []struct {
		name string
		data []byte
		want inspect.Family
	}{
		{"x.doc", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, inspect.FamilyOLE},
		{"x.docx", zipWith("[Content_Types].xml", "word/document.xml"), inspect.FamilyOOXML},
		{"x.odt", zipWith("mimetype", "content.xml"), inspect.FamilyODF},
		{"x.zip", zipWith("a.txt"), inspect.FamilyZip},
		{"x.pdf", []byte("%PDF-1.4\n"), inspect.FamilyPDF},
		{"junk-before.pdf", append(bytes.Repeat([]byte{' '}, 500), "%PDF-1.7"...), inspect.FamilyPDF},
		{"x.rtf", []byte(`{\rtf1\ansi`), inspect.FamilyRTF},
		{"word-only-checks-rt.doc", []byte(`{\rtxyz`), inspect.FamilyRTF},
		{"x.exe", []byte("MZ\x90\x00"), inspect.FamilyPE},
		{"x", []byte("\x7fELF\x02\x01"), inspect.FamilyELF},
		{"x", []byte{0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1}, inspect.FamilyMachO},
		{"fat", []byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 2}, inspect.FamilyMachO},
		{"A.class", []byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 52}, inspect.FamilyJavaClass},
		{"x.lnk", append([]byte{0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}, 0, 0), inspect.FamilyLNK},
		{"x.gz", []byte{0x1F, 0x8B, 8, 0}, inspect.FamilyGzip},
		{"x.bz2", []byte("BZh91AY"), inspect.FamilyBzip2},
		{"x.7z", []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}, inspect.Family7z},
		{"x.rar", []byte("Rar!\x1a\x07\x01\x00"), inspect.FamilyRAR},
		{"winmail.dat", []byte{0x78, 0x9F, 0x3E, 0x22, 1, 0}, inspect.FamilyTNEF},
		{"x.iso", iso, inspect.FamilyISO},
		{"x.slk", []byte("ID;PWXL;N;E\r\n"), inspect.FamilySLK},
		{"run.sh", []byte("#!/bin/sh\necho hi\n"), inspect.FamilyScript},
		{"start.vbs", []byte("MsgBox 1\r\n"), inspect.FamilyScript},
		{"notes.txt", []byte("MsgBox 1\r\n"), inspect.FamilyText},
		{"mail.eml", []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nbody\r\n"), inspect.FamilyEML},
		{"mbox", []byte("From a@example.org Fri Nov 27 10:00:00 2026\nFrom: a@example.org\nDate: x\n\nbody\n"), inspect.FamilyEML},
		{"notes.txt", []byte("Subject: only one field\n\ntext"), inspect.FamilyText},
		// A message is decided by its header block; the body may be
		// binary (RFC 3030) and headers may carry UTF-8 (RFC 6532).
		{"nul-body.eml", append([]byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\n"), bytes.Repeat([]byte{0, 1, 2, 0x80, 0xff}, 400)...), inspect.FamilyEML},
		{"utf8-header-binary-body", append([]byte("From: J\xc3\xbcrgen <j@example.org>\nSubject: \xc3\x84nderung\nContent-Transfer-Encoding: binary\n\n"), bytes.Repeat([]byte{0, 0x1b, 3}, 3000)...), inspect.FamilyEML},
		{"mbox-binary", append([]byte("From j@example.org Fri Nov 27 10:00:00 2026\nReceived: by x\nMessage-ID: <1@x>\n\n"), make([]byte, 100)...), inspect.FamilyEML},
		{"bom-binary.eml", append([]byte("\xef\xbb\xbfDate: Fri, 27 Nov 2026 10:00:00 +0000\nFrom: a@example.org\n\n"), make([]byte, 100)...), inspect.FamilyEML},
		{"pdf-quoted.eml", []byte("From: a@example.org\nTo: b@example.org\nSubject: %PDF-1.7 question\n\nbody\n"), inspect.FamilyEML},
		{"header-like-binary", append([]byte("From: a@example.org\n\n"), make([]byte, 100)...), inspect.FamilyOther},
		{"binary", append([]byte("Xyz\x00: a\nFrom: a\nTo: b\n\n"), make([]byte, 100)...), inspect.FamilyOther},
		{"x.fodt", []byte(`<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">`), inspect.FamilyFlatODF},
		{"image.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), inspect.FamilyOther},
		{"empty", nil, inspect.FamilyOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := inspect.Sniff(bytes.NewReader(tc.data), int64(len(tc.data)), tc.name); got != tc.want {
				t.Errorf("Sniff = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTypeFromName(t *testing.T) {
	for name, want := range map[string]string{
		"Bericht.DOC": "doc", "C:\\TEMP\\x.xls": "xls", "a.b.docm": "docm", "winmail.dat": "tnef",
		"x.JS": "script", "x.ps1": "script", "setup.exe": "pe", "archive.tar.gz": "gz", "noext": "",
		"x.unknown": "", "trailing.doc. ": "doc",
	} {
		if got := inspect.TypeFromName(name); got != want {
			t.Errorf("TypeFromName(%q) = %q, want %q", name, got, want)
		}
	}
}

func FuzzSniff(f *testing.F) {
	for _, s := range [][]byte{[]byte("%PDF-1.4"), zipWith("[Content_Types].xml"), []byte("From: a\nTo: b\n\n"), {0xCA, 0xFE, 0xBA, 0xBE}, []byte("PK\x03\x04garbage")} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		fam := inspect.Sniff(bytes.NewReader(data), int64(len(data)), name)
		if fam == "" {
			t.Fatal("empty family")
		}
		if !inspect.ValidType(inspect.DefaultType(fam)) {
			t.Fatalf("family %s has no valid default type", fam)
		}
		inspect.LooksLikeMessage(data)
		inspect.IsText(data)
		inspect.TypeFromName(name)
	})
}
