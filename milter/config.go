package milter

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
)

// ByteSize is a size in bytes written as 25MB, 25MiB, 512KiB or 1048576.
// KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024.
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// ParseByteSize parses "25MB", "25 MiB", "1024".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (KB, MB, GB, KiB, MiB, GiB)", s)
	}
	return ByteSize(f * float64(mult)), nil
}

func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// String formats b the way a person reads it (25 MB, 4 MiB, 100 bytes).
func (b ByteSize) String() string {
	switch {
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	case b >= 1000*1000 && b%(1000*1000) == 0:
		return fmt.Sprintf("%d MB", b/(1000*1000))
	case b >= 1000*1000:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	case b >= 1<<10 && b%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%d bytes", int64(b))
}

// Duration is a time.Duration written as "30s", "2m".
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: duration %q: want e.g. 30s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Config is the whole configuration file. The zero value of every field is
// the safe default (see Defaults).
type Config struct {
	// Listen is the milter socket as Postfix writes it:
	// inet:127.0.0.1:7357 or unix:/run/officemilter/milter.sock.
	Listen string `yaml:"listen"`
	// Log chooses level (debug, info, warn, error) and format (json, console).
	Log LogConfig `yaml:"log"`
	// Metrics is a host:port for a Prometheus /metrics endpoint; empty: off.
	Metrics string `yaml:"metrics"`
	// OnError is the answer when officemilter itself fails (spool error,
	// internal error, timeout): tempfail (default) or accept.
	OnError Action `yaml:"on_error"`
	// Timeout is the wall time for inspecting one message (default 60s);
	// progress replies keep the MTA waiting meanwhile.
	Timeout Duration `yaml:"timeout"`
	// Spool holds each message while it is inspected.
	Spool SpoolConfig `yaml:"spool"`
	// Limits bound the inspection of one attachment; hitting one is an
	// unscannable finding.
	Limits LimitsConfig `yaml:"limits"`
	// Quarantine keeps the original of messages that are stripped or
	// rejected.
	Quarantine QuarantineConfig `yaml:"quarantine"`
	// Notify sends notification mails about stripped attachments.
	Notify NotifyConfig `yaml:"notify"`
	// Sendmail is the local MTA's sendmail command, with arguments if
	// needed (default /usr/sbin/sendmail); notifications and quarantine
	// releases are submitted through it.
	Sendmail string `yaml:"sendmail"`
	// Header is the name of the header that records what officemilter did
	// (default X-Officemilter).
	Header string `yaml:"header"`
	// SMIME holds the organisation's keys that decrypt S/MIME mail
	// addressed to it, so that the inner message is inspected.
	SMIME SMIMEConfig `yaml:"smime"`
	// Mode monitor makes every policy a monitor-mode policy (see
	// Policy.Mode), whatever the policy says; enforce (default) leaves the
	// choice to each policy.
	Mode Mode `yaml:"mode"`
	// Policies are matched in order on each recipient; the first match
	// applies.
	Policies []Policy `yaml:"policies"`

	// smimeKeys are the keys of SMIME, loaded by Validate.
	smimeKeys []mime.Key
}

// SMIMEConfig lists decryption keys. A message encrypted to one of them is
// decrypted and its inner message inspected like any other; without a
// matching key it stays an encrypted finding (smime-enveloped).
type SMIMEConfig struct {
	Keys []SMIMEKey `yaml:"keys"`
}

// SMIMEKey is one certificate and its private key, PEM files (the key file
// may hold both). The key file must be readable by officemilter only
// (chmod 600): check-config and serve refuse it otherwise.
type SMIMEKey struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// LogConfig chooses how officemilter logs.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // json (default) or console
}

// SpoolConfig bounds the body spool.
type SpoolConfig struct {
	// Dir holds spool files (default: $TMPDIR).
	Dir string `yaml:"dir"`
	// Memory is how much of one message is held in memory before it moves
	// to a 0600 temporary file (default 4 MiB).
	Memory ByteSize `yaml:"memory"`
	// MemoryTotal bounds what all messages and attachments being checked
	// hold in memory together (default 16 MiB): past it, content goes to
	// temporary files at once, so that many large messages arriving
	// together cost disk, not memory.
	MemoryTotal ByteSize `yaml:"memory_total"`
	// MaxMessage is the hard cap for one message (default 64 MiB); a larger
	// message is rejected with 552 5.3.4, never truncated.
	MaxMessage ByteSize `yaml:"max_message"`
}

