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

# mine: throttled replies ghrctl's key got
mine() {
	"$PY" -c 'import json,sys
t = json.load(open(sys.argv[1])).get("throttled_keys", {}).get("AKIDEXAMPLE", {})
print(sum(t.values()))' "$AWS_LOG.ec2" 2>/dev/null || echo 0
}

test_burst_paced() {
	test_init burst_paced
	ec2_setup --ec2-limits || { test_done; return; }
	# Pacing of one RunInstances per instance (GHRCTL_LAUNCH_BATCH=1):
	# batches are in t3130.
	export MAX_RUNNERS=20 GHRCTL_LAUNCH_BATCH=1
	stats 20
	start=$(date +%s)
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0"
	secs=$(($(date +%s) - start))
	test_eq "$(instances running)" 20 "all 20 launched through RunInstances' bucket of 5, 2 a second"
	n=$(throttled)
	[ "$n" -le 2 ] && ok "$n throttled replies (8 launch workers against a bucket of 5)" ||
	    not_ok "$n throttled replies: $(head -c 300 "$T/err")"
	[ "$secs" -ge 6 ] && ok "paced: $secs s for 20 launches (>= 7.5 s at 2 a second)" ||
	    not_ok "20 launches in $secs s: faster than EC2 allows"
	test -f "$T/state/ec2-pace-localhost_3a$AWS_PORT.json" && ok "bucket file in the state directory" ||
	    not_ok "no pace file: $(ls "$T/state")"
	test_eq "$(stat -c %a "$T/state/ec2-pace-localhost_3a$AWS_PORT.json")" 600 "pace file 0600"
	test_done
}

test_processes_share() {
	test_init processes_share
	ec2_setup --ec2-limits || { test_done; return; }
	RUNNER_SCALE_SET_NAME=ghrctl-test2 ghrctl register >/dev/null
	stats 1
	# Two loops of one-shot processes on two scale sets (each its own
	# state file lock), one state directory, each process making a DryRun
	# RunInstances: 10 calls within a second or two would empty a bucket
	# of 5 twice.
	pids=
	for k in ghrctl-test ghrctl-test2; do
		(for i in 1 2 3 4 5; do
			RUNNER_SCALE_SET_NAME=$k ghrctl scale --dry-run >/dev/null 2>>"$T/err-$k"
		done) &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	test_eq "$(calls RunInstances)" 10 "ten DryRun RunInstances"
	test_eq "$(throttled)" 0 "no throttled reply: one bucket for every process"
	test_eq "$(grep '"action": "RunInstances"' "$AWS_LOG" | grep -c '"error": "DryRunOperation"')" 10 \
	    "every one answered DryRunOperation"
	test_done
}

test_pacing_off() {
	test_init pacing_off
	ec2_setup --ec2-limits || { test_done; return; }
	export GHRCTL_EC2_PACING=0 AWS_MAX_ATTEMPTS=1
	stats 1
	# 16 at once: RunInstances' bucket holds 5 and refills 2 a second, so
	# even a sanitizer build, whose runs take a second each, overdraws it.
	pids=
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		ghrctl scale --dry-run >/dev/null 2>>"$T/err.$i" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	n=$(throttled)
	[ "$n" -ge 1 ] && ok "GHRCTL_EC2_PACING=0: the fake throttles ($n)" ||
	    not_ok "GHRCTL_EC2_PACING=0: no throttled reply"
	test_done
}

test_competing_consumer() {
	test_init competing_consumer
	ec2_setup --ec2-limits --static-key AKIDOTHERTOOL:othersecret || { test_done; return; }
	export MAX_RUNNERS=12 GHRCTL_LAUNCH_BATCH=1	# one call per instance
	# Another tool of the account takes 1 RunInstances token a second.
	"$PY" "$TOP/tests/fake/ec2load.py" --endpoint "https://localhost:$AWS_PORT" \
	    --ca "$CA/ca.pem" --access-key AKIDOTHERTOOL --secret-key othersecret \
	    --rate 1 --seconds 60 --out "$T/load" --ready "$T/ready" &
	lp=$!
	WAIT_TICKS=200 wait_for test -s "$T/ready"
	sleep 1
	stats 12
	start=$(date +%s)
	ghrctl scale -o json --log-level info >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0"
	secs=$(($(date +%s) - start))
	kill -TERM $lp
	wait $lp
	test_eq "$(instances running)" 12 "all 12 launched"
	n=$(mine)
	[ "$n" -le 6 ] && ok "$n throttled replies to ghrctl for 12 launches" ||
	    not_ok "$n throttled replies to ghrctl: a storm"
	test_match "$T/err" "RequestLimitExceeded: pacing RunInstances calls at [0-9.]+ a second" \
	    "the rate is lowered on RequestLimitExceeded"
	o=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["throttled"])' "$T/load")
	[ "$o" -le 6 ] && ok "the other tool got $o throttled replies ($secs s)" ||
	    not_ok "the other tool got $o throttled replies"
	test_done
}

run_test test_fake_buckets
run_test test_fake_limits_off
run_test test_burst_paced
run_test test_processes_share
run_test test_pacing_off
run_test test_competing_consumer
