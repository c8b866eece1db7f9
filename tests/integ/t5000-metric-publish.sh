#!/bin/sh
# t5000-metric-publish.sh: ghrctl metric end to end against the fake GitHub
# and the fake AWS (CloudWatch query protocol, botocore-checked signatures
# and parameter names): counts, names, dimensions, --dry-run, -o json,
# --follow --count, and the aws CLI accepted by the same fake.
. ./lib.sh

TOK=ghp_T5000tokenValue0123456789
AKID=AKIDEXAMPLE
SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

# 7 runners with installation_id:abc: online busy 2, online idle 3,
# offline 2 (one of them busy); 2 runners of another installation.
runners_json() {
	"$PY" - "$1" <<'PYEOF'
import json, sys
spec = [("online", True, "abc"), ("online", True, "abc"),
        ("online", False, "abc"), ("online", False, "abc"),
        ("online", False, "abc"), ("offline", False, "abc"),
        ("offline", True, "abc"), ("online", True, "xyz"),
        ("online", False, "xyz")]
out = []
for i, (st, busy, inst) in enumerate(spec, 1):
    labels = ["self-hosted", "linux", "installation_id:" + inst]
    out.append({"id": i, "name": "r%d" % i, "os": "linux", "status": st,
                "busy": busy, "ephemeral": False, "runner_group_id": 1,
                "labels": [{"id": n, "name": l, "type": "custom"}
                           for n, l in enumerate(labels)]})
json.dump(out, open(sys.argv[1], "w"))
PYEOF
}

setup() {
	test_ca || return 1
	runners_json "$T/runners.json"
	# shellcheck disable=SC2086
	fake_start github --token "$TOK" --runners-json "$T/runners.json" ${GH_ARGS:-} &&
	    fake_start aws "$@" || return 1
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
	export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET
	export AWS_REGION=us-east-1
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
}

puts() {
	fake_requests aws | grep '"action": "PutMetricData"' |
	    grep -v '"error"' | wc -l | tr -d ' '
}

test_publish() {
	test_init publish
	setup || { test_done; return; }
	ghrctl metric --installation-id abc --asg-name my-runners >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "metric exits 0"
	test_match "$T/out" ' BusyRunners +2 +Count +asg_name=my-runners$' "busy = online busy runners"
	test_match "$T/out" ' IdleRunners +3 +Count +asg_name=my-runners$' "idle = online idle runners"
	test_eq "$(puts)" 1 "one PutMetricData request"
	fake_requests aws >"$T/req"
	test_match "$T/req" '"Namespace": "GitHubRunners"' "namespace GitHubRunners"
	test_match "$T/req" '"MetricData.member.1.MetricName": "BusyRunners"' "member 1 BusyRunners"
	test_match "$T/req" '"MetricData.member.1.Value": "2"' "busy value 2"
	test_match "$T/req" '"MetricData.member.2.MetricName": "IdleRunners"' "member 2 IdleRunners"
	test_match "$T/req" '"MetricData.member.2.Value": "3"' "idle value 3"
	test_match "$T/req" '"MetricData.member.2.Dimensions.member.1.Name": "asg_name"' "dimension name asg_name"
	test_match "$T/req" '"MetricData.member.2.Dimensions.member.1.Value": "my-runners"' "dimension value"
	test_match "$T/req" '"MetricData.member.1.Unit": "Count"' "unit Count"
	test_match "$T/req" '"MetricData.member.1.Timestamp": "20[0-9-]+T[0-9:]+Z"' "ISO timestamp"
	test_match "$T/req" 'Credential=AKIDEXAMPLE/[0-9]{8}/us-east-1/monitoring/aws4_request' "scope uses signing name monitoring"
	test_nomatch "$T/err" "$SECRET" "secret never on stderr"
	fake_requests github | grep -c '"GET"' >"$T/n"
	test_eq "$(cat "$T/n")" 1 "one GitHub list request"
	test_done
}

test_json_extra_dimensions() {
	test_init json_extra_dimensions
	setup || { test_done; return; }
	ghrctl metric -o json --extra --label installation_id:abc --namespace Team/CI \
	    --dimension pool=linux --dimension env=prod --high-resolution >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "metric -o json exits 0"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); m={x["name"]:x["value"] for x in d["metrics"]}; print(d["namespace"], d["published"], m["BusyRunners"], m["IdleRunners"], m["OfflineRunners"], d["dimensions"]["pool"], d["dimensions"]["env"])' "$T/out" >"$T/j"
	test_eq "$(cat "$T/j")" "Team/CI True 2 3 2 linux prod" "JSON result"
	fake_requests aws >"$T/req"
	test_match "$T/req" '"MetricData.member.3.MetricName": "OfflineRunners"' "OfflineRunners with --extra"
	test_match "$T/req" '"MetricData.member.1.Dimensions.member.2.Name": "env"' "second dimension"
	test_match "$T/req" '"MetricData.member.1.StorageResolution": "1"' "StorageResolution=1"
	test_match "$T/req" '"body": "Action=PutMetricData&Version=2010-08-01&Namespace=Team%2FCI&' "'/' percent-encoded in the form body"
	test_done
}

