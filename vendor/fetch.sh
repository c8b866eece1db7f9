#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Fetch the pinned BearSSL and cJSON sources from the distribution's source
# packages, check the upstream tarball against vendor/deps.lock, apply the
# distribution's current patch series and unpack into vendor/<package>/.
#
# apt-get runs with a private configuration under vendor/.apt/: deb-src lines
# are derived from the machine's own apt sources (the archive host is never
# written into this repository), lists and downloads stay in that directory,
# and no root is needed.  Re-running is cheap: a tree whose stamp matches the
# lock entry is left alone.
#
# usage: vendor/fetch.sh [--show]
#   --show   print the versions the archive offers now, fetch nothing

set -eu

here=$(cd "$(dirname "$0")" && pwd)
lock=$here/deps.lock
apt_dir=$here/.apt
dl=$here/.dl

die() { echo "vendor/fetch.sh: $*" >&2; exit 1; }

codename() {
	# shellcheck disable=SC1091
	. /etc/os-release
	if [ -n "${VERSION_CODENAME:-}" ]; then
		echo "$VERSION_CODENAME"
	elif [ -n "${UBUNTU_CODENAME:-}" ]; then
		echo "$UBUNTU_CODENAME"
	else
		die "cannot tell the distribution's code name from /etc/os-release"
	fi
}

# Emit one-line deb-src entries for every 'deb' entry of the machine whose
# suite belongs to this release (CODE, CODE-updates, CODE-security, ...).
# Third-party repositories (other suites) are skipped: they carry no sources.
derive_sources() {
	code=$1
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			sed -e 's/#.*//' "$f" | awk '$1 == "deb" { print "LIST", $0 }'
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "" && enabled != "no")
					print "D822", uris "|" suites "|" comps "|" signed
				types = uris = suites = comps = signed = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				k = tolower($1); sub(/:$/, "", k)
				v = $0; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types") types = v
				else if (k == "uris") uris = v
				else if (k == "suites") suites = v
				else if (k == "components") comps = v
				else if (k == "signed-by") signed = v
				else if (k == "enabled") enabled = tolower(v)
			}
			END { flush() }' "$f"
		done
	} | awk -v code="$code" '
	function ours(s) {
		return s == code || index(s, code "-") == 1 || index(s, code "/") == 1
	}
	$1 == "LIST" {
		# deb [opts] uri suite comp...
		i = 3; opts = ""
		if ($i ~ /^\[/) {
			while ($i !~ /\]$/) { opts = opts " " $i; i++ }
			opts = opts " " $i; i++
		}
		uri = $i; suite = $(i + 1)
		if (!ours(suite)) next
		line = "deb-src" opts " " uri " " suite " main"
		if (!(line in seen)) { seen[line] = 1; print line }
		next
	}
	$1 == "D822" {
		sub(/^D822 /, "")
		split($0, p, "|")
		nu = split(p[1], u, " "); ns = split(p[2], s, " ")
		opt = p[4] != "" ? " [signed-by=" p[4] "]" : ""
		for (a = 1; a <= nu; a++)
			for (b = 1; b <= ns; b++) {
				if (!ours(s[b])) continue
				line = "deb-src" opt " " u[a] " " s[b] " main"
				if (!(line in seen)) { seen[line] = 1; print line }
			}
	}'
}

