#!/bin/sh
# t8010-aws-retry-endpoint.sh: AWS standard-mode retries (CloudWatch
# throttles with 400 Throttling, 5xx, attempt limit, each attempt signed
# afresh) and endpoint selection (--endpoint-url > AWS_ENDPOINT_URL_CLOUDWATCH
# > AWS_ENDPOINT_URL, path prefixes kept in the signature).
. ./lib.sh

TOK=ghp_T8010tokenValue0123456789

setup() {
	test_ca || return 1
	fake_start github --token "$TOK" --runners 10 && fake_start aws "$@" ||
	    return 1
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
	export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
	export AWS_REGION=us-east-1
}

metric() {
	ghrctl metric --label linux --asg-name a "$@" >"$T/out" 2>"$T/err"
}

api() {
	fake_requests aws | grep '"action": "PutMetricData"' >"$T/api"
	wc -l <"$T/api" | tr -d ' '
}

test_throttling_retried() {
	test_init throttling_retried
	setup --throttle 2 --retry-after-ms 20 || { test_done; return; }
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	metric
	test_eq "$?" 0 "two 400 Throttling replies, then success"
	test_eq "$(api)" 3 "three attempts"
	test_eq "$(grep -c '"error": "Throttling"' "$T/api")" 2 "two throttled"
	test_eq "$(sed -n 's/.*"body": "\([^"]*\)".*/\1/p' "$T/api" | sort -u | wc -l | tr -d ' ')" 1 \
	    "the same body on every attempt"
	test_done
}

test_throttling_exhausted() {
	test_init throttling_exhausted
	setup --throttle 10 --retry-after-ms 20 || { test_done; return; }
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	metric
	test_eq "$?" 75 "still throttled after 3 attempts: exit 75"
	test_eq "$(api)" 3 "standard mode: at most 3 attempts"
	test_match "$T/err" "PutMetricData in 'us-east-1' failed: Throttling: Rate exceeded \(RequestID " "AWS's code and message"
	AWS_MAX_ATTEMPTS=5 metric
	test_eq "$?" 75 "AWS_MAX_ATTEMPTS=5"
	test_eq "$(api)" 8 "five more attempts"
	test_done
}

test_5xx_retried() {
	test_init 5xx_retried
	setup --fail-5xx 1 || { test_done; return; }
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	metric
	test_eq "$?" 0 "a 500 InternalFailure, then success"
	test_eq "$(api)" 2 "two attempts"
	test_done
}

# 502, 503 and 504 without an AWS error code (a load balancer's HTML page)
# are retried like any 5xx: one attempt each, then success.
test_bare_5xx_retried() {
	test_init bare_5xx_retried
	setup --bare-5xx 502,503,504 || { test_done; return; }
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	AWS_MAX_ATTEMPTS=4 metric
	test_eq "$?" 0 "bare 502, 503, 504, then success"
	test_eq "$(api)" 4 "four attempts"
	for st in 502 503 504; do
		test_eq "$(grep -c "\"error\": \"bare-$st\"" "$T/api")" 1 \
		    "bare $st answered once, and retried"
	done
	test_done
}

test_bare_503_exhausted() {
	test_init bare_503_exhausted
	setup --bare-5xx 503,503,503 || { test_done; return; }
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	metric
	test_eq "$?" 69 "three bare 503s: out of attempts, exit 69"
	test_eq "$(api)" 3 "each 503 retried up to the attempt limit"
	test_match "$T/err" "HTTP 503 with no AWS error in the reply" \
	    "the error says what came back"
	test_done
}

test_not_retried() {
	test_init not_retried
	setup || { test_done; return; }
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	metric --namespace "$(printf 'x%.0s' $(seq 1 256))"
	test_eq "$?" 64 "bad namespace refused before sending"
	test_eq "$(api)" 0 "nothing sent"
	test_done
}

test_endpoints() {
	test_init endpoints
	setup || { test_done; return; }
	export AWS_ENDPOINT_URL="https://localhost:$AWS_PORT"
	metric
	test_eq "$?" 0 "AWS_ENDPOINT_URL used"
	export AWS_ENDPOINT_URL="https://localhost:1"
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT/prefix/"
	metric
	test_eq "$?" 0 "AWS_ENDPOINT_URL_CLOUDWATCH beats AWS_ENDPOINT_URL"
	fake_requests aws | tail -n 1 >"$T/last"
	test_match "$T/last" '"path": "/prefix/"' "path prefix kept (and signed: the fake accepted it)"
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:1"
	metric --endpoint-url "https://localhost:$AWS_PORT"
	test_eq "$?" 0 "--endpoint-url beats both"
	metric
	test_eq "$?" 69 "unreachable endpoint: exit 69"
	test_match "$T/err" "cloudwatch PutMetricData in 'us-east-1'" "which call failed"
	test_done
}

# The fake's JSON 1.0 side (what newer botocore sends for CloudWatch):
# a botocore-signed JSON request is accepted, string timestamps are not.
test_fake_json_protocol() {
	test_init fake_json_protocol
	setup || { test_done; return; }
	"$PY" - "$AWS_PORT" "$CA/ca.pem" >"$T/json.out" 2>&1 <<'PYEOF'
import json, sys, urllib.request, ssl
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
port, ca = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
def send(doc):
    url = "https://localhost:%s/" % port
    req = AWSRequest(method="POST", url=url, data=json.dumps(doc).encode(),
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
                 "x-amzn-query-mode": "true"})
    SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
              "monitoring", "us-east-1").add_auth(req)
    r = urllib.request.Request(url, data=req.body, headers=dict(req.headers), method="POST")
    try:
        with urllib.request.urlopen(r, context=ctx) as resp:
            return resp.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("x-amzn-query-error")
print(*send({"Namespace": "GitHubRunners", "MetricData": [{"MetricName": "IdleRunners",
      "Dimensions": [{"Name": "asg_name", "Value": "a"}], "Value": 3.0, "Unit": "Count",
      "Timestamp": 1795417200}]}))
print(*send({"Namespace": "GitHubRunners", "MetricData": [{"MetricName": "IdleRunners",
      "Timestamp": "2026-11-23T07:00:00Z"}]}))
print(*send({"Namespace": "GitHubRunners", "MetricDatum": []}))
PYEOF
	test_eq "$(sed -n 1p "$T/json.out")" "200 " "botocore-signed JSON 1.0 PutMetricData accepted"
	test_eq "$(sed -n 2p "$T/json.out")" "400 InvalidParameterValue;Sender" "string timestamp refused"
	test_eq "$(sed -n 3p "$T/json.out")" "400 InvalidParameterValue;Sender" "unknown member refused"
	test_done
}

run_test test_fake_json_protocol
run_test test_throttling_retried
run_test test_throttling_exhausted
run_test test_5xx_retried
run_test test_bare_5xx_retried
run_test test_bare_503_exhausted
run_test test_not_retried
run_test test_endpoints
