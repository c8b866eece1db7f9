#!/bin/sh
# t6000-cleanup-classes.sh: ghrctl cleanup reports and carries out its
# three classes, each with a reason: an offline runner whose instance is
# gone is deregistered; an instance whose runner never came online within
# --boot-timeout is terminated; an instance past --max-lifetime is
# terminated; a busy runner's instance is kept.  --dry-run changes
# nothing and uses EC2 DryRun.
. ./lib.sh
. ./ec2lib.sh

runner() { actl "{\"op\":\"runner\",\"name\":\"$(rname "$1")\",\"status\":\"$2\",\"busy\":$3}"; }

cleanup_setup() {
	ec2_setup || return 1
	stats 5
	ghrctl scale >/dev/null 2>"$T/err" || return 1
	ectl '{"op":"age","id":"*","seconds":660}'
	runner 1 online false			# healthy: no action
						# 2: never came online
	runner 3 online true			# busy and old: kept
	ectl "{\"op\":\"age\",\"id\":\"$(inst 3)\",\"seconds\":7200}"
	runner 4 online false			# idle and too old
	ectl "{\"op\":\"age\",\"id\":\"$(inst 4)\",\"seconds\":7200}"
	ectl "{\"op\":\"state\",\"id\":\"$(inst 5)\",\"state\":\"terminated\"}"
	runner 5 offline false			# its instance is gone
}

test_dry_run() {
	test_init dry_run
	cleanup_setup || { not_ok "setup: $(cat "$T/err")"; test_done; return; }
	ghrctl cleanup -n -o json >"$T/out" 2>"$T/err2"
	test_eq "$?" 0 "cleanup --dry-run exits 0 ($(tail -n 1 "$T/err2"))"
	test_eq "$(instances running)" 4 "nothing terminated"
	test_eq "$(calls TerminateInstances)" "$(params TerminateInstances | grep -c '"DryRun": "true"')" "TerminateInstances only with DryRun"
	grep -q '"method": "DELETE", "path": "/tenant/1/_apis/distributedtask/pools/0/agents/' "$ACTIONS_LOG" &&
	    not_ok "a runner was removed" || ok "no runner removed"
	test_match "$T/out" '"dryRun":true' "-o json says dryRun"
	test_done
}

test_three_classes() {
	test_init three_classes
	cleanup_setup || { not_ok "setup: $(cat "$T/err")"; test_done; return; }
	ghrctl cleanup -o json >"$T/out" 2>"$T/err2"
	test_eq "$?" 0 "cleanup exits 0 ($(tail -n 1 "$T/err2"))"
	test_eq "$(action 1)" "" "healthy runner: no action"
	test_match "$(action 2 >"$T/a2"; echo "$T/a2")" '^boot-timeout \| runner never registered within the boot timeout 10m0s|^boot-timeout \| runner not online within the boot timeout 10m0s \(age 11m[0-9]+s\) \| terminated' \
	    "never online: boot-timeout, terminated, with its reason"
	test_match "$(action 3 >"$T/a3"; echo "$T/a3")" '^keep \| runner is busy' "busy: kept"
	test_match "$(action 4 >"$T/a4"; echo "$T/a4")" '^lifetime \| older than the max lifetime 1h0m \(age 2h11m\) \| terminated' \
	    "too old: lifetime, terminated"
	test_match "$(action 5 >"$T/a5"; echo "$T/a5")" '^deregister \| runner is offline and has no instance \| deregistered' \
	    "orphaned runner: deregistered"
	test_eq "$(instances running)" 2 "two instances left (healthy and busy)"
	test_eq "$(calls TerminateInstances)" 1 "one TerminateInstances for both"
	ghrctl cleanup >"$T/table" 2>&1
	test_match "$T/table" '^keep ' "table output: the busy one is still reported"
	test_eq "$(grep -c '^boot-timeout\|^lifetime\|^deregister' "$T/table")" 0 "second pass: nothing else to do"
	ghrctl cleanup --boot-timeout 20m --max-lifetime 3h -o json >"$T/out" 2>&1
	test_match "$T/out" '"actions":\[\]' "longer limits: nothing to clean"
	test_done
}

run_test test_dry_run
run_test test_three_classes