apt_private() {
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	    "$apt_dir/etc/preferences.d" "$apt_dir/etc/apt.conf.d"
	code=$(codename)
	derive_sources "$code" >"$apt_dir/etc/sources.list.new"
	[ -s "$apt_dir/etc/sources.list.new" ] ||
	    die "no apt source for '$code' found in /etc/apt: cannot fetch source packages"
	mv "$apt_dir/etc/sources.list.new" "$apt_dir/etc/sources.list"
	set -- -q \
	    -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list" \
	    -o "Dir::Etc::SourceParts=/nonexistent" \
	    -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d" \
	    -o "Dir::Etc::Parts=$apt_dir/etc/apt.conf.d" \
	    -o "Dir::State::Lists=$apt_dir/lists" \
	    -o "Dir::Cache=$apt_dir/cache" \
	    -o "Debug::NoLocking=1" \
	    -o "APT::Sandbox::User=$(id -un)"
	APT_OPTS=$*
	# Refresh the private lists at most once an hour.
	if [ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*Sources*' -mmin -60 2>/dev/null)" ]; then
		# shellcheck disable=SC2086
		apt-get $APT_OPTS update >"$apt_dir/update.log" 2>&1 ||
		    die "apt-get update (private deb-src lists) failed; see $apt_dir/update.log"
	fi
}

# The version apt would fetch now for source package $1, e.g. 1.7.15-1+deb12u4.
candidate() {
	# shellcheck disable=SC2086
	apt-cache $APT_OPTS showsrc "$1" 2>/dev/null |
	    awk '/^Version:/ { print $2 }' | sort -V | tail -n 1
}

upstream_of() {
	v=${1#*:}
	echo "${v%-*}"
}

fetch_one() {
	pkg=$1 want_up=$2 want_sha=$3
	dest=$here/$pkg
	stamp="$pkg $want_up $want_sha"
	if [ -f "$dest/.ghrctl-stamp" ] && [ "$(sed -n 1p "$dest/.ghrctl-stamp")" = "$stamp" ]; then
		return 0
	fi
	[ -n "${APT_OPTS:-}" ] || apt_private
	ver=$(candidate "$pkg")
	[ -n "$ver" ] || die "the archive offers no source package '$pkg'"
	up=$(upstream_of "$ver")
	if [ "$up" != "$want_up" ]; then
		die "$pkg: pinned upstream version $want_up is no longer offered (the archive has $ver); re-pin vendor/deps.lock to '$pkg $up <sha256 of ${pkg}_$up.orig.tar.*>' after reviewing the new release"
	fi
	rm -rf "${dl:?}/${pkg:?}" && mkdir -p "$dl/$pkg"
	# shellcheck disable=SC2086
	(cd "$dl/$pkg" && apt-get $APT_OPTS source --download-only "$pkg=$ver" \
	    >"$dl/$pkg/apt.log" 2>&1) ||
	    die "apt-get source $pkg=$ver failed; see $dl/$pkg/apt.log"
	orig=$(ls "$dl/$pkg/${pkg}_${want_up}".orig.tar.* 2>/dev/null | head -n 1)
	[ -n "$orig" ] || die "$pkg: no ${pkg}_${want_up}.orig.tar.* was downloaded"
	got_sha=$(sha256sum "$orig" | cut -d' ' -f1)
	[ "$got_sha" = "$want_sha" ] ||
	    die "$pkg: sha256 of $(basename "$orig") is $got_sha, vendor/deps.lock pins $want_sha; refusing to build"
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
	tar -xf "$orig" -C "$dest.tmp" --strip-components=1
	deb=$(ls "$dl/$pkg/${pkg}_${ver#*:}".debian.tar.* 2>/dev/null | head -n 1)
	npatch=0
	if [ -n "$deb" ]; then
		tar -xf "$deb" -C "$dest.tmp"
		if [ -f "$dest.tmp/debian/patches/series" ]; then
			for p in $(sed -e 's/#.*//' "$dest.tmp/debian/patches/series"); do
				patch -s -p1 -d "$dest.tmp" <"$dest.tmp/debian/patches/$p" ||
				    die "$pkg: patch $p of $ver does not apply"
				npatch=$((npatch + 1))
			done
		fi
	fi
	printf '%s\n%s\n' "$stamp" "distribution revision $ver, $npatch patches applied" \
	    >"$dest.tmp/.ghrctl-stamp"
	rm -rf "$dest" && mv "$dest.tmp" "$dest"
	echo "vendor: $pkg $ver (upstream $up, sha256 ok, $npatch patches)"
}

if [ "${1:-}" = "--show" ]; then
	apt_private
	grep -v '^#' "$lock" | while read -r pkg up _; do
		[ -n "$pkg" ] || continue
		echo "$pkg: pinned $up, archive has $(candidate "$pkg")"
	done
	exit 0
fi

grep -v '^#' "$lock" | while read -r pkg up sha; do
	[ -n "$pkg" ] || continue
	fetch_one "$pkg" "$up" "$sha"
done
