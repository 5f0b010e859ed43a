package officexml

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
	ox "github.com/officemilter/officemilter/inspect/officexml/officexmltest"
)

// FuzzOfficeXML feeds whole documents to the shell inspector: it must
// never panic, hang or report a finding no user could read.
func FuzzOfficeXML(f *testing.F) {
	am := base64.StdEncoding.EncodeToString(ox.ActiveMime(ox.VBAProject()))
	for _, b := range [][]byte{
		// Small seeds: the fuzzer's mutations slow to a crawl on inputs
		// of tens of KiB (a Flat OPC with its VBA project in base64).
		ox.WordXML(true), ox.WordXML(false), ox.ExcelXML(), ox.FlatOPC(ox.Excel, false),
		[]byte(`<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:binData w:name="a">&#x51;` + am[1:] + `</w:binData><w:binData/></w:wordDocument>`),
		[]byte(`<?xml version="1.0" encoding="windows-1252"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><binData><![CDATA[QUJD]]>RA==</binData></Workbook>`),
		[]byte(`<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage"><pkg:part pkg:name="/x/_rels/a.rels"><pkg:xmlData><Relationship Type="a/frame" TargetMode="External" Target="\\h\s"/></pkg:xmlData></pkg:part><pkg:part pkg:name="/vbaProject.bin"><pkg:binaryData>QUJD</pkg:binaryData></pkg:part></pkg:package>`),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &inspecttest.Recorder{ReadCap: 4 << 20}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() {
			_ = New().Inspect(context.Background(), inspect.Part{Name: "f.doc", Size: int64(len(b)), R: bytes.NewReader(b), Limits: inspecttest.FuzzLimits}, rec)
		})
		rec.CheckInvariants(t)
	})
}

// FuzzActiveMime fuzzes the header reading and the inflation.
func FuzzActiveMime(f *testing.F) {
	f.Add(ox.ActiveMime(ox.VBAProject()))
	f.Add(ox.ActiveMime([]byte("short")))
	f.Add(withData(0x22A, []byte("excel"), nil))
	f.Add([]byte("ActiveMime\x00\x00\x01\xf0\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &inspecttest.Recorder{ReadCap: 4 << 20}
		inspecttest.NoHang(t, inspecttest.FuzzTimeout, func() {
			_ = NewActiveMime().Inspect(context.Background(), inspect.Part{Size: int64(len(b)), R: bytes.NewReader(b), Limits: inspecttest.FuzzLimits}, rec)
		})
		rec.CheckInvariants(t)
	})
}
