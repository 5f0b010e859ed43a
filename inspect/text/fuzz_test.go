package text

import (
	"bytes"
	"context"
	"testing"
	"unicode/utf8"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

func fuzzText(t *testing.T, fam inspect.Family, b []byte) {
	r := noChildren()
	p := inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Family: fam, Limits: inspect.DefaultLimits}
	var err error
	inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { err = New().Inspect(context.Background(), p, r) })
	if err != nil {
		t.Fatal(err)
	}
	r.CheckInvariants(t)
	for _, f := range r.Findings {
		if !utf8.ValidString(f.Detail) || len(f.Detail) > 512 {
			t.Fatalf("detail %q", f.Detail)
		}
	}
}

func FuzzSLK(f *testing.F) {
	f.Add(sylk(`O;L;E`, `C;X1;Y1;K0;EEXEC("calc.exe")`, `NN;NAuto_open;ER1C1`))
	f.Add(sylk(`C;X1;Y1;ECMD|' /C calc'!A0`, `C;X1;EFOO(";;")`))
	f.Add([]byte("ID;P\nC;E\"\n;;;;\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, inspect.FamilySLK, b) })
}

func FuzzPGP(f *testing.F) {
	f.Add([]byte(armor))
	f.Add(utf16le(armor))
	f.Add([]byte(" \t-----BEGIN PGP MESSAGE-----"))
	f.Add([]byte(`<?xml version="1.0"?><!-- x --><!DOCTYPE a><ai:AppInstaller xmlns:ai="http://schemas.microsoft.com/appx/appinstaller/2017"/>`))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzText(t, inspect.FamilyText, b) })
}