// LimitsConfig is the `limits:` section: every field of inspect.Limits
// (see there for what each bounds), for the attachments and for the
// message itself, whose parse takes the message parser's fields. Zero
// fields take inspect.DefaultLimits; MaxTime is the global timeout and the
// spool directory is spool.dir.
type LimitsConfig struct {
	MaxDepth          int      `yaml:"max_depth"`
	MaxParts          int      `yaml:"max_parts"`
	MaxPartSize       ByteSize `yaml:"max_part_size"`
	MaxTotalSize      ByteSize `yaml:"max_total_size"`
	MaxRatio          int64    `yaml:"max_ratio"`
	MaxPDFObjects     int      `yaml:"max_pdf_objects"`
	MaxOLESectors     int      `yaml:"max_ole_sectors"`
	MaxKeyDerivations int      `yaml:"max_key_derivations"`
	MaxFindings       int      `yaml:"max_findings"`
	TimeoutGrace      Duration `yaml:"timeout_grace"`
	MemSpool          ByteSize `yaml:"mem_spool"`
	MemBudget         ByteSize `yaml:"mem_budget"`
	MaxMessageParts   int      `yaml:"max_message_parts"`
	MaxHeaderBytes    ByteSize `yaml:"max_header_size"`
	MaxHeaderFields   int      `yaml:"max_header_fields"`

	// MaxMessageNesting is deprecated and ignored: max_depth counts
	// multipart and message nesting too. A file that sets it still loads;
	// Deprecations names it.
	MaxMessageNesting int `yaml:"max_message_nesting"`
}

// QuarantineConfig says where originals are kept.
type QuarantineConfig struct {
	// Dir is the quarantine directory; empty disables quarantine.
	Dir string `yaml:"dir"`
	// Actions whose originals are kept (default: strip and reject).
	Actions []Action `yaml:"actions"`
	// ReleaseKey is a file holding a secret of at least 32 bytes (readable
	// by officemilter only) that signs released messages: `officemilter
	// quarantine release` adds a header with an HMAC of the message body,
	// and the milter delivers a message carrying a valid one unchanged.
	// Empty: release is not possible.
	ReleaseKey string `yaml:"release_key"`
	// ReleaseValid is how long a release signature is honoured (default
	// 120h, Postfix's maximal_queue_lifetime: the MTA may hold a released
	// message in its queue that long).
	ReleaseValid Duration `yaml:"release_valid"`
}

// NotifyConfig sends notification mails about stripped attachments to the
// sender. The recipient is always told by the notice part in the message.
type NotifyConfig struct {
	// From is the header sender of notifications (e.g.
	// postmaster@example.org); the envelope sender is always the null
	// sender. Empty disables sender notifications.
	From string `yaml:"from"`
	// SMTP, when set, is the host:port notifications are submitted to over
	// SMTP instead of the sendmail command; a notification the server does
	// not take then is lost (logged and counted). Empty (default): the
	// local MTA's sendmail command, which queues and retries.
	SMTP string `yaml:"smtp"`
}

