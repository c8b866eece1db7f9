#!/bin/sh
# SPDX-License-Identifier: ISC
# t9030-secret-echo.sh: every secret the log mask must know, reflected by
# hostile fakes (--echo-secrets: an X-Echo reply header with the request's
# credentials and the secrets handed out before, see tests/fake/fakelib.py)
# and printed by the -vvv trace of reply headers: the PAT, the App's JWT
# and installation token, the registration, admin and queue tokens (new
# and read back from the state file), the AWS secret key and session
# token, JIT configs (scale set and REST: with sealed delivery they reach
# no request, so the fake that issued one reflects it in the reply to the
# next runner's JIT request), and the proxy credentials a forward proxy
# reflects.  Each must show as <redacted>, never in clear.
. ./lib.sh
. ./ec2lib.sh

TOK=ghp_T9030tokenValue0123456789
SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
STOK=FQoGZXIvYXdzT9030/SESSION+TOKEN=

# echoed FILE: the -vvv trace shows X-Echo headers, masked.
echoed() {
	test_match "$1" '< X-Echo: .*<redacted>' "$2: secrets echoed and masked"
}

# clear FILE TEXT WHAT: TEXT is nowhere in FILE.
clear_of() {
	if grep -qF -- "$2" "$1"; then not_ok "$3 in the -vvv log"; else ok "$3 not in the -vvv log"; fi
}

test_github_pat() {
	test_init github_pat
	test_ca && fake_start github --token "$TOK" --runners 3 --echo-secrets ||
	    { test_done; return; }
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
	ghrctl -vvv runners count >/dev/null 2>"$T/err"
	test_eq "$?" 0 "runners count"
	echoed "$T/err" "PAT"
	clear_of "$T/err" "$TOK" "PAT"
	test_done
}

test_github_app() {
	test_init github_app
	test_ca || { test_done; return; }
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/app.pem" 2>/dev/null &&
	    openssl rsa -in "$T/app.pem" -pubout -out "$T/app.pub" 2>/dev/null ||
	    not_ok "openssl could not make the test key"
	chmod 600 "$T/app.pem"
	fake_start github --app-id 31337 --app-key-pub "$T/app.pub" \
	    --installation-id 777 --runners 150 --echo-secrets || { test_done; return; }
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GHRCTL_CA_FILE="$CA/ca.pem" GITHUB_APP_ID=31337
	GITHUB_APP_PRIVATE_KEY_FILE="$T/app.pem" ghrctl -vvv runners count >/dev/null 2>"$T/err"
	test_eq "$?" 0 "runners count as an App"
	echoed "$T/err" "App"
	test_nomatch "$T/err" 'eyJ[A-Za-z0-9_-]{20}' "App JWT not in the -vvv log"
	test_nomatch "$T/err" 'ghs_[0-9a-f]{8}' "installation token not in the -vvv log"
	test_done
}

test_actions() {
	test_init actions
	as_setup --no-register --hold 1 --echo-secrets || { test_done; return; }
	ghrctl -vvv register >/dev/null 2>"$T/err"
	test_eq "$?" 0 "register"
	reg=$(sed -n 's/.*"Authorization": "RemoteAuth \([^"]*\)".*/\1/p' "$ACTIONS_LOG" | head -n 1)
	admin=$(sed -n 's/.*"Authorization": "Bearer \(ey[^"]*\)".*/\1/p' "$ACTIONS_LOG" | head -n 1)
	[ -n "$reg" ] && [ -n "$admin" ] && ok "fake saw both tokens" || not_ok "tokens not seen"
	echoed "$T/err" "register"
	clear_of "$T/err" "$reg" "registration token"
	clear_of "$T/err" "$admin" "admin token"
	clear_of "$T/err" ghp_test "PAT"
	# A new session's queue token, then the one read back from the state.
	ghrctl -vvv poll >/dev/null 2>"$T/err1"
	test_eq "$?" 0 "poll with a new session"
	ghrctl -vvv poll >/dev/null 2>"$T/err2"
	test_eq "$?" 0 "poll with the saved session"
	q=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["messageQueueAccessToken"])' \
	    "$T/state/scaleset-ghrctl-test.json" 2>/dev/null)
	[ -n "$q" ] && ok "queue token saved" || not_ok "no queue token in the state file"
	echoed "$T/err2" "poll"
	clear_of "$T/err1" "$q" "new queue token"
	clear_of "$T/err2" "$q" "saved queue token"
	test_done
}

# metric_fakes: the fake GitHub and the fake CloudWatch (echoing) for
# `ghrctl metric`, and the settings that reach them.
metric_fakes() {
	test_ca && fake_start github --token "$TOK" --runners 3 &&
	    fake_start aws --session-token "$STOK" --echo-secrets || return 1
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
}

