package ole

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// words returns the distinct words of s, lower case: runs of letters and
// digits (testdata/libreoffice/make-words.sh splits the same way).
func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		m[strings.ToLower(w)] = true
	}
	return m
}

// TestTextCorpus compares the text of the shared corpus's Word, Excel and
// PowerPoint 97-2003 files with LibreOffice's (the word lists in
// testdata/libreoffice, made by make-words.sh): at least 95 % of the words
// LibreOffice extracts must appear. Encrypted ones give no text and say
// so. The coverage of each file is logged (go test -v).
func TestTextCorpus(t *testing.T) {
	dir := inspecttest.CorpusDir(t)
	manifest, err := os.ReadFile(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(manifest), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 8 || !strings.HasPrefix(f[4], "ole-") || f[4] == "ole-msg" || f[4] == "ole" {
			continue
		}
		name := filepath.Base(f[0])
		b := inspecttest.ReadFile(t, filepath.Join(dir, f[0]))
		out, err := New().Text(context.Background(), inspect.Part{R: bytes.NewReader(b), Size: int64(len(b))}, 0)
		checkText(t, out, 0)
		if f[7] == "yes" {
			if !errors.Is(err, ErrTextEncrypted) {
				t.Errorf("%s is encrypted: got %q, %v", name, out, err)
			}
			t.Logf("%s: encrypted: %v", name, err)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ref, err := os.Open(filepath.Join("testdata", "libreoffice", name+".words"))
		if err != nil {
			t.Errorf("%s: no LibreOffice word list (run testdata/libreoffice/make-words.sh): %v", name, err)
			continue
		}
		ours := words(string(out))
		var lo, found int
		var missing []string
		sc := bufio.NewScanner(ref)
		for sc.Scan() {
			w := strings.TrimSpace(sc.Text())
			if w == "" {
				continue
			}
			lo++
			if ours[w] {
				found++
			} else {
				missing = append(missing, w)
			}
		}
		ref.Close()
		checked++
		cover := 1.0
		if lo > 0 {
			cover = float64(found) / float64(lo)
		}
		t.Logf("%s: %d of %d LibreOffice words (%.1f %%), %d words of ours; missing %q", name, found, lo, 100*cover, len(ours), missing)
		if cover < 0.95 {
			t.Errorf("%s: only %.1f %% of LibreOffice's words found; missing %q", name, 100*cover, missing)
		}
	}
	if checked == 0 {
		t.Fatal("no legacy Office files in the corpus manifest")
	}
}
