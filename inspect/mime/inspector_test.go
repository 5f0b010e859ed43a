package mime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// stopWith records what an inspector reports; its Child returns err after
// recording the child, as the engine does when the whole walk must stop.
func stopWith(err error) *inspecttest.Recorder {
	return &inspecttest.Recorder{OnChild: func(c inspecttest.Child) error {
		if c.Err != nil {
			return c.Err
		}
		return err
	}}
}

func inspectBytes(t testing.TB, msg []byte, s *inspecttest.Recorder) error {
	t.Helper()
	p := inspect.Part{Name: "m.eml", Size: int64(len(msg)), R: bytes.NewReader(msg), Family: inspect.FamilyEML, Limits: inspect.DefaultLimits}
	return New(Limits{}).Inspect(context.Background(), p, s)
}

func TestInspector(t *testing.T) {
	tests := []struct {
		fixture  string
		children []string
		findings []inspect.Finding
	}{
		{"nested_multipart.eml", []string{"logo.png", "a.doc", "q.bin", "latin1.txt"}, nil},
		{"nested_rfc822.eml", []string{"inner.xls", "part-2.3.1", "fwd.eml"}, nil},
		{"encodings_lf.eml", []string{"inline.exe", "b64.bin", "uu.bin", "part-3", "part-3"}, []inspect.Finding{
			{Kind: inspect.KindAmbiguous, Detail: "transfer encoding uuencode on a body that is no uuencoded file", Where: "part-3"},
		}},
		{"smime_enveloped.eml", nil, []inspect.Finding{{Kind: inspect.KindEncrypted, Detail: "smime-enveloped", Where: "smime.p7m"}}},
		{"smime_signed_ber.eml", []string{"signed.exe"}, nil},
		{"pgp.eml", nil, []inspect.Finding{
			{Kind: inspect.KindEncrypted, Detail: "pgp-encrypted", Where: "part-1"},
			{Kind: inspect.KindEncrypted, Detail: "pgp-inline", Where: "part-2"},
			{Kind: inspect.KindUnscannable, Detail: `multipart/encrypted with protocol "application/x-unknown"`, Where: "part-4"},
		}},
		{"defects.eml", []string{"trunc.bin", "part-7", "two.exe"}, []inspect.Finding{
			{Kind: inspect.KindUnscannable, Detail: DefectNoBoundary, Where: "part-1"},
			{Kind: inspect.KindAmbiguous, Detail: AmbiguityPrefixMatch, Where: "part-2"},
			{Kind: inspect.KindUnscannable, Detail: DefectBoundaryNotFound, Where: "part-2"},
			{Kind: inspect.KindUnscannable, Detail: "message/partial fragment", Where: "part-3"},
			{Kind: inspect.KindAmbiguous, Detail: AmbiguityTwoTypes, Where: "part-4"},
			{Kind: inspect.KindAmbiguous, Detail: AmbiguityUnknownEncoding, Where: "part-6"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			s := &inspecttest.Recorder{}
			if err := inspectBytes(t, fixtureByName(t, tt.fixture).build(), s); err != nil {
				t.Fatal(err)
			}
			if s.Type != inspect.TypeEML {
				t.Errorf("type %q", s.Type)
			}
			if !reflect.DeepEqual(s.Names(), tt.children) {
				t.Errorf("children %q, want %q", s.Names(), tt.children)
			}
			if !reflect.DeepEqual(s.Findings, tt.findings) {
				t.Errorf("findings\n got %+v\nwant %+v", s.Findings, tt.findings)
			}
		})
	}
}

func TestInspectorLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i)
	}
	s := &inspecttest.Recorder{}
	if err := inspectBytes(t, []byte(b.String()), s); err != nil {
		t.Fatal(err)
	}
	want := inspect.Finding{Kind: inspect.KindUnscannable, Detail: "message limit depth=32", Limit: inspect.LimitMessageNesting}
	if len(s.Findings) != 2 || s.Findings[0] != want || s.Findings[1].Detail != "not parsed: limit depth=32" ||
		strings.Count(s.Findings[1].Where, ".") != 32 {
		t.Errorf("findings %+v", s.Findings)
	}
	// A header that never ends.
	s = &inspecttest.Recorder{}
	if err := inspectBytes(t, []byte("Subject: x\n"+strings.Repeat(" more\n", 300000)), s); err != nil {
		t.Fatal(err)
	}
	want2 := []inspect.Finding{
		{Kind: inspect.KindUnscannable, Detail: "message limit header-size=1048576", Limit: inspect.LimitHeaderSize},
		{Kind: inspect.KindUnscannable, Detail: "not parsed: limit header-size=1048576", Where: "part-1"},
	}
	if !reflect.DeepEqual(s.Findings, want2) {
		t.Errorf("findings %+v", s.Findings)
	}
}

func TestInspectorStops(t *testing.T) {
	stop := &inspect.LimitError{Limit: inspect.LimitTotalSize, Value: 1}
	s := stopWith(stop)
	err := inspectBytes(t, fixtureByName(t, "nested_multipart.eml").build(), s)
	if !errors.Is(err, stop) || len(s.Names()) != 1 {
		t.Errorf("err %v after %q", err, s.Names())
	}
	// An I/O error is the inspector's error.
	msg := fixtureByName(t, "nested_multipart.eml").build()
	p := inspect.Part{Size: int64(len(msg)), R: failingReader{data: msg, at: 10}, Limits: inspect.DefaultLimits}
	if err := New(Limits{}).Inspect(context.Background(), p, &inspecttest.Recorder{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("I/O error: %v", err)
	}
}

// TestEngine runs the inspector in the real engine: a message attached
// base64-encoded is sniffed as a message again and walked.
func TestEngine(t *testing.T) {
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyEML: New(Limits{})}, inspect.Limits{})
	inner := smimeMessage("enveloped", "enveloped-data", "inner.p7m", cmsEnvelopedDER(oidEnvelopedData))
	msg := []byte(crlf(hdr + "Subject: outer\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822; name=fwd.eml\nContent-Transfer-Encoding: base64\n\n" + b64(inner) + "--x--\n"))
	res := e.Inspect(context.Background(), "m.eml", "", bytes.NewReader(msg), int64(len(msg)))
	if res.Type != inspect.TypeEML {
		t.Errorf("type %q", res.Type)
	}
	want := []inspect.Finding{{Kind: inspect.KindEncrypted, Type: inspect.TypeEML, Where: "fwd.eml/inner.p7m", Detail: "smime-enveloped"}}
	if !reflect.DeepEqual(res.Findings, want) {
		t.Errorf("findings\n got %+v\nwant %+v", res.Findings, want)
	}
}
