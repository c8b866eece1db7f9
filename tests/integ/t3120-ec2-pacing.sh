#!/bin/sh
# t3120-ec2-pacing.sh: EC2's request throttling, as the fake EC2 enforces
# it (--ec2-limits: the token buckets of the EC2 API reference, 503
# RequestLimitExceeded), and ghrctl's client-side pacing of its EC2 calls.
. ./lib.sh
. ./ec2lib.sh

# load ARGS...: tests/fake/ec2load.py (another client of the account,
# botocore without retries) against the fake EC2; its summary in $T/load.
load() {
	"$PY" "$TOP/tests/fake/ec2load.py" --endpoint "https://localhost:$AWS_PORT" \
	    --ca "$CA/ca.pem" --access-key AKIDEXAMPLE \
	    --secret-key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY --out "$T/load" "$@"
}
# lfield KEY: a field of $T/load ("codes.X" for a code's count)
lfield() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d.get(k, 0) if isinstance(d, dict) else 0
print(d)' "$T/load" "$1"
}
# throttled [ACTION]: throttled replies the fake EC2 sent (for ACTION)
throttled() {
	"$PY" -c 'import json,sys
t = json.load(open(sys.argv[1])).get("throttled", {})
print(t.get(sys.argv[2], 0) if len(sys.argv) > 2 else sum(t.values()))' "$AWS_LOG.ec2" "$@" 2>/dev/null || echo 0
}

test_fake_buckets() {
	test_init fake_buckets
	ec2_setup --ec2-limits || { test_done; return; }
	# Ten RunInstances at once: the bucket holds 5 (EC2 API reference).
	load --rate 1000 --count 10
	test_eq "$(lfield calls)" 10 "ten calls"
	test_eq "$(lfield codes.DryRunOperation)" 5 "five pass (bucket of 5)"
	test_eq "$(lfield codes.RequestLimitExceeded)" 5 "five RequestLimitExceeded"
	test_eq "$(throttled RunInstances)" 5 "the fake counts them"
	test_eq "$(grep -c '"error": "RequestLimitExceeded"' "$AWS_LOG")" 5 "logged as such"
	# Refill of 2 a second: 10 a second for 3 s gets about 5 + 2 * 3.
	sleep 2.6
	load --rate 10 --count 30
	n=$(lfield codes.DryRunOperation)
	[ "$n" -ge 9 ] && [ "$n" -le 12 ] && ok "refill of 2 a second ($n of 30 pass)" ||
	    not_ok "refill of 2 a second: $n of 30 passed, want 9 to 12"
	# Describe has its own, larger bucket.
	load --action DescribeInstances --rate 1000 --count 30
	test_eq "$(lfield codes.ok)" 30 "DescribeInstances: bucket of 100"
	# Resource bucket: 1000 instances, MaxCount counts.
	sleep 2
	load --rate 1000 --count 2 --max-count 600
	test_eq "$(lfield codes.RequestResourceCountExceeded)" 1 \
	    "600 + 600 instances: RequestResourceCountExceeded"
	test_eq "$(instances)" 0 "throttled and DryRun calls launch nothing"
	test_done
}

test_fake_limits_off() {
	test_init fake_limits_off
	ec2_setup || { test_done; return; }
	load --rate 1000 --count 10
	test_eq "$(lfield codes.DryRunOperation)" 10 "off by default in tests"
	ectl '{"op":"limits","on":true}'
	load --rate 1000 --count 10
	test_eq "$(lfield codes.RequestLimitExceeded)" 5 "on through the control file"
	test_done
}

run_test test_fake_buckets
run_test test_fake_limits_off
