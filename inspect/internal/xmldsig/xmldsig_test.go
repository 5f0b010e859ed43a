package xmldsig

import "testing"

func TestCommonName(t *testing.T) {
	for dn, want := range map[string]string{
		"CN=Erika Mustermann,O=Testbehörde":         "Erika Mustermann",
		`O=Amt\, Abteilung 2,CN=Mustermann\, Erika`: "Mustermann, Erika",
		"C=DE, O=Stadt, cn=Poststelle":              "Poststelle",
		"O=Stadt":                                   "O=Stadt",
		"SERIALNUMBER=1+CN=Erika Mustermann,C=DE":   "Erika Mustermann",
		"": "",
	} {
		if got := CommonName(dn); got != want {
			t.Errorf("CommonName(%q) = %q, want %q", dn, got, want)
		}
	}
}
