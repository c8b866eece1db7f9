#!/bin/sh
# SPDX-License-Identifier: ISC
#
# One-step set-up and build of ghrctl on Debian or Ubuntu:
#   1. install the packages the build and the tests need (apt-get, as root;
#      otherwise print the exact apt-get line and stop),
#   2. fetch the pinned BearSSL and cJSON sources (vendor/fetch.sh),
#   3. build the static, stripped musl binary ./ghrctl (make).
# Re-running it is fast: installed packages and fetched sources are kept.

set -eu
cd "$(dirname "$0")"

# Build: musl-tools gcc make.  Sources: dpkg-dev (apt-get source), xz-utils,
# patch.  Tests: python3 + botocore (fake AWS, signature oracle), openssl
# (per-run test CA), mandoc (man page lint), clang + compiler-rt (sanitizer
# build, fuzzers), valgrind, awscli and gh (independent peers), nodejs/npm
# (OpenAPI-validating mock), shellcheck, hyperfine (bench/), zsh and fish (the completions run in
# t0010-docs).
PKGS="gcc make musl-tools dpkg-dev xz-utils patch ca-certificates file
python3 python3-botocore python3-boto3 openssl mandoc clang libclang-rt-14-dev valgrind
awscli gh shellcheck hyperfine nodejs npm zsh fish"

missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		# nodejs may come from elsewhere than Debian; accept any working node/npm.
		case $p in
		nodejs) command -v node >/dev/null 2>&1 && continue ;;
		npm) command -v npm >/dev/null 2>&1 && continue ;;
		esac
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: missing packages; run as root:" >&2
		echo "  apt-get update && apt-get install -y$missing" >&2
		exit 1
	fi
	echo "build.sh: installing$missing"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

sh vendor/fetch.sh
make -j"$(nproc 2>/dev/null || echo 2)"
echo "build.sh: built ./ghrctl ($(wc -c <ghrctl) bytes)"
