#!/bin/sh
# t6020-cleanup-summary.sh: `ghrctl cleanup` prints its own summary line
# (what it checked, and per class what it found and removed; what it kept
# or failed to remove), not the scaler's "desired ? ... (no statistics)":
# over TLS against the fake Actions Service and the fake EC2.
. ./lib.sh
. ./ec2lib.sh

runner() { actl "{\"op\":\"runner\",\"name\":\"$(rname "$1")\",\"status\":\"$2\",\"busy\":$3}"; }

test_summary() {
	test_init summary
	ec2_setup || { not_ok "setup"; test_done; return; }
	stats 4
	ghrctl scale >/dev/null 2>"$T/err" || not_ok "scale: $(cat "$T/err")"
	ectl '{"op":"age","id":"*","seconds":660}'
	runner 1 online false			# healthy
	runner 2 online true			# busy and old: kept
	ectl "{\"op\":\"age\",\"id\":\"$(inst 2)\",\"seconds\":7200}"
	runner 3 online false			# idle and old: lifetime
	ectl "{\"op\":\"age\",\"id\":\"$(inst 3)\",\"seconds\":7200}"
	ectl "{\"op\":\"state\",\"id\":\"$(inst 4)\",\"state\":\"terminated\"}"
	runner 4 offline false			# no instance: deregister
	ghrctl cleanup -n >"$T/dry" 2>"$T/err"
	test_eq "$?" 0 "cleanup -n: exit 0"
	test_eq "$(head -n 1 "$T/dry")" "cleanup (dry run): checked 3 instances, 4 runners; would remove 2 of 2 found (deregister 1/1, lifetime 1/1); kept 1" "dry run: the summary first"
	ghrctl cleanup >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "cleanup: exit 0"
	test_eq "$(head -n 1 "$T/out")" "cleanup: checked 3 instances, 4 runners; removed 2 of 2 found (deregister 1/1, lifetime 1/1); kept 1" "the summary by class"
	test_nomatch "$T/out" 'desired|no statistics' "not the scaler's line"
	test_match "$T/out" '^lifetime .* terminated$' "the actions still follow"
	ghrctl cleanup >"$T/out" 2>"$T/err"
	test_eq "$(head -n 1 "$T/out")" "cleanup: checked 2 instances, 2 runners; nothing to remove; kept 1" "second pass: nothing to remove"
	test_done
}

run_test test_summary
