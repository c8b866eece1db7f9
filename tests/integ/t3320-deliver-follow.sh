#!/bin/sh
# SPDX-License-Identifier: ISC
# t3320-deliver-follow.sh: `poll --follow --scale` delivers sealed configs
# from a thread of its own (issue 14): an instance whose boot key appears
# on its console gets its config within seconds while the long poll is
# held (50 s here) and no reconcile is due (every 60 s), and the message
# handling goes on meanwhile.  After a kill -9 between RunInstances and
# delivery, the restarted poll delivers before the instance's boot gives
# up.  Before any key appears, the looks at the consoles of a burst of
# instances are spread (at most 10 a second and 3 at once), not made in
# lumps of all of them at once; one instance's late key is looked for
# every 250 ms.
. ./lib.sh
. ./ec2lib.sh

runner_script() {
	cat >"$T/runner.sh" <<-'EOF2'
	#!/bin/sh
	printf '%s' "$ACTIONS_RUNNER_INPUT_JITCONFIG" >"$OUT.jit"
	EOF2
	chmod +x "$T/runner.sh"
}

# boot ID WAIT: ghrctl boot of instance ID, in the background
boot() {
	OUT="$T/$1" "$BIN" boot -v --imds-endpoint "https://localhost:$AWS_PORT/imds/$1" \
	    --console "$T/console/$1.console" --runner "$T/runner.sh" \
	    --interval 100ms --wait "$2" --scrub-after 1s \
	    >"$T/$1.out" 2>"$T/$1.err" &
	BOOTS="$BOOTS $!"
}

# running N: N instances are running
running() { test "$(instances running)" = "$1"; }

# sealed: how many instances carry sealed-config tags
sealed() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(sum(1 for i in d["instances"] if "ghrctl:seal:0" in i["tags"]))' "$AWS_LOG.ec2"
}

test_prompt() {
	test_init prompt
	mkdir -p "$T/console"
	ACTIONS_ARGS="--hold 50" ec2_setup --console-dir "$T/console" || { test_done; return; }
	runner_script
	msg 2 1 2
	scaler_start -v
	wait_long running 2
	test_eq "$(instances running)" 2 "2 instances launched"
	i1=$(inst 1) i2=$(inst 2)
	BOOTS=
	boot "$i1" 20s
	boot "$i2" 20s
	# The long poll is held for 50 s and the next reconcile is 60 s
	# away: only the delivery thread can hand the configs over in time.
	WAIT_TICKS=400 wait_for test -s "$T/$i1.jit"
	WAIT_TICKS=400 wait_for test -s "$T/$i2.jit"
	for p in $BOOTS; do wait "$p"; done
	test_match "$T/$i1.err" "sealed config for runner ghrctl-1-r1 of scale set 1 opened" \
	    "instance 1 got its config while the poll was held"
	test_match "$T/$i2.err" "sealed config for runner $(rname 2) of scale set 1 opened" \
	    "instance 2 got its config while the poll was held"
	# Opened: the tags go and the records are forgotten.
	nosealed() { test "$(sealed)" = 0; }
	wait_long nosealed
	test_eq "$(sealed)" 0 "the sealed tags are deleted once opened"
	nopending() { test -z "$(ls "$T/state/deliver")"; }
	wait_long nopending
	test_eq "$(ls "$T/state/deliver" | wc -l | tr -d ' ')" 0 "no delivery pending"
	# The message loop was never held by the deliveries.
	msg 3 3
	wait_for running 3
	test_eq "$(instances running)" 3 "a new job is launched at once"
	scaler_stop
	test_match "$T/err" 'deliveries: [0-9]+ sealed and tagged, 2 opened and cleared' \
	    "the delivery thread reports its work"
	test_done
}

# kill -9 after RunInstances, before delivery: the restarted poll
# --follow delivers before the instance's boot gives up.
test_killed() {
	test_init killed
	mkdir -p "$T/console"
	ACTIONS_ARGS="--hold 50" ec2_setup --console-dir "$T/console" || { test_done; return; }
	runner_script
	msg 1 1
	scaler_start
	wait_long running 1
	wait_for test -n "$(grep -l '^instance i-' "$T/state/deliver/"* 2>/dev/null)"
	kill -KILL "$(leaf "$job")" 2>/dev/null
	wait "$job"
	i1=$(inst 1)
	test_eq "$(ls "$T/state/deliver" | wc -l | tr -d ' ')" 1 "the pending delivery survives kill -9"
	BOOTS=
	boot "$i1" 20s
	wait_for grep -q '^ghrctl-boot-key v1' "$T/console/$i1.console" 2>/dev/null
	scaler_start
	WAIT_TICKS=400 wait_for test -s "$T/$i1.jit"
	for p in $BOOTS; do wait "$p"; done
	test_match "$T/$i1.err" "sealed config for runner ghrctl-1-r1 of scale set 1 opened" \
	    "the restarted poll delivered before the boot's wait ended"
	scaler_stop
	test_done
}

