#!/bin/sh
# SPDX-License-Identifier: ISC
# t9030-log-hygiene.sh: what reaches stderr is fit for a terminal and a log
# file: no password from a proxy URL (even a URL that does not parse), no
# control characters a server sent (ESC, BEL), at every verbosity.
. ./lib.sh

TOK=ghp_T9030tokenValue0123456789

gh_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
}

test_proxy_password() {
	test_init proxy_password
	test_ca && fake_start github --token "$TOK" || { test_done; return; }
	gh_env
	for px in 'http://ci:s3cretPw@bad host:3128' \
	    'http://ci:s3cretPw@proxy:port' 'ci:s3cretPw@proxy:0' \
	    'socks5://ci:s3cretPw@proxy:1080'; do
		HTTPS_PROXY=$px ghrctl -vvv runners list >"$T/out" 2>"$T/err"
		test_eq "$?" 78 "HTTPS_PROXY='$px': exit 78"
		test_match "$T/err" "HTTPS_PROXY" "'$px': the setting is named"
		test_nomatch "$T/err" "s3cretPw" "'$px': no password in the error"
	done
	test_done
}

test_server_control_chars() {
	test_init server_control_chars
	test_ca && fake_start github --token "$TOK" \
	    --auth-message "$(printf 'Bad\033]0;owned\007creds\033[2J')" ||
	    { test_done; return; }
	gh_env
	for v in "" -v -vvv; do
		GITHUB_TOKEN=ghp_wrong GHRCTL_LOG_FORMAT=text ghrctl $v runners \
		    list >"$T/out" 2>"$T/err"
		test_eq "$?" 77 "401 ($v): exit 77"
		test_match "$T/err" 'Bad\\x1b\]0;owned\\x07creds\\x1b\[2J' \
		    "401 ($v): the server's message, escaped"
		test_eq "$(tr -d '\t\n -~' <"$T/err" | wc -c)" 0 \
		    "401 ($v): no control characters on stderr"
	done
	test_done
}

run_test test_proxy_password
run_test test_server_control_chars
