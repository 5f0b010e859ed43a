package milter

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	gomilter "github.com/d--j/go-milter"
	"go.uber.org/zap"

	"github.com/officemilter/officemilter/inspect"
)

// ReleaseHeader marks a message released from the quarantine by
// `officemilter quarantine release`. Its value is
//
//	<quarantine id> <unix time> <HMAC-SHA256, hex>
//
// The HMAC, keyed with the site's release key (quarantine.release_key),
// covers the id, the time and the SHA-256 of the message body (everything
// after the header block, as the MTA hands it to the milter). The milter
// delivers a message carrying a valid signature unchanged, so the original
// reaches the recipient with the attachment the postmaster approved; it
// removes the header first.
//
// Trust model: whoever can read the release key can make any body pass
// unfiltered, so it is readable by officemilter only (like the quarantine
// itself). A signature binds one body: copying the header to another
// message does not help an attacker, and a released message sent again
// (the same approved body) passes again only until the signature is
// older than quarantine.release_valid. A forged or stale header is logged
// and the message filtered as usual.
const ReleaseHeader = "X-Officemilter-Release"

// minReleaseKey is the shortest release key accepted (256 bits).
const minReleaseKey = 32

// ReadReleaseKey reads the release key file: at least 32 bytes, readable by
// its owner only.
func ReadReleaseKey(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("quarantine.release_key %s: %v; create it: head -c 32 /dev/urandom > %s && chmod 600 %s", name, cause(err), name, name)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("quarantine.release_key %s is readable by others (mode %04o); fix: chown %s %s && chmod 600 %s", name, fi.Mode().Perm(), whoami(), name, name)
	}
	key, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("quarantine.release_key %s: %v; fix: chown %s %s && chmod 600 %s", name, cause(err), whoami(), name, name)
	}
	if len(key) < minReleaseKey {
		return nil, fmt.Errorf("quarantine.release_key %s holds %d bytes, want at least %d; create it: head -c 32 /dev/urandom > %s", name, len(key), minReleaseKey, name)
	}
	return key, nil
}

func releaseMAC(key []byte, id string, unix int64, body [sha256.Size]byte) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "officemilter-release\x00%s\x00%d\x00", id, unix)
	m.Write(body[:])
	return m.Sum(nil)
}

// SignRelease returns the ReleaseHeader value for a message body digest.
func SignRelease(key []byte, id string, at time.Time, body [sha256.Size]byte) string {
	unix := at.Unix()
	return fmt.Sprintf("%s %d %s", id, unix, hex.EncodeToString(releaseMAC(key, id, unix, body)))
}

// Errors of VerifyRelease.
var (
	ErrReleaseMalformed = errors.New("release header malformed")
	ErrReleaseForged    = errors.New("release signature does not match this message")
	ErrReleaseExpired   = errors.New("release signature expired")
)

// VerifyRelease checks a ReleaseHeader value against the body digest and
// returns the quarantine id it names.
func VerifyRelease(key []byte, value string, body [sha256.Size]byte, now time.Time, valid time.Duration) (string, error) {
	f := strings.Fields(value)
	if len(f) != 3 {
		return "", ErrReleaseMalformed
	}
	unix, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return "", ErrReleaseMalformed
	}
	mac, err := hex.DecodeString(f[2])
	if err != nil {
		return "", ErrReleaseMalformed
	}
	if !hmac.Equal(mac, releaseMAC(key, f[0], unix, body)) {
		return f[0], ErrReleaseForged
	}
	at := time.Unix(unix, 0)
	if now.Sub(at) > valid || at.Sub(now) > time.Hour {
		return f[0], fmt.Errorf("%w (signed %s)", ErrReleaseExpired, at.UTC().Format(time.RFC3339))
	}
	return f[0], nil
}

// BodyDigest is the SHA-256 of a message's body: the bytes after the first
// empty line (CRLF CRLF), or nothing when there is none.
func BodyDigest(r io.ReaderAt, size int64) ([sha256.Size]byte, error) {
	var zero [sha256.Size]byte
	sep := []byte("\r\n\r\n")
	buf := make([]byte, 64<<10)
	var off int64
	start := int64(-1)
	for off < size {
		n, err := r.ReadAt(buf, off)
		if n == 0 && err != nil {
			return zero, err
		}
		if i := bytes.Index(buf[:n], sep); i >= 0 {
			start = off + int64(i) + int64(len(sep))
			break
		}
		if off+int64(n) >= size || n < len(sep) {
			break
		}
		// Overlap so that a separator across two reads is found.
		off += int64(n - (len(sep) - 1))
	}
	h := sha256.New()
	if start >= 0 {
		if _, err := io.Copy(h, io.NewSectionReader(r, start, size-start)); err != nil {
			return zero, err
		}
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// released delivers a message that carries a valid release signature
// unchanged (the header removed, the status header saying "released"). It
// reports false when no signature is valid: the message is then filtered
// like any other.
func (s *Server) released(m gomilter.Modifier, values []string, sp *inspect.Spool, cfg *Config, log *zap.Logger) (bool, error) {
	if s.releaseKey == nil {
		log.Warn("release header ignored: no quarantine.release_key configured")
		return false, nil
	}
	sum, err := BodyDigest(sp, sp.Size())
	if err != nil {
		log.Warn("release header ignored", zap.Error(err))
		return false, nil
	}
	for _, v := range values {
		id, err := VerifyRelease(s.releaseKey, v, sum, time.Now(), time.Duration(cfg.Quarantine.ReleaseValid))
		if err != nil {
			log.Warn("release header ignored; the message is filtered", zap.String("release_id", id), zap.Error(err))
			continue
		}
		for i := len(values); i >= 1; i-- {
			if err := m.ChangeHeader(i, ReleaseHeader, ""); err != nil {
				return false, err
			}
		}
		if err := applyEdit(m, HeaderEdit{Name: cfg.Header, Value: "released; " + id}); err != nil {
			return false, err
		}
		log.Info("message released from quarantine; delivered unchanged", zap.String("release_id", id), zap.Int64("bytes", sp.Size()))
		return true, nil
	}
	return false, nil
}
