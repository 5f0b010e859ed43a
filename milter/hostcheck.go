package milter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"strings"
)

// CheckHost reports what on this host would keep the configuration from
// working: a spool or quarantine directory that is missing or not writable,
// S/MIME or release key files that cannot be used, a sendmail command that
// is not there. Each problem names the path and the fix. `serve` refuses to
// start on any of them; `check-config` prints them as warnings (the file
// may be checked on another machine than the one that runs it).
func (c *Config) CheckHost() []error {
	var errs []error
	spool, spoolKey := c.Spool.Dir, "spool.dir"
	if spool == "" {
		spool, spoolKey = os.TempDir(), "spool.dir (empty: $TMPDIR)"
	}
	if err := checkWritableDir(spoolKey, spool); err != nil {
		errs = append(errs, err)
	}
	if c.Quarantine.Dir != "" {
		if err := checkWritableDir("quarantine.dir", c.Quarantine.Dir); err != nil {
			errs = append(errs, err)
		}
	}
	// LoadKeys also keeps the keys it could read for the filter.
	errs = append(errs, c.LoadKeys()...)
	if c.Quarantine.ReleaseKey != "" {
		if _, err := ReadReleaseKey(c.Quarantine.ReleaseKey); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Notify.From != "" && c.Notify.SMTP == "" {
		if err := checkCommand("sendmail", c.Sendmail); err != nil {
			errs = append(errs, fmt.Errorf("%w; notifications are submitted through it (or set notify.smtp)", err))
		}
	}
	return errs
}

// whoami names the user the process runs as, for messages; as root (who
// can write anywhere) the user the README installs the daemon as.
func whoami() string {
	if os.Geteuid() == 0 {
		return "officemilter"
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Geteuid())
}

// checkWritableDir checks that dir exists, is a directory and that this
// process can create files in it (by creating one: permission bits, ACLs,
// read-only mounts and full inode tables all show up that way).
func checkWritableDir(key, dir string) error {
	fix := fmt.Sprintf("install -d -o %s -m 0700 %s", whoami(), dir)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s does not exist; create it: %s", key, dir, fix)
	case err != nil:
		return fmt.Errorf("%s %s: %v; fix: %s", key, dir, err, fix)
	case !fi.IsDir():
		return fmt.Errorf("%s %s is not a directory; remove it and create the directory: %s", key, dir, fix)
	}
	f, err := os.CreateTemp(dir, ".officemilter-check-*")
	if err != nil {
		return fmt.Errorf("%s %s is not writable by %s (%v); fix: chown %s %s && chmod 0700 %s",
			key, dir, whoami(), cause(err), whoami(), dir, dir)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// checkCommand checks that the first word of a command line is an
// executable file.
func checkCommand(key, cmdline string) error {
	argv := strings.Fields(cmdline)
	if len(argv) == 0 {
		return fmt.Errorf("%s: no command", key)
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return fmt.Errorf("%s command %s cannot be run (%v): install the MTA's sendmail command or set %s to its path", key, argv[0], cause(err), key)
	}
	return nil
}

// cause is the innermost error, without the path an *os.PathError repeats.
func cause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
