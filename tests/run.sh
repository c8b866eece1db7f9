#!/bin/sh
# SPDX-License-Identifier: ISC
#
# The test runner behind `make test`: unit tests, integration scripts, then
# a replay of every fuzz corpus.  Each part prints TAP-style "ok"/"not ok"
# lines; this script counts them and ends with one line
# "N passed, N failed".  Exit status 1 on any failure.
#
# usage: tests/run.sh [PATTERN]   only integration scripts whose name
#                                 contains PATTERN (unit tests always run)
# Environment: GHRCTL_BIN (program under test), GHRCTL_BUILD (glibc build
# dir with unit, tools/, fuzz-replay/), VALGRIND=1, SAN=1, JOBS (scripts at
# a time, default 4: they mostly wait on their fakes, so four fit two cores).

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
GHRCTL_BIN=${GHRCTL_BIN:-$TOP/ghrctl}
GHRCTL_BUILD=${GHRCTL_BUILD:-$TOP/build/dev}
JOBS=${JOBS:-4}
PATTERN=${1:-}
export GHRCTL_BIN GHRCTL_BUILD

OUT=$(mktemp -d "${TMPDIR:-/tmp}/ghrctl-run.XXXXXX")
export TEST_TMP="$OUT"
export GHRCTL_TEST_CA="$OUT/ca"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$OUT"' EXIT

if [ ! -x "$GHRCTL_BIN" ]; then
	echo "tests/run.sh: $GHRCTL_BIN is missing: run make first" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# The test CA, once for every script.
/usr/bin/python3 "$TOP/tests/fake/mkca.py" "$GHRCTL_TEST_CA" >"$OUT/mkca.log" 2>&1 ||
    { cat "$OUT/mkca.log"; echo "0 passed, 1 failed"; exit 1; }

# 1. Unit tests.
echo "# unit"
(cd "$TOP" && "$GHRCTL_BUILD/unit") >"$OUT/unit.out" 2>&1
# On a line of its own: a crash can cut the last "ok" line short.
printf '\nexit %d\n' $? >>"$OUT/unit.out"

# 2. Integration scripts, JOBS at a time, each into its own file.
echo "# integration"
# Longest first, by the times of the last run (build/test-times, "name
# seconds" a line; a script not in it counts as long), so that the run
# does not end waiting on one long script started last.
TIMES="$TOP/build/test-times"
ls "$TOP"/tests/integ/t[0-9]*.sh 2>/dev/null |
    { if [ -n "$PATTERN" ]; then grep -- "$PATTERN"; else cat; fi; } >"$OUT/scripts"
awk -v times="$TIMES" '
	BEGIN { while ((getline l < times) > 0) { split(l, f, " "); t[f[1]] = f[2] } }
	{ n = $0; sub(/.*\//, "", n); sub(/\.sh$/, "", n)
	  printf "%d %s\n", (n in t) ? t[n] : 999, $0 }' "$OUT/scripts" |
    sort -k1,1nr -s | cut -d" " -f2- >"$OUT/order"
xargs -P "$JOBS" -I{} sh -c '
	s={}; n=$(basename "$s" .sh); t0=$(date +%s)
	(cd "$(dirname "$s")" && sh "$s") >"$0/$n.out" 2>&1
	printf "\nexit %d\ntime %d\n" $? $(($(date +%s) - t0)) >>"$0/$n.out"' "$OUT" <"$OUT/order"

# 3. Fuzz corpora replayed through the plain (non-libFuzzer) drivers.
echo "# fuzz corpus replay"
: >"$OUT/fuzz.out"
for d in "$GHRCTL_BUILD"/fuzz-replay/*; do
	[ -x "$d" ] || continue
	n=$(basename "$d")
	if "$d" "$TOP/tests/fuzz/corpus/$n" >"$OUT/fuzz-$n.log" 2>&1; then
		echo "ok - fuzz replay $n: $(tail -n 1 "$OUT/fuzz-$n.log")" >>"$OUT/fuzz.out"
	else
		echo "not ok - fuzz replay $n: $(tail -n 3 "$OUT/fuzz-$n.log" | tr '\n' ' ')" >>"$OUT/fuzz.out"
	fi
done

pass=0
fail=0
for f in "$OUT/unit.out" $(sed 's|.*/\(.*\)\.sh$|'"$OUT"'/\1.out|' "$OUT/scripts") "$OUT/fuzz.out"; do
	[ -f "$f" ] || { echo "not ok - $(basename "$f" .out) produced no output"; fail=$((fail + 1)); continue; }
	p=$(grep -c '^ok' "$f")
	q=$(grep -c '^not ok' "$f")
	rc=$(sed -n 's/^exit \([0-9]*\)$/\1/p' "$f" | tail -n 1)
	if [ "$q" -gt 0 ] || [ "${rc:-0}" -ne 0 ]; then
		cat "$f"
	fi
	if [ "$q" -eq 0 ] && [ "${rc:-0}" -ne 0 ]; then
		echo "not ok - $(basename "$f" .out) exited $rc"
		q=1
	elif [ "$p" -eq 0 ] && [ "$q" -eq 0 ] && [ "$f" != "$OUT/fuzz.out" ]; then
		echo "not ok - $(basename "$f" .out) ran no check"
		q=1
	else
		printf '%-40s %3d ok %3d not ok %4s s\n' "# $(basename "$f" .out)" "$p" "$q" \
		    "$(sed -n 's/^time \([0-9]*\)$/\1/p' "$f" | tail -n 1)"
	fi
	pass=$((pass + p))
	fail=$((fail + q))
done
# The times of this run for the next one's order (kept for scripts not run).
if [ -d "$TOP/build" ]; then
	{ for f in $(sed 's|.*/\(.*\)\.sh$|'"$OUT"'/\1.out|' "$OUT/scripts"); do
		[ -f "$f" ] && sed -n 's/^time \([0-9]*\)$/'"$(basename "$f" .out)"' \1/p' "$f"
	  done
	  [ -f "$TIMES" ] && cat "$TIMES"
	} | awk '!seen[$1]++' >"$TIMES.tmp" && mv "$TIMES.tmp" "$TIMES"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
