#!/bin/sh
# t3130-batch-launch.sh: batched launches (issue 14).  The runners of a
# pass go in one RunInstances with MinCount=1, MaxCount=N per launch
# choice, under a ClientToken made from the scale set, the sorted runner
# names and the choice, recorded in the state file before the call; each
# instance is then tagged with its runner (one CreateTags each).  The
# invariants: no job launched twice across retries, restarts (kill -9
# between the state write and the call, or while EC2 answers) and
# replays with other bytes (IdempotentParameterMismatch), MAX_RUNNERS
# under partial fulfilment, spot -> on-demand per batch.
. ./lib.sh
. ./ec2lib.sh

# pending: how many batch launches the state file records
pending() {
	"$PY" -c 'import json,sys
print(len(json.load(open(sys.argv[1])).get("launches", [])))' "$T/state/scaleset-ghrctl-test.json" 2>/dev/null || echo 0
}
# distinct: how many distinct runners the instances are tagged with
distinct() { names | tr ' ' '\n' | grep -c .; }
# bound_by_index: "ok" when instance k of each call is the call's k-th
# runner in name order (the order a replay binds them in)
bound_by_index() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
by = {}
for i in d["instances"]:
    by.setdefault(i["token"], []).append(i)
for v in by.values():
    names = sorted(i["tags"]["ghrctl:runner"] for i in v)
    for i in v:
        assert i["tags"]["ghrctl:runner"] == names[i["launch_index"]], i
print("ok")' "$AWS_LOG.ec2" 2>&1 | tail -n 1
}

test_batch_one_call() {
	test_init batch_one_call
	ec2_setup || { test_done; return; }
	stats 8
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 8 "8 instances"
	test_eq "$(calls RunInstances)" 1 "one RunInstances"
	test_match "$(params RunInstances >"$T/p"; echo "$T/p")" '"MaxCount": "8"' "MaxCount=8"
	test_match "$T/p" '"MinCount": "1"' "MinCount=1: a partial launch is taken"
	test_eq "$(distinct)" 8 "8 distinct runners, one instance each"
	test_eq "$(calls CreateTags)" 8 "one CreateTags per instance"
	test_eq "$(bound_by_index)" ok "instance k is the k-th runner by name"
	test_eq "$(pending)" 0 "no launch left pending in the state file"
	test_eq "$(stat -c %a "$T/state/scaleset-ghrctl-test.json")" 600 "state file stays 0600"
	# GHRCTL_LAUNCH_BATCH=1: the design before, one call per instance.
	stats 10
	GHRCTL_LAUNCH_BATCH=1 ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(calls RunInstances)" 3 "GHRCTL_LAUNCH_BATCH=1: one call for each of 2 more"
	test_eq "$(distinct)" 10 "10 distinct runners"
	test_done
}

# kill -9 after the batch is recorded, before RunInstances is sent (the
# call waits for a RunInstances token: a bucket of 1 refilled every 8 s);
# the next run replays it first: one instance per runner, never two.
# One instance (the bucket's only token), then a run for 3 more that is
# killed while the pacer holds the batch it recorded.
recorded_then_killed() {
	stats 1
	GHRCTL_EC2_LIMIT_RUN=1/0.125,1000/2 ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances running)" 1 "one instance (the bucket's token)"
	stats 4
	GHRCTL_EC2_LIMIT_RUN=1/0.125,1000/2 ghrctl scale >"$T/out" 2>"$T/err" &
	pid=$!
	recorded() { [ "$(pending)" = 1 ]; }
	WAIT_TICKS=400 wait_for recorded && ok "the batch is recorded before the call" ||
	    not_ok "no pending launch: $(cat "$T/state/scaleset-ghrctl-test.json")"
	kill -KILL "$(leaf "$pid")"
	wait "$pid" 2>/dev/null
}

test_killed_before_call() {
	test_init killed_before_call
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=10
	recorded_then_killed
	test_eq "$(calls RunInstances)" 1 "killed before RunInstances was sent"
	"$PY" -c 'import json,sys
l = json.load(open(sys.argv[1]))["launches"][0]
print(l["clientToken"][:7], l["market"], l["instanceType"], l["subnetId"], len(l["runners"]))' \
	    "$T/state/scaleset-ghrctl-test.json" >"$T/rec"
	test_eq "$(cat "$T/rec")" "ghrctl- on-demand m5.large subnet-0aaa 3" "the record: token, choice, 3 runners"
	ghrctl scale --log-level info >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "the next run exits 0 ($(tail -n 1 "$T/err"))"
	test_match "$T/err" 'replaying the launch ghrctl-' "it replays the recorded batch first"
	test_eq "$(instances running)" 4 "4 instances for 4 jobs"
	test_eq "$(distinct)" 4 "4 distinct runners"
	test_eq "$(asked)" 4 "4 instances asked for in all"
	test_eq "$(pending)" 0 "nothing left pending"
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances running)" 4 "a further run launches nothing"
	test_done
}

