#!/bin/sh
# t3120-metrics-scale.sh: poll --follow --scale --metrics-file against the
# fake Actions Service and EC2: ghrctl's own counters (launches, EC2
# throttling, launch errors by EC2 code), gha_desired_runners and ghrctl_instances{state} hold the
# counts of a scripted run, and the strict parser accepts the file.
. ./lib.sh
. ./ec2lib.sh

PROM="$TOP/tests/tools/promcheck.py"

test_scale_metrics() {
	test_init scale_metrics
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=10
	echo '{"op":"throttle","action":"RunInstances","count":2}' >>"$T/ec2.ctl"
	scaler_start --metrics-file "$T/m.prom"
	msg 3 1 2 3
	wait_long acked 100000001 && ok "message handled" || not_ok "not acked: $(tail -n 3 "$T/err")"
	wait_for grep -q '^ghrctl_launches_total 3$' "$T/m.prom"
	scaler_stop
	test_eq "$?" 0 "SIGTERM: exit 0"
	# Instances and desired are as of the last reconcile (at start, then
	# every SCALER_RECONCILE_MS): a new poller's first one sees the three.
	msg 3
	scaler_start --metrics-file "$T/m2.prom"
	wait_long grep -q '^ghrctl_instances{state="running"} 3$' "$T/m2.prom"
	scaler_stop
	test_eq "$(instances running)" 3 "three instances"
	$PY "$PROM" "$T/m.prom" >"$T/p" && ok "strict parser accepts the file" || not_ok "parser refuses: $(cat "$T/p")"
	grep -qx 'ghrctl_launches_total{} 3' "$T/p" && ok "ghrctl_launches_total 3" || not_ok "launches: $(grep launches "$T/p")"
	grep -qx 'ghrctl_ec2_throttled_total{} 2' "$T/p" && ok "ghrctl_ec2_throttled_total 2" || not_ok "throttled: $(grep throttled "$T/p")"
	$PY "$PROM" "$T/m2.prom" >"$T/p2" && ok "strict parser accepts the second file" || not_ok "parser refuses: $(cat "$T/p2")"
	grep -q '^gha_desired_runners{name="ghrctl-test",.*} 3$' "$T/p2" && ok "gha_desired_runners 3" || not_ok "desired: $(grep desired "$T/p2")"
	grep -qx 'ghrctl_instances{state="running"} 3' "$T/p2" && ok "ghrctl_instances{state=running} 3" || not_ok "instances: $(grep ghrctl_instances "$T/p2")"
	test_done
}

# EC2 out of capacity: each failed launch counts under its error code.
test_launch_errors() {
	test_init launch_errors
	ec2_setup || { test_done; return; }
	ectl '{"op":"capacity","type":"*","market":"*","code":"InsufficientInstanceCapacity","count":-1}'
	scaler_start --metrics-file "$T/m.prom"
	msg 1 7
	counted() { grep -q '^ghrctl_launch_errors_total{code="InsufficientInstanceCapacity"} [1-9]' "$T/m.prom" 2>/dev/null; }
	wait_long counted && ok "ghrctl_launch_errors_total{code=InsufficientInstanceCapacity} counts" ||
	    not_ok "no launch error counted: $(grep launch "$T/m.prom" 2>/dev/null)"
	scaler_stop
	test_eq "$(instances running)" 0 "no instance"
	grep -q '"event":"retry","error":"scale: ec2: no capacity.*InsufficientInstanceCapacity.*","wait_ms":"[0-9]*"' "$T/err" &&
	    ok "a retry event names the error and the wait" || not_ok "no retry event: $(tail -n 2 "$T/err")"
	$PY "$PROM" "$T/m.prom" >"$T/p" && ok "strict parser accepts the file" || not_ok "parser refuses: $(cat "$T/p")"
	grep -q '^ghrctl_launches_total{} 0$' "$T/p" && ok "ghrctl_launches_total 0" || not_ok "launches: $(grep launches "$T/p")"
	test_done
}

run_test test_scale_metrics
run_test test_launch_errors
