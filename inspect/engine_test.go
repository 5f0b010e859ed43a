package inspect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// fakeInspector lets a test script what an inspector does with a part.
type fakeInspector func(ctx context.Context, p inspect.Part, s inspect.Scope) error

func (f fakeInspector) Inspect(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	return f(ctx, p, s)
}

func run(t *testing.T, ins map[inspect.Family]inspect.Inspector, l inspect.Limits, name string, data []byte) *inspect.Result {
	t.Helper()
	return inspect.NewEngine(ins, l).Inspect(context.Background(), name, "", bytes.NewReader(data), int64(len(data)))
}

func findings(r *inspect.Result, k inspect.Kind) []inspect.Finding {
	var out []inspect.Finding
	for _, f := range r.Findings {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

// zipLike is an "archive": each line "name=content" is a member.
var zipMagic = []byte("PK\x03\x04")

func archive(members ...string) []byte {
	return append(append([]byte{}, zipMagic...), []byte(strings.Join(members, "\n"))...)
}

// lineArchive hands every line after the magic to Child.
func lineArchive() fakeInspector {
	return func(ctx context.Context, p inspect.Part, s inspect.Scope) error {
		b := make([]byte, p.Size)
		if _, err := p.R.ReadAt(b, 0); err != nil && err != io.EOF {
			return err
		}
		for _, line := range strings.Split(string(b[len(zipMagic):]), "\n") {
			name, content, _ := strings.Cut(line, "=")
			if err := s.Child(name, strings.NewReader(strings.ReplaceAll(content, `\n`, "\n"))); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestEngineWhereAndType(t *testing.T) {
	ins := map[inspect.Family]inspect.Inspector{
		inspect.FamilyZip: lineArchive(),
		inspect.FamilyPE: fakeInspector(func(_ context.Context, _ inspect.Part, s inspect.Scope) error {
			s.Emit(inspect.Finding{Kind: inspect.KindExecutable, Detail: "PE"})
			return nil
		}),
	}
	r := run(t, ins, inspect.Limits{}, "a.zip", archive("docs/setup.exe=MZ....", "readme.txt=hello"))
	if r.Type != inspect.TypeZIP {
		t.Errorf("type %q", r.Type)
	}
	ex := findings(r, inspect.KindExecutable)
	if len(ex) != 1 || ex[0].Where != "docs/setup.exe" || ex[0].Type != inspect.TypePE {
		t.Fatalf("executable finding %+v", r.Findings)
	}
	if r.Parts != 3 {
		t.Errorf("parts %d, want 3", r.Parts)
	}
}

func TestEngineNameRefinesAndDeclares(t *testing.T) {
	ole := fakeInspector(func(_ context.Context, _ inspect.Part, s inspect.Scope) error {
		s.SetType(inspect.TypePPT)
		return nil
	})
	ins := map[inspect.Family]inspect.Inspector{inspect.FamilyOLE: ole}
	data := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...)
	r := run(t, ins, inspect.Limits{}, "show.pps", data)
	if r.Type != inspect.TypePPS || r.Declared != "" {
		t.Errorf("pps: type %q declared %q", r.Type, r.Declared)
	}
	if len(findings(r, inspect.KindLegacyOffice)) != 1 {
		t.Errorf("no legacy-office for a ppt: %+v", r.Findings)
	}
	r = run(t, ins, inspect.Limits{}, "invoice.pdf", data)
	if r.Type != inspect.TypePPT || r.Declared != inspect.TypePDF {
		t.Errorf("renamed: type %q declared %q", r.Type, r.Declared)
	}
	// Stricter wins: a .doc name on other content is legacy-office too.
	r = run(t, nil, inspect.Limits{}, "letter.doc", []byte("just text\n"))
	lo := findings(r, inspect.KindLegacyOffice)
	if len(lo) != 1 || !strings.Contains(lo[0].Detail, "by name") {
		t.Errorf("by name: %+v", r.Findings)
	}
}

func TestEngineLimits(t *testing.T) {
	ins := map[inspect.Family]inspect.Inspector{inspect.FamilyZip: lineArchive()}
	tests := []struct {
		name   string
		limits inspect.Limits
		data   []byte
		detail string
	}{
		{"depth", inspect.Limits{MaxDepth: 1}, archive(`inner.zip=PK` + "\x03\x04" + `x=y`), "limit depth=1"},
		{"parts", inspect.Limits{MaxParts: 3}, archive("a=1", "b=2", "c=3", "d=4"), "limit parts=3"},
		{"part-size", inspect.Limits{MaxPartSize: 10}, archive("big=" + strings.Repeat("x", 100)), "limit part-size=10"},
		{"total-size", inspect.Limits{MaxTotalSize: 60}, archive("a="+strings.Repeat("x", 30), "b="+strings.Repeat("y", 30)), "limit total-size=60"},
		{"findings", inspect.Limits{MaxFindings: 2}, archive("a.doc=x", "b.doc=x", "c.doc=x"), "limit findings=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, ins, tc.limits, "x.zip", tc.data)
			var got []string
			for _, f := range findings(r, inspect.KindUnscannable) {
				got = append(got, f.Detail)
				if strings.HasPrefix(f.Detail, tc.detail) {
					return
				}
			}
			t.Errorf("no unscannable %q; have %q", tc.detail, got)
		})
	}
}

func TestEngineRatioReader(t *testing.T) {
	ins := map[inspect.Family]inspect.Inspector{inspect.FamilyZip: fakeInspector(func(_ context.Context, p inspect.Part, s inspect.Scope) error {
		// 10 compressed bytes that claim to expand without end.
		return s.Child("bomb.bin", inspect.RatioReader(zeros{}, 10, 100))
	})}
	r := run(t, ins, inspect.Limits{}, "bomb.zip", archive())
	u := findings(r, inspect.KindUnscannable)
	if len(u) != 1 || u[0].Detail != "limit ratio=100" || u[0].Where != "bomb.bin" {
		t.Errorf("ratio: %+v", r.Findings)
	}
	if r.Bytes > int64(inspect.RatioGrace)+64<<10 {
		t.Errorf("read %d bytes of a bomb", r.Bytes)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestEnginePanicBecomesUnscannable(t *testing.T) {
	e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyPDF: fakeInspector(func(context.Context, inspect.Part, inspect.Scope) error {
		var m map[string]int
		m["boom"]++ // nil map write
		return nil
	})}, inspect.Limits{})
	data := []byte("%PDF-1.7\n")
	r := e.Inspect(context.Background(), "x.pdf", "", bytes.NewReader(data), int64(len(data)))
	u := findings(r, inspect.KindUnscannable)
	if len(u) != 1 || !strings.Contains(u[0].Detail, "inspector failure") {
		t.Errorf("panic: %+v", r.Findings)
	}
	if e.Panics() != 1 {
		t.Errorf("panics counted %d", e.Panics())
	}
}

func TestEngineTimeout(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	// One inspector honours its context, one ignores it: both end.
	for _, honour := range []bool{true, false} {
		t.Run(fmt.Sprint("honours context=", honour), func(t *testing.T) {
			e := inspect.NewEngine(map[inspect.Family]inspect.Inspector{inspect.FamilyPDF: fakeInspector(func(ctx context.Context, _ inspect.Part, _ inspect.Scope) error {
				if honour {
					<-ctx.Done()
					return ctx.Err()
				}
				<-stop
				return nil
			})}, inspect.Limits{MaxTime: 50 * time.Millisecond})
			data := []byte("%PDF-1.7\n")
			var r *inspect.Result
			inspecttest.NoHang(t, 5*time.Second, func() {
				r = e.Inspect(context.Background(), "x.pdf", "", bytes.NewReader(data), int64(len(data)))
			})
			u := findings(r, inspect.KindUnscannable)
			if len(u) != 1 || !strings.HasPrefix(u[0].Detail, "limit time=") || !inspect.TimedOut(u[0]) {
				t.Errorf("timeout: %+v", r.Findings)
			}
		})
	}
}

func TestEngineNoInspectorForContainer(t *testing.T) {
	r := run(t, nil, inspect.Limits{}, "x.7z", []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4})
	if len(findings(r, inspect.KindUnscannable)) != 1 {
		t.Errorf("a 7z nobody can open must be unscannable: %+v", r.Findings)
	}
	r = run(t, nil, inspect.Limits{}, "notes.txt", []byte("hello\n"))
	if len(r.Findings) != 0 || r.Type != inspect.TypeTXT {
		t.Errorf("text: %s %+v", r.Type, r.Findings)
	}
}

func TestSpool(t *testing.T) {
	dir := t.TempDir()
	sp := inspect.NewSpool(dir, 8, 20, nil)
	if _, err := sp.Write([]byte("12345")); err != nil || !sp.InMemory() {
		t.Fatalf("small write: %v, in memory %v", err, sp.InMemory())
	}
	if _, err := sp.Write([]byte("67890abc")); err != nil || sp.InMemory() {
		t.Fatalf("past threshold: %v, in memory %v", err, sp.InMemory())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("%d spool files", len(ents))
	}
	fi, _ := ents[0].Info()
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("spool file mode %v, want 0600", fi.Mode().Perm())
	}
	n, err := sp.Write([]byte("0123456789"))
	if !errors.Is(err, inspect.ErrSpoolFull) || n != 7 || sp.Size() != 20 {
		t.Errorf("cap: n=%d err=%v size=%d", n, err, sp.Size())
	}
	b := make([]byte, 5)
	if _, err := sp.ReadAt(b, 5); err != nil || string(b) != "67890" {
		t.Errorf("ReadAt %q %v", b, err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Close left %d files", len(ents))
	}
	if err := sp.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestSpoolGrowth: a spool filled in small writes up to its memory
// threshold holds the bytes in order and never more memory than the
// threshold; one byte more moves it to a file.
func TestSpoolGrowth(t *testing.T) {
	const memMax = 300000
	sp := inspect.NewSpool(t.TempDir(), memMax, 0, nil)
	defer sp.Close()
	var want []byte
	for i := 0; len(want) < memMax; i++ {
		chunk := bytes.Repeat([]byte{byte(i)}, min(1+i*37%4000, memMax-len(want)))
		if _, err := sp.Write(chunk); err != nil {
			t.Fatal(err)
		}
		want = append(want, chunk...)
		if !sp.InMemory() || cap(sp.Bytes()) > memMax {
			t.Fatalf("after %d bytes: in memory %v, capacity %d", len(want), sp.InMemory(), cap(sp.Bytes()))
		}
	}
	if !bytes.Equal(sp.Bytes(), want) {
		t.Fatal("content differs")
	}
	if _, err := sp.Write([]byte{1}); err != nil || sp.InMemory() {
		t.Fatalf("past the threshold: %v, in memory %v", err, sp.InMemory())
	}
	got := make([]byte, len(want)+1)
	if _, err := sp.ReadAt(got, 0); (err != nil && err != io.EOF) || !bytes.Equal(got[:len(want)], want) || got[len(want)] != 1 {
		t.Fatalf("content after the move differs (%v)", err)
	}
}

// TestSpoolMemoryLimit: past the process-wide budget a spool moves to its
// file though its own threshold is not reached, and what spools hold is
// given back when they move or close.
func TestSpoolMemoryLimit(t *testing.T) {
	base := inspect.SpoolMemory()
	inspect.SetSpoolMemoryLimit(base + 100000)
	defer inspect.SetSpoolMemoryLimit(0)
	dir := t.TempDir()
	a := inspect.NewSpool(dir, 1<<20, 0, nil)
	if _, err := a.Write(make([]byte, 60000)); err != nil || !a.InMemory() {
		t.Fatalf("first spool: %v, in memory %v", err, a.InMemory())
	}
	if held := inspect.SpoolMemory() - base; held != 60000 {
		t.Errorf("first spool holds %d bytes", held)
	}
	b := inspect.NewSpool(dir, 1<<20, 0, nil)
	data := bytes.Repeat([]byte("0123456789"), 6000)
	if _, err := b.Write(data); err != nil || b.InMemory() {
		t.Fatalf("second spool over the budget: %v, in memory %v", err, b.InMemory())
	}
	got := make([]byte, len(data))
	if _, err := b.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second spool's content: %v", err)
	}
	a.Close()
	b.Close()
	if held := inspect.SpoolMemory() - base; held != 0 {
		t.Errorf("after Close %d bytes still held", held)
	}
	c := inspect.NewSpool(dir, 1<<20, 0, nil)
	defer c.Close()
	if _, err := c.Write(data); err != nil || !c.InMemory() {
		t.Fatalf("after the others closed: %v, in memory %v", err, c.InMemory())
	}
}

func TestRatioReaderSmallIsFine(t *testing.T) {
	// Under the grace a high ratio is normal (an XML part of spaces).
	r := inspect.RatioReader(io.LimitReader(zeros{}, 100000), 10, 2)
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != 100000 {
		t.Errorf("n=%d err=%v", n, err)
	}
}

func TestKeyDerivationBudget(t *testing.T) {
	taken := 0
	ins := map[inspect.Family]inspect.Inspector{inspect.FamilyZip: lineArchive(), inspect.FamilyOLE: fakeInspector(func(ctx context.Context, _ inspect.Part, _ inspect.Scope) error {
		if inspect.TakeKeyDerivation(ctx) {
			taken++
		}
		return nil
	})}
	ole := "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"
	var members []string
	for i := 0; i < 10; i++ {
		members = append(members, fmt.Sprintf("m%d.docx=%s", i, ole))
	}
	run(t, ins, inspect.Limits{MaxKeyDerivations: 3}, "many.zip", archive(members...))
	if taken != 3 {
		t.Errorf("%d key derivations allowed, want 3", taken)
	}
	if !inspect.TakeKeyDerivation(context.Background()) {
		t.Error("outside a walk there is no budget to enforce")
	}
}
