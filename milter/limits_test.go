package milter

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
)

// The embedded default (check-config --print-default) names every limit
// with its real default value: what it prints is what applies.
func TestDefaultConfigShowsEveryLimit(t *testing.T) {
	var raw struct {
		Limits map[string]any `yaml:"limits"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(DefaultConfigYAML())).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(LimitsConfig{})
	// max_message_nesting is deprecated (ignored): not in the default.
	const deprecated = 1
	for i := 0; i < typ.NumField(); i++ {
		key := typ.Field(i).Tag.Get("yaml")
		if _, ok := raw.Limits[key]; !ok && key != "max_message_nesting" {
			t.Errorf("default.yml lacks limits.%s", key)
		}
	}
	if len(raw.Limits) != typ.NumField()-deprecated {
		t.Errorf("default.yml has %d limits, LimitsConfig %d (%d deprecated)", len(raw.Limits), typ.NumField(), deprecated)
	}
	def := DefaultConfig()
	want := inspect.DefaultLimits
	want.MaxTime = 60 * time.Second
	if got := def.InspectLimits(); got != want {
		t.Errorf("default.yml limits\n%+v\nwant inspect.DefaultLimits\n%+v", got, want)
	}
	// Every field of inspect.Limits is in the configuration, but for
	// MaxTime (timeout) and TempDir (spool.dir).
	if n := reflect.TypeOf(inspect.Limits{}).NumField(); n != typ.NumField()-deprecated+2 {
		t.Errorf("inspect.Limits has %d fields, LimitsConfig %d (-deprecated, +timeout, spool.dir)", n, typ.NumField())
	}
}

// The message parser's limits reach the message itself (Filter) and,
// through the engine, every attached message.
func TestMessageLimitsConfigured(t *testing.T) {
	c, err := ParseConfig(strings.NewReader("limits:\n  max_depth: 3\n  max_message_parts: 7\n  max_header_size: 2KiB\n  max_header_fields: 9\npolicies:\n  - name: all\n    recipients: ['*']\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := c.MessageLimits()
	if got.MaxDepth != 3 || got.MaxParts != 7 || got.MaxHeaderBytes != 2048 || got.MaxHeaderFields != 9 || got.MemSpool != int64(c.Spool.Memory) {
		t.Errorf("message limits %+v", got)
	}
	l := c.InspectLimits()
	if m := mime.LimitsOf(l); m.MaxDepth != 3 || m.MaxParts != 7 {
		t.Errorf("engine's message limits %+v", m)
	}
	// Nested four deep: over max_depth 3, a finding on the message
	// itself.
	msg := "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: multipart/mixed; boundary=d\n\n--d\n\nx\n--d--\n--c--\n--b--\n--a--\n"
	f := NewFilter(c, nil)
	if _, err := mime.Parse(strings.NewReader(msg), int64(len(msg)), f.mlim); err == nil || !strings.Contains(err.Error(), "limit depth=3") {
		t.Errorf("parse under the configured nesting: %v", err)
	}
}