# A recorded launch whose replay is throttled stays unknown: it may still
# make its instances.  Until it is resolved its runners count toward
# MAX_RUNNERS and are launched by no other call: a bigger batch under
# another token would make a second instance for each of them (found by
# the t3900 fault matrix: max live 28 of 15).
test_unresolved_replay() {
	test_init unresolved_replay
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=6
	recorded_then_killed
	# More demand, and the replays throttled (before the plan and before
	# the launches): the record stays unknown.
	stats 6
	ectl '{"op":"throttle","action":"RunInstances","count":2}'
	AWS_MAX_ATTEMPTS=1 ghrctl scale --log-level info >"$T/out" 2>"$T/err"
	test_eq "$(pending)" 1 "the throttled replay keeps the record"
	test_eq "$(instances)" 3 "1 + the 2 the record leaves room for, of MAX_RUNNERS 6"
	test_eq "$(distinct)" 3 "none of them for a recorded runner"
	ghrctl scale --log-level info >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "the next run exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(pending)" 0 "the replay resolved it"
	test_eq "$(instances)" 6 "6 instances for 6 jobs"
	test_eq "$(distinct)" 6 "6 distinct runners"
	test_eq "$(ec2 max_live)" 6 "never more than MAX_RUNNERS 6 live"
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances)" 6 "a further run launches nothing"
	test_done
}

# The message path (poll --follow --scale): job 2's launch is recorded
# and killed while the pacer holds it; after the restart the replay is
# throttled (unresolved) when jobs 2 and 3 come again in one message.
# Runner ghrctl-1-r2 is held for the replay, not put in a batch with r3
# under another ClientToken, which would make a second instance for it
# once the replay makes the first.
test_unresolved_held_name() {
	test_init unresolved_held_name
	ACTIONS_ARGS="--hold 5" ec2_setup || { test_done; return; }
	export MAX_RUNNERS=10
	GHRCTL_EC2_LIMIT_RUN=1/0.125,1000/2 scaler_start --log-level info
	msg 1 1
	one() { [ "$(instances running)" = 1 ]; }
	wait_long one
	msg 2 2
	recorded() { [ "$(pending)" = 1 ]; }
	WAIT_TICKS=400 wait_for recorded && ok "job 2's batch is recorded before the call" ||
	    not_ok "no pending launch"
	kill -KILL "$(leaf "$job")"
	wait "$job" 2>/dev/null
	test_eq "$(calls RunInstances)" 1 "killed before job 2's RunInstances was sent"
	# Two throttled replies: the replay at the start and the one before
	# the next batch.
	ectl '{"op":"throttle","action":"RunInstances","count":2}'
	AWS_MAX_ATTEMPTS=1 scaler_start --log-level info
	throttled() { [ "$(calls RunInstances)" -ge 2 ]; }
	wait_long throttled
	msg 3 2 3
	three() { [ "$(calls RunInstances)" -ge 4 ]; }
	wait_long three
	# Another pass replays the record (the throttling is over).
	msg 3
	resolved() { [ "$(pending)" = 0 ]; }
	wait_long resolved && ok "the replay resolved the record" || not_ok "still pending: $(pending)"
	all3() { [ "$(instances)" -ge 3 ]; }
	wait_long all3
	scaler_stop
	test_match "$T/err" 'runner ghrctl-1-r2: not launched again: its earlier launch is not resolved yet' \
	    "r2 waits for its recorded launch"
	test_eq "$(instances)" 3 "3 instances for jobs 1, 2 and 3"
	test_eq "$(distinct)" 3 "3 distinct runners: none twice ($(names))"
	test_done
}

# kill -9 while EC2 answers (it made the instances); the next run sends
# the same request (EC2 returns them); with another template the bytes
# differ: IdempotentParameterMismatch, and the client-token lookup finds
# every instance of the call.
killed_in_call() {
	test_init "killed_in_call${1:+_$1}"
	ec2_setup || { test_done; return; }
	ectl '{"op":"delay","action":"RunInstances","seconds":30,"count":1}'
	stats 5
	ghrctl scale >"$T/out" 2>"$T/err" &
	pid=$!
	made() { [ "$(instances)" = 5 ]; }
	wait_long made && ok "EC2 made 5 instances" || not_ok "instances: $(instances)"
	kill -KILL "$(leaf "$pid")"
	wait "$pid" 2>/dev/null
	test_eq "$(pending)" 1 "the batch is still recorded"
	if [ "${1:-}" = mismatch ]; then
		printf '#!/bin/sh\n# another template {{SIGNING_KEY}}\n' >"$T/tmpl"
		export GHRCTL_USER_DATA_TEMPLATE="$T/tmpl"
	fi
	if [ "${1:-}" = throttled ]; then
		# A throttled replay says nothing of the first call: kept.
		ectl '{"op":"throttle","action":"RunInstances","count":1}'
		AWS_MAX_ATTEMPTS=1 ghrctl scale >"$T/out" 2>"$T/err"
		test_eq "$(pending)" 1 "a throttled replay keeps the record"
		test_eq "$(instances)" 5 "and launches nothing"
	fi
	ghrctl scale --log-level info >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "the next run exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances)" 5 "no sixth instance"
	test_eq "$(ec2 max_live)" 5 "never more than 5 live"
	test_eq "$(distinct)" 5 "each instance bound to its own runner"
	test_eq "$(bound_by_index)" ok "bound by launch index, as the first run would have"
	test_eq "$(pending)" 0 "nothing left pending"
	if [ "${1:-}" = mismatch ]; then
		test_eq "$(grep -c '"error": "IdempotentParameterMismatch"' "$AWS_LOG")" 1 \
		    "other bytes under the token: IdempotentParameterMismatch"
		test_match "$(params DescribeInstances >"$T/d"; echo "$T/d")" '"Filter.1.Name": "client-token"' \
		    "the instances found by the client-token filter"
		unset GHRCTL_USER_DATA_TEMPLATE
	fi
	test_done
}
test_killed_in_call() { killed_in_call; }
test_killed_in_call_mismatch() { killed_in_call mismatch; }
test_killed_in_call_throttled() { killed_in_call throttled; }

