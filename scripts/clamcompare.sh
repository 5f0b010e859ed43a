#!/usr/bin/env bash
# clamcompare.sh CORPUS_DIR: time `officemilter inspect --json` against
# ClamAV's clamscan with its heuristics on the same files, one process each,
# best of RUNS (3) by wall time, and print both times and the ratios.
#
# The files are those listed in CORPUS_DIR/manifest.tsv (first column, header
# skipped) or, without a manifest, every regular file under CORPUS_DIR.
# clamscan gets a private one-signature database (a random MD5 in a .hdb), so
# no freshclam download is needed and the time measured is the parsing and
# the heuristics, not loading millions of signatures. officemilter is built
# from this tree as the container image builds it (static, no cgo: the
# dynamic loader alone costs about 3 ms of every start here) unless
# OFFICEMILTER names a binary.
#
# Exit 0 after printing the figures, 1 when clamscan is missing, 2 on usage
# or when a tool fails.
set -euo pipefail

usage() { echo "usage: scripts/clamcompare.sh CORPUS_DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
dir=$1
[ -d "$dir" ] || { echo "clamcompare: $dir is not a directory" >&2; exit 2; }
if ! command -v clamscan >/dev/null 2>&1; then
	echo "clamcompare: clamscan not found: install ClamAV (apt-get install clamav) to compare" >&2
	exit 1
fi
runs=${RUNS:-3}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The file list, absolute paths, one per line.
list=$tmp/files
if [ -f "$dir/manifest.tsv" ]; then
	tail -n +2 "$dir/manifest.tsv" | cut -f1 | while IFS= read -r f; do
		[ -n "$f" ] && printf '%s\n' "$(cd "$dir" && pwd)/$f"
	done >"$list"
else
	find "$(cd "$dir" && pwd)" -type f | sort >"$list"
fi
mapfile -t files <"$list"
[ ${#files[@]} -gt 0 ] || { echo "clamcompare: no files in $dir" >&2; exit 2; }
for f in "${files[@]}"; do
	[ -f "$f" ] || { echo "clamcompare: listed file missing: $f" >&2; exit 2; }
done
bytes=$(cat "${files[@]}" | wc -c)

bin=${OFFICEMILTER:-}
if [ -z "$bin" ]; then
	bin=$tmp/officemilter
	(cd "$(dirname "$0")/.." && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin" ./cmd/officemilter)
fi

db=$tmp/db
mkdir "$db"
printf '%s:1:Officemilter.Dummy.Signature\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$db/dummy.hdb"

# Every heuristic this clamscan offers for documents, archives and
# encryption; options it does not know are left out (versions differ).
clamopts=(-d "$db" --no-summary --infected)
help=$(clamscan --help 2>&1 || true)
for o in --heuristic-alerts=yes --alert-macros=yes --alert-encrypted=yes --alert-encrypted-doc=yes \
	--alert-encrypted-archive=yes --alert-broken=yes --alert-broken-media=yes --alert-exceeds-max=yes \
	--scan-ole2=yes --scan-pdf=yes --scan-archive=yes --scan-html=yes --scan-pe=yes; do
	case $help in *"${o%%=*}"*) clamopts+=("$o") ;; esac
done

# best LABEL CMD...: runs CMD $runs times and sets best_wall/best_cpu from the
# fastest run (wall seconds, user+system seconds; bash's time, millisecond
# resolution). clamscan exits 1 when a heuristic fired, which is expected.
best() {
	local label=$1
	shift
	best_wall= best_cpu=
	for _ in $(seq "$runs"); do
		local rc=0 TIMEFORMAT='%3R %3U %3S'
		{ time "$@" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time" || rc=$?
		local bad=0
		if [ "$label" = clamscan ]; then
			[ "$rc" -le 1 ] || bad=1
		else
			[ "$rc" -eq 0 ] || bad=1
		fi
		if [ "$bad" -eq 1 ]; then
			echo "clamcompare: $label failed (exit $rc):" >&2
			tail -n 5 "$tmp/err" >&2
			exit 2
		fi
		read -r wall user sys < <(tail -n 1 "$tmp/time")
		if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
			best_wall=$wall
			best_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
		fi
	done
}

best clamscan clamscan "${clamopts[@]}" --file-list="$list"
clam_wall=$best_wall clam_cpu=$best_cpu
clam_alerts=$(grep -c 'FOUND$' "$tmp/out" || true)

best officemilter "$bin" inspect --json "${files[@]}"
om_wall=$best_wall om_cpu=$best_cpu
om_flagged=$(grep -c '"findings":\[{' "$tmp/out" || true)

printf 'files: %d (%.1f MB), best of %d runs, one process each\n' "${#files[@]}" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$runs"
printf 'clamscan %s\n' "$(clamscan --version)"
printf '  %s\n' "${clamopts[*]:2}"
printf '%-22s wall %7.3f s  cpu %7.3f s  (%d files alerted)\n' clamscan "$clam_wall" "$clam_cpu" "$clam_alerts"
printf '%-22s wall %7.3f s  cpu %7.3f s  (%d files with findings)\n' "officemilter inspect" "$om_wall" "$om_cpu" "$om_flagged"
awk -v cw="$clam_wall" -v ow="$om_wall" -v cc="$clam_cpu" -v oc="$om_cpu" 'BEGIN {
	if (ow < 0.001) ow = 0.001
	if (oc < 0.001) oc = 0.001
	printf "ratio (clamscan / officemilter): wall %.1fx, cpu %.1fx\n", cw / ow, cc / oc
}'
