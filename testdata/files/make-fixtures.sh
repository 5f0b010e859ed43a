#!/bin/sh
# Rebuilds officemilter's own document fixtures and the messages in
# testdata/eml. Run from the repository root. Needs Debian's
# libreoffice-writer-nogui, libreoffice-calc-nogui, libreoffice-impress-nogui,
# python3-msoffcrypto-tool, qpdf, zip and p7zip-full (and Go).
# The committed files are what this script produced; tests never run it.
set -eu
cd testdata/files
export HOME="${TMPDIR:-/tmp}/officemilter-lo-home"   # LibreOffice profile
lo() { soffice --headless "$@" >/dev/null 2>&1; }

# 1. Real documents written by LibreOffice 7.4 from plain text and CSV.
printf 'Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie den Bericht zum dritten Quartal.\n\nMit freundlichen Grüßen\nErika Mustermann\n' > letter.txt
printf 'Monat,Umsatz\nJanuar,1200\nFebruar,1350\n' > table.csv
lo --convert-to 'doc:MS Word 97' letter.txt
lo --convert-to 'docx:MS Word 2007 XML' letter.txt
lo --convert-to odt letter.txt
lo --convert-to pdf letter.txt
lo --convert-to 'rtf:Rich Text Format' letter.txt
lo --convert-to 'xls:MS Excel 97' table.csv
lo --convert-to 'xlsx:Calc MS Excel 2007 XML' table.csv
lo --convert-to ods table.csv
lo --convert-to 'ppt:MS PowerPoint 97' slides.fodp        # slides.fodp is hand-written
lo --convert-to 'pptx:Impress MS PowerPoint 2007 XML' slides.fodp
cd ../..

# 2. Derived files written by Go (inspect/inspecttest): invoice.docm (letter.docx
#    plus a VBA project), macro.doc, encrypted.doc, setup.exe, template-injection.docx,
#    dde.docx, basic.odt, javascript.pdf, run.vbs.
go run ./testdata/gen files

cd testdata/files
# 3. Encryption by the usual tools.
OCT="${TMPDIR:-/tmp}/octool"
[ -d "$OCT/node_modules/officecrypto-tool" ] || npm install --prefix "$OCT" officecrypto-tool@0.0.19 >/dev/null
enc() { NODE_PATH="$OCT/node_modules" node -e '
  const fs = require("fs"), oc = require("officecrypto-tool");
  oc.encrypt(fs.readFileSync(process.argv[1]), {password: process.argv[3]}).then(b => fs.writeFileSync(process.argv[2], b));
' "$@"; }
enc letter.docx letter-Passw0rd.docx Passw0rd              # ECMA-376 Agile, a real password
enc invoice.docm invoice-velvet.docm VelvetSweatshop       # opens without asking
msoffcrypto-tool -p VelvetSweatshop invoice-velvet.docm /dev/stdout | cmp - invoice.docm   # independent check
qpdf --encrypt Passw0rd owner 256 -- letter.pdf letter-userpw.pdf        # needs a password to open
qpdf --encrypt '' owner 256 --print=none --modify=none -- letter.pdf letter-owneronly.pdf

# 4. Archives.
rm -f legacy.zip docs.zip secret.zip nested.zip secret.7z inner.zip
zip -q -X legacy.zip letter.doc table.xls
zip -q -X docs.zip letter.docx letter.pdf
zip -q -X -P Passw0rd secret.zip letter.txt letter.docx
zip -q -X inner.zip invoice.docm && zip -q -X nested.zip inner.zip && rm inner.zip
7z a -bd -bso0 -pPassw0rd -mhe=on secret.7z letter.txt setup.exe
cd ../..

# 5. The messages.
go run ./testdata/gen eml