# EC2 launches 3 of 5: the 2 left go to the next choice, in the same pass.
test_partial_next_choice() {
	test_init partial_next_choice
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=5 EC2_INSTANCE_TYPE="m5.large, m6i.large"
	ectl '{"op":"partial","max":3,"count":1}'
	stats 9
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 5 "5 instances (MAX_RUNNERS)"
	test_eq "$(ec2 max_live)" 5 "never more than MAX_RUNNERS live"
	test_eq "$(distinct)" 5 "5 distinct runners"
	params RunInstances | sed -n 's/.*"InstanceType": "\([^"]*\)".*"MaxCount": "\([0-9]*\)".*/\1 \2/p' | tr '\n' ' ' >"$T/calls"
	test_eq "$(cat "$T/calls")" "m5.large 5 m6i.large 2 " "3 of 5 on m5.large, the 2 left on m6i.large"
	test_eq "$(bound_by_index)" ok "each call's instances bound by launch index"
	test_done
}

# EC2 launches 3 of 5 and there is no other choice: the 2 left wait for
# the next pass, which launches exactly them.
test_partial_next_pass() {
	test_init partial_next_pass
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=5
	ectl '{"op":"partial","max":3,"count":1}'
	stats 5
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 75 "no capacity for 2 of them: exit 75 ($(tail -n 1 "$T/err"))"
	test_match "$T/err" 'no capacity for 2 runners' "the message says how many are left"
	test_eq "$(instances running)" 3 "3 launched"
	test_eq "$(pending)" 0 "nothing left pending"
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "the next pass exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 5 "the next pass launches the 2 left"
	test_eq "$(ec2 max_live)" 5 "never more than MAX_RUNNERS live"
	test_eq "$(distinct)" 5 "5 distinct runners"
	test_eq "$(params RunInstances | tail -n 1 | grep -o '"MaxCount": "[0-9]*"')" '"MaxCount": "2"' "the second call asks for 2"
	test_done
}

# Spot refused: the whole batch moves to on-demand in one call.
test_spot_fallback_batch() {
	test_init spot_fallback_batch
	ec2_setup || { test_done; return; }
	export EC2_SPOT_PRICE=0.05
	ectl '{"op":"capacity","market":"spot","code":"InsufficientInstanceCapacity","count":-1}'
	stats 4
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 4 "4 instances"
	test_eq "$(calls RunInstances)" 2 "two calls: spot for 4, then on-demand for 4"
	params RunInstances >"$T/p"
	test_match "$(head -n 1 "$T/p" >"$T/p1"; echo "$T/p1")" '"InstanceMarketOptions.MarketType": "spot"' "spot first"
	test_match "$T/p1" '"MaxCount": "4"' "for the batch"
	test_nomatch "$(tail -n 1 "$T/p" >"$T/p2"; echo "$T/p2")" 'InstanceMarketOptions' "then on-demand"
	test_match "$T/p2" '"MaxCount": "4"' "for the whole batch"
	test_eq "$(tokens)" 2 "each choice its own ClientToken"
	test_eq "$(distinct)" 4 "4 distinct runners"
	test_done
}

# Under EC2's request limits (fake --ec2-limits): a burst of 30 in one
# call, nothing throttled.
test_burst_under_limits() {
	test_init burst_under_limits
	ec2_setup --ec2-limits || { test_done; return; }
	export MAX_RUNNERS=30
	stats 30
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 30 "30 instances"
	test_eq "$(calls RunInstances)" 1 "one RunInstances"
	test_eq "$(grep -c '"error": "Request' "$AWS_LOG")" 0 "no throttled reply"
	test_done
}

run_test test_batch_one_call
run_test test_killed_before_call
run_test test_unresolved_replay
run_test test_unresolved_held_name
run_test test_killed_in_call
run_test test_killed_in_call_mismatch
run_test test_killed_in_call_throttled
run_test test_partial_next_choice
run_test test_partial_next_pass
run_test test_spot_fallback_batch
run_test test_burst_under_limits
