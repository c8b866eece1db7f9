#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Mutation testing behind `make mutate` and `make mutate-check`.
#
# usage: tests/mutate.sh [PATTERN]   run the mutants whose file name
#                                    contains one of the words of PATTERN
#                                    (all when empty)
#        tests/mutate.sh --check     each mutant still applies (dry run)
#
# A mutant is a small unified diff in tests/mutants/NNN-name.patch that
# plants one bug in the code keeping a promise.  Its header, before the
# diff (patch skips it), has lines "# key: value":
#   what     the bug, in a few words
#   promise  the promise of BRIEF/README it breaks
#   unit     unit test names (build/dev/unit NAME...) to run first
#   integ    integration script names (t3000 ...) to run next
#   area     optional: code under refactor ("scaler"): regenerate after it
#   known    optional: why it survives today (an open issue item)
# A file NNN-name.equivalent beside it holds the argument that the mutant
# cannot change behaviour; it then survives as EQUIVALENT, out of the
# score.
#
# Each mutant is applied (patch -p1 -F0, no fuzz: one that no longer
# applies is an ERROR, never "killed") to a scratch copy of the tree
# (tracked and untracked non-ignored files; vendor/ linked), the glibc dev
# build is remade (only the objects the patch touched), and the unit tests
# named, then tests/run.sh over the scripts named, then the whole suite run
# against build/dev/ghrctl until one fails.  The mutant is then reversed.
# MUTATE_NARROW=1 skips the whole suite (a quick look for survivors),
# MUTATE_NO_BASELINE=1 the run on the unmutated tree, KEEP=1 keeps the
# scratch tree and logs.  A run over every mutant writes tests/MUTANTS.md
# (not with MUTATE_NARROW).  Exit status 1 when a
# mutant survived (not known, not equivalent) or could not be applied or
# built.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
MUT=$TOP/tests/mutants
PATCH="patch -p1 -F0 -f -s --no-backup-if-mismatch -r -"
PATTERN=${1:-}

# header FILE KEY: the value of "# KEY: value" in the mutant's header.
header() {
	sed -n '/^--- /q; s/^# '"$2"': *//p' "$1" | head -n 1
}

# where FILE: file:line of the first changed line of the first hunk.
where() {
	awk '/^\+\+\+ / { f = $2; sub(/^b\//, "", f); next }
	    /^@@ / && f != "" && !l { split($2, a, ","); l = -a[1]; c = 0; h = 1; next }
	    h && /^ / { c++; next }
	    h && /^[-+]/ { print f ":" (l + c); exit }' "$1"
}

if [ "$PATTERN" = "--check" ]; then
	n=0 bad=0
	for p in "$MUT"/*.patch; do
		n=$((n + 1))
		if ! (cd "$TOP" && $PATCH --dry-run <"$p" >/dev/null 2>&1); then
			echo "mutate-check: $(basename "$p") no longer applies:" \
			    "refresh it against $(where "$p")" >&2
			bad=$((bad + 1))
		fi
	done
	echo "mutate-check: $n mutants, $bad not applying"
	[ "$bad" -eq 0 ]
	exit
fi

SCR=$(mktemp -d "${TMPDIR:-/tmp}/ghrctl-mutate.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$SCR"' EXIT
LOG=$SCR/log
mkdir -p "$LOG" "$SCR/tree"
TREE=$SCR/tree
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
    tar -xf - -C "$TREE" || { echo "mutate: cannot copy the tree" >&2; exit 1; }
for d in bearssl cjson; do
	ln -s "$TOP/vendor/$d" "$TREE/vendor/$d"
done

export GHRCTL_BIN="$TREE/build/dev/ghrctl" GHRCTL_BUILD="$TREE/build/dev"
build() { make -C "$TREE" -j2 dev-all >"$1" 2>&1; }
# suite PATTERN LOGFILE: tests/run.sh over PATTERN (empty: every script).
suite() { timeout -k 10 900 sh "$TREE/tests/run.sh" "$1" >"$2" 2>&1; }
# failed LOGFILE: the tests that failed in a tests/run.sh output.
failed() {
	sed -n 's/^# \([^ ]*\) .* \([1-9][0-9]*\) not ok\( *[0-9]* s\)\{0,1\}$/\1/p;
	    s/^not ok - \([^ ]*\) \(exited\|produced\|ran\).*/\1/p' "$1" |
	    sort -u | tr '\n' ' ' | sed 's/ $//'
}

start=$(date +%s)
echo "mutate: building the unmutated tree in $TREE"
build "$LOG/build-base" || { tail -n 20 "$LOG/build-base"; exit 1; }
if [ -z "${MUTATE_NO_BASELINE:-}" ]; then
	echo "mutate: the whole suite on the unmutated tree"
	suite "" "$LOG/base" || { grep '^not ok' "$LOG/base" | head;
	    echo "mutate: the suite fails without a mutant: fix that first" >&2; exit 1; }
