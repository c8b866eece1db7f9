#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Prism (@stoplight/prism-cli) with GitHub's published OpenAPI description
# for GHES (@octokit/openapi), trimmed to the self-hosted runner paths, so
# integration tests can run ghrctl's REST calls through `prism proxy
# --errors` and fail on any request the description does not allow.
# Workarounds
# (the spec lists only application/json, so each response is copied to
# application/vnd.github+json; Prism ignores the server base path, so the
# paths get the /api/v3 prefix; the spec has no securitySchemes, so Prism
# cannot check authentication; the fake does that).
#
# The packages are installed with npm into $GHRCTL_NPM_DIR (default
# build/npm, never tracked) only when missing.
#
# usage: prism.sh setup            install if needed, write the trimmed spec;
#                                  exit 2 (with a reason) when npm cannot
#        prism.sh start PORTFILE UPSTREAM LOG
#                                  run `prism proxy --errors` on a free
#                                  loopback port (written to PORTFILE) in the
#                                  foreground, forwarding to UPSTREAM
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${GHRCTL_NPM_DIR:-$TOP/build/npm}
SPEC=$DIR/runners-ghes-2.json	# renamed when the kept paths change
GHES=ghes-3.19

setup() {
	if [ ! -x "$DIR/node_modules/.bin/prism" ] ||
	    [ ! -f "$DIR/node_modules/@octokit/openapi/generated/$GHES.deref.json" ]; then
		command -v npm >/dev/null 2>&1 || { echo "npm is not installed"; exit 2; }
		mkdir -p "$DIR" || exit 2
		[ -f "$DIR/package.json" ] || echo '{"name":"ghrctl-test-tools","private":true}' >"$DIR/package.json"
		(cd "$DIR" && npm install --no-audit --no-fund --loglevel=error \
		    @stoplight/prism-cli@5 @octokit/openapi@23) >"$DIR/install.log" 2>&1 ||
		    { echo "npm install failed: $(tail -n 3 "$DIR/install.log" | tr '\n' ' ')"; exit 2; }
	fi
	if [ ! -s "$SPEC" ]; then
		node - "$DIR/node_modules/@octokit/openapi/generated/$GHES.deref.json" "$SPEC.tmp" <<'JS' || exit 1
// Keep the self-hosted runner, runner group and App installation paths,
// prefix /api/v3,
// and accept application/vnd.github+json wherever application/json is.
const fs = require("fs");
const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const keep = /^\/(orgs|repos|enterprises)\/[^/]+(\/[^/]+)?\/(actions\/runners|actions\/runner-groups|installation)|^\/app\/installations\/\{installation_id\}\/access_tokens$/;
const paths = {};
for (const [p, v] of Object.entries(spec.paths)) {
	if (!keep.test(p))
		continue;
	for (const op of Object.values(v)) {
		for (const r of Object.values((op && op.responses) || {}))
			if (r.content && r.content["application/json"])
				r.content["application/vnd.github+json"] = r.content["application/json"];
	}
	paths["/api/v3" + p] = v;
}
spec.paths = paths;
spec.servers = [{ url: "http://127.0.0.1" }];
fs.writeFileSync(process.argv[3], JSON.stringify(spec));
JS
		mv "$SPEC.tmp" "$SPEC"
	fi
}

case ${1:-} in
setup)
	setup
	;;
start)
	setup
	portfile=$2 upstream=$3 log=$4
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$DIR/node_modules/.bin/prism" proxy --errors -h 127.0.0.1 -p "$port" \
	    "$SPEC" "$upstream" >"$log" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null' TERM INT EXIT
	i=0
	until grep -q 'Prism is listening' "$log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 1800 ] || ! kill -0 $pid 2>/dev/null; then
			echo "prism did not start: $(tail -n 5 "$log")" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "$port" >"$portfile.tmp" && mv "$portfile.tmp" "$portfile"
	wait $pid
	;;
*)
	echo "usage: prism.sh setup | start PORTFILE UPSTREAM LOG" >&2
	exit 64
	;;
esac
