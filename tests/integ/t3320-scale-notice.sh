#!/bin/sh
# t3320-scale-notice.sh: a one-shot `scale` that cannot take the jobs
# says how many wait and who holds the session (the 409 names its owner,
# "HOST pid PID"); a dry run (-n) of scale and cleanup needs no lock and
# runs beside a poller that holds it; without -n the lock conflict names
# the holder (pid, host) and exits 75.  Over TLS against the fake Actions
# Service and the fake EC2.
. ./lib.sh
. ./ec2lib.sh

poller_pid() { leaf "$job"; }

test_not_taken() {
	test_init not_taken
	ACTIONS_ARGS=--conflict-owner ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=1s
	scaler_start --state-dir "$T/poller"
	wait_long test -s "$T/poller/scaleset-ghrctl-test.json"
	pp=$(poller_pid)
	stats 4
	ghrctl scale >"$T/o" 2>"$T/e"
	test_eq "$?" 0 "scale beside a poller on another host exits 0 ($(tail -n 1 "$T/e"))"
	test_match "$T/e" "4 jobs are waiting that this run does not take: another ghrctl holds its message session \\(owner $(hostname) pid $pp; " "says how many wait and who holds the session"
	test_eq "$(grep -c 'jobs are waiting' "$T/e")" 1 "in one line"
	test_match "$T/o" 'launch 0' "the plan launches nothing"
	scaler_stop
	test_done
}

# The reply of older services has no owner: the count still comes.
test_not_taken_no_owner() {
	test_init not_taken_no_owner
	ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=1s
	scaler_start --state-dir "$T/poller"
	wait_long test -s "$T/poller/scaleset-ghrctl-test.json"
	stats 1
	ghrctl scale >"$T/o" 2>"$T/e"
	test_eq "$?" 0 "scale exits 0"
	test_match "$T/e" "1 job is waiting that this run does not take: another ghrctl holds its message session \\(poll --follow, or scale on another host\\)" "one job, holder unnamed"
	scaler_stop
	test_done
}

test_dry_run_no_lock() {
	test_init dry_run_no_lock
	ec2_setup || { test_done; return; }
	export GHRCTL_READ_DEADLINE=1s
	scaler_start
	S="$T/state/scaleset-ghrctl-test.json"
	wait_long test -s "$S"
	pp=$(poller_pid)
	stats 2
	ghrctl scale >"$T/o" 2>"$T/e"
	test_eq "$?" 75 "scale beside the lock holder: exit 75"
	test_match "$T/e" "locked by another ghrctl \\(pid $pp on $(hostname)\\)" "the conflict names the holder"
	ghrctl scale -n >"$T/o" 2>"$T/e"
	test_eq "$?" 0 "scale -n beside the lock holder: exit 0 ($(tail -n 1 "$T/e"))"
	test_match "$T/o" 'dry run' "a dry run says so"
	test_eq "$(params RunInstances | grep -c '"DryRun": "true"')" "$(calls RunInstances)" "every RunInstances a DryRun"
	ghrctl cleanup -n >"$T/o" 2>"$T/e"
	test_eq "$?" 0 "cleanup -n beside the lock holder: exit 0 ($(tail -n 1 "$T/e"))"
	test_match "$T/o" '^cleanup \(dry run\): checked ' "cleanup -n prints its summary"
	ghrctl cleanup >"$T/o" 2>"$T/e"
	test_eq "$?" 75 "cleanup without -n: exit 75"
	scaler_stop
	test_done
}

run_test test_not_taken
run_test test_not_taken_no_owner
run_test test_dry_run_no_lock
