#!/bin/sh
# Writes NAME.words for each unencrypted Word, Excel and PowerPoint 97-2003
# file of the shared corpus (office-legacy/): the distinct words, lower
# case, that LibreOffice extracts from it, one a line. text_test.go's
# TestTextCorpus checks that the extractor finds at least 95 % of them.
# The corpus files are read in place and never copied into the repository.
#
# Usage (from this directory): ./make-words.sh CORPUS_DIR
# Needs Debian's libreoffice-writer-nogui, libreoffice-calc-nogui,
# libreoffice-impress-nogui and python3. Commands per format:
#   .doc  soffice --convert-to 'txt:Text (encoded):UTF8'
#   .xls  soffice --convert-to 'csv:Text - txt - csv (StarCalc):9,34,76,1,,0,false,true,false,false,false,-1' (every sheet)
#   .ppt  soffice --convert-to odp, then the text of content.xml
set -eu
corpus=$1
here=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home"
lo() { soffice -env:UserInstallation="file://$tmp/profile" --headless "$@" >/dev/null 2>&1; }
# Word characters: letters and digits (Go's unicode.IsLetter/IsDigit).
words() { python3 -c 'import re,sys; print("\n".join(sorted({w.lower() for w in re.findall(r"[^\W_]+", sys.stdin.read())})))'; }
awk -F'\t' '$5 ~ /^ole-(doc|xls|ppt)$/ && $8 == "no" { print $1 }' "$corpus/manifest.tsv" | while read -r f; do
	name=$(basename "$f")
	base=${name%.*}
	rm -rf "$tmp/out" && mkdir -p "$tmp/out"
	case $name in
	*.doc)
		lo --convert-to 'txt:Text (encoded):UTF8' --outdir "$tmp/out" "$corpus/$f"
		cat "$tmp/out/$base.txt" ;;
	*.xls)
		lo --convert-to 'csv:Text - txt - csv (StarCalc):9,34,76,1,,0,false,true,false,false,false,-1' --outdir "$tmp/out" "$corpus/$f"
		cat "$tmp/out/"*.csv ;;
	*.ppt)
		lo --convert-to odp --outdir "$tmp/out" "$corpus/$f"
		python3 -c 'import re,sys,zipfile; x=zipfile.ZipFile(sys.argv[1]).read("content.xml").decode(); print(re.sub(r"<[^>]+>", " ", x))' "$tmp/out/$base.odp" ;;
	esac | words > "$here/$name.words"
done
