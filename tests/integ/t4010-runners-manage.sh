#!/bin/sh
# t4010-runners-manage.sh: runners delete/token/jit against the fake GitHub;
# busy runners refused (422, not retried); secrets never logged
. ./lib.sh

TOK=ghp_T4010tokenValue0123456789

gh_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
}

test_delete() {
	test_init delete
	test_ca && fake_start github --token "$TOK" --runners 10
	gh_env
	ghrctl runners delete --dry-run 1 runner-00002 >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "dry run exits 0"
	test_eq "$(tr '\n' '|' <"$T/out")" "would delete runner 1 (runner-00001)|would delete runner 2 (runner-00002)|" "dry run says what it would do"
	test_eq "$(grep -c '"DELETE"' "$GITHUB_LOG")" 0 "dry run sends no DELETE"
	ghrctl runners delete runner-00001 >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "delete by name"
	test_eq "$(cat "$T/out")" "deleted runner 1 (runner-00001)" "delete reported"
	test_match "$GITHUB_LOG" '"method": "DELETE", "path": "/api/v3/orgs/acme/actions/runners/1"' "DELETE sent"
	ghrctl runners delete 3 >"$T/out" 2>"$T/err"
	test_eq "$?" 1 "busy runner: exit 1"
	test_match "$T/err" 'runner 3 \(runner-00003\) not deleted: .*422.*still running a job' "busy runner: GitHub's reason"
	test_eq "$(grep -c '"path": "/api/v3/orgs/acme/actions/runners/3"' "$GITHUB_LOG")" 2 "422 not retried (one GET, one DELETE)"
	ghrctl runners delete --offline-only 2 5 >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--offline-only exits 0"
	test_eq "$(cat "$T/out")" "deleted runner 5 (runner-00005)" "--offline-only deletes only the offline one"
	test_match "$T/err" 'runner 2 \(runner-00002\) is online: skipped' "online runner skipped"
	ghrctl runners delete 4 6 77 >"$T/out" 2>"$T/err"
	test_eq "$?" 1 "mixed results: exit 1"
	test_eq "$(cat "$T/out")" "deleted runner 4 (runner-00004)" "the deletable one is deleted"
	test_match "$T/err" '2 of 3 runners not deleted' "summary of failures"
	test_match "$T/err" 'runner 77: not found' "missing runner reported"
	ghrctl runners delete >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "no operand: usage"
	test_done
}

test_tokens() {
	test_init tokens
	test_ca && fake_start github --token "$TOK" --runners 1
	gh_env
	ghrctl -vvv runners token >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "registration token"
	test_match "$T/out" '^REG[0-9A-F]{26}$' "token printed on stdout"
	test_match "$GITHUB_LOG" '"method": "POST", "path": "/api/v3/orgs/acme/actions/runners/registration-token"' "registration-token POST"
	tok=$(cat "$T/out")
	test_nomatch "$T/err" "$tok" "registration token not in the trace log"
	test_nomatch "$T/err" "$TOK" "PAT not in the trace log"
	test_match "$T/err" 'Authorization: <redacted>' "trace shows the header redacted"
	ghrctl runners token remove >"$T/out" 2>"$T/err"
	test_match "$T/out" '^REM[0-9A-F]{26}$' "remove token"
	ghrctl runners token bogus >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "bad token kind: usage"
	ghrctl config >"$T/out" 2>"$T/err"
	test_nomatch "$T/out" "$TOK" "config output masks the token"
	test_match "$T/out" '^GITHUB_TOKEN +<set>' "config shows <set>"
	test_done
}

test_jit() {
	test_init jit
	test_ca && fake_start github --token "$TOK" --runners 1
	gh_env
	ghrctl -vvv runners jit j1 --label gpu --label linux --runner-group 3 >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "jit exits 0"
	jit=$(cat "$T/out")
	test_eq "$(echo "$jit" | base64 -d)" '{".runner": "JIT-SECRET-j1"}' "encoded JIT config on stdout"
	test_nomatch "$T/err" "$jit" "JIT config not in the trace log"
	test_nomatch "$T/err" "JIT-SECRET" "JIT config body not in the trace log"
	test_match "$GITHUB_LOG" '"body": "\{\\"name\\":\\"j1\\",\\"runner_group_id\\":3,\\"labels\\":\[\\"gpu\\",\\"linux\\"\]\}"' "request body built with cJSON"
	test_match "$GITHUB_LOG" '"Content-Type": "application/json"' "JSON content type"
	ghrctl runners jit j1 --label gpu >"$T/out" 2>"$T/err"
	test_eq "$?" 1 "name in use: exit 1"
	test_match "$T/err" '409.*already exists' "409 explained"
	ghrctl runners jit j2 >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "no label: usage"
	test_done
}

run_test test_delete
run_test test_tokens
run_test test_jit
