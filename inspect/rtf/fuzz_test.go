package rtf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// FuzzRTF checks that any input is inspected without panic, with no error
// but ErrTooDeep (the reader is in memory), and with children no larger
// than the input.
func FuzzRTF(f *testing.F) {
	pkg := hexOf(ole1("Package", packager("a.exe", mz)))
	f.Add(doc(objGroup("Package", `\objupdate`, pkg)))
	f.Add(doc(objGroup("Equation.3", "", hexOf(ole1("Equation.3", cfb(clsidEquation3))))))
	f.Add(doc(`{\field{\*\fldinst DDEAUTO c:\\x.exe}}{\field{\*\fldinst INCLUDEPICTURE "http://x/y"}}`))
	f.Add(doc(`{\object\objautlink{\*\objdata ` + hexOf(ole1Linked("Word.Document.8", "http://x")) + `}}`))
	f.Add([]byte(`{\rtf1{\*\objdata 01\bin3 abc\'41` + pkg[:40] + `{\x 12}`))
	f.Add([]byte(`{\rtf1\u-3913?\uc2\u68??\'4` + strings.Repeat("{", 20)))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &recScope{}
		p := inspect.Part{Name: "f.rtf", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyRTF, Limits: inspect.DefaultLimits}
		var err error
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() { err = New().Inspect(context.Background(), p, r) })
		if err != nil && !errors.Is(err, ErrTooDeep) {
			t.Fatalf("error %v", err)
		}
		r.CheckInvariants(t)
		for _, c := range r.Children {
			if len(c.Data) > len(b) {
				t.Fatalf("child %s of %d bytes from %d", c.Name, len(c.Data), len(b))
			}
		}
	})
}
