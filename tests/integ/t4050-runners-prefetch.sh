#!/bin/sh
# t4050-runners-prefetch.sh: a listing of several pages fetches page n + 1
# on a second thread while page n is parsed (github.c).  The order and the
# number of pages stay exact, a page that fails midway ends the listing
# with that page's error and nothing fetched after it, a retried page
# still lands in order, and a stop signal during a slow page ends a
# --follow loop at once.
. ./lib.sh
. ./aslib.sh

TOK=ghp_T4050tokenValue0123456789

gh_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
}

# ids FILE: the ids of a JSON-lines listing, comma-separated.
ids() {
	"$PY" -c 'import json,sys
print(",".join(str(json.loads(l)["id"]) for l in open(sys.argv[1])))' "$1"
}

test_pages_in_order() {
	test_init pages_in_order
	test_ca && fake_start github --token "$TOK" --runners 1000
	gh_env
	ghrctl runners list -o json --stream >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "list exits 0"
	test_eq "$(ids "$T/out")" "$(seq -s, 1 1000)" "ids 1..1000, once each, in page order"
	fake_requests github >"$T/req"
	test_eq "$(grep -c '"GET"' "$T/req")" 10 "ten GETs for ten pages"
	test_eq "$(fake_conns github)" 1 "one connection for all pages"
	ghrctl runners count -o json >"$T/count" 2>"$T/err"
	test_eq "$?" 0 "count exits 0"
	"$PY" - "$T/count" <<'PY' && ok "count over ten pages" || not_ok "count: $(cat "$T/count")"
import json, sys
c = json.load(open(sys.argv[1]))
# tests/fake/github.py make_runner: every 5th offline, online i % 3 == 0 busy
on = [i for i in range(1, 1001) if i % 5 != 0]
busy = sum(1 for i in on if i % 3 == 0)
assert (c["busy"], c["idle"], c["offline"]) == (busy, len(on) - busy, 200), c
PY
	test_done
}

test_page_fails_midway() {
	test_init page_fails_midway
	test_ca && fake_start github --token "$TOK" --runners 1000 --mode 404 --mode-after 4
	gh_env
	ghrctl runners list -o json --stream >"$T/out" 2>"$T/err"
	st=$?
	test_eq "$st" 78 "a 404 on page 5 fails the listing (exit 78, as on page 1)"
	test_eq "$(ids "$T/out")" "$(seq -s, 1 400)" "the four pages before it are printed, in order"
	test_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "one error line"
	test_match "$T/err" 'not found' "the error names the 404"
	test_eq "$(grep -c '"GET"' "$GITHUB_LOG")" 5 "nothing fetched after the failed page"
	test_done
}

test_page_retried() {
	test_init page_retried
	test_ca && fake_start github --token "$TOK" --runners 500 --mode 500 --mode-after 2 --mode-count 3
	gh_env
	ghrctl runners list -o json --stream >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "a 500 on page 3 is retried"
	test_eq "$(ids "$T/out")" "$(seq -s, 1 500)" "every runner once, in order"
	test_eq "$(grep -c '"GET"' "$GITHUB_LOG")" 6 "five pages and one retry"
	test_done
}

test_stop_during_page() {
	test_init stop_during_page
	test_ca && fake_start github --token "$TOK" --runners 300 --page-delay 20
	gh_env
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secretsecret AWS_REGION=us-east-1
	ghrctl metric --follow --dry-run --interval 60s --label linux --asg-name x \
	    >"$T/out" 2>"$T/err" &
	job=$!
	page2() { grep -qs 'page=2' "$GITHUB_LOG"; }
	wait_for page2 && ok "page 2 asked for" || not_ok "page 2 never asked for"
	start=$(date +%s)
	kill -TERM "$(leaf "$job")"
	wait "$job"
	st=$?
	took=$(($(date +%s) - start))
	[ "$took" -le 3 ] && ok "SIGTERM during a 20 s page ends metric --follow in ${took}s" ||
	    not_ok "SIGTERM took ${took}s"
	test_eq "$st" 0 "exit 0 on SIGTERM"
	test_eq "$(grep -c '"GET"' "$GITHUB_LOG")" 2 "no retry after the stop"
	test_done
}

run_test test_pages_in_order
run_test test_page_fails_midway
run_test test_page_retried
run_test test_stop_during_page
