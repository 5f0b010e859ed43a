package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A configuration that still sets limits.max_message_nesting (merged into
// max_depth) is valid; check-config says that the key is ignored.
func TestCheckConfigWarnsDeprecatedKey(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "old.yml")
	if err := os.WriteFile(cfg, []byte("limits:\n  max_message_nesting: 50\npolicies:\n  - name: all\n    recipients: ['*']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "check-config", cfg)
	if code != exitOK || !strings.Contains(out, "valid;") ||
		!strings.Contains(out, "warning: limits.max_message_nesting is deprecated and ignored") {
		t.Errorf("check-config: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "check-config", contribConfig)
	if code != exitOK || strings.Contains(out, "deprecated") {
		t.Errorf("check-config of the example: %d\n%s", code, out)
	}
}
