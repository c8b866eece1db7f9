#!/bin/sh
# t3100-poll-scale.sh: ghrctl poll --follow --scale, the event-driven
# autoscaler: 200 queued jobs with MAX_RUNNERS=50 give exactly 50
# instances and never 51 live at any moment (the fake EC2's watermark);
# every JobAvailable replayed twice launches once; a run killed between
# RunInstances and the state write is followed by a run that launches no
# second instance; a RequestLimitExceeded storm is backed off and nothing
# is lost; JobCompleted terminates the finished runner's instance.
. ./lib.sh
. ./ec2lib.sh

live_is() { [ "$(instances running)" = "$1" ]; }

test_max_runners() {
	test_init max_runners
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=50
	scaler_start
	wait_long has_session_file || true
	n=1
	for m in 1 2 3 4; do
		ids=$(seq "$n" $((n + 49)) | tr '\n' ' ')
		# shellcheck disable=SC2086
		msg 200 $ids
		n=$((n + 50))
	done
	wait_long acked 100000004 && ok "4 messages of 50 jobs handled" || not_ok "messages not acked: $(tail -n 3 "$T/err")"
	test_eq "$(instances running)" 50 "exactly 50 instances for 200 jobs"
	test_eq "$(ec2 max_live)" 50 "never more than 50 live at any moment"
	test_eq "$(fstate acquired | tr -cd , | wc -c | tr -d ' ')" 199 "all 200 jobs acquired"
	# More statistics and more jobs change nothing while 50 are live.
	msg 300 201 202 203
	wait_long acked 100000005
	test_eq "$(ec2 max_live)" 50 "still never 51"
	# One batch (MaxCount=50) for the first message; the bound is the
	# plan's, so the batches never asked EC2 for more than MAX_RUNNERS.
	test_eq "$(calls RunInstances)" 1 "one RunInstances for the 50"
	test_eq "$(asked)" 50 "the batches asked for 50 instances in all, never more"
	scaler_stop
	test_eq "$?" 0 "SIGTERM: exit 0"
	test_done
}

has_session_file() { [ -s "$T/state/scaleset-ghrctl-test.json" ]; }

test_replay_no_duplicate() {
	test_init replay_no_duplicate
	ec2_setup || { test_done; return; }
	scaler_start
	msg 5 1 2 3 4 5
	msg 5 1 2 3 4 5
	msg 5 5 4 3 2 1 1 2 3
	wait_long acked 100000003 && ok "three messages handled" || not_ok "not acked: $(tail -n 3 "$T/err")"
	test_eq "$(instances running)" 5 "each JobAvailable replayed: 5 instances"
	test_eq "$(asked)" 5 "RunInstances asked for 5 instances in all"
	test_eq "$(names | tr ' ' '\n' | sort -u | wc -l | tr -d ' ')" 5 "5 runners, one instance each"
	test_eq "$(grep -c generatejitconfig "$ACTIONS_LOG")" 5 "5 JIT configs"
	scaler_stop
	# A fresh process with the same messages still launches nothing new.
	actl '{"op":"expire_sessions"}'
	msg 5 1 2 3 4 5
	scaler_start
	# (a new session numbers its messages from 100000001 again)
	four_acked() { [ "$(fstate acked)" = "[100000001, 100000002, 100000003, 100000001]" ]; }
	wait_long four_acked && ok "replay after a restart handled" || not_ok "replay not acked"
	test_eq "$(instances running)" 5 "after a restart: still 5 instances"
	scaler_stop
	test_done
}

test_killed_mid_launch() {
	test_init killed_mid_launch
	ec2_setup || { test_done; return; }
	ectl '{"op":"delay","action":"RunInstances","seconds":30,"count":1}'
	scaler_start
	msg 1 77
	launched() { [ "$(instances)" = 1 ]; }
	wait_long launched && ok "EC2 made the instance" || not_ok "no instance"
	kill -KILL "$(leaf "$job")"
	wait "$job" 2>/dev/null
	acked 100000001 && not_ok "message acked before the kill" || ok "killed before the state write and the ack"
	grep -q '"last_message_id": *100000001' "$T/state/scaleset-ghrctl-test.json" 2>/dev/null &&
	    not_ok "state written" || ok "state file does not have the message"
	scaler_start
	wait_long acked 100000001 && ok "rerun handles the message again" || not_ok "rerun did not ack: $(tail -n 3 "$T/err")"
	test_eq "$(instances)" 1 "no second instance"
	test_eq "$(ec2 max_live)" 1 "never two live"
	scaler_stop
	test_done
}

