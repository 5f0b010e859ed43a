package html

import (
	"bytes"
	"encoding/base64"
	"path"
	"strconv"
	"strings"

	"github.com/officemilter/officemilter/inspect"
)

// dataURI is one data: URI found in a value (RFC 2397).
type dataURI struct {
	mime string // lower case, "" when not given (text/plain)
	data []byte // decoded
}

// dataURIs finds every "data:" URI in v (case-insensitive scheme) and
// decodes it: base64 or percent-encoded. The URI ends at a quote, a
// parenthesis, whitespace or angle bracket (how it ends inside CSS url(),
// a script literal or a meta refresh); base64 tolerates whitespace only
// when it is the whole rest of v (an attribute value).
func dataURIs(v []byte, whole bool) []dataURI {
	var out []dataURI
	for from := 0; from < len(v); {
		i := indexFold(v[from:], "data:")
		if i < 0 {
			break
		}
		i += from
		from = i + 5
		if i > 0 && isSchemeByte(v[i-1]) {
			continue // "metadata:", "xdata:" are other schemes
		}
		rest := v[i+5:]
		comma := bytes.IndexByte(rest[:min(len(rest), 256)], ',')
		if comma < 0 {
			continue
		}
		meta := strings.ToLower(strings.TrimSpace(string(rest[:comma])))
		if strings.ContainsAny(meta, "\"'<>()\n") {
			continue
		}
		body := rest[comma+1:]
		end := len(body)
		for j, c := range body {
			if c == '"' || c == '\'' || c == ')' || c == '<' || c == '>' || c == '`' ||
				(!whole && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
				end = j
				break
			}
		}
		body = body[:end]
		from = i + 5 + comma + 1 + end
		mime, params, _ := strings.Cut(meta, ";")
		var data []byte
		if strings.HasSuffix(params, "base64") || strings.HasSuffix(meta, ";base64") {
			// The URL is percent-decoded before the base64 (WHATWG
			// Fetch, data: URL processor): %2B is a '+'.
			if bytes.IndexByte(body, '%') >= 0 {
				body = inspect.HexUnescape(body, '%')
			}
			data = decodeB64(body)
		} else {
			data = inspect.HexUnescape(body, '%')
		}
		// An empty payload still tells what the script builds
		// ("data:application/octet-stream;base64," + data).
		out = append(out, dataURI{mime: strings.TrimSpace(mime), data: data})
	}
	return out
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// indexFold is bytes.Index for an ASCII lower-case needle, ignoring case.
func indexFold(b []byte, needle string) int {
	n := len(needle)
	for i := 0; i+n <= len(b); i++ {
		j := bytes.IndexByte(b[i:], needle[0])
		k := bytes.IndexByte(b[i:], needle[0]-'a'+'A')
		switch {
		case j < 0 && k < 0:
			return -1
		case j < 0 || (k >= 0 && k < j):
			j = k
		}
		i += j
		if i+n > len(b) {
			return -1
		}
		ok := true
		for m := 1; m < n; m++ {
			if c := b[i+m] | 0x20; c != needle[m] && b[i+m] != needle[m] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// decodeB64 decodes base64 the way browsers' atob and data: URIs do:
// whitespace is dropped, padding optional; the URL-safe alphabet is taken
// too. It decodes the longest valid prefix (bytes after a stray character
// are lost, the start of a file is what sniffing needs).
func decodeB64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	url := false
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-' || c == '_':
			url = true
			clean = append(clean, c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
		case c == '=':
			goto done
		case c == '%' || c == '\\':
			// %2B, \x2B in a literal are not decoded here: stop.
			goto done
		default:
			goto done
		}
	}
done:
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	out := make([]byte, enc.DecodedLen(len(clean)))
	n, err := enc.Decode(out, clean)
	if err != nil {
		return out[:n]
	}
	return out[:n]
}

// b64Len returns how many base64 characters b holds when it is nothing but
// base64 (and whitespace, padding); -1 otherwise.
func b64Len(b []byte) int {
	n, pad := 0, 0
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '-', c == '_':
			if pad > 0 {
				return -1
			}
			n++
		case c == '=':
			pad++
			if pad > 2 {
				return -1
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			return -1
		}
	}
	return n
}

// displayable reports a MIME type a browser shows instead of saving: an
// image, text (HTML included: it is inspected as a child), PDF. Anything
// else reached by a navigation is a download.
func displayable(mime string) bool {
	return mime == "" || strings.HasPrefix(mime, "image/") || strings.HasPrefix(mime, "text/") ||
		mime == "application/pdf" || strings.HasPrefix(mime, "audio/") || strings.HasPrefix(mime, "video/")
}

// mimeExts gives the extension a browser saves a data: download under when
// no name is given. Only types whose extension changes what officemilter
// decides by name; others are ".bin".
var mimeExts = map[string]string{
	"application/msword": ".doc", "application/vnd.ms-excel": ".xls",
	"application/vnd.ms-powerpoint": ".ppt", "application/pdf": ".pdf",
	"application/zip": ".zip", "application/x-zip-compressed": ".zip",
	"application/x-iso9660-image": ".iso", "application/x-msdownload": ".exe",
	"application/vnd.microsoft.portable-executable": ".exe", "application/x-dosexec": ".exe",
	"application/x-msdos-program": ".exe", "application/javascript": ".js",
	"text/javascript": ".js", "application/hta": ".hta", "text/html": ".html",
	"image/svg+xml": ".svg", "application/x-rar-compressed": ".rar",
	"application/vnd.rar": ".rar", "application/x-7z-compressed": ".7z",
	"application/rtf": ".rtf", "text/rtf": ".rtf", "text/plain": ".txt",
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
	"application/x-ms-shortcut": ".lnk", "application/x-msi": ".msi",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.ms-word.document.macroenabled.12":                        ".docm",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       ".xlsx",
	"application/vnd.ms-excel.sheet.macroenabled.12":                          ".xlsm",
	"application/vnd.oasis.opendocument.text":                                 ".odt",
	"application/appinstaller":                                                ".appinstaller",
}

func mimeExt(mime string) string {
	if e, ok := mimeExts[mime]; ok {
		return e
	}
	return ".bin"
}

// cleanName makes a download name a file name: the last path element,
// printable, bounded. "" when nothing is left.
func cleanName(b []byte) string {
	var sb strings.Builder
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f || r == 0xFFFD {
			continue
		}
		sb.WriteRune(r)
		if sb.Len() >= maxName {
			break
		}
	}
	n := strings.TrimSpace(sb.String())
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	if n == "." || n == "/" || n == ".." {
		return ""
	}
	return n
}

