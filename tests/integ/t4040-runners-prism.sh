#!/bin/sh
# t4040-runners-prism.sh: contract check: every REST request ghrctl makes
# (list with pagination, show by id and by name, count, delete, both
# tokens, JIT, the runner-group list of `scale --source rest`) goes through `prism proxy --errors` loaded with GitHub's
# published GHES OpenAPI description (@octokit/openapi, trimmed to the
# runner paths by tests/fake/prism.sh) in front of the fake; Prism answers
# 422 to any request the description does not allow and 500 to any reply
# of the fake that breaks it.  Skipped only when npm cannot install Prism.
. ./lib.sh

TOK=ghp_T4040tokenValue0123456789

test_prism_contract() {
	test_init prism_contract
	if ! reason=$(sh "$TOP/tests/fake/prism.sh" setup 2>&1); then
		echo "ok - $SCRIPT: prism_contract: # SKIP Prism unavailable: $reason"
		test_done
		return 0
	fi
	test_ca
	fake_start github --plain --token "$TOK" --runners 150 --link-base-file "$T/link-base"
	sh "$TOP/tests/fake/prism.sh" start "$T/prism.port" \
	    "http://127.0.0.1:$GITHUB_PORT" "$T/prism.log" >"$T/prism.out" 2>&1 &
	FAKE_PIDS="$FAKE_PIDS $!"
	# Node loads GitHub's whole OpenAPI description first: on a loaded
	# 2-core machine that has taken over 30 s.  prism.sh gives up after
	# 180 s; wait as long.
	WAIT_TICKS=3700 wait_for test -s "$T/prism.port" || {
		not_ok "prism did not start: $(cat "$T/prism.out")"
		test_done
		return 0
	}
	pp=$(cat "$T/prism.port")
	echo "http://127.0.0.1:$pp" >"$T/link-base"
	export GITHUB_CONFIG_URL="http://127.0.0.1:$pp/acme" GITHUB_TOKEN="$TOK"
	for cmd in "runners list -o json" "runners count" "runners show 7" \
	    "runners show runner-00008" "runners delete 5" "runners token" \
	    "runners token remove" "runners jit p1 --label gpu --label x64"; do
		# shellcheck disable=SC2086
		ghrctl $cmd >"$T/out" 2>"$T/err"
		test_eq "$?" 0 "ghrctl $cmd through Prism"
	done
	# RUNNER_GROUP by name: the runner-group list (no such group, so
	# nothing after it: the job scan's paths are not in the description).
	GHRCTL_STATE_DIR="$T/state" RUNNER_LABELS=linux RUNNER_GROUP=nosuch \
	    EC2_AMI_ID=ami-0123456789abcdef0 EC2_INSTANCE_TYPE=m5.large \
	    EC2_SUBNET_ID=subnet-0aaa AWS_REGION=us-east-1 \
	    AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI \
	    ghrctl scale --source rest -n >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "ghrctl scale --source rest, unknown RUNNER_GROUP, through Prism ($(cat "$T/err"))"
	test_eq "$(grep -c '"GET", "path": "/api/v3/orgs/acme/actions/runner-groups?per_page=100"' "$GITHUB_LOG")" 1 "runner groups listed through Prism"
	test_eq "$(grep -c '"GET", "path": "/api/v3/orgs/acme/actions/runners?' "$GITHUB_LOG")" 5 "both lists paged through Prism, plus the name lookup"
	grep -E 'VIOLATIONS|Violation|violation|Request .* must|Response .* must|NO_PATH_MATCHED|UNPROCESSABLE' "$T/prism.log" >"$T/violations"
	test_eq "$(wc -l <"$T/violations" | tr -d ' ')" 0 "Prism saw no contract violation ($(head -c 300 "$T/violations"))"
	test_eq "$(grep -c 'Forwarding' "$T/prism.log")" "$(grep -c '"method"' "$GITHUB_LOG")" "every request was forwarded"
	# The check can fail: a request the description forbids is caught.
	curl -s -o "$T/bad" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	    -d '{"runner_group_id":"one","labels":[]}' \
	    "http://127.0.0.1:$pp/api/v3/orgs/acme/actions/runners/generate-jitconfig" >"$T/code"
	test_eq "$(cat "$T/code")" 422 "Prism rejects an invalid JIT request"
	test_done
}

run_test test_prism_contract