// Policy is one ordered rule of the configuration.
type Policy struct {
	// Name appears in replies, notices, headers and logs.
	Name string `yaml:"name"`
	// Recipients this policy applies to: an address (strict@example.org),
	// a domain (@example.org) or a pattern (*@lists.example.org, *).
	// Empty: every recipient (then another selector must be given).
	Recipients []string `yaml:"recipients"`
	// Senders, when set, limits the policy to these envelope senders
	// (patterns as for Recipients; "<>" is the null sender).
	Senders []string `yaml:"senders"`
	// Authenticated, when set, limits the policy to mail whose client
	// logged in to the MTA (true: SMTP AUTH, the {auth_authen} macro) or
	// did not (false: e.g. inbound mail from other servers).
	Authenticated *bool `yaml:"authenticated"`
	// Clients, when set, limits the policy to clients connecting from these
	// networks or addresses (192.0.2.0/24, 2001:db8::/32, 198.51.100.7).
	Clients []string `yaml:"clients"`
	// Mode is enforce (default) or monitor: decide, log and write the
	// status header ("monitor: would strip; ..."), but deliver the message
	// unchanged.
	Mode Mode `yaml:"mode"`
	// AllowTypes, when set, lists the only attachment types accepted (by
	// content: pdf, doc, docx, odt, txt ...); any other type is a
	// disallowed-type finding.
	AllowTypes []string `yaml:"allow_types"`
	// MaxAttachments caps the decoded size of all attachments together; over
	// it is a too-large finding.
	MaxAttachments ByteSize `yaml:"max_attachments_size"`
	// Actions maps finding kinds to what happens; kinds not listed are
	// accepted (and recorded).
	Actions map[inspect.Kind]Action `yaml:"actions"`
	// OnSigned is what to do when stripping would break an S/MIME, PGP/MIME
	// or DKIM signature: strip (default; the notice says so) or reject.
	OnSigned Action `yaml:"on_signed"`
	// Languages of the notice part and notification mails, in order
	// (de, en; default both).
	Languages []string `yaml:"languages"`
	// NotifySender: never (default), authenticated (only senders who
	// authenticated to the MTA: no backscatter) or always.
	NotifySender NotifyMode `yaml:"notify_sender"`
	// Advice overrides, per finding kind, the sentence that tells the
	// sender what to send instead (in replies and notices).
	Advice map[inspect.Kind]string `yaml:"advice"`
	// EncryptedStrip is what a strip does to an S/MIME message that was
	// decrypted with one of the smime keys: reject (default; the reply names
	// the attachment) or decrypt (deliver the decrypted message with the
	// attachment removed and the notice, for sites whose gateway decrypts
	// anyway). Re-encrypting is not possible without the sender's key.
	EncryptedStrip EncryptedStrip `yaml:"encrypted_strip"`
	// AmbiguousStrip is what a strip does to a message that mail programs
	// read in more than one way (an ambiguous finding): rebuild (default: a
	// new message made only of the parts that were inspected and kept, so
	// that no reading can show a removed part), reject or tempfail.
	AmbiguousStrip AmbiguousStrip `yaml:"ambiguous_strip"`
	// LegacyText, when true, puts in place of each Word, Excel or
	// PowerPoint 97-2003 attachment a strip removes a plain-text attachment
	// with the document's text ("Antrag.doc" → "Antrag.doc.txt", UTF-8),
	// and the notice says so (or why there is none: encrypted). Off by
	// default: the published rule delivers only the mail text.
	LegacyText bool `yaml:"legacy_text"`
	// LegacyTextMax caps each such text (default 1MiB, at most 16MiB); a
	// longer one ends with a "[truncated]" line.
	LegacyTextMax ByteSize `yaml:"legacy_text_max"`
}

// NotifyMode says which senders are told by mail about removed attachments.
type NotifyMode string

const (
	// NotifyNever tells no sender (the recipient reads the notice).
	NotifyNever NotifyMode = "never"
	// NotifyAuthenticated tells only senders who logged in to the MTA:
	// forged senders of inbound mail get nothing (no backscatter).
	NotifyAuthenticated NotifyMode = "authenticated"
	// NotifyAlways tells every sender but the null sender.
	NotifyAlways NotifyMode = "always"
)

// EncryptedStrip says how a strip applies to a decrypted S/MIME message.
type EncryptedStrip string

const (
	// EncryptedReject refuses the message (550 5.7.1 naming the file).
	EncryptedReject EncryptedStrip = "reject"
	// EncryptedDecrypt delivers the decrypted message, stripped.
	EncryptedDecrypt EncryptedStrip = "decrypt"
)

// AmbiguousStrip says how a strip applies to an ambiguous message.
type AmbiguousStrip string

const (
	// AmbiguousRebuild delivers a new message built from the inspected
	// parts that the policy keeps (every reading's parts, each once).
	AmbiguousRebuild AmbiguousStrip = "rebuild"
	// AmbiguousReject refuses the message (550 5.7.1).
	AmbiguousReject AmbiguousStrip = "reject"
	// AmbiguousTempfail answers 451 4.7.1.
	AmbiguousTempfail AmbiguousStrip = "tempfail"
)

//go:embed default.yml
var defaultConfigYAML []byte

