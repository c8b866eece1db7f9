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
# dir with unit, tools/, fuzz-replay/), VALGRIND=1, SAN=1, JOBS (default 2).

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
GHRCTL_BIN=${GHRCTL_BIN:-$TOP/ghrctl}
GHRCTL_BUILD=${GHRCTL_BUILD:-$TOP/build/dev}
JOBS=${JOBS:-2}
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
ls "$TOP"/tests/integ/t[0-9]*.sh 2>/dev/null |
    { if [ -n "$PATTERN" ]; then grep -- "$PATTERN"; else cat; fi; } >"$OUT/scripts"
xargs -P "$JOBS" -I{} sh -c '
	s={}; n=$(basename "$s" .sh)
	(cd "$(dirname "$s")" && sh "$s") >"$0/$n.out" 2>&1
	printf "\nexit %d\n" $? >>"$0/$n.out"' "$OUT" <"$OUT/scripts"

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
		printf '%-40s %3d ok %3d not ok\n' "# $(basename "$f" .out)" "$p" "$q"
	fi
	pass=$((pass + p))
	fail=$((fail + q))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