// entities decodes the character references that matter for URIs and
// base64 in attribute values: numeric ones and the few named ones that
// stand for URI or base64 characters. Other references stay as they are.
func entities(v []byte) []byte {
	if bytes.IndexByte(v, '&') < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != '&' {
			out = append(out, v[i])
			continue
		}
		j := i + 1
		for j < len(v) && j-i < 12 && v[j] != ';' && v[j] != '&' {
			j++
		}
		ref := v[i+1 : j]
		if j < len(v) && v[j] == ';' {
			j++
		}
		var r rune = -1
		switch {
		case len(ref) > 2 && ref[0] == '#' && (ref[1] == 'x' || ref[1] == 'X'):
			if n, err := strconv.ParseUint(string(ref[2:]), 16, 32); err == nil {
				r = rune(n)
			}
		case len(ref) > 1 && ref[0] == '#':
			if n, err := strconv.ParseUint(string(ref[1:]), 10, 32); err == nil {
				r = rune(n)
			}
		default:
			r = namedRefs[string(ref)]
			if r == 0 {
				r = -1
			}
		}
		if r < 0 || r > 0x10FFFF {
			out = append(out, '&')
			continue
		}
		out = append(out, string(r)...)
		i = j - 1
	}
	return out
}

var namedRefs = map[string]rune{
	"amp": '&', "quot": '"', "apos": '\'', "lt": '<', "gt": '>', "plus": '+',
	"sol": '/', "equals": '=', "colon": ':', "semi": ';', "comma": ',',
	"lpar": '(', "rpar": ')', "Tab": '\t', "NewLine": '\n', "period": '.',
	"num": '#', "percnt": '%', "excl": '!',
}
