#!/bin/sh
# t4020-runners-errors.sh: every error path of the GitHub client: missing
# settings, 401, 403 (missing permission named), 404, 5xx, primary and
# secondary rate limits (waited out within --max-wait, else the reset time)
. ./lib.sh

TOK=ghp_T4020tokenValue0123456789

gh_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
}

test_config_errors() {
	test_init config_errors
	ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "no URL: exit 78"
	test_match "$T/err" 'no GitHub URL: set GITHUB_CONFIG_URL' "no URL explained"
	GITHUB_CONFIG_URL=https://github.com/a/b/c ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "bad URL: exit 78"
	test_match "$T/err" "should name an org" "bad URL explained"
	GITHUB_CONFIG_URL=https://github.com/acme ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "no credentials: exit 78"
	test_match "$T/err" 'no GitHub credentials: set GITHUB_TOKEN' "no credentials explained"
	GITHUB_ENTERPRISE_URL=https://x.ghe.com GITHUB_TOKEN=x ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "GITHUB_ENTERPRISE_URL without ORGANIZATION_NAME: exit 78"
	test_done
}

test_http_errors() {
	test_init http_errors
	test_ca
	fake_start github --token "$TOK" --runners 3 --mode 403
	gh_env
	ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "403: exit 77"
	test_match "$T/err" "needs the 'organization_self_hosted_runners=write' permission" "403 names the missing permission"
	cleanup
	rm -f "$T/github.log"
	fake_start github --token "$TOK" --runners 3 --mode 403-scope
	gh_env
	ghrctl runners count >"$T/out" 2>"$T/err"
	test_match "$T/err" "needs the 'admin:org' scope" "403 names the missing scope"
	cleanup
	rm -f "$T/github.log"
	fake_start github --token "$TOK" --runners 3
	gh_env
	GITHUB_TOKEN=ghp_wrong ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "401: exit 77"
	test_match "$T/err" "token rejected by localhost:$GITHUB_PORT \(Bad credentials\)" "401 says token rejected by HOST"
	GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/nosuch" ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "404: exit 78"
	test_match "$T/err" "organization nosuch not found on localhost:$GITHUB_PORT, or the token cannot see it" "404 explained"
	GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme/widgets" ghrctl runners show 9 >"$T/out" 2>"$T/err"
	test_eq "$?" 1 "404 on a runner: exit 1"
	cleanup
	rm -f "$T/github.log"
	fake_start github --token "$TOK" --runners 3 --mode 500
	gh_env
	ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 69 "500 after retries: exit 69"
	test_match "$T/err" "answered 500" "500 reported"
	test_eq "$(grep -c '"GET"' "$GITHUB_LOG")" 6 "5xx retried up to 6 attempts"
	test_done
}

test_primary_limit() {
	test_init primary_limit
	test_ca
	fake_start github --token "$TOK" --runners 150 --mode primary-limit --mode-count 1 --reset-in 1
	gh_env
	start=$(date +%s)
	ghrctl runners count -o csv --no-headers >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "primary limit waited out"
	end=$(date +%s)
	test_eq "$(cat "$T/out")" "40,80,30" "counts after the wait"
	test_match "$T/err" 'primary rate limit reached; waiting [0-9]+s' "the wait is logged"
	test_eq "$([ $((end - start)) -ge 1 ] && echo waited)" waited "waited until the reset"
	cleanup
	rm -f "$T/github.log"
	fake_start github --token "$TOK" --runners 3 --mode primary-limit --reset-in 600
	gh_env
	ghrctl runners list --max-wait 5s >"$T/out" 2>"$T/err"
	test_eq "$?" 75 "reset too far away: exit 75"
	test_match "$T/err" 'primary rate limit reached on localhost:[0-9]+; the budget resets at [0-9-]+ [0-9:]+ UTC \(in [0-9]+s\), more than --max-wait 5s away' "says when the budget resets"
	test_eq "$(grep -c '"GET"' "$GITHUB_LOG")" 1 "no retry when the wait is too long"
	test_done
}

test_secondary_limit() {
	test_init secondary_limit
	test_ca
	fake_start github --token "$TOK" --runners 3 --mode secondary-limit --mode-count 2 --retry-after 1
	gh_env
	ghrctl runners count -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "secondary limit (429 + retry-after) waited out"
	test_eq "$(grep -c '"GET"' "$GITHUB_LOG")" 3 "two limited attempts, then success"
	test_match "$T/err" 'secondary rate limit reached; waiting 1s' "secondary wait logged"
	cleanup
	rm -f "$T/github.log"
	fake_start github --token "$TOK" --runners 3 --mode secondary-noretry
	gh_env
	GHRCTL_MAX_WAIT=10s ghrctl runners count >"$T/out" 2>"$T/err"
	test_eq "$?" 75 "secondary limit without retry-after and a short max wait: exit 75"
	test_match "$T/err" 'secondary rate limit' "secondary limit named"
	test_done
}

run_test test_config_errors
run_test test_http_errors
run_test test_primary_limit
run_test test_secondary_limit