test_aws() {
	test_init aws
	metric_fakes || { test_done; return; }
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=$SECRET
	export AWS_SESSION_TOKEN=$STOK AWS_REGION=us-east-1
	export AWS_SHARED_CREDENTIALS_FILE="$T/none" AWS_CONFIG_FILE="$T/none"
	ghrctl -vvv metric --label linux --asg-name a >/dev/null 2>"$T/err"
	test_eq "$?" 0 "metric"
	echoed "$T/err" "AWS"
	clear_of "$T/err" "$SECRET" "AWS secret key"
	clear_of "$T/err" "$STOK" "AWS session token"
	test_done
}

# The same keys from the shared credentials file: no setting of ghrctl's
# own holds them, so only the AWS client's mask can hide their echo.
test_aws_file() {
	test_init aws_file
	metric_fakes || { test_done; return; }
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = %s\naws_session_token = %s\n' \
	    "$SECRET" "$STOK" >"$T/credentials"
	chmod 600 "$T/credentials"
	export AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/none"
	export AWS_REGION=us-east-1
	ghrctl -vvv metric --label linux --asg-name a >/dev/null 2>"$T/err"
	test_eq "$?" 0 "metric (keys from the credentials file)"
	echoed "$T/err" "AWS (credentials file)"
	clear_of "$T/err" "$SECRET" "AWS secret key from the file"
	clear_of "$T/err" "$STOK" "AWS session token from the file"
	test_done
}

test_jit_launch() {
	test_init jit_launch
	# Both fakes reflect the JIT configs they issued in later replies.
	# Two runners: the second JIT reply echoes the first config.  One
	# launch worker: two would ask at once, and the reply to one could
	# echo the config the other thread has not read yet (a fake's echo
	# across connections; no client can mask what it has not seen).
	ACTIONS_ARGS=--echo-secrets ec2_setup --echo-secrets ||
	    { test_done; return; }
	stats 2
	GHRCTL_LAUNCH_CONCURRENCY=1 ghrctl -vvv scale >/dev/null 2>"$T/err"
	test_eq "$?" 0 "scale launches"
	test_eq "$(instances)" 2 "two instances"
	echoed "$T/err" "RunInstances"
	# The fake's JIT configs are base64 of "JITSECRET-...".
	test_nomatch "$T/err" 'SklUU0VDUkVU' "JIT config not in the -vvv log"
	test_done
}

test_rest_jit() {
	test_init rest_jit
	test_ca || { test_done; return; }
	printf '%s\n' '{"repos": [{"full_name": "acme/app", "runs": [{"id": 11,' \
	    '"status": "queued", "jobs": [{"id": 111, "status": "queued",' \
	    '"labels": ["linux"]}, {"id": 112, "status": "queued",' \
	    '"labels": ["linux"]}]}]}], "runners": {}}' >"$T/wf.json"
	fake_start github --token ghp_test --runners 0 --workflows "$T/wf.json" \
	    --echo-secrets && fake_start aws --echo-secrets ||
	    { test_done; return; }
	rest_env linux
	# One launch worker, as in test_jit_launch.
	GHRCTL_LAUNCH_CONCURRENCY=1 ghrctl -vvv scale --source rest >/dev/null 2>"$T/err"
	test_eq "$?" 0 "scale --source rest launches"
	test_eq "$(instances)" 2 "two instances"
	echoed "$T/err" "RunInstances (REST)"
	# base64 of '{".runner": "JIT-SECRET-', the fake GitHub's JIT configs
	test_nomatch "$T/err" 'eyIucnVubmVyIjogIkpJVC1TRUNSRVQt' "REST JIT config not in the -vvv log"
	test_done
}

test_proxy_password() {
	test_init proxy_password
	test_ca && fake_start httpd --plain && fake_start proxy --plain --echo-secrets ||
	    { test_done; return; }
	# Loopback is never proxied: the origin is origin.test, which the
	# fake proxy resolves to 127.0.0.1 (see t9020).
	HTTP_PROXY=http://ci:pw9030secret@127.0.0.1:$PROXY_PORT tool httpc -v --allow-http \
	    "http://origin.test:$HTTPD_PORT/hello" >"$T/out" 2>"$T/err"
	test_eq "$(head -n 1 "$T/out")" 200 "plain http through the proxy"
	echoed "$T/err" "proxy"
	clear_of "$T/err" "$(printf 'ci:pw9030secret' | base64)" "proxy credentials"
	test_done
}

run_test test_github_pat
run_test test_github_app
run_test test_actions
run_test test_aws
run_test test_aws_file
run_test test_jit_launch
run_test test_rest_jit
run_test test_proxy_password
