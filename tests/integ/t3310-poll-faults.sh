#!/bin/sh
# t3310-poll-faults.sh: poll --follow --scale under the faults of issue 12
# section 2 that lost jobs or stalled the queue: an empty 200 from
# acquirejobs (nothing launched for it; the jobs are acquired again and
# served), an instance that dies before its runner registers (replaced at
# the next reconcile, not counted live for 5 minutes), and a drift launch
# that keeps failing (later messages are still read and acknowledged),
# and a kill -9 between a session's creation and its save (the orphan
# session blocks the scale set until the service drops it; then the
# restarted poller takes over and serves the waiting jobs).
. ./lib.sh
. ./ec2lib.sh

has_session() { [ -s "$T/state/scaleset-ghrctl-test.json" ]; }

test_acquire_empty_200() {
	test_init acquire_empty_200
	ec2_setup || { test_done; return; }
	scaler_start --log-level info
	wait_long has_session
	actl '{"op":"acquire_fault","kind":"empty","count":3}'
	jobs 1,2
	wait_long acked 100000001 && ok "the message is acknowledged: the queue goes on" ||
	    not_ok "not acked: $(tail -n 3 "$T/err")"
	served() { [ "$(jobstate 1).$(jobstate 2)" = served.served ]; }
	wait_long served && ok "both jobs acquired again and served" ||
	    not_ok "jobs: $(fstate jobs)"
	test_eq "$(names)" "ghrctl-1-r1 ghrctl-1-r2" "one runner per job, none twice"
	test_match "$T/err" 'empty body.*try 3 of 3' "the empty reply is retried, then reported"
	grep -q 'acquired 0 of 2' "$T/err" && not_ok "empty read as 'acquired 0'" ||
	    ok "an empty reply is not read as 'acquired 0'"
	scaler_stop
	test_done
}

test_acquire_html_200() {
	test_init acquire_html_200
	ec2_setup || { test_done; return; }
	scaler_start --log-level info
	wait_long has_session
	actl '{"op":"acquire_fault","kind":"html","count":2}'
	actl '{"op":"acquire_fault","kind":"nolist","count":2}'
	jobs 5
	served() { [ "$(jobstate 5)" = served ]; }
	wait_long served && ok "job served after unparsable replies" || not_ok "job 5: $(jobstate 5)"
	test_eq "$(names)" "ghrctl-1-r5" "one runner"
	scaler_stop
	test_done
}

test_dead_instance_replaced() {
	test_init dead_instance_replaced
	ec2_setup || { test_done; return; }
	scaler_start --log-level info
	msg 2
	two() { [ "$(instances running)" = 2 ]; }
	wait_long two && ok "statistics 2: 2 launched" || not_ok "launched: $(instances)"
	# Spot reclaim before the runner registered: EC2 lists it terminated.
	ectl "{\"op\":\"state\",\"id\":\"$(inst 1)\",\"state\":\"terminated\"}"
	actl '{"op":"message","statistics":{"totalAssignedJobs":2},"jobs":[{"messageType":"JobCompleted","runnerRequestId":99,"runnerName":"elsewhere","result":"succeeded"}]}'
	wait_long acked 100000002
	wait_long two && ok "the dead instance is replaced at once" ||
	    not_ok "running $(instances running): the dead one still counts as live"
	test_eq "$(asked)" 3 "one replacement (3 instances asked for in all)"
	scaler_stop
	test_done
}

test_drift_failure_no_block() {
	test_init drift_failure_no_block
	ec2_setup || { test_done; return; }
	ectl '{"op":"deny","action":"RunInstances"}'
	scaler_start --log-level info
	msg 3
	actl '{"op":"message","statistics":{"totalAssignedJobs":3},"jobs":[{"messageType":"JobStarted","runnerRequestId":7,"runnerName":"x"}]}'
	actl '{"op":"message","statistics":{"totalAssignedJobs":2},"jobs":[{"messageType":"JobCompleted","runnerRequestId":7,"runnerName":"x","result":"succeeded"}]}'
	wait_long acked 100000003 && ok "messages behind a failing drift launch are read and acked" ||
	    not_ok "acked: $(fstate acked); $(tail -n 2 "$T/err")"
	acked 100000001 && ok "the drift message itself is acked" || not_ok "message 1 not acked"
	test_match "$T/err" 'UnauthorizedOperation' "the launch failure is logged"
	scaler_stop
	test_done
}

# A poller killed after the service made its session but before it
# saved the session's id: nobody can delete that session, the restarted
# poller gets 409 and stands by until the service drops the unpolled
# session (the fake's --session-idle), then takes over.  Before the fake
# modelled that expiry, this stalled the queue for good: the fault matrix
# once lost 11 jobs so (t3900 on a loaded CI machine).
test_orphan_session() {
	test_init orphan_session
	ACTIONS_ARGS="--session-idle 3" ec2_setup || { test_done; return; }
	actl '{"op":"session_delay","seconds":2}'
	posted() { grep -q '"method": "POST", "path": "[^"]*/sessions[?"]' "$ACTIONS_LOG"; }
	scaler_start --log-level info
	wait_long posted
	kill -KILL "$(leaf "$job")"; wait "$job" 2>/dev/null
	has_session && not_ok "the session was saved before its reply came" ||
	    ok "killed before the session was saved"
	jobs 7
	scaler_start --log-level info
	served7() { [ "$(jobstate 7)" = served ]; }
	wait_long served7 && ok "the job is served after the orphan session is dropped" ||
	    not_ok "job 7: $(jobstate 7); $(tail -n 3 "$T/err")"
	# A slow build may restart after the orphan expired: no 409 then.
	if grep -q 'standby: another ghrctl holds the session' "$T/err"; then
		test_match "$T/err" 'active: took over' "it takes over once the service dropped the orphan"
	else
		ok "the orphan expired before the restart: no standby needed"
	fi
	scaler_stop
	test_done
}

run_test test_acquire_empty_200
run_test test_acquire_html_200
run_test test_dead_instance_replaced
run_test test_drift_failure_no_block
run_test test_orphan_session
