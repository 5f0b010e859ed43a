package milter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// Quarantine keeps originals of stripped and rejected messages so that
// nothing is lost: <dir>/<YYYY-MM-DD>/<queue-id>-<sha256 prefix>.eml with a
// .json sidecar describing envelope and verdict. Files are 0600, directories
// 0700.
type Quarantine struct {
	Dir string
	now func() time.Time

	mu   sync.Mutex
	made string // the day directory made last (MkdirAll once a day)
}

// NewQuarantine returns a quarantine in dir, creating it (0700) if needed.
func NewQuarantine(dir string) (*Quarantine, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	return &Quarantine{Dir: dir, now: time.Now}, nil
}

// QuarantineRecord is the JSON sidecar of a quarantined message.
type QuarantineRecord struct {
	QueueID  string    `json:"queue_id"`
	Time     time.Time `json:"time"`
	From     string    `json:"from"`
	Rcpts    []string  `json:"rcpts"`
	Client   string    `json:"client,omitempty"`
	Helo     string    `json:"helo,omitempty"`
	AuthUser string    `json:"auth_user,omitempty"`
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"`
	Verdict  Verdict   `json:"verdict"`
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Store writes the original message and its sidecar and returns the path of
// the message file. It writes to temporary names and renames, so a reader
// never sees half a file.
func (q *Quarantine) Store(res *Result, msg io.ReaderAt, size int64) (string, error) {
	now := q.now()
	day := filepath.Join(q.Dir, now.UTC().Format("2006-01-02"))
	tmp, err := q.create(day)
	if err != nil {
		return "", fmt.Errorf("quarantine: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), io.NewSectionReader(msg, 0, size)); err != nil {
		tmp.Close()
		return "", fmt.Errorf("quarantine: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("quarantine: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("quarantine: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	id := unsafeName.ReplaceAllString(res.Envelope.QueueID, "_")
	if id == "" {
		id = "noqueueid-" + now.UTC().Format("150405.000000000")
	}
	base := filepath.Join(day, id+"-"+sum[:16])
	rec := QuarantineRecord{
		QueueID: res.Envelope.QueueID, Time: now.UTC(), From: res.Envelope.From, Rcpts: res.Envelope.Rcpts,
		Client: res.Envelope.Client, Helo: res.Envelope.Helo, AuthUser: res.Envelope.AuthUser,
		Size: size, SHA256: sum, Verdict: res.Verdict,
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", fmt.Errorf("quarantine: %w", err)
	}
	if err := writeFileAtomic(base+".json", append(js, '\n')); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), base+".eml"); err != nil {
		return "", fmt.Errorf("quarantine: %w", err)
	}
	renamed = true
	return base + ".eml", nil
}

// create opens a new temporary file in the day directory day, making the
// directory first when it is a new day or has gone (purged meanwhile).
func (q *Quarantine) create(day string) (*os.File, error) {
	q.mu.Lock()
	made := q.made == day
	q.mu.Unlock()
	if made {
		f, err := os.CreateTemp(day, ".incoming-*")
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
	}
	if err := os.MkdirAll(day, 0o700); err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.made = day
	q.mu.Unlock()
	return os.CreateTemp(day, ".incoming-*")
}

func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".incoming-*")
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("quarantine: %w", err)
	}
	return nil
}
