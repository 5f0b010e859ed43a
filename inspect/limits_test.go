package inspect_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// The words of the limits are what findings' Details and the golden files
// carry: they must not change when the constants are reordered.
func TestLimitWords(t *testing.T) {
	words := map[inspect.Limit]string{
		inspect.LimitDepth: "depth", inspect.LimitParts: "parts",
		inspect.LimitPartSize: "part-size", inspect.LimitTotalSize: "total-size",
		inspect.LimitRatio: "ratio", inspect.LimitPDFObjects: "pdf-objects",
		inspect.LimitOLESectors: "ole-sectors", inspect.LimitTime: "time",
		inspect.LimitFindings: "findings", inspect.LimitMessageParts: "parts",
		inspect.LimitMessageNesting: "depth", inspect.LimitHeaderSize: "header-size",
		inspect.LimitHeaderFields: "header-fields", inspect.LimitXMLElements: "xml-elements",
		inspect.LimitXMLDepth: "xml-depth", inspect.LimitHTMLPayloads: "html-payloads",
		inspect.LimitHTMLLiteral: "html-literal", inspect.LimitHTMLStyle: "html-style",
		inspect.LimitHTMLAttribute: "html-attribute",
	}
	for l, w := range words {
		if l.String() != w {
			t.Errorf("%d: %q, want %q", l, l.String(), w)
		}
	}
	if inspect.LimitMessageNesting == inspect.LimitDepth || inspect.LimitMessageParts == inspect.LimitParts {
		t.Error("the message parser's limits are the engine's")
	}
}

func TestLimitFinding(t *testing.T) {
	f := inspect.LimitFinding(inspect.LimitTime, 30)
	if f.Kind != inspect.KindUnscannable || f.Detail != "limit time=30" || f.Limit != inspect.LimitTime || !inspect.TimedOut(f) {
		t.Errorf("%+v", f)
	}
	// The Detail alone does not make a timeout: callers test Limit.
	if inspect.TimedOut(inspect.Finding{Kind: inspect.KindUnscannable, Detail: "limit time=30"}) {
		t.Error("TimedOut parses Detail")
	}
	// A limit wrapped in more text keeps only its text, as before.
	wrapped := fmt.Errorf("zip: %w", &inspect.LimitError{Limit: inspect.LimitTime, Value: 1})
	if u := inspect.Unscannable(wrapped); u.Limit != inspect.LimitNone || u.Detail != "zip: limit time=1" || !errors.Is(wrapped, inspect.ErrLimit) {
		t.Errorf("%+v", u)
	}
	if u := inspect.Unscannable(&inspect.LimitError{Limit: inspect.LimitDepth, Value: 3}).At("a/b"); u.Limit != inspect.LimitDepth || u.Where != "a/b" {
		t.Errorf("%+v", u)
	}
}
