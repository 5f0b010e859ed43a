// Package htmltest writes the HTML, SVG and App Installer files the tests
// of inspect/html and inspect/all use: HTML smuggling the way the kits seen
// since 2022 do it (a Blob and an <a download> click, msSaveOrOpenBlob, a
// data: URI with a download attribute, SVG with a script), and the
// ordinary HTML that must stay clean. Production code never imports it.
package htmltest

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// b64 encodes data and splits it into literals of n characters joined by
// sep (`" +\n"` for a concatenation, `",\n"` for an array).
func b64(data []byte, n int, sep string) string {
	s := base64.StdEncoding.EncodeToString(data)
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	parts = append(parts, s)
	return `"` + strings.Join(parts, `"`+sep+`"`) + `"`
}

// BlobDownload is an HTML page whose script decodes payload with atob
// from a concatenation of string literals, wraps it in a Blob and clicks
// an <a download=name> at its object URL.
func BlobDownload(payload []byte, name string) []byte {
	return fmt.Appendf(nil, `<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>Dokument wird geladen</title></head>
<body>
<p>Ihr Dokument wird geladen ...</p>
<script>
  // the payload, split to look harmless
  var part = %s;
  function b2a(s) {
    var raw = window.atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  var blob = new Blob([b2a(part)], {type: 'application/octet-stream'});
  var a = document.createElement('a');
  document.body.appendChild(a);
  a.style = 'display: none';
  var url = window.URL.createObjectURL(blob);
  a.href = url;
  a.download = '%s';
  a.click();
  window.URL.revokeObjectURL(url);
</script>
</body>
</html>
`, b64(payload, 76, " +\n    "), name)
}

// MsSaveOrOpenBlob is an HTML page for old Edge and Internet Explorer:
// navigator.msSaveOrOpenBlob of a Blob from an array of literals joined.
func MsSaveOrOpenBlob(payload []byte, name string) []byte {
	return fmt.Appendf(nil, `<html><body onload="go()">
<script type="text/javascript">
function go() {
  var chunks = [%s].join('');
  var bytes = Uint8Array.from(atob(chunks), function (c) { return c.charCodeAt(0); });
  var blob = new Blob([bytes], { type: "application/x-iso9660-image" });
  if (window.navigator.msSaveOrOpenBlob) {
    window.navigator.msSaveOrOpenBlob(blob, "%s");
  }
}
</script>
</body></html>
`, b64(payload, 64, ",\n    "), name)
}

// DataURIDownload is an HTML mail attachment with no script: a link whose
// href is a data: URI carrying payload, saved as name on a click.
func DataURIDownload(payload []byte, mime, name string) []byte {
	return fmt.Appendf(nil, `<!doctype html>
<html><head><title>Rechnung</title></head>
<body style="font-family: Arial, sans-serif">
<h1>Ihre Rechnung</h1>
<p>Bitte laden Sie die Rechnung herunter:</p>
<a download="%s" href="data:%s;base64,%s">Rechnung herunterladen</a>
</body></html>
`, name, mime, base64.StdEncoding.EncodeToString(payload))
}

// SVGSmuggling is an SVG image whose script (in a CDATA section) decodes
// payload with atob and downloads it through a Blob.
func SVGSmuggling(payload []byte, name string) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with a vector editor -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="400" height="200" viewBox="0 0 400 200">
  <rect width="400" height="200" fill="#fafafa"/>
  <text x="20" y="100" font-size="20">Loading document...</text>
  <script type="application/ecmascript"><![CDATA[
    var d = atob("%s");
    var u = new Uint8Array(d.length);
    for (var i = 0; i < d.length; i++) u[i] = d.charCodeAt(i);
    var l = document.createElementNS("http://www.w3.org/1999/xhtml", "a");
    l.setAttribute("href", URL.createObjectURL(new Blob([u], {type: "application/zip"})));
    l.setAttribute("download", "%s");
    document.documentElement.appendChild(l);
    l.click();
  ]]></script>
</svg>
`, base64.StdEncoding.EncodeToString(payload), name)
}

// Newsletter is ordinary HTML mail saved as a file: tables, inline
// styles, remote images, links, no script.
func Newsletter() []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>Newsletter Dezember</title>
<style type="text/css">
  body { margin: 0; padding: 0; background: #eeeeee url(https://news.example.org/bg.png) repeat-x; }
  .button a { color: #ffffff; text-decoration: none; }
  @media only screen and (max-width: 600px) { table[class=body] .wrapper { padding: 10px !important; } }
</style>
</head>
<body>
<!--[if mso]><table><tr><td><![endif]-->
<table class="body" width="100%" cellpadding="0" cellspacing="0" border="0">
`)
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, `<tr><td class="wrapper" style="padding: 20px; font-family: 'Helvetica Neue', Helvetica, Arial, sans-serif;">
  <img src="https://news.example.org/img/article-%d.jpg" alt="Artikel %d" width="560" height="280" style="display:block" />
  <h2>Artikel %d: Neues aus dem Rathaus &amp; der Region</h2>
  <p>Lorem ipsum dolor sit amet, consectetur adipiscing elit. Data: 2026-12-%02d; download the PDF at the link below.</p>
  <p class="button"><a href="https://news.example.org/a/%d?utm_source=newsletter&amp;utm_medium=email" target="_blank">Weiterlesen &raquo;</a></p>
</td></tr>
`, i, i, i, i, i)
	}
	b.WriteString(`</table>
<!--[if mso]></td></tr></table><![endif]-->
<p style="font-size: 11px">Abmelden: <a href="mailto:unsubscribe@example.org?subject=unsubscribe">hier</a> &middot; <a href="https://news.example.org/privacy">Datenschutz</a></p>
</body>
</html>
`)
	return []byte(b.String())
}

// PNG is a 1x1 transparent PNG.
var PNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

// ImageOnly is HTML with an inline image as a data: URI and nothing else
// active.
func ImageOnly() []byte {
	return fmt.Appendf(nil, `<html>
<body>
<p>Unser Logo:</p>
<img alt="logo" src="data:image/png;base64,%s">
<div style="background-image: url('data:image/png;base64,%s')">Gru&szlig;</div>
</body>
</html>
`, base64.StdEncoding.EncodeToString(PNG), base64.StdEncoding.EncodeToString(PNG))
}

// AppInstaller is an App Installer file that installs an MSIX package
// from a remote URI (the schema of 2018).
func AppInstaller() []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<AppInstaller xmlns="http://schemas.microsoft.com/appx/appinstaller/2018"
    Version="1.0.0.0" Uri="https://apps.example.net/Contoso.appinstaller">
  <MainBundle Name="Contoso.Viewer" Publisher="CN=Contoso" Version="2.23.0.0"
      Uri="https://apps.example.net/Contoso.Viewer.msixbundle" />
  <UpdateSettings><OnLaunch HoursBetweenUpdateChecks="0" /></UpdateSettings>
</AppInstaller>
`)
}