// DefaultConfig returns the embedded default configuration: legacy Office
// attachments (Word, Excel, PowerPoint 97-2003) are stripped for every
// recipient.
func DefaultConfig() *Config {
	c, err := ParseConfig(bytes.NewReader(defaultConfigYAML))
	if err != nil {
		panic("embedded default configuration: " + err.Error()) // a build defect, caught by tests
	}
	return c
}

// DefaultConfigYAML returns the text of the embedded default configuration.
func DefaultConfigYAML() []byte { return append([]byte(nil), defaultConfigYAML...) }

// LoadConfig reads and validates a configuration file.
func LoadConfig(name string) (*Config, error) {
	return loadConfig(name, true)
}

// LoadConfigSettings reads and validates a configuration file like
// LoadConfig, but does not load the key files it names: check-config
// reports those, like the directories, as problems of the host (CheckHost).
func LoadConfigSettings(name string) (*Config, error) {
	return loadConfig(name, false)
}

func loadConfig(name string, keys bool) (*Config, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := parseConfig(f, keys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration strictly (unknown keys are errors
// with their line number), fills defaults and validates it.
func ParseConfig(r io.Reader) (*Config, error) {
	return parseConfig(r, true)
}

func parseConfig(r io.Reader, keys bool) (*Config, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty configuration")
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("more than one YAML document")
	}
	c.fillDefaults()
	validate := c.ValidateSettings
	if keys {
		validate = c.Validate
	}
	if err := validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) fillDefaults() {
	if c.Listen == "" {
		c.Listen = "inet:127.0.0.1:7357"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	if c.OnError == "" {
		c.OnError = Tempfail
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(60 * time.Second)
	}
	if c.Spool.Memory == 0 {
		c.Spool.Memory = 4 << 20
	}
	if c.Spool.MemoryTotal == 0 {
		c.Spool.MemoryTotal = 16 << 20
	}
	if c.Spool.MaxMessage == 0 {
		c.Spool.MaxMessage = 64 << 20
	}
	if c.Quarantine.Actions == nil {
		c.Quarantine.Actions = []Action{Strip, Reject}
	}
	if c.Header == "" {
		c.Header = "X-Officemilter"
	}
	if strings.TrimSpace(c.Sendmail) == "" {
		c.Sendmail = "/usr/sbin/sendmail"
	}
	if c.Quarantine.ReleaseValid == 0 {
		c.Quarantine.ReleaseValid = Duration(120 * time.Hour)
	}
	if c.Mode == "" {
		c.Mode = Enforce
	}
	for i := range c.Policies {
		p := &c.Policies[i]
		if p.OnSigned == "" {
			p.OnSigned = Strip
		}
		if len(p.Languages) == 0 {
			p.Languages = []string{"de", "en"}
		}
		if p.NotifySender == "" {
			p.NotifySender = NotifyNever
		}
		if p.Mode == "" {
			p.Mode = Enforce
		}
		if p.AmbiguousStrip == "" {
			p.AmbiguousStrip = AmbiguousRebuild
		}
		if p.EncryptedStrip == "" {
			p.EncryptedStrip = EncryptedReject
		}
	}
}

// Validate reports the first problem of c in words a sysadmin can act on,
// and loads the S/MIME keys it names.
func (c *Config) Validate() error {
	if err := c.ValidateSettings(); err != nil {
		return err
	}
	if errs := c.LoadKeys(); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// LoadKeys reads the S/MIME keys; it returns one error per key that cannot
// be used (unreadable, readable by others, malformed).
func (c *Config) LoadKeys() []error {
	c.smimeKeys = nil
	var errs []error
	for i, k := range c.SMIME.Keys {
		key, err := mime.LoadKey(k.Cert, k.Key)
		if err != nil {
			// The library's name means nothing to a sysadmin.
			errs = append(errs, fmt.Errorf("smime.keys[%d]: %s", i, strings.ReplaceAll(err.Error(), "cmsdecrypt: ", "")))
			continue
		}
		c.smimeKeys = append(c.smimeKeys, key)
	}
	return errs
}

// ValidateSettings checks the configuration itself, without touching the
// files and directories it names (see LoadKeys and CheckHost).
func (c *Config) ValidateSettings() error {
	if _, _, err := ParseListen(c.Listen); err != nil {
		return err
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		return fmt.Errorf("log.format %q: want json or console", c.Log.Format)
	}
	if c.OnError != Tempfail && c.OnError != Accept {
		return fmt.Errorf("on_error %q: want tempfail or accept", c.OnError)
	}
	if c.Spool.Memory > c.Spool.MaxMessage {
		return fmt.Errorf("spool.memory (%s) is larger than spool.max_message (%s)", c.Spool.Memory, c.Spool.MaxMessage)
	}
	if !validHeaderName(c.Header) {
		return fmt.Errorf("header %q is not a valid header field name", c.Header)
	}
	if c.Notify.From != "" || c.Notify.SMTP != "" {
		if a, err := mail.ParseAddress(c.Notify.From); err != nil || !strings.Contains(a.Address, "@") {
			why := "want an address like postmaster@example.org"
			if err != nil {
				why = err.Error()
			}
			return fmt.Errorf("notify.from %q: %s (notifications are sent from it)", c.Notify.From, why)
		}
	}
	if c.Notify.SMTP != "" {
		if _, _, err := net.SplitHostPort(c.Notify.SMTP); err != nil {
			return fmt.Errorf("notify.smtp %q: want host:port, e.g. 127.0.0.1:25", c.Notify.SMTP)
		}
	}
	for i, k := range c.SMIME.Keys {
		if k.Cert == "" || k.Key == "" {
			return fmt.Errorf("smime.keys[%d]: both cert and key are needed", i)
		}
	}
	if c.Mode != Enforce && c.Mode != Monitor {
		return fmt.Errorf("mode %q: want enforce or monitor", c.Mode)
	}
	if len(c.Policies) == 0 {
		return errors.New("no policies: add at least one (recipients: [\"*\"] matches everybody)")
	}
	names := map[string]bool{}
	for i := range c.Policies {
		p := &c.Policies[i]
		if p.Name == "" {
			return fmt.Errorf("policy %d has no name", i+1)
		}
		if names[p.Name] {
			return fmt.Errorf("policy name %q used twice", p.Name)
		}
		names[p.Name] = true
		if err := p.validateSelectors(); err != nil {
			return err
		}
		for _, t := range p.AllowTypes {
			if !inspect.ValidType(t) {
				return fmt.Errorf("policy %q: allow_types: unknown type %q (known: %s)", p.Name, t, strings.Join(inspect.TypeNames, " "))
			}
		}
		for k := range p.Actions {
			if !inspect.ValidKind(k) {
				return fmt.Errorf("policy %q: actions: unknown finding kind %q", p.Name, k)
			}
		}
		for k := range p.Advice {
			if !inspect.ValidKind(k) {
				return fmt.Errorf("policy %q: advice: unknown finding kind %q", p.Name, k)
			}
		}
		if p.Mode != Enforce && p.Mode != Monitor {
			return fmt.Errorf("policy %q: mode %q: want enforce or monitor", p.Name, p.Mode)
		}
		switch p.EncryptedStrip {
		case EncryptedReject, EncryptedDecrypt:
		default:
			return fmt.Errorf("policy %q: encrypted_strip %q: want reject or decrypt", p.Name, p.EncryptedStrip)
		}
		if err := validLegacyText(p); err != nil {
			return err
		}
		switch p.AmbiguousStrip {
		case AmbiguousRebuild, AmbiguousReject, AmbiguousTempfail:
		default:
			return fmt.Errorf("policy %q: ambiguous_strip %q: want rebuild, reject or tempfail", p.Name, p.AmbiguousStrip)
		}
		if p.OnSigned != Strip && p.OnSigned != Reject {
			return fmt.Errorf("policy %q: on_signed %q: want strip or reject", p.Name, p.OnSigned)
		}
		for _, l := range p.Languages {
			if l != "de" && l != "en" {
				return fmt.Errorf("policy %q: language %q: want de or en", p.Name, l)
			}
		}
		switch p.NotifySender {
		case NotifyNever, NotifyAuthenticated, NotifyAlways:
		default:
			return fmt.Errorf("policy %q: notify_sender %q: want never, authenticated or always", p.Name, p.NotifySender)
		}
	}
	return nil
}

// Deprecations names the keys the configuration sets that still load but
// no longer apply, each with what replaced it. check-config prints them as
// warnings and serve logs them; neither refuses the file for them.
func (c *Config) Deprecations() []string {
	var out []string
	if c.Limits.MaxMessageNesting != 0 {
		out = append(out, "limits.max_message_nesting is deprecated and ignored: limits.max_depth counts multipart and message nesting from the message root together with containers")
	}
	return out
}

// InspectLimits converts the configured limits (zero fields: defaults).
func (c *Config) InspectLimits() inspect.Limits {
	l := c.Limits
	return inspect.Limits{
		MaxDepth:          l.MaxDepth,
		MaxParts:          l.MaxParts,
		MaxPartSize:       int64(l.MaxPartSize),
		MaxTotalSize:      int64(l.MaxTotalSize),
		MaxRatio:          l.MaxRatio,
		MaxPDFObjects:     l.MaxPDFObjects,
		MaxOLESectors:     l.MaxOLESectors,
		MaxKeyDerivations: l.MaxKeyDerivations,
		MaxFindings:       l.MaxFindings,
		MaxTime:           time.Duration(c.Timeout),
		TimeoutGrace:      time.Duration(l.TimeoutGrace),
		MemSpool:          int64(l.MemSpool),
		MemBudget:         int64(l.MemBudget),
		MaxMessageParts:   l.MaxMessageParts,
		MaxHeaderBytes:    int64(l.MaxHeaderBytes),
		MaxHeaderFields:   l.MaxHeaderFields,
		TempDir:           c.Spool.Dir,
	}.WithDefaults()
}

// MessageLimits are the limits of the parse and walk of the message
// itself: the message parser's part of InspectLimits, with the message
// spool's memory and the S/MIME keys.
func (c *Config) MessageLimits() mime.Limits {
	l := mime.LimitsOf(c.InspectLimits())
	l.MemSpool = int64(c.Spool.Memory)
	l.Keys = c.smimeKeys
	return l
}

// ParseListen splits a Postfix-style milter address: inet:HOST:PORT,
// unix:/path (also local:/path), or a bare HOST:PORT.
func ParseListen(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "inet:"):
		network, address = "tcp", strings.TrimPrefix(s, "inet:")
	case strings.HasPrefix(s, "inet6:"):
		network, address = "tcp6", strings.TrimPrefix(s, "inet6:")
	case strings.HasPrefix(s, "unix:"), strings.HasPrefix(s, "local:"):
		network, address = "unix", s[strings.IndexByte(s, ':')+1:]
		if !strings.HasPrefix(address, "/") {
			return "", "", fmt.Errorf("listen %q: a unix socket needs an absolute path", s)
		}
		return network, address, nil
	default:
		network, address = "tcp", s
	}
	if i := strings.LastIndexByte(address, ':'); i < 0 || address[i+1:] == "" {
		return "", "", fmt.Errorf("listen %q: want inet:HOST:PORT or unix:/path", s)
	}
	return network, address, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == ':' {
			return false
		}
	}
	return true
}

// validateSelectors checks what a policy matches on: at least one
// condition, valid address patterns and networks.
func (p *Policy) validateSelectors() error {
	if len(p.Recipients) == 0 && len(p.Senders) == 0 && p.Authenticated == nil && len(p.Clients) == 0 {
		return fmt.Errorf("policy %q matches no recipients (recipients: [\"*\"] matches everybody)", p.Name)
	}
	for _, field := range []struct {
		name     string
		patterns []string
	}{{"recipient", p.Recipients}, {"sender", p.Senders}} {
		for _, r := range field.patterns {
			if field.name == "sender" && strings.TrimSpace(r) == "<>" {
				continue
			}
			if _, err := path.Match(strings.ToLower(r), "x@example.org"); err != nil || strings.TrimSpace(r) == "" {
				return fmt.Errorf("policy %q: %s pattern %q is not valid", p.Name, field.name, r)
			}
		}
	}
	for _, n := range p.Clients {
		if _, err := parseNetwork(n); err != nil {
			return fmt.Errorf("policy %q: clients: %q is not an IP address or a network like 192.0.2.0/24", p.Name, n)
		}
	}
	return nil
}
