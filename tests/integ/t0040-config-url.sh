#!/bin/sh
# t0040-config-url.sh: `ghrctl config` prints a header (config file, the
# GitHub scope and API the URL resolves to, column names) and checks the
# GitHub URL as every command uses it: https (plain http only to loopback
# or with --allow-http), a host, the path of an org, a repository or an
# enterprise (the forms of actions/scaleset's config URL); a bad one is a
# one-line error naming the setting and where it was set, exit 78.
. ./lib.sh

test_header() {
	test_init header
	printf 'MAX_RUNNERS=3\n' >"$T/cfg"
	GITHUB_CONFIG_URL=https://github.com/acme/app ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "exit 0"
	test_eq "$(sed -n 1p "$T/out")" "# config file: $T/cfg" "first line: the config file"
	test_eq "$(sed -n 2p "$T/out")" "# GitHub: repository acme/app, API https://api.github.com" "second line: scope and API"
	test_match "$T/out" '^KEY +VALUE +SOURCE$' "column names"
	ghrctl --url https://ghe.example.com/enterprises/big config >"$T/out"
	test_match "$T/out" '^# GitHub: enterprise big, API https://ghe.example.com/api/v3$' "GHES enterprise"
	GITHUB_ENTERPRISE_URL=https://ghe.example.com ORGANIZATION_NAME=acme ghrctl config >"$T/out"
	test_match "$T/out" '^# GitHub: organization acme, API https://ghe.example.com/api/v3$' "GITHUB_ENTERPRISE_URL and ORGANIZATION_NAME"
	ghrctl config >"$T/out"
	test_eq "$?" 0 "no URL: exit 0 (nothing to check yet)"
	test_match "$T/out" '^# GitHub: no URL set' "no URL: said so"
	ghrctl config -o json >"$T/out"
	$PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" && ok "json has no header" || not_ok "json broken: $(head -c 200 "$T/out")"
	test_done
}

bad_url() {	# URL WHERE REGEX MESSAGE
	GITHUB_CONFIG_URL=$1 ghrctl config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "$4: exit 78"
	test_eq "$(wc -l <"$T/err")" 1 "$4: one line"
	test_match "$T/err" "GITHUB_CONFIG_URL \\($2\\): .*$3" "$4: names the setting"
	grep -q '^GITHUB_CONFIG_URL ' "$T/out" && ok "$4: table still printed" || not_ok "$4: no table"
}

test_bad() {
	test_init bad
	bad_url http://github.com/acme 'env GITHUB_CONFIG_URL' "config URL 'http://github.com/acme' must use https://" "plain http"
	bad_url https://github.com/a/b/c 'env GITHUB_CONFIG_URL' "should name an org" "three path parts"
	bad_url https://github.com 'env GITHUB_CONFIG_URL' "" "no path"
	bad_url ftp://github.com/acme 'env GITHUB_CONFIG_URL' "is not an http\\(s\\) URL" "ftp"
	bad_url 'https:///acme' 'env GITHUB_CONFIG_URL' "" "no host"
	bad_url 'https://github.com/acme?x=1' 'env GITHUB_CONFIG_URL' "must not have a user, query or fragment" "a query"
	printf 'GITHUB_CONFIG_URL=github.com/acme\n' >"$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "from the file: exit 78"
	test_match "$T/err" "GITHUB_CONFIG_URL \\($T/cfg:1\\): " "names file:line"
	ghrctl --url http://127.0.0.1:8443/acme config >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "plain http to loopback is fine"
	GITHUB_CONFIG_URL=http://ghe.internal/acme ghrctl --allow-http config >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "plain http with --allow-http is fine"
	# The same check before any command talks to GitHub.
	GITHUB_CONFIG_URL=http://github.com/acme GITHUB_TOKEN=x ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "runners list: exit 78"
	test_match "$T/err" "GITHUB_CONFIG_URL \\(env GITHUB_CONFIG_URL\\): config URL 'http://github.com/acme' must use https://" "runners list: names the setting"
	test_done
}

run_test test_header
run_test test_bad