# kill -9 while RunInstances is answered: the instance exists, the
# pending delivery has no instance id; the restarted poll finds the
# instance by its ghrctl:runner tag and delivers before the boot gives up.
test_killed_in_launch() {
	test_init killed_in_launch
	mkdir -p "$T/console"
	ACTIONS_ARGS="--hold 50" ec2_setup --console-dir "$T/console" || { test_done; return; }
	runner_script
	ectl '{"op":"delay","action":"RunInstances","seconds":30,"count":1}'
	msg 1 1
	scaler_start
	wait_long running 1
	kill -KILL "$(leaf "$job")" 2>/dev/null
	wait "$job"
	i1=$(inst 1)
	# The runner tag comes after RunInstances' reply (one CreateTags per
	# instance of a batch): the record is named for the job's runner.
	test_match "$T/state/deliver/ghrctl-1-r1" '^instance $' "recorded before the launch, no instance id yet"
	BOOTS=
	boot "$i1" 25s
	wait_for grep -q '^ghrctl-boot-key v1' "$T/console/$i1.console" 2>/dev/null
	scaler_start
	WAIT_TICKS=500 wait_for test -s "$T/$i1.jit"
	for p in $BOOTS; do wait "$p"; done
	test_match "$T/$i1.err" "sealed config for runner ghrctl-1-r1 of scale set 1 opened" \
	    "the restarted poll found the instance and delivered in time"
	test_match "$AWS_LOG" '"Filter.1.Name": "tag:ghrctl:runner"' "found by its runner tag"
	scaler_stop
	test_done
}

# A burst of 20 instances, none booted: while no key is found (cold), the
# GetConsoleOutput looks go at most 10 a second and 3 at once, spread
# over the instances (the least recently looked at first), not in lumps
# of 20 every few seconds that leave the keys of a wave unseen between.
test_cold_spread() {
	test_init cold_spread
	mkdir -p "$T/console"
	ACTIONS_ARGS="--hold 50" ec2_setup --console-dir "$T/console" || { test_done; return; }
	export MAX_RUNNERS=20
	# shellcheck disable=SC2046
	msg 20 $(seq 1 20)
	scaler_start
	wait_long running 20
	looked() { test "$(calls GetConsoleOutput)" -ge 40; }
	WAIT_TICKS=600 wait_for looked
	scaler_stop
	# The most looks within any 1 s, and the instances looked at twice
	# before each was looked at once.
	"$PY" -c 'import json,sys
t = sorted(r["t"] for r in map(json.loads, open(sys.argv[1]))
           if r.get("action") == "GetConsoleOutput")
most = max(sum(1 for y in t[i:] if y - x < 1.0) for i, x in enumerate(t))
ids = [r["params"]["InstanceId"] for r in map(json.loads, open(sys.argv[1]))
       if r.get("action") == "GetConsoleOutput"]
print(most, len(set(ids[:20])))' "$AWS_LOG" >"$T/spread"
	read -r most first <"$T/spread"
	test_eq "$([ "$most" -le 14 ] && echo yes)" yes "cold looks spread: at most $most within a second (<= 14)"
	test_eq "$first" 20 "the first 20 looks are at 20 instances (least recently looked at first)"
	test_done
}

# One instance whose key is late: looked at every DELIVER_RECHECK_MS
# (250 ms) from its first look, not once a second (a pass that had looked
# at it slept the default second: a key up to a second unseen).
test_recheck() {
	test_init recheck
	mkdir -p "$T/console"
	ACTIONS_ARGS="--hold 50" ec2_setup --console-dir "$T/console" || { test_done; return; }
	msg 1 1
	scaler_start
	wait_long running 1
	looked() { test "$(calls GetConsoleOutput)" -ge 1; }
	WAIT_TICKS=600 wait_for looked
	sleep 3
	scaler_stop
	# Looks within 3 s of the first: 12 at 250 ms (3 before the fix).
	"$PY" -c 'import json,sys
t = sorted(r["t"] for r in map(json.loads, open(sys.argv[1]))
           if r.get("action") == "GetConsoleOutput")
print(sum(1 for x in t if x - t[0] < 3.0))' "$AWS_LOG" >"$T/looks"
	read -r looks <"$T/looks"
	test_eq "$([ "$looks" -ge 7 ] && echo yes)" yes "a late key is looked for every 250 ms: $looks looks in 3 s (>= 7)"
	test_done
}

run_test test_prompt
run_test test_recheck
run_test test_cold_spread
run_test test_killed
run_test test_killed_in_launch
