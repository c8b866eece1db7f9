#!/bin/sh
# SPDX-License-Identifier: ISC
# t9020-transport-proxy.sh: HTTPS through a CONNECT proxy, plain http in
# absolute form, proxy basic auth from the proxy URL, NO_PROXY bypass
# (tests/fake/proxy.py in front of tests/fake/httpd.py); loopback and
# link-local hosts and credential endpoints never through a proxy, and no
# redirect to a link-local address.
#
# Loopback is never proxied, so the proxied origin is named origin.test
# (RFC 6761: never in DNS): the test certificate names it, the fake proxy
# resolves *.test to 127.0.0.1, and httpc --resolve does the same for the
# direct (NO_PROXY) cases, as curl --resolve does.
. ./lib.sh

TOK=ghp_T9020tokenValue0123456789

get() {
	g_name=$1
	shift
	tool httpc --resolve origin.test:127.0.0.1 "$@" >"$T/$g_name.out" \
	    2>"$T/$g_name.err"
	echo $? >"$T/$g_name.rc"
}

start() {
	test_ca && fake_start httpd && fake_start proxy --plain "$@" &&
	    GHRCTL_CA_FILE=$CA/ca.pem && export GHRCTL_CA_FILE
}

test_connect() {
	test_init connect
	start || { test_done; return; }
	HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT get a -n 5 \
	    "https://origin.test:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 0 "through the proxy: exit status"
	test_eq "$(cat "$T/a.out")" "$(printf '200\nhello')" "body"
	test_match "$T/proxy.log" "\"method\": \"CONNECT\".*\"target\": \"origin.test:$HTTPD_PORT\"" \
	    "CONNECT line recorded"
	test_eq "$(grep -c CONNECT "$T/proxy.log")" 1 "5 requests, one tunnel"
	test_match "$T/proxy.log" '"proxy_authorization": null' \
	    "no credentials sent when the URL has none"
	https_proxy=http://127.0.0.1:$PROXY_PORT get b \
	    "https://origin.test:$HTTPD_PORT/hello"
	test_eq "$(grep -c CONNECT "$T/proxy.log")" 2 "lower-case https_proxy"
	test_done
}

# A CONNECT reply of 5,000 header lines "a:b" with bare LF goes through
# the same head parser as any response (issue 13); so does the origin's
# reply behind it (httpd --header-bomb).
test_connect_header_bomb() {
	test_init connect_header_bomb
	test_ca && fake_start httpd --header-bomb 5000 &&
	    fake_start proxy --plain --header-bomb 5000 &&
	    GHRCTL_CA_FILE=$CA/ca.pem && export GHRCTL_CA_FILE ||
	    { test_done; return; }
	HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT get a \
	    "https://origin.test:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 0 "CONNECT reply with 5,000 lines: exit status"
	test_eq "$(head -n 1 "$T/a.out")" 200 "CONNECT reply with 5,000 lines: status"
	HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT \
	    GITHUB_CONFIG_URL=https://origin.test:$HTTPD_PORT/acme \
	    GITHUB_TOKEN=ghp_T9020bomb ghrctl runners list >"$T/b.out" 2>"$T/b.err"
	test_eq "$?" 0 "ghrctl runners list through the proxy: exit status"
	test_eq "$(grep -c CONNECT "$T/proxy.log")" 2 "both went through the proxy"
	test_done
}

test_no_proxy() {
	test_init no_proxy
	start || { test_done; return; }
	for np in origin.test '*' .test 'example.com, origin.test'; do
		HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT NO_PROXY=$np get a \
		    "https://origin.test:$HTTPD_PORT/hello"
		test_eq "$(head -n 1 "$T/a.out")" 200 "NO_PROXY='$np': status"
	done
	test_eq "$(wc -l <"$T/httpd.log")" 4 "requests reached the server"
	test_eq "$(cat "$T/proxy.log" 2>/dev/null | wc -l)" 0 \
	    "NO_PROXY: proxy bypassed"
	HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT NO_PROXY=example.com get b \
	    "https://origin.test:$HTTPD_PORT/hello"
	test_eq "$(grep -c CONNECT "$T/proxy.log")" 1 \
	    "non-matching NO_PROXY: proxy used"
	test_done
}

test_proxy_auth() {
	test_init proxy_auth
	start --auth 'ci:p@ss%w' || { test_done; return; }
	HTTPS_PROXY="http://ci:p%40ss%25w@127.0.0.1:$PROXY_PORT" get a \
	    "https://origin.test:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 0 "with credentials: exit status"
	want=$(printf 'ci:p@ss%%w' | base64)
	test_match "$T/proxy.log" "\"proxy_authorization\": \"Basic $want\"" \
	    "Proxy-Authorization basic from the URL userinfo"
	test_nomatch "$T/httpd.log" "Proxy-Authorization" \
	    "credentials not passed to the origin"
	HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT get b \
	    "https://origin.test:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/b.rc")" 77 "407: exit status (ERR_PERM)"
	test_match "$T/b.err" "requires authentication" "407: message"
	HTTPS_PROXY="http://ci:wrong@127.0.0.1:$PROXY_PORT" get c -v \
	    "https://origin.test:$HTTPD_PORT/hello"
	test_match "$T/c.err" "rejected the credentials" "wrong password"
	test_match "$T/c.err" "> Proxy-Authorization: <redacted>" \
	    "trace hides proxy credentials"
	test_nomatch "$T/c.err" "$(printf 'ci:wrong' | base64)" \
	    "encoded credentials never logged"
	test_done
}

