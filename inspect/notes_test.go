package inspect_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/inspecttest"
)

// TestEngineNotes: a note of a member carries the member's path, like a
// finding; a note is recorded once; notes are no findings.
func TestEngineNotes(t *testing.T) {
	ins := map[inspect.Family]inspect.Inspector{
		inspect.FamilyZip: lineArchive(),
		inspect.FamilyPE: fakeInspector(func(_ context.Context, _ inspect.Part, s inspect.Scope) error {
			for range 2 {
				inspect.AddNote(s, inspect.Note{Kind: inspect.NoteSigned, Detail: "Authenticode signature"})
			}
			return nil
		}),
	}
	r := run(t, ins, inspect.Limits{}, "a.zip", archive("docs/setup.exe=MZ....", "readme.txt=hello"))
	want := []inspect.Note{{Kind: inspect.NoteSigned, Where: "docs/setup.exe", Detail: "Authenticode signature"}}
	if len(r.Notes) != 1 || r.Notes[0] != want[0] {
		t.Errorf("notes %+v, want %+v", r.Notes, want)
	}
	if len(r.Findings) != 0 {
		t.Errorf("findings %+v, want none", r.Findings)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"notes":[{"kind":"signed","where":"docs/setup.exe","detail":"Authenticode signature"}]`) {
		t.Errorf("JSON %s", b)
	}
	// Without notes the JSON is what it was.
	r = run(t, ins, inspect.Limits{}, "a.zip", archive("readme.txt=hello"))
	if b, _ := json.Marshal(r); strings.Contains(string(b), "notes") || r.Notes != nil {
		t.Errorf("JSON %s", b)
	}
}

// TestAddNoteOtherScopes: scopes that keep no notes ignore them.
func TestAddNoteOtherScopes(t *testing.T) {
	rec := &inspecttest.Recorder{}
	inspect.AddNote(rec, inspect.Note{Kind: inspect.NoteSigned, Detail: "x"})
}
