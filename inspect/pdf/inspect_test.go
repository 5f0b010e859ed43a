package pdf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// details lists the sorted details of the findings of kind k.
func details(f *inspecttest.Recorder, k inspect.Kind) []string {
	var out []string
	for _, x := range f.Findings {
		if x.Kind == k {
			out = append(out, x.Detail)
		}
	}
	sort.Strings(out)
	return out
}

func inspectBytes(t testing.TB, b []byte, lim inspect.Limits) (*inspecttest.Recorder, error) {
	t.Helper()
	s := &inspecttest.Recorder{KeepReadErrors: true}
	p := inspect.Part{Name: "x.pdf", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyPDF, Limits: lim.WithDefaults()}
	err := New().Inspect(context.Background(), p, s)
	return s, err
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInspectFixtures(t *testing.T) {
	const po = " (" + PermissionsOnly + ")"
	mz := []string{"tool.exe"}
	tests := []struct {
		file      string
		encrypted string   // Detail of the encrypted finding, "" for none
		protected string   // Detail of the protected finding, "" for none
		active    []string // active-content Details
		children  []string // names of children starting with MZ
		other     []string // names of other children
		err       string   // substring of the returned error
	}{
		{file: "plain.pdf"},
		{file: "text_mentions.pdf"},
		{file: "openaction_js.pdf", active: []string{"/JavaScript", "/OpenAction"}},
		{file: "openaction_dest.pdf"},
		{file: "openaction_goto.pdf"},
		{file: "openaction_uri.pdf", active: []string{"/OpenAction"}},
		{file: "escaped_names.pdf", active: []string{"/JavaScript", "/OpenAction"}},
		{file: "launch.pdf", active: []string{"/AA", "/Launch"}},
		{file: "js_objstm.pdf", active: []string{"/JavaScript", "/OpenAction"}},
		{file: "qpdf_objstm.pdf", active: []string{"/JavaScript", "/OpenAction"}},
		{file: "objstm_filters.pdf", active: []string{"/AA", "/JavaScript", "/Launch", "/RichMedia", "/XFA"}},
		{file: "embedded_mz.pdf", active: []string{"/EmbeddedFile"}, children: mz},
		{file: "enc_source.pdf", active: []string{"/EmbeddedFile", "/JavaScript", "/OpenAction"}, children: mz},
		{file: "file_attachment.pdf", active: []string{"/EmbeddedFile"}, other: []string{"notes.txt"}},
		{file: "broken_xref.pdf", active: []string{"/JavaScript", "/OpenAction"}},
		{file: "truncated.pdf", active: []string{"/JavaScript", "/OpenAction"}},
		{file: "wrong_length.pdf", active: []string{"/EmbeddedFile", "/JavaScript"}, children: []string{"a.exe", "b.exe", "c.exe"}},
		{file: "deep_nesting.pdf", err: "nests deeper than 100 levels"},
		{file: "objnum_overflow.pdf", active: []string{"/JavaScript"}},
		{file: "hidden_in_stream.pdf"},
		{file: "listed_in_stream.pdf", active: []string{"/JavaScript"}},
		{file: "listed_in_xrefstream.pdf", active: []string{"/JavaScript"}},
		{file: "embedded_pdf.pdf", active: []string{"/EmbeddedFile"}, other: []string{"inner.pdf"}},
		{file: "trailer_in_stream.pdf", encrypted: "PDF user password (R2 RC4-40)"},
		// Owner password only: decrypted and inspected, objects streams
		// included; not encrypted but protected, even when /P grants
		// every permission (the password still guards the encryption).
		{file: "owner_rc4_128.pdf", protected: "PDF owner password (permissions-only; R3 RC4-128; restricts nothing)", active: []string{"/EmbeddedFile" + po, "/JavaScript" + po, "/OpenAction" + po}, children: mz},
		{file: "owner_aes128.pdf", protected: "PDF owner password (permissions-only; R4 AESV2; restricts nothing)", active: []string{"/EmbeddedFile" + po, "/JavaScript" + po, "/OpenAction" + po}, children: mz},
		{file: "owner_r5.pdf", protected: "PDF owner password (permissions-only; R5 AESV3; restricts nothing)", active: []string{"/EmbeddedFile" + po, "/JavaScript" + po, "/OpenAction" + po}, children: mz},
		{file: "owner_r6_objstm.pdf", protected: "PDF owner password (permissions-only; R6 AESV3; restricts nothing)", active: []string{"/EmbeddedFile" + po, "/JavaScript" + po, "/OpenAction" + po}, children: mz},
		// Owner passwords with restricted permissions (ISO 32000-1 Table 22).
		{file: "owner_perm_r6_modify_copy.pdf", protected: "PDF owner password (permissions-only; R6 AESV3; restricts: modify, copy, annotate, fill forms, assemble)"},
		{file: "owner_perm_r4_print.pdf", protected: "PDF owner password (permissions-only; R4 AESV2; restricts: print)"},
		{file: "owner_perm_r3_rc4.pdf", protected: "PDF owner password (permissions-only; R3 RC4-128; restricts: extract, print high quality)"},
		{file: "owner_perm_r2_40.pdf", protected: "PDF owner password (permissions-only; R2 RC4-40; restricts: print, modify, copy, annotate)"},
		{file: "../../../testdata/files/letter-owneronly.pdf", protected: "PDF owner password (permissions-only; R6 AESV3; restricts: print, modify, annotate, fill forms, assemble)"},
		{file: "../../../testdata/files/letter.pdf"},
		{file: "../../../testdata/files/letter-userpw.pdf", encrypted: "PDF user password (R6 AESV3)"},
		// A user password: encrypted; keys outside encrypted streams are
		// still seen, the embedded file is not.
		{file: "user_r2.pdf", encrypted: "PDF user password (R2 RC4-40)", active: []string{"/EmbeddedFile", "/JavaScript", "/OpenAction"}},
		{file: "user_r3.pdf", encrypted: "PDF user password (R3 RC4-128)", active: []string{"/EmbeddedFile", "/JavaScript", "/OpenAction"}},
		{file: "user_r4.pdf", encrypted: "PDF user password (R4 AESV2)", active: []string{"/EmbeddedFile", "/JavaScript", "/OpenAction"}},
		{file: "user_r6_objstm.pdf", encrypted: "PDF user password (R6 AESV3)", active: []string{"/EmbeddedFile"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := inspectBytes(t, readFixture(t, tt.file), inspect.Limits{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
			} else if err != nil {
				t.Fatalf("error %v", err)
			}
			if s.Type != inspect.TypePDF {
				t.Errorf("type %q", s.Type)
			}
			var enc string
			if d := details(s, inspect.KindEncrypted); len(d) > 0 {
				enc = strings.Join(d, ";")
			}
			if enc != tt.encrypted {
				t.Errorf("encrypted %q, want %q", enc, tt.encrypted)
			}
			if got := strings.Join(details(s, inspect.KindProtected), ";"); got != tt.protected {
				t.Errorf("protected %q, want %q", got, tt.protected)
			}
			want := append([]string(nil), tt.active...)
			sort.Strings(want)
			if got := details(s, inspect.KindActiveContent); !slices.Equal(got, want) {
				t.Errorf("active content %q, want %q", got, want)
			}
			var gotMZ, gotOther []string
			for _, c := range s.Children {
				if c.Err != nil {
					t.Errorf("child %s: %v", c.Name, c.Err)
				}
				if bytes.HasPrefix(c.Data, []byte("MZ")) && bytes.Equal(c.Data, tinyMZ()) {
					gotMZ = append(gotMZ, c.Name)
				} else {
					gotOther = append(gotOther, c.Name)
				}
			}
			sort.Strings(gotMZ)
			if !slices.Equal(gotMZ, tt.children) || !slices.Equal(gotOther, tt.other) {
				t.Errorf("children MZ %q other %q, want MZ %q other %q", gotMZ, gotOther, tt.children, tt.other)
			}
		})
	}
}

func TestFileAttachmentContent(t *testing.T) {
	s, err := inspectBytes(t, readFixture(t, "file_attachment.pdf"), inspect.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Children) != 1 || string(s.Children[0].Data) != "hello from an attachment\n" {
		t.Fatalf("children %+v", s.Children)
	}
}

// TestUserPassword checks the key derivation against the real user
// password, so that "encrypted" above is not just a broken algorithm.
func TestUserPassword(t *testing.T) {
	for _, f := range []string{"user_r2.pdf", "user_r3.pdf", "user_r4.pdf", "user_r6_objstm.pdf"} {
		t.Run(f, func(t *testing.T) {
			src, err := newSource(bytes.NewReader(readFixture(t, f)), int64(len(readFixture(t, f))))
			if err != nil {
				t.Fatal(err)
			}
			d := newDoc(context.Background(), src, inspect.DefaultLimits)
			if err := d.run(); err != nil {
				t.Fatal(err)
			}
			if d.sec == nil || d.sec.opened {
				t.Fatalf("security %+v: want encrypted without a key", d.sec)
			}
			if d.sec.open([]byte("wrong")) {
				t.Fatal("opens with a wrong password")
			}
			if !d.sec.open([]byte("userpw")) {
				t.Fatal("does not open with the user password")
			}
		})
	}
}

func TestObjectLimit(t *testing.T) {
	_, err := inspectBytes(t, readFixture(t, "js_objstm.pdf"), inspect.Limits{MaxPDFObjects: 3})
	if err == nil || !strings.Contains(err.Error(), "limit pdf-objects=3") {
		t.Fatalf("error %v, want the pdf-objects limit", err)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name string
		data string
		err  string
	}{
		{"empty", "", "no objects"},
		{"header only", "%PDF-1.7\n", "no objects"},
		{"garbage", "%PDF-1.7\n" + strings.Repeat("\x00\xff junk ", 100), "no objects"},
		{"unsupported filter", "%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /JBIG2Decode /Length 3 >>\nstream\nabc\nendstream\nendobj\n", "unsupported filter /JBIG2Decode"},
		{"bad objstm header", "%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 99 /First 400 /Length 3 >>\nstream\nabc\nendstream\nendobj\n", "bad /N or /First"},
		{"embedded unsupported filter", "%PDF-1.7\n1 0 obj\n<< /EF << /F 2 0 R >> /F (x.bin) >>\nendobj\n2 0 obj\n<< /Filter /Foo /Length 3 >>\nstream\nabc\nendstream\nendobj\n", "PDF embedded file x.bin: unsupported filter /Foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspectBytes(t, []byte(tt.data), inspect.Limits{})
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestEncryptionHandlers covers handlers other than the standard one.
func TestEncryptionHandlers(t *testing.T) {
	mk := func(enc string) []byte {
		return buildPDF(withCatalog("<< /Type /Catalog /Pages 2 0 R >>", append(onePage(""), pdfObj{num: 9, body: enc})...), "/Root 1 0 R /Encrypt 9 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]")
	}
	tests := []struct {
		enc, want string
	}{
		{"<< /Filter /Adobe.PubSec /V 4 /SubFilter /adbe.pkcs7.s5 >>", "PDF public-key encryption (/Adobe.PubSec)"},
		{"<< /Filter /FooSec /V 1 >>", "PDF encryption handler /FooSec"},
		{"<< /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>", "PDF encryption (malformed /O or /U)"},
		{"<< /Filter /Standard /V 9 /R 2 >>", "PDF encryption (unsupported /V 9)"},
		{"<< /Filter /Standard /V 4 /R 4 /StmF /X /CF << /X << /CFM /Rot13 >> >> >>", "PDF encryption (unsupported crypt filter)"},
		{"42", ""}, // not a dictionary: readers ignore it
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			s, err := inspectBytes(t, mk(tt.enc), inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(details(s, inspect.KindEncrypted), ";")
			if got != tt.want {
				t.Fatalf("encrypted %q, want %q", got, tt.want)
			}
		})
	}
}

// corpusPDFs lists the shared corpus's PDFs (read in place, never copied).
func corpusPDFs(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(inspecttest.CorpusPath(t), "pdf", "*.pdf"))
	return files
}

// TestCorpusPDFs checks the active content found in the shared corpus's
// PDFs against the feature tokens of its manifest, and that the embedded
// executable is handed to the engine.
func TestCorpusPDFs(t *testing.T) {
	want := map[string]struct {
		encrypted bool
		protected string
		active    []string
		mz        bool
	}{
		"gen_embeddedfile_pe_js.pdf":                           {active: []string{"/EmbeddedFile", "/JavaScript", "/OpenAction"}, mz: true},
		"gen_encrypted_aes256_owner-only.pdf":                  {protected: "PDF owner password (permissions-only; R6 AESV3; restricts: print, modify, copy, annotate, fill forms, assemble)"},
		"gen_encrypted_rc4-40_user-Passw0rd.pdf":               {encrypted: true},
		"gen_js_openaction.pdf":                                {active: []string{"/JavaScript", "/OpenAction"}},
		"gen_js_openaction_encrypted_aes128_user-Passw0rd.pdf": {encrypted: true, active: []string{"/JavaScript", "/OpenAction"}},
		"gen_launch_action.pdf":                                {active: []string{"/AA", "/Launch"}},
		"pypdf__attachment.pdf":                                {active: []string{"/EmbeddedFile"}},
		"pypdf__crazyones.pdf":                                 {},
		"pypdf__r2-user-password.pdf":                          {encrypted: true},
		"pypdf__r4-aes-user-password.pdf":                      {encrypted: true},
		"pypdf__r6-owner-password.pdf":                         {protected: "PDF owner password (permissions-only; R6 AESV3; restricts nothing)"},
		"tika__testPDF_jsActionOnPage.pdf":                     {active: []string{"/AA", "/JavaScript"}},
	}
	files := corpusPDFs(t)
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("shared corpus missing under CI")
		}
		t.Skip("shared corpus not available")
	}
	for _, f := range files {
		w, ok := want[filepath.Base(f)]
		if !ok {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := inspectBytes(t, b, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(details(s, inspect.KindEncrypted)) > 0; got != w.encrypted {
				t.Errorf("encrypted %v, want %v", got, w.encrypted)
			}
			if got := strings.Join(details(s, inspect.KindProtected), ";"); got != w.protected {
				t.Errorf("protected %q, want %q", got, w.protected)
			}
			if got := details(s, inspect.KindActiveContent); !slices.Equal(got, w.active) {
				t.Errorf("active content %q, want %q", got, w.active)
			}
			mz := false
			for _, c := range s.Children {
				if c.Err != nil {
					t.Errorf("child %s: %v", c.Name, c.Err)
				}
				mz = mz || bytes.HasPrefix(c.Data, []byte("MZ"))
			}
			if mz != w.mz {
				t.Errorf("MZ child %v, want %v (children %d)", mz, w.mz, len(s.Children))
			}
		})
	}
}

// TestWindowedReads inspects every fixture again with the file read window
// by window in tiny scan chunks (as a large file is) and expects the same
// findings and children.
func TestWindowedReads(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pdf"))
	type result struct {
		findings []inspect.Finding
		children []string
		err      string
	}
	run := func(b []byte) result {
		s, err := inspectBytes(t, b, inspect.Limits{})
		var r result
		r.findings = s.Findings
		for _, c := range s.Children {
			r.children = append(r.children, c.Name+":"+string(c.Data))
		}
		if err != nil {
			r.err = err.Error()
		}
		return r
	}
	for _, f := range files {
		b := readFixture(t, f[len("testdata/"):])
		want := run(b)
		for _, chunk := range []int64{5, 64, 1000} {
			wholeFileMax, scanChunk = 0, chunk
			got := run(b)
			wholeFileMax, scanChunk = 8<<20, 1<<20
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s chunk %d: %+v, want %+v", f, chunk, got, want)
			}
		}
	}
}