test_plain_http_proxy() {
	test_init plain_http_proxy
	test_ca && fake_start httpd --plain && fake_start proxy --plain ||
	    { test_done; return; }
	HTTP_PROXY=http://u:pw@127.0.0.1:$PROXY_PORT get a --allow-http \
	    "http://origin.test:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.out")" "$(printf '200\nhello')" "plain via proxy"
	test_match "$T/proxy.log" "\"method\": \"GET\".*\"target\": \"http://origin.test:$HTTPD_PORT/hello\"" \
	    "absolute-form request line"
	test_match "$T/proxy.log" "Basic $(printf 'u:pw' | base64)" \
	    "Proxy-Authorization on absolute-form requests"
	HTTPS_PROXY=http://127.0.0.1:$PROXY_PORT get b --allow-http \
	    "http://origin.test:$HTTPD_PORT/hello"
	test_eq "$(grep -c GET "$T/proxy.log")" 1 \
	    "HTTPS_PROXY is not used for http://"
	HTTPS_PROXY=https://127.0.0.1:$PROXY_PORT get c \
	    "http://127.0.0.1:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/c.rc")" 78 "https:// proxy URL: ERR_CONFIG"
	# Loopback is reached directly, whatever NO_PROXY says.
	n=$(wc -l <"$T/proxy.log")
	for h in 127.0.0.1 localhost; do
		HTTP_PROXY=http://127.0.0.1:$PROXY_PORT NO_PROXY= get d \
		    "http://$h:$HTTPD_PORT/hello"
		test_eq "$(cat "$T/d.out")" "$(printf '200\nhello')" \
		    "http://$h: reached"
	done
	test_eq "$(wc -l <"$T/proxy.log")" "$n" "loopback never through the proxy"
	test_done
}

# A redirect to the instance metadata address is refused before any
# connection (httpd.py's /redirect sends what the query names).  Runs in a
# network namespace with only loopback (see the end of this file): were
# the refusal broken, the connection would fail there instead of reaching
# a real metadata service.
test_no_redirect_to_link_local() {
	test_init no_redirect_to_link_local
	test_ca && fake_start httpd --plain || { test_done; return; }
	for to in http://169.254.169.254/latest/meta-data/iam/ \
	    'http://[fe80::1]/x' 'http://[fd00:ec2::254]/latest/api/token' \
	    'http://[::ffff:169.254.170.2]/v2/credentials'; do
		get a "http://127.0.0.1:$HTTPD_PORT/redirect?to=$to"
		test_eq "$(cat "$T/a.rc")" 76 "redirect to $to: exit 76"
		test_match "$T/a.err" "redirected to link-local address .*: refused" \
		    "redirect to $to: refused"
	done
	test_done
}

# With both proxies set and NO_PROXY empty, ghrctl reaches GitHub, the AWS
# API, and the IMDS token and credential endpoints on loopback directly:
# the proxy sees nothing (it saw the IMDSv2 token PUT, the credential GETs
# and X-Amz-Security-Token before).
test_credentials_never_proxied() {
	test_init credentials_never_proxied
	test_ca && fake_start github --token "$TOK" --runners 2 &&
	    fake_start aws --region eu-west-3 && fake_start proxy --plain ||
	    { test_done; return; }
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	export AWS_SHARED_CREDENTIALS_FILE="$T/none" AWS_CONFIG_FILE="$T/none"
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT="https://localhost:$AWS_PORT/"
	export HTTPS_PROXY="http://127.0.0.1:$PROXY_PORT" NO_PROXY=
	export HTTP_PROXY="$HTTPS_PROXY"
	ghrctl metric --label linux --asg-name a >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "metric with IMDS credentials"
	test_match "$AWS_LOG" '"method": "PUT", "path": "/latest/api/token"' \
	    "the IMDS token came from the fake"
	test_eq "$(cat "$T/proxy.log" 2>/dev/null | wc -l | tr -d ' ')" 0 \
	    "the proxy saw nothing"
	test_done
}

if [ -n "${T9020_NETNS:-}" ]; then
	run_test test_no_redirect_to_link_local
	exit 0
fi
run_test test_connect
run_test test_connect_header_bomb
run_test test_no_proxy
run_test test_proxy_auth
run_test test_plain_http_proxy
run_test test_credentials_never_proxied
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
    command -v ip >/dev/null; then
	T9020_NETNS=1 unshare -n -- sh -c 'ip link set lo up && exec sh "$1"' \
	    sh "$0"
else
	TEST_NAME=no_redirect_to_link_local
	ok "skipped: needs root, unshare and ip for a network namespace"
fi
