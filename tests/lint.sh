#!/bin/sh
# SPDX-License-Identifier: ISC
#
# make lint: banned calls in src/, every header compiles on its own,
# mandoc -Tlint on man/, shellcheck on the shell scripts.
set -u
cd "$(dirname "$0")/.." || exit 1
fail=0

banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|gets|atoi|atol|atof|system|popen)\('
if grep -nE "$banned" src/*.c src/*.h | grep -v '^\S*:\s*/\?\*'; then
	echo "lint: banned call in src/ (see STYLE.md 2.9)"
	fail=1
fi

for h in src/*.h; do
	echo "#include \"$(basename "$h")\"" |
	    gcc -std=c11 -D_GNU_SOURCE -Isrc -Ivendor/bearssl/inc -Ivendor/cjson \
	    -fsyntax-only -x c - 2>"/tmp/ghrctl-lint.$$" ||
	    { echo "lint: $h does not compile alone:"; cat "/tmp/ghrctl-lint.$$"; fail=1; }
done
rm -f "/tmp/ghrctl-lint.$$"

for m in man/*.[15]; do
	out=$(mandoc -Tlint -Wwarning "$m" 2>&1) || true
	[ -z "$out" ] || { echo "$out"; fail=1; }
done

if command -v shellcheck >/dev/null; then
	shellcheck -S warning -s sh -e SC1091,SC2034,SC2317 build.sh vendor/fetch.sh tests/run.sh \
	    tests/lint.sh tests/mutate.sh .ci/run bench/startup || fail=1
	shellcheck -S warning -s bash -e SC2207 completions/ghrctl.bash || fail=1
fi
[ "$fail" -eq 0 ] && echo "lint: clean"
exit "$fail"