test_killed_before_describe() {
	test_init "killed_before_describe${SECOND_OPTION:+_second_option}"
	ec2_setup || { test_done; return; }
	# The instance exists but Describe does not show it (as while
	# Describe lags): the rerun replays the batch recorded in the state
	# file before the call, with the same ClientToken, and EC2 returns the
	# instance it made.  SECOND_OPTION=1: it was launched on the second
	# option (the first type had no capacity): the record names it.
	if [ -n "${SECOND_OPTION:-}" ]; then
		export EC2_INSTANCE_TYPE="m5.large, m6i.large"
		ectl '{"op":"capacity","type":"m5.large","market":"on-demand","code":"InsufficientInstanceCapacity","count":-1}'
	fi
	ectl '{"op":"delay","action":"RunInstances","seconds":30,"count":1}'
	scaler_start
	msg 1 78
	launched() { [ "$(instances)" = 1 ]; }
	wait_long launched
	kill -KILL "$(leaf "$job")"
	wait "$job" 2>/dev/null
	id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][0]["id"])' "$AWS_LOG.ec2")
	ectl "{\"op\":\"hide\",\"id\":\"$id\"}"
	scaler_start --log-level info
	wait_long acked 100000001 && ok "rerun handles the message" || not_ok "rerun did not ack: $(tail -n 3 "$T/err")"
	test_eq "$(instances)" 1 "no second instance"
	test_match "$T/err" 'replaying the launch ghrctl-' "the recorded batch is replayed first"
	tok=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][0]["token"])' "$AWS_LOG.ec2")
	test_eq "$(params RunInstances | tail -n 1 | grep -o '"ClientToken": "[^"]*"')" "\"ClientToken\": \"$tok\"" \
	    "the replay sends the ClientToken the instance was launched with"
	test_match "$T/err" "instance $id \\(launched before a restart\\)" "the earlier instance is bound to its runner"
	test_eq "$(rname 1)" ghrctl-1-r78 "and tagged with it"
	scaler_stop
	test_done
}

test_killed_before_describe_second() {
	SECOND_OPTION=1
	test_killed_before_describe
	unset SECOND_OPTION
}

test_throttle_storm() {
	test_init poll_throttle_storm
	ec2_setup || { test_done; return; }
	export GHRCTL_STANDBY_WAIT=1s
	ectl '{"op":"throttle","action":"RunInstances","count":5}'
	scaler_start --log-level info
	msg 4 11 12 13 14
	wait_long acked 100000001 && ok "message handled after the storm" || not_ok "not acked: $(tail -n 3 "$T/err")"
	test_eq "$(grep -c '"error": "RequestLimitExceeded"' "$AWS_LOG")" 5 "5 throttled replies, each retried"
	test_eq "$(instances running)" 4 "all 4 launched, none twice"
	grep -q 'retrying in' "$T/err" && ok "backed off" || not_ok "no backoff logged"
	scaler_stop
	test_done
}

test_job_completed() {
	test_init job_completed
	ec2_setup || { test_done; return; }
	scaler_start
	msg 1 21
	wait_long acked 100000001
	name=ghrctl-1-r21
	actl "{\"op\":\"message\",\"statistics\":{\"totalAssignedJobs\":0},\"jobs\":[{\"messageType\":\"JobCompleted\",\"runnerRequestId\":21,\"runnerName\":\"$name\",\"runnerId\":17,\"result\":\"succeeded\"}]}"
	wait_long acked 100000002 && ok "JobCompleted handled" || not_ok "JobCompleted not acked"
	test_eq "$(instances terminated)" 1 "the finished runner's instance is terminated"
	test_eq "$(instances running)" 0 "none left"
	scaler_stop
	test_done
}

run_test test_max_runners
run_test test_replay_no_duplicate
run_test test_killed_mid_launch
run_test test_killed_before_describe
run_test test_killed_before_describe_second
run_test test_throttle_storm
run_test test_job_completed
