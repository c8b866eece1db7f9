#!/bin/sh
# SPDX-License-Identifier: ISC
# t9040-process-secrets.sh: secrets do not leave the process: --exec hooks
# get an allow-listed environment (no GITHUB_TOKEN, no AWS keys).
. ./lib.sh
. ./aslib.sh

test_exec_env() {
	test_init exec_env
	as_setup || { test_done; return; }
	ctl '{"op":"message","jobs":[{"messageType":"JobAssigned","runnerRequestId":21,"repositoryName":"app","ownerName":"acme","jobId":"j-21","requestLabels":["ghrctl-test"]}]}'
	AWS_ACCESS_KEY_ID=AKIDT9040 AWS_SECRET_ACCESS_KEY=t9040SecretKeyValue \
	    AWS_SESSION_TOKEN=t9040SessionTokenValue GH_TOKEN=ghp_t9040other \
	    GHRCTL_HOOK_URL=https://hooks.example/x LANG=C.UTF-8 LC_TIME=C \
	    ghrctl poll --exec "env >'$T/hook-env'; cat >/dev/null" \
	    >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "poll --exec exits 0"
	test_match "$T/hook-env" '^PATH=' "the hook has PATH"
	test_match "$T/hook-env" '^HOME=' "the hook has HOME"
	test_match "$T/hook-env" '^GHRCTL_HOOK_URL=https://hooks.example/x$' \
	    "GHRCTL_HOOK_* passed"
	test_match "$T/hook-env" '^LANG=C.UTF-8$' "locale passed"
	test_match "$T/hook-env" '^LC_TIME=C$' "LC_* passed"
	for v in GITHUB_TOKEN GH_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	    AWS_SESSION_TOKEN GITHUB_CONFIG_URL GHRCTL_CA_FILE; do
		test_nomatch "$T/hook-env" "^$v=" "$v not passed to the hook"
	done
	test_nomatch "$T/hook-env" 'SecretKeyValue|SessionTokenValue|ghp_' "no secret value in the hook's environment"
	test_done
}

run_test test_exec_env
