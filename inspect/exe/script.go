package exe

import (
	"bytes"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// scriptHead is how much of a script is read: the shebang line and the
// script encoder marker are at the start ("#@~^" opens an encoded block;
// in a .wsf or .hta it follows the <script> tag).
const scriptHead = 64 << 10

// inspectScript reports a text file that a system runs as code: it is named
// with one of inspect.ScriptExts or starts with "#!". The Detail says which
// interpreter: "script (powershell)", "script (shebang /bin/sh)".
func inspectScript(p inspect.Part, s inspect.Scope) error {
	s.SetType(inspect.TypeScript)
	head, err := p.Bytes(0, scriptHead)
	if err != nil {
		return err
	}
	executable(s, scriptDetail(inspect.ScriptExts[inspect.Ext(p.Name)], head))
	return nil
}

func scriptDetail(kind string, head []byte) string {
	var attrs []string
	if kind != "" {
		attrs = append(attrs, kind)
	}
	text := bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	if bytes.HasPrefix(text, []byte("#!")) {
		line := text[2:]
		if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
			line = line[:i]
		}
		if sb := inspect.Clean(string(line[:min(len(line), 200)]), 80); sb != "" {
			attrs = append(attrs, "shebang "+sb)
		} else {
			attrs = append(attrs, "shebang")
		}
	}
	// The Windows Script Encoder (screnc) output: "#@~^" + length + "==".
	if bytes.Contains(head, []byte("#@~^")) || bytes.Contains(head, []byte("#\x00@\x00~\x00^\x00")) {
		attrs = append(attrs, "encoded VBScript/JScript")
	}
	if len(attrs) == 0 {
		return "script"
	}
	return "script (" + strings.Join(attrs, ", ") + ")"
}