// TestOverlapBudget: objects whose strings all run to the end of the file
// would be re-read once per object; the parse stops with an error instead
// of taking quadratic time.
func TestOverlapBudget(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	const n = 40000
	for i := 1; i <= n; i++ {
		b.WriteString(strconv.Itoa(i) + " 0 obj (\n")
	}
	b.WriteString(strings.Repeat(")", n))
	_, err := inspectBytes(t, b.Bytes(), inspect.Limits{})
	if err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("error %v, want the overlap budget", err)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := genLarge(300)
	p := inspect.Part{Name: "x.pdf", Size: int64(len(b)), R: bytes.NewReader(b), Family: inspect.FamilyPDF, Limits: inspect.DefaultLimits}
	if err := New().Inspect(ctx, p, &inspecttest.Recorder{KeepReadErrors: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestObjStmBomb: an object stream that inflates 1000-fold stops at the
// ratio limit.
func TestObjStmBomb(t *testing.T) {
	bomb := deflate(make([]byte, 8<<20))
	objs := withCatalog("<< /Type /Catalog /Pages 2 0 R >>", onePage("")...)
	objs = append(objs, pdfObj{num: 5, body: "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>", data: bomb})
	_, err := inspectBytes(t, buildPDF(objs, "/Root 1 0 R"), inspect.Limits{})
	if err == nil || !strings.Contains(err.Error(), "limit ratio=250") {
		t.Fatalf("error %v, want the ratio limit", err)
	}
}
