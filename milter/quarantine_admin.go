package milter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/officemilter/officemilter/notify"
)

// The administration of a quarantine: list, find, delete and purge what
// Store wrote. `officemilter quarantine` is the command line for it.

// ErrNotQuarantined: no message in the quarantine has the id.
var ErrNotQuarantined = errors.New("not in the quarantine")

// QuarantineEntry is one quarantined message: its id (the file name without
// .eml: <queue-id>-<sha256 prefix>), the message file and its sidecar.
type QuarantineEntry struct {
	ID     string
	Path   string // the .eml file
	Record QuarantineRecord
}

// OpenQuarantine opens an existing quarantine (it is not created).
func OpenQuarantine(dir string) (*Quarantine, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("quarantine %s: %w", dir, cause(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("quarantine %s is not a directory", dir)
	}
	return &Quarantine{Dir: dir, now: time.Now}, nil
}

// List returns every quarantined message, oldest first. A message file
// whose sidecar is missing or unreadable is listed with what its file
// tells (time from the file, no envelope) so that nothing stays hidden.
func (q *Quarantine) List() ([]QuarantineEntry, error) {
	return q.entries(func(string) bool { return true })
}

// entries returns the messages whose id keep accepts, oldest first; only
// their sidecars are read.
func (q *Quarantine) entries(keep func(id string) bool) ([]QuarantineEntry, error) {
	days, err := os.ReadDir(q.Dir)
	if err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	var out []QuarantineEntry
	for _, d := range days {
		if !d.IsDir() {
			continue
		}
		msgs, err := filepath.Glob(filepath.Join(q.Dir, d.Name(), "*.eml"))
		if err != nil {
			return nil, fmt.Errorf("quarantine: %w", err)
		}
		for _, m := range msgs {
			if keep(strings.TrimSuffix(filepath.Base(m), ".eml")) {
				out = append(out, q.entry(m))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Record.Time.Equal(out[j].Record.Time) {
			return out[i].Record.Time.Before(out[j].Record.Time)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (q *Quarantine) entry(eml string) QuarantineEntry {
	e := QuarantineEntry{ID: strings.TrimSuffix(filepath.Base(eml), ".eml"), Path: eml}
	js, err := os.ReadFile(strings.TrimSuffix(eml, ".eml") + ".json")
	if err == nil {
		err = json.Unmarshal(js, &e.Record)
	}
	if err != nil || e.Record.Time.IsZero() {
		if fi, serr := os.Stat(eml); serr == nil {
			e.Record.Time = fi.ModTime().UTC()
			e.Record.Size = fi.Size()
		}
	}
	return e
}

// Find returns the message with the id, or the one message whose id starts
// with it (a queue ID is enough while it is unique).
func (q *Quarantine) Find(id string) (QuarantineEntry, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
		return QuarantineEntry{}, fmt.Errorf("%q: %w", id, ErrNotQuarantined)
	}
	// Only the sidecars of the ids that match are read, not the whole
	// quarantine's.
	found, err := q.entries(func(e string) bool { return strings.HasPrefix(e, id) })
	if err != nil {
		return QuarantineEntry{}, err
	}
	for _, e := range found {
		if e.ID == id {
			return e, nil
		}
	}
	switch len(found) {
	case 0:
		return QuarantineEntry{}, fmt.Errorf("%s: %w (see: officemilter quarantine list)", id, ErrNotQuarantined)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, e := range found {
		ids[i] = e.ID
	}
	return QuarantineEntry{}, fmt.Errorf("%s matches %d messages (%s): give the whole id", id, len(found), strings.Join(ids, ", "))
}

// Delete removes a message and its sidecar (and its day directory when it
// is empty then).
func (q *Quarantine) Delete(e QuarantineEntry) error {
	if err := os.Remove(e.Path); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	if err := os.Remove(strings.TrimSuffix(e.Path, ".eml") + ".json"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("quarantine: %w", err)
	}
	_ = os.Remove(filepath.Dir(e.Path)) // only succeeds when empty
	return nil
}

// Purge deletes every message quarantined before cutoff and returns them.
func (q *Quarantine) Purge(cutoff time.Time) ([]QuarantineEntry, error) {
	all, err := q.List()
	if err != nil {
		return nil, err
	}
	var done []QuarantineEntry
	for _, e := range all {
		if !e.Record.Time.Before(cutoff) {
			continue
		}
		if err := q.Delete(e); err != nil {
			return done, err
		}
		done = append(done, e)
	}
	return done, nil
}

// Release submits the quarantined original through the sendmail command
// (argv), from its original envelope sender to rcpts (its original
// recipients when empty), unchanged but for a ReleaseHeader on top signed
// with key, so that the milter delivers it as it is.
func (q *Quarantine) Release(ctx context.Context, e QuarantineEntry, key []byte, argv, rcpts []string) error {
	if len(rcpts) == 0 {
		rcpts = e.Record.Rcpts
	}
	if len(rcpts) == 0 {
		return errors.New("no recipients: the sidecar names none; give --to ADDR")
	}
	to := make([]string, len(rcpts))
	for i, r := range rcpts {
		to[i] = strings.Trim(r, "<>")
	}
	f, err := os.Open(e.Path)
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	sum, err := BodyDigest(f, fi.Size())
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	hdr := ReleaseHeader + ": " + SignRelease(key, e.ID, q.now(), sum) + "\r\n"
	msg := io.MultiReader(strings.NewReader(hdr), io.NewSectionReader(f, 0, fi.Size()))
	return notify.Sendmail(ctx, argv, strings.Trim(e.Record.From, "<>"), to, msg)
}
