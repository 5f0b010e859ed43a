package odf

import (
	"bytes"
	"context"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/internal/xmldsig"
	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

func TestProtections(t *testing.T) {
	docs := protectionDocs(t)
	text := func(body string) []ofile { return plainFiles(body) }
	settings := func(items string) []byte {
		return odfPkg{mimetype: mtODT, files: withFile(text(`<text:p>x</text:p>`), "settings.xml", settingsXML(items))}.build(t)
	}
	tests := []struct {
		name string
		pkg  []byte
		want []string
	}{
		{"protected section with a key", docs["section-key.odt"],
			[]string{"protected|protected section with a password (text:section)|content.xml"}},
		{"protected section without a key", docs["section-nokey.odt"], nil},
		{"section with a key, not protected", odfPkg{mimetype: mtODT, files: text(section(false, digest))}.build(t), nil},
		{"protected index with a key, prefix renamed", odfPkg{mimetype: mtODT, files: text(
			`<t:table-of-content xmlns:t="urn:oasis:names:tc:opendocument:xmlns:text:1.0" t:protected="true" t:protection-key="` + digest + `" t:name="TOC"/>`)}.build(t),
			[]string{"protected|protected index with a password (text:table-of-content)|content.xml"}},
		{"section in a header, in styles.xml", odfPkg{mimetype: mtODT, files: withFile(text(""), "styles.xml", styles(`<style:header>`+section(true, digest)+`</style:header>`))}.build(t),
			[]string{"protected|protected section with a password (text:section)|styles.xml"}},
		{"spreadsheet structure and two of three sheets", docs["sheets.ods"], []string{
			"protected|protected spreadsheet structure with a password (office:spreadsheet)|content.xml",
			"protected|protected sheet with a password (table:table, 2 of them)|content.xml"}},
		{"sheets protected without a key", docs["sheet-nokey.ods"], nil},
		// What LibreOffice 7.4 writes for an xlsx sheet password in the
		// legacy 16-bit form: the Excel hash as the key, and a second
		// algorithm attribute in its own namespace.
		{"sheet with Excel's legacy hash as LibreOffice writes it", odfPkg{mimetype: mtODS, files: calcFiles("",
			`<table:table table:name="Sheet1" table:style-name="ta1" table:protected="true" table:protection-key="4JNY3MAx69V+qfkjRipnoRWyILo=" `+
				`table:protection-key-digest-algorithm="http://docs.oasis-open.org/office/ns/table/legacy-hash-excel" `+
				`xmlns:loext="urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0" loext:protection-key-digest-algorithm-2="http://www.w3.org/2000/09/xmldsig#sha1"/>`)}.build(t),
			[]string{"protected|protected sheet with a password (table:table)|content.xml"}},
		{"change tracking of a spreadsheet", odfPkg{mimetype: mtODS, files: withFile(plainFiles(""), "content.xml", spreadsheet("",
			`<table:tracked-changes table:protection-key="`+digest+`"/>`+sheet("T", false, "")))}.build(t),
			[]string{"protected|protected change recording with a password (table:tracked-changes)|content.xml"}},
		{"unknown element with a key", odfPkg{mimetype: mtODT, files: text(`<x:thing xmlns:x="urn:x" x:protection-key="` + digest + `"/>`)}.build(t),
			[]string{"protected|protected content with a password (x:thing)|content.xml"}},
		{"empty key", odfPkg{mimetype: mtODT, files: text(section(true, " "))}.build(t), nil},
		{"Writer change recording password", docs["redline.odt"],
			[]string{"protected|protected change recording with a password (RedlineProtectionKey)|settings.xml"}},
		{"password to modify", docs["modify-password.odt"],
			[]string{"protected|password to modify (ModifyPasswordInfo)|settings.xml"}},
		{"password to modify kept from OOXML", settings(`<config:config-item-set config:name="OOXMLModifyPasswordInfo"><config:config-item config:name="hash" config:type="base64Binary">` + digest + `</config:config-item></config:config-item-set>`),
			[]string{"protected|password to modify (OOXMLModifyPasswordInfo)|settings.xml"}},
		{"legacy ModifyPasswordHash", settings(`<config:config-item config:name="ModifyPasswordHash" config:type="int">12345</config:config-item>`),
			[]string{"protected|password to modify (ModifyPasswordHash)|settings.xml"}},
		{"ModifyPasswordHash zero", settings(`<config:config-item config:name="ModifyPasswordHash" config:type="int">0</config:config-item>`), nil},
		{"load read-only, empty keys", docs["readonly.odt"], nil},
		{"item name with character references", settings(`<config:config-item config:name="Redline&#80;rotectionKey" config:type="base64Binary">` + digest + `</config:config-item>`),
			[]string{"protected|protected change recording with a password (RedlineProtectionKey)|settings.xml"}},
		{"empty key written with an end tag", settings(`<config:config-item config:name="RedlineProtectionKey" config:type="base64Binary"></config:config-item>`), nil},
		{"signed, not protected", docs["signed.odt"], nil},
		{"signed and protected", docs["signed-protected.odt"],
			[]string{"protected|protected section with a password (text:section); signed|content.xml"}},
		{"macros signed, document protected", odfPkg{mimetype: mtODT, files: withFile(text(section(true, digest)), "META-INF/macrosignatures.xml", signaturesXML(t, "M"))}.build(t),
			[]string{"protected|protected section with a password (text:section)|content.xml"}},
		{"encrypted package", odfPkg{mimetype: mtODT, files: []ofile{
			{name: "content.xml", body: content(section(true, digest)), encrypted: true},
			{name: "settings.xml", body: settingsXML(modifyPassword), encrypted: true},
		}}.build(t), []string{"encrypted|ODF package encryption|"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := inspectPkg(t, tt.pkg, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.Short(); !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %q\nwant %q", got, tt.want)
			}
			if len(rec.Names()) != 0 {
				t.Errorf("children %q", rec.Names())
			}
		})
	}
}

func calcFiles(attrs, body string) []ofile {
	return withFile(plainFiles(""), "content.xml", spreadsheet(attrs, body))
}

func TestFlatProtections(t *testing.T) {
	doc := flatDoc(mtODS, `<office:settings `+nsConfig+`><config:config-item-set config:name="ooo:configuration-settings">`+modifyPassword+
		`</config:config-item-set></office:settings><office:body><office:spreadsheet `+nsTable+structureKey+`>`+
		sheet("A", true, digest)+`</office:spreadsheet></office:body>`)
	rec, err := inspectFlat(t, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"protected|password to modify (ModifyPasswordInfo)|",
		"protected|protected spreadsheet structure with a password (office:spreadsheet)|",
		"protected|protected sheet with a password (table:table)|",
	}
	if got := rec.Short(); rec.Type != "fods" || !slices.Equal(got, want) {
		t.Errorf("type %s findings\n got %q\nwant %q", rec.Type, got, want)
	}
}

func TestSignatures(t *testing.T) {
	docs := protectionDocs(t)
	b := docs["section-key.odt"]
	if sigs, err := Signatures(context.Background(), bytes.NewReader(b), int64(len(b))); err != nil || sigs != nil {
		t.Errorf("unsigned: %v %+v", err, sigs)
	}
	b = odfPkg{mimetype: mtODT, files: withFile(withFile(plainFiles(""), "META-INF/documentsignatures.xml", signaturesXML(t, "ID_1", "ID_2")),
		"META-INF/macrosignatures.xml", signaturesXML(t, "ID_M"))}.build(t)
	sigs, err := Signatures(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := Signature{Part: "META-INF/documentsignatures.xml", ID: "ID_1",
		Subject: "CN=Erika Mustermann,O=Testbehörde", Issuer: "CN=Test CA,O=officemilter tests", SerialNumber: "4242",
		SigningTime: "2026-01-15T10:00:00.000000000"}
	if len(sigs) != 3 || sigs[0] != want || sigs[1].ID != "ID_2" || !sigs[2].Macros || sigs[2].Part != "META-INF/macrosignatures.xml" {
		t.Errorf("signatures\n got %+v\nwant %+v, ID_2 and a macro signature", sigs, want)
	}
	b = odfPkg{mimetype: mtODT, files: withFile(plainFiles(""), "META-INF/documentsignatures.xml", `<document-signatures><Signature><broken`)}.build(t)
	if _, err := Signatures(context.Background(), bytes.NewReader(b), int64(len(b))); err == nil || !strings.Contains(err.Error(), "documentsignatures.xml") {
		t.Errorf("broken signature file: %v", err)
	}
}

func TestSettingsNeedParse(t *testing.T) {
	for s, want := range map[string]bool{
		settingsXML(emptyRedlineKey):                     false,
		settingsXML(""):                                  false,
		settingsXML(modifyPassword):                      true,
		`<c n="RedlineProtectionKey">` + digest + `</c>`: true,
		`<c n="RedlineProtectionKey"></c>`:               false,
		`<c n="RedlineProtectionKey"`:                    true,
		`<c n="x&#80;">`:                                 true,
	} {
		if got := settingsNeedParse([]byte(s)); got != want {
			t.Errorf("settingsNeedParse(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzSettingsNeedParse checks the byte test that lets settings.xml go
// undecoded: whenever it says no, decoding finds no protection.
func FuzzSettingsNeedParse(f *testing.F) {
	f.Add(settingsXML(emptyRedlineKey + loadReadonly))
	f.Add(settingsXML(modifyPassword))
	f.Add(`<c n="RedlineProtectionKey"/><c n='RedlineProtectionKey' >` + digest + `</c>`)
	f.Fuzz(func(t *testing.T, s string) {
		if settingsNeedParse([]byte(s)) {
			return
		}
		p := &protections{}
		x := zipx.NewXMLReader(context.Background(), strings.NewReader(s))
		for {
			tok, err := x.Next()
			if err != nil {
				break
			}
			switch tt := tok.(type) {
			case xml.StartElement:
				p.start(tt)
			case xml.EndElement:
				p.end(tt)
			case xml.CharData:
				p.text(tt)
			}
		}
		p.flush(func(_ inspect.Kind, d string) { t.Fatalf("settingsNeedParse said no, decoding found %q", d) })
	})
}

// FuzzSignatures fuzzes the XML signature reader through a package's
// documentsignatures.xml.
func FuzzSignatures(f *testing.F) {
	f.Add(signaturesXML(f, "ID_1"))
	f.Add(`<Signature><Signature><X509SerialNumber>1</X509SerialNumber></Signature><X509Certificate>AAAA</X509Certificate></Signature>`)
	f.Fuzz(func(t *testing.T, s string) {
		b := odfPkg{mimetype: mtODT, files: withFile(nil, "META-INF/documentsignatures.xml", s)}.build(t)
		sigs, _ := Signatures(context.Background(), bytes.NewReader(b), int64(len(b)))
		for _, sig := range sigs {
			if len(sig.Subject) > 4*xmldsig.MaxDetail || len(sig.SigningTime) > 4*64 {
				t.Fatalf("unbounded field in %+v", sig)
			}
		}
	})
}