fi

total=0 killed=0 survived=0 known=0 equiv=0 errors=0
ROWS=$SCR/rows
: >"$ROWS"
for p in "$MUT"/*.patch; do
	name=$(basename "$p" .patch)
	if [ -n "$PATTERN" ]; then
		hit=
		for w in $PATTERN; do
			case "$name" in *"$w"*) hit=1 ;; esac
		done
		[ -n "$hit" ] || continue
	fi
	total=$((total + 1))
	at=$(where "$p")
	promise=$(header "$p" promise)
	units=$(header "$p" unit)
	integ=$(header "$p" integ)
	t0=$(date +%s)
	res=
	if ! (cd "$TREE" && $PATCH <"$p" >"$LOG/$name.patch" 2>&1); then
		res="ERROR: does not apply"
		errors=$((errors + 1))
	elif ! build "$LOG/$name.build"; then
		res="ERROR: does not build"
		errors=$((errors + 1))
	else
		# shellcheck disable=SC2086 # unit names are words
		if [ -n "$units" ] && ! (cd "$TREE" && timeout -k 5 120 \
		    build/dev/unit $units >"$LOG/$name.unit" 2>&1); then
			res="killed: unit $(sed -n 's/^not ok [0-9]* - \([^:]*\): tests\/unit\/\([^:]*:[0-9]*\).*/\1 (\2)/p' \
			    "$LOG/$name.unit" | head -n 1)"
		fi
		if [ -z "$res" ] && [ -n "$integ" ] &&
		    ! suite "$(echo "$integ" | sed 's/ \{1,\}/\\|/g')" "$LOG/$name.integ"; then
			res="killed: $(failed "$LOG/$name.integ")"
		fi
		if [ -z "$res" ] && [ -z "${MUTATE_NARROW:-}" ] &&
		    ! suite "" "$LOG/$name.full"; then
			res="killed (whole suite): $(failed "$LOG/$name.full")"
		fi
		[ -n "$res" ] && killed=$((killed + 1))
		if [ -z "$res" ] && [ -f "$MUT/$name.equivalent" ]; then
			res="EQUIVALENT (see $name.equivalent)"
			equiv=$((equiv + 1))
		elif [ -z "$res" ] && [ -n "$(header "$p" known)" ]; then
			res="SURVIVED (known: $(header "$p" known))"
			survived=$((survived + 1)) known=$((known + 1))
		elif [ -z "$res" ]; then
			res="SURVIVED"
			survived=$((survived + 1))
		fi
	fi
	if [ "$res" != "ERROR: does not apply" ] &&
	    ! (cd "$TREE" && $PATCH -R <"$p" >>"$LOG/$name.patch" 2>&1); then
		echo "mutate: cannot reverse $name; stopping" >&2
		exit 1
	fi
	area=$(header "$p" area)
	[ -n "$area" ] && promise="$promise (area: $area)"
	printf '| %s | %s | %s | %s | %ss |\n' "$name" "$at" "$promise" \
	    "$res" "$(($(date +%s) - t0))" >>"$ROWS"
	printf '%-34s %-22s %s\n' "$name" "$at" "$res"
done

scored=$((total - equiv - errors))
score="$killed of $scored killed"
[ "$scored" -gt 0 ] && score="$score ($((killed * 100 / scored)) %)"
summary="$score; $survived survived ($known known), $equiv equivalent, $errors errors; $(($(date +%s) - start)) s"
echo "mutate: $summary"

if [ -z "$PATTERN" ] && [ -z "${MUTATE_NARROW:-}" ]; then
	{
		echo "# Mutation testing: the last \`make mutate\`"
		echo
		echo "Generated by tests/mutate.sh (\`make mutate\`) on" \
		    "$(date -u +%Y-%m-%d) at commit" \
		    "$(cd "$TOP" && git rev-parse --short HEAD)$(cd "$TOP" &&
		    git diff --quiet HEAD -- src tests || echo ' (with uncommitted changes)')."
		echo "Each mutant (tests/mutants/) plants one bug; a test must fail."
		echo "Regenerate it when the code under a mutant changes."
		echo
		echo "**Score: $summary.**"
		echo
		echo "| mutant | file:line | promise | result | time |"
		echo "|---|---|---|---|---|"
		cat "$ROWS"
	} >"$TOP/tests/MUTANTS.md"
	echo "mutate: wrote tests/MUTANTS.md"
fi
[ "$errors" -eq 0 ] && [ "$((survived - known))" -eq 0 ]
