#!/bin/sh
# Rebuilds the LibreOffice-written fixtures of the text extraction tests
# (text_test.go): the same sentences in German, Russian, Japanese and
# Chinese as a Word, an Excel and a PowerPoint 97-2003 file. Run from this
# directory; needs Debian's libreoffice-writer-nogui, libreoffice-calc-nogui
# and libreoffice-impress-nogui. The committed files are what it produced.
set -eu
export HOME="${TMPDIR:-/tmp}/officemilter-lo-home"   # LibreOffice profile
lo() { soffice --headless "$@" >/dev/null 2>&1; }
printf 'Grüße aus Köln, Ärger über Öl – „Zitat“ für 5 €.\nПривет, мир! Съешь же ещё этих мягких французских булок.\n日本語のテキストです。中文文本测试。\n' > intl.txt
printf 'Stadt;Gruß;Betrag\nKöln;Grüße;12,5\nМосква;Привет;42\n東京;こんにちは;7\n' > intl.csv
lo --convert-to 'doc:MS Word 97' intl.txt
lo --convert-to 'xls:MS Excel 97' --infilter='CSV:59,34,76,1' intl.csv
cat > intl.fodp <<'FODP'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:body><office:presentation><draw:page draw:name="Folie1"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Grüße aus Köln</text:p></draw:text-box></draw:frame></draw:page><draw:page draw:name="Folie2"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Привет, мир!</text:p><text:p>日本語のテキスト</text:p></draw:text-box></draw:frame></draw:page></office:presentation></office:body>
</office:document>
FODP
lo --convert-to 'ppt:MS PowerPoint 97' intl.fodp
rm intl.txt intl.csv intl.fodp