test_dry_run_sends_nothing() {
	test_init dry_run_sends_nothing
	setup || { test_done; return; }
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	ghrctl metric -n --installation-id abc --asg-name my-runners >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "dry run exits 0 without AWS credentials"
	test_match "$T/out" 'IdleRunners +3 ' "prints the datapoints"
	test_eq "$(fake_requests aws | wc -l | tr -d ' ')" 0 "nothing sent to AWS"
	test_done
}

test_follow_count() {
	test_init follow_count
	setup || { test_done; return; }
	ghrctl metric --follow --interval 1s --count 3 -o json --installation-id abc \
	    --asg-name my-runners >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--follow --count 3 exits 0"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 3 "three NDJSON lines"
	test_eq "$(puts)" 3 "three PutMetricData requests"
	test_eq "$(fake_conns aws)" 1 "one connection to CloudWatch for all rounds"
	# The same runner pages every round: rounds 2 and 3 ask conditionally
	# and the fake's 304s save quota; the counts stay right.
	test_eq "$(grep -c '"If-None-Match"' "$GITHUB_LOG")" 2 "rounds 2 and 3 send If-None-Match"
	test_eq "$(grep -c IdleRunners "$T/out")" 3 "every round publishes"
	grep -q 'rate limit' "$T/err" && not_ok "quota warning for 1 page a second: $(cat "$T/err")" || ok "1 page a second fits 5000 an hour: no warning"
	ghrctl runners list >/dev/null 2>&1 && ghrctl runners list >/dev/null 2>&1
	test_eq "$?" 0 "runners list twice"
	test_eq "$(grep -c '"If-None-Match"' "$GITHUB_LOG")" 2 "one-shot listings keep no cache"
	test_done
}

# 2 pages a round every second is 7200 requests an hour, above the 5000
# the fake's x-ratelimit-limit reports (GitHub's for a personal token):
# one warning naming the interval that fits.
test_quota_warning() {
	test_init quota_warning
	GH_ARGS="--max-per-page 2" setup || { test_done; return; }
	ghrctl metric --follow --interval 1s --count 2 -o json --installation-id abc \
	    --asg-name my-runners >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "exit 0"
	test_eq "$(grep -c 'rate limit of 5000' "$T/err")" 1 "one rate-limit warning"
	test_match "$T/err" 'requests a round every 1s is [0-9]* an hour.*use --interval [0-9]*s or more' "the warning names the interval that fits"
	test_done
}

test_usage_and_failure() {
	test_init usage_and_failure
	setup || { test_done; return; }
	test_status 64 "no --installation-id/--label" ghrctl metric --asg-name x 2>/dev/null
	test_status 64 "no --asg-name/--dimension" ghrctl metric --installation-id abc 2>/dev/null
	test_status 64 "--count without --follow" ghrctl metric --installation-id abc --asg-name x --count 2 2>/dev/null
	test_status 64 "reserved AWS/ namespace" ghrctl metric --installation-id abc --asg-name x --namespace AWS/EC2 2>/dev/null
	export GITHUB_TOKEN=ghp_wrong
	ghrctl metric --installation-id abc --asg-name x >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "GitHub token refused: exit 77"
	test_eq "$(puts)" 0 "nothing published when counting failed"
	test_done
}

# The aws CLI (Debian's 2.9.19, botocore 1.29.27) is accepted by the same
# fake, and a tampered request is not: the fake is a fair judge.
test_aws_cli_accepted() {
	test_init aws_cli_accepted
	if [ ! -x /usr/bin/aws ]; then
		ok "SKIP: /usr/bin/aws not installed"
		test_done
		return
	fi
	setup || { test_done; return; }
	AWS_CA_BUNDLE="$CA/ca.pem" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	    timeout 60 /usr/bin/aws cloudwatch put-metric-data --endpoint-url "https://localhost:$AWS_PORT" \
	    --namespace GitHubRunners --metric-name IdleRunners --value 3 --unit Count \
	    --dimensions asg_name=my-runners >"$T/cli.out" 2>&1
	test_eq "$?" 0 "aws cloudwatch put-metric-data accepted ($(head -c 200 "$T/cli.out"))"
	AWS_CA_BUNDLE="$CA/ca.pem" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	    AWS_SECRET_ACCESS_KEY=wrong timeout 60 /usr/bin/aws cloudwatch put-metric-data \
	    --endpoint-url "https://localhost:$AWS_PORT" --namespace GitHubRunners \
	    --metric-name IdleRunners --value 3 >"$T/cli.out" 2>&1
	test_eq "$?" 254 "aws CLI with a wrong secret refused"
	test_match "$T/cli.out" 'SignatureDoesNotMatch' "the CLI shows SignatureDoesNotMatch"
	test_done
}

run_test test_publish
run_test test_json_extra_dimensions
run_test test_dry_run_sends_nothing
run_test test_follow_count
run_test test_quota_warning
run_test test_usage_and_failure
run_test test_aws_cli_accepted
