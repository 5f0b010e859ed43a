package ooxml

import (
	"context"
	"encoding/xml"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/officemilter/officemilter/inspect/internal/zipx"
)

// partKey normalises a zip item name, a content-type part name or a
// resolved relationship target to one comparable form: no leading slash,
// forward slashes, percent-decoded, ASCII lower case. [ECMA-376] Part 2,
// 9.1.1: part names are compared case-insensitively, and a part name's
// zip item name is its percent-encoded form.
func partKey(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if strings.Contains(name, "%") {
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
	}
	return strings.ToLower(strings.TrimLeft(name, "/"))
}

// segments reports whether key has a directory segment equal to dir
// ("word/embeddings/x.bin" has "embeddings").
func hasDir(key, dir string) bool {
	d := path.Dir(key)
	for d != "." && d != "/" && d != "" {
		if path.Base(d) == dir {
			return true
		}
		d = path.Dir(d)
	}
	return false
}

// ext returns the lower-case extension of a key without the dot.
func ext(key string) string {
	e := path.Ext(key)
	if e == "" {
		return ""
	}
	return e[1:]
}

// normCT normalises a content type: lower case, parameters dropped
// ([ECMA-376] Part 2, 10.1.2 compares media types case-insensitively).
func normCT(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// contentTypes is [Content_Types].xml: [ECMA-376] Part 2, 10.1.2.
type contentTypes struct {
	defaults  map[string]string // extension → content type
	overrides map[string]string // part key → content type
}

// of returns the content type of the part with key k and whether it comes
// from an Override element (10.1.2: an Override wins over a Default).
func (c *contentTypes) of(k string) (ct string, override bool) {
	if ct, ok := c.overrides[k]; ok {
		return ct, true
	}
	return c.defaults[ext(k)], false
}

// parseContentTypes reads the Default and Override elements. It keeps only
// entries that can matter: overrides of parts that exist and defaults of
// extensions some part has, so memory is bounded by the zip directory.
func parseContentTypes(ctx context.Context, r io.Reader, parts map[string]bool, exts map[string]bool) (*contentTypes, error) {
	c := &contentTypes{defaults: map[string]string{}, overrides: map[string]string{}}
	err := zipx.StartElements(ctx, r, func(se xml.StartElement) error {
		switch se.Name.Local {
		case "Default":
			e, _ := zipx.Attr(se, "Extension")
			ct, _ := zipx.Attr(se, "ContentType")
			e = strings.ToLower(strings.TrimPrefix(e, "."))
			if _, dup := c.defaults[e]; exts[e] && !dup {
				c.defaults[e] = normCT(ct)
			}
		case "Override":
			pn, _ := zipx.Attr(se, "PartName")
			ct, _ := zipx.Attr(se, "ContentType")
			k := partKey(pn)
			if _, dup := c.overrides[k]; parts[k] && !dup {
				c.overrides[k] = normCT(ct)
			}
		}
		return nil
	})
	return c, err
}

// relationship is one Relationship element of a relationships part:
// [ECMA-376] Part 2, 9.3.2.
type relationship struct {
	typ      string // last segment of the Type URI, lower case
	fullType string // the Type URI, lower case
	target   string // as written
	external bool   // TargetMode="External"
}

// relType returns the lower-case last path segment of a relationship type
// URI, so that the transitional (schemas.openxmlformats.org) and strict
// (purl.oclc.org) namespaces of one type compare equal.
func relType(uri string) string {
	uri = strings.ToLower(strings.TrimSpace(uri))
	return uri[strings.LastIndexByte(uri, '/')+1:]
}

// parseRels calls fn for each relationship of the relationships part in r.
func parseRels(ctx context.Context, r io.Reader, fn func(relationship)) error {
	return zipx.StartElements(ctx, r, func(se xml.StartElement) error {
		if se.Name.Local != "Relationship" {
			return nil
		}
		t, _ := zipx.Attr(se, "Type")
		target, _ := zipx.Attr(se, "Target")
		mode, _ := zipx.Attr(se, "TargetMode")
		fn(relationship{
			typ:      relType(t),
			fullType: strings.ToLower(t),
			target:   target,
			external: strings.EqualFold(strings.TrimSpace(mode), "External"),
		})
		return nil
	})
}

// relsSource returns the key of the part a relationships part describes
// ("word/_rels/document.xml.rels" → "word/document.xml"; "_rels/.rels" →
// "" for the package) and whether key is a relationships part at all
// ([ECMA-376] Part 2, 9.3.1).
func relsSource(key string) (string, bool) {
	dir, base := path.Split(key)
	if !strings.HasSuffix(base, ".rels") || path.Base(strings.TrimSuffix(dir, "/")) != "_rels" {
		return "", false
	}
	parent := path.Dir(strings.TrimSuffix(dir, "/"))
	src := strings.TrimSuffix(base, ".rels")
	if parent == "." || parent == "/" {
		return src, true
	}
	return parent + "/" + src, true
}

// resolveTarget resolves an internal relationship target against its
// source part ([ECMA-376] Part 2, 9.3 and RFC 3986 5.2) to a part key.
func resolveTarget(source, target string) string {
	target = strings.ReplaceAll(strings.TrimSpace(target), "\\", "/")
	if i := strings.IndexAny(target, "#?"); i >= 0 {
		target = target[:i]
	}
	if strings.HasPrefix(target, "/") {
		return partKey(path.Clean(target))
	}
	return partKey(path.Clean("/" + path.Join(path.Dir("/"+source), target)))
}

// describeTarget says where an external target points, short enough for a
// finding's Detail and without paths or query strings that could carry
// personal data: "https://host", `\\host` for UNC paths, "local file" or
// "relative path".
func describeTarget(t string) string {
	t = strings.TrimSpace(t)
	if strings.HasPrefix(t, `\\`) || strings.HasPrefix(t, "//") {
		host := strings.TrimLeft(t, `\/`)
		if i := strings.IndexAny(host, `\/`); i >= 0 {
			host = host[:i]
		}
		return `\\` + clip(host)
	}
	if len(t) >= 2 && t[1] == ':' && isLetter(t[0]) {
		return "local file"
	}
	u, err := url.Parse(t)
	if err != nil || u.Scheme == "" {
		return "relative path"
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case u.Host != "":
		return scheme + "://" + clip(u.Host)
	case scheme == "file":
		return "local file"
	case u.Opaque != "":
		// mhtml:http://host/x, ms-word:ofe|u|https://host/x ...
		inner := u.Opaque
		if i := strings.LastIndexByte(inner, '|'); i >= 0 {
			inner = inner[i+1:]
		}
		if strings.HasPrefix(inner, "//") {
			inner = scheme + ":" + inner
		}
		if v, err := url.Parse(inner); err == nil && v.Host != "" {
			return scheme + ":" + strings.ToLower(v.Scheme) + "://" + clip(v.Host)
		}
		return scheme + ":"
	}
	return scheme + ":"
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// clip bounds a host name taken from untrusted input.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// relNeedles are byte strings (lower case) one of which a relationships
// part must contain to hold a relationship that matters here: an external
// target or one of the internal types handled in (*pkg).relationship.
// Attribute values may hide letters behind character references, hence
// "&#".
var relNeedles = [][]byte{
	[]byte("external"), []byte("vbaproject"), []byte("oleobject"),
	[]byte("relationships/package"), []byte("afchunk"), []byte("control"),
	[]byte("macrosheet"), []byte("relationships/officedocument"), []byte("&#"),
}
