#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Run libFuzzer targets (built by `make fuzz` / `make fuzz-ci` into
# build/fuzz/bin) from their seed corpora in tests/fuzz/corpus/<target>,
# JOBS at a time, each under `nice -n 10`.  Prints one line per target with
# the coverage it reached (cov: edges, ft: features, as libFuzzer reports
# them at the end) and fails when any target crashed, leaked, timed out or
# ran out of memory; the input that did it is kept and named.
#
# usage: tests/fuzz/run.sh [-s SECONDS | -b BUDGET] [-j JOBS] [-o DIR] BIN...
#   -s SECONDS  each target runs SECONDS (make fuzz)
#   -b BUDGET   the targets share BUDGET seconds of wall time (make fuzz-ci)
#   -j JOBS     targets run at once (default 2)
#   -o DIR      keep each target's grown corpus in DIR/<target> (default: a
#               temporary directory, removed afterwards unless a target failed)

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
secs=30
budget=
jobs=2
outdir=
while getopts s:b:j:o: opt; do
	case $opt in
	s) secs=$OPTARG ;;
	b) budget=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) echo "usage: $0 [-s SECONDS | -b BUDGET] [-j JOBS] [-o DIR] BIN..." >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "$0: no fuzz targets given" >&2; exit 2; }
[ "$jobs" -ge 1 ] || jobs=1

# With a budget: rounds of JOBS targets, each round an equal share.
if [ -n "$budget" ]; then
	rounds=$((($# + jobs - 1) / jobs))
	secs=$((budget / rounds))
	[ "$secs" -ge 5 ] || secs=5
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ghrctl-fuzz.XXXXXX")
[ -n "$outdir" ] || outdir=$work/corpus
mkdir -p "$outdir"
echo "fuzz: $# targets, ${secs} s each, $jobs at a time (logs in $work)"

# one BIN: fuzz one target; its status goes to $work/<name>.rc.
one() {
	n=$(basename "$1")
	mkdir -p "$outdir/$n"
	# -timeout: an input that takes 10 s is a hang.  -rss_limit_mb: a
	# parser that balloons is a bug too.  Leaks are detected (ASan's
	# LeakSanitizer) and fail the run.  New inputs go to the first
	# directory only, so the seed corpus in the tree is never written.
	nice -n 10 "$1" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$work/$n-" "$outdir/$n" \
	    "$TOP/tests/fuzz/corpus/$n" >"$work/$n.log" 2>&1
	echo $? >"$work/$n.rc"
}

pids=
i=0
for b in "$@"; do
	one "$b" &
	pids="$pids $!"
	i=$((i + 1))
	if [ $((i % jobs)) -eq 0 ]; then
		for p in $pids; do wait "$p"; done
		pids=
	fi
done
for p in $pids; do wait "$p"; done

fail=0
for b in "$@"; do
	n=$(basename "$b")
	rc=$(cat "$work/$n.rc" 2>/dev/null || echo 99)
	last=$(grep -E '^#[0-9]+.*cov: ' "$work/$n.log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$n.log")
	corp=$(ls "$outdir/$n" | wc -l)
	if [ "$rc" -eq 0 ]; then
		printf 'ok   %-20s cov: %5s ft: %6s runs: %9s corpus: %s\n' \
		    "$n" "${cov:-?}" "${ft:-?}" "${runs:-?}" "$corp"
	else
		fail=$((fail + 1))
		printf 'FAIL %-20s exit %s cov: %s ft: %s\n' "$n" "$rc" \
		    "${cov:-?}" "${ft:-?}"
		grep -E 'ERROR: |SUMMARY: |Test unit written to' \
		    "$work/$n.log" | head -n 5
		ls "$work/$n-"* 2>/dev/null | sed 's/^/     input: /'
	fi
done
if [ "$fail" -gt 0 ]; then
	echo "fuzz: $fail of $# targets failed (logs and inputs kept in $work)"
	exit 1
fi
rm -rf "$work"
echo "fuzz: $# targets, no crash, leak or timeout"
