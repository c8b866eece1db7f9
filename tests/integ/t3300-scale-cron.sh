#!/bin/sh
# t3300-scale-cron.sh: cron-only `ghrctl scale` against the fake Actions
# Service's job model (issue 12, section 1): it holds the scale set's
# message session (kept in the state file), reads the waiting messages
# under GHRCTL_READ_DEADLINE, acquires the jobs and launches one runner
# per job acquirejobs returned, in both assignment modes (jobs assigned
# only once acquired; the service assigning by itself with JobAssigned);
# a new session asks for the acquirable jobs; two cron hosts at once
# launch once per job (the one that gets 409 only retires and cleans up);
# a JobAvailable that was not acquired launches nothing; stale
# statistics (ARC #4397) are logged and not launched for.
. ./lib.sh
. ./ec2lib.sh

test_cron_acquire_mode() {
	test_init cron_acquire_mode
	ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=2s
	jobs 1,2,3		# waiting before any session: no message
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(names)" "ghrctl-1-r1 ghrctl-1-r2 ghrctl-1-r3" \
	    "a new session acquires the waiting jobs: one runner per job"
	test_eq "$(count GET '/tenant/1/_apis/runtime/runnerscalesets/1/acquirablejobs')" 1 "acquirable jobs asked once"
	test_eq "$(jobstate 2)" served "job 2 served"
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances)" 3 "a second run launches nothing"
	test_eq "$(fstate sessions | grep -o sessionId | wc -l | tr -d ' ')" 1 "the session is kept for the next run"
	jobs 4,5		# the kept session is sent a JobAvailable
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(names)" "ghrctl-1-r1 ghrctl-1-r2 ghrctl-1-r3 ghrctl-1-r4 ghrctl-1-r5" \
	    "the next run reads the message, acquires, launches"
	acked 100000001 && ok "message acknowledged" || not_ok "message not acked"
	test_match "$T/out" '^desired 5  live 5  launch 0' "statistics agree afterwards"
	test_done
}

test_cron_service_mode() {
	test_init cron_service_mode
	ACTIONS_ARGS="--assign service" ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=2s
	jobs 7,8,9		# JobAssigned, no acquire needed
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(names)" "ghrctl-1-r7 ghrctl-1-r8 ghrctl-1-r9" \
	    "JobAssigned: one runner per job, named for it"
	test_eq "$(asked)" 3 "3 instances asked for"
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances)" 3 "a second run launches nothing"
	test_done
}

test_two_cron_hosts() {
	test_init two_cron_hosts
	ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=2s
	jobs 1,2,3,4,5,6
	GHRCTL_STATE_DIR="$T/host1" ghrctl scale >"$T/out1" 2>"$T/err1" &
	p1=$!
	GHRCTL_STATE_DIR="$T/host2" ghrctl scale >"$T/out2" 2>"$T/err2" &
	p2=$!
	wait "$p1"
	r1=$?
	wait "$p2"
	r2=$?
	test_eq "$r1.$r2" 0.0 "both exit 0 ($(tail -n 1 "$T/err1") / $(tail -n 1 "$T/err2"))"
	test_eq "$(instances)" 6 "6 jobs: 6 instances, once each"
	test_eq "$(names | tr ' ' '\n' | grep -c -- '-r[1-6]$')" 6 "one runner per job request"
	test_eq "$(cat "$T/err1" "$T/err2" | grep -c 'another ghrctl holds its message session')" 1 \
	    "the run without the session says so in one line"
	# Again, in the other order: still nothing twice.
	jobs 10,11
	GHRCTL_STATE_DIR="$T/host2" ghrctl scale >"$T/out2" 2>"$T/err2" &
	p2=$!
	GHRCTL_STATE_DIR="$T/host1" ghrctl scale >"$T/out1" 2>"$T/err1"
	wait "$p2"
	test_eq "$(instances)" 8 "2 more jobs: 2 more instances"
	test_done
}

test_standby_retires_only() {
	test_init standby_retires_only
	ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=1s
	scaler_start --state-dir "$T/poller"
	wait_long test -s "$T/poller/scaleset-ghrctl-test.json"
	stats 4
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale beside a poller exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(grep -c 'another ghrctl holds its message session' "$T/err")" 1 "one line says why"
	test_match "$T/out" 'launch 0' "the plan launches nothing"
	scaler_stop
	test_done
}

test_unacquired_not_launched() {
	test_init unacquired_not_launched
	ec2_setup || { test_done; return; }
	scaler_start
	wait_long test -s "$T/state/scaleset-ghrctl-test.json"
	jobs 1,2,3,4
	actl '{"op":"take","ids":[3,4]}'	# another listener was faster
	wait_long acked 100000001 && ok "message handled" || not_ok "not acked: $(tail -n 3 "$T/err")"
	sleep 1
	test_eq "$(names)" "ghrctl-1-r1 ghrctl-1-r2" "runners only for the 2 jobs acquirejobs returned"
	scaler_stop
	test_done
}

test_stale_statistics() {
	test_init stale_statistics
	ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=1s
	actl '{"op":"phantom","assigned":2}'
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances)" 2 "2 assigned: 2 launched"
	# Both runners online and idle for 10 minutes while the service
	# reports more and more assigned jobs: the demand is stale.
	actl '{"op":"runners","status":"online"}'
	ectl '{"op":"age","id":"*","seconds":600}'
	actl '{"op":"phantom","assigned":6}'
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances)" 2 "stale totalAssignedJobs: nothing launched for it"
	test_match "$T/err" 'stale statistics' "logged"
	test_done
}

run_test test_cron_acquire_mode
run_test test_cron_service_mode
run_test test_two_cron_hosts
run_test test_standby_retires_only
run_test test_unacquired_not_launched
run_test test_stale_statistics
