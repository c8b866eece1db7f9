#!/bin/sh
# t5010-metric-extra.sh: ghrctl metric --extra end to end over TLS against
# the fake Actions Service and the fake AWS (EC2 and CloudWatch, SigV4 and
# botocore-model checked): PendingJobs and AssignedJobs from the scale
# set's statistics, RunningInstances from EC2 with the scaler's tag
# filter, checked in the PutMetricData the fake received; a scale set
# without statistics, no EC2 settings, --source rest, --dry-run, a refused
# DescribeInstances, and no new requests without --extra.
. ./lib.sh
. ./ec2lib.sh

# The datapoints of the last PutMetricData, one "Name Value Unit dims"
# line each, in request order.
sent() {
	"$PY" - "$AWS_LOG" <<'PYEOF'
import json, sys
reqs = [r for r in map(json.loads, open(sys.argv[1]))
        if r.get("action") == "PutMetricData" and not r.get("error")]
if not reqs:
    sys.exit(0)
p = reqs[-1]["params"]
n = 1
while "MetricData.member.%d.MetricName" % n in p:
    m = "MetricData.member.%d." % n
    d, k = [], 1
    while m + "Dimensions.member.%d.Name" % k in p:
        d.append(p[m + "Dimensions.member.%d.Name" % k] + "=" +
                 p[m + "Dimensions.member.%d.Value" % k])
        k += 1
    print(p[m + "MetricName"], p[m + "Value"], p[m + "Unit"], ",".join(d))
    n += 1
PYEOF
}

puts() { calls PutMetricData; }

# Scale set ghrctl-test (id 1) with 4 instances from `ghrctl scale`: one
# stopped, one terminated, two running; of their runners one is online
# and busy, one online and idle, two offline.  Statistics: 4 available,
# 3 acquired, 5 assigned of which 2 running.
setup() {
	ec2_setup || return 1
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	stats 4
	ghrctl scale >"$T/scale.out" 2>&1 || return 1
	"$PY" -c 'import json,sys
for i in json.load(open(sys.argv[1]))["instances"]:
    print(i["id"], i["tags"]["ghrctl:runner"])' "$AWS_LOG.ec2" >"$T/inst"
	set -- $(awk '{ print $1 }' "$T/inst")
	ectl "{\"op\":\"state\",\"id\":\"$1\",\"state\":\"stopped\"}"
	ectl "{\"op\":\"state\",\"id\":\"$2\",\"state\":\"terminated\"}"
	set -- $(awk '{ print $2 }' "$T/inst")
	actl "{\"op\":\"runner\",\"name\":\"$3\",\"status\":\"online\",\"busy\":true}"
	actl "{\"op\":\"runner\",\"name\":\"$4\",\"status\":\"online\",\"busy\":false}"
	actl '{"op":"statistics","stats":{"totalAvailableJobs":4,"totalAcquiredJobs":3,"totalAssignedJobs":5,"totalRunningJobs":2,"totalRegisteredRunners":4,"totalBusyRunners":1,"totalIdleRunners":1}}'
	# The fake reads its control lines on Actions Service requests only.
	ghrctl register >/dev/null 2>&1 || return 1
	: >"$ACTIONS_LOG"
}

test_all_sources() {
	test_init all_sources
	setup || { test_done; return; }
	test_eq "$(wc -l <"$T/inst" | tr -d ' ')" 4 "scale launched 4 instances"
	n0=$(calls DescribeInstances)
	ghrctl metric --extra --label ghrctl-test --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "metric --extra exits 0 ($(head -c 300 "$T/err"))"
	test_eq "$(sent | tr '\n' ';')" "BusyRunners 1 Count asg_name=pool;IdleRunners 1 Count asg_name=pool;OfflineRunners 2 Count asg_name=pool;PendingJobs 3 Count asg_name=pool;AssignedJobs 5 Count asg_name=pool;RunningInstances 2 Count asg_name=pool;" \
	    "CloudWatch got all six datapoints (pending = assigned - running)"
	test_eq "$(puts)" 1 "one PutMetricData request"
	test_match "$T/out" '^[0-9TZ:-]+  RunningInstances  2 +Count  asg_name=pool$' "table lists RunningInstances"
	test_match "$T/out" '^[0-9TZ:-]+  PendingJobs       3 +Count  asg_name=pool$' "table lists PendingJobs"
	test_eq "$(($(calls DescribeInstances) - n0))" 1 "one DescribeInstances"
	params DescribeInstances | tail -n 1 >"$T/desc"
	for kv in '"Filter.1.Name": "tag:ghrctl:scale-set"' '"Filter.1.Value.1": "1"' \
	    '"Filter.2.Name": "instance-state-name"'; do
		test_match "$T/desc" "$kv" "DescribeInstances filters $kv, as scale does"
	done
	test_eq "$(grep -c '"path": "/tenant/1/_apis/runtime/runnerscalesets/1?' "$ACTIONS_LOG")" 1 \
	    "statistics read with one scale set GET"
	test_nomatch "$T/err" '.' "nothing on stderr"

	# The same through -o json, by RUNNER_SCALE_SET_ID (no name lookup).
	: >"$ACTIONS_LOG"
	RUNNER_SCALE_SET_ID=1 ghrctl metric -o json --extra --label ghrctl-test \
	    --dimension pool=linux >"$T/json" 2>"$T/err"
	test_eq "$?" 0 "-o json by RUNNER_SCALE_SET_ID exits 0 ($(head -c 300 "$T/err"))"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(" ".join("%s=%g/%s" % (m["name"], m["value"], m["unit"]) for m in d["metrics"]), d["published"])' \
	    "$T/json" >"$T/j"
	test_eq "$(cat "$T/j")" "BusyRunners=1/Count IdleRunners=1/Count OfflineRunners=2/Count PendingJobs=3/Count AssignedJobs=5/Count RunningInstances=2/Count True" \
	    "-o json carries every datapoint"
	test_eq "$(grep -c 'runnerscalesets?' "$ACTIONS_LOG")" 0 "no name lookup with RUNNER_SCALE_SET_ID"
	test_eq "$(sent | sed -n 6p)" "RunningInstances 2 Count pool=linux" "--dimension applies to the extra datapoints"
	test_done
}

test_follow_looks_up_once() {
	test_init follow_looks_up_once
	setup || { test_done; return; }
	n0=$(calls DescribeInstances)
	ghrctl metric --extra --follow --interval 1s --count 2 -o json --label ghrctl-test \
	    --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--follow --count 2 exits 0"
	test_eq "$(grep -c '"RunningInstances"' "$T/out")" 2 "both rounds publish RunningInstances"
	test_eq "$(grep -c 'runnerscalesets?' "$ACTIONS_LOG")" 1 "scale set name looked up once"
	test_eq "$(grep -c 'runnerscalesets/1?' "$ACTIONS_LOG")" 2 "one statistics GET per round"
	test_eq "$(($(calls DescribeInstances) - n0))" 2 "one DescribeInstances per round"
	test_done
}

test_no_statistics() {
	test_init no_statistics
	setup || { test_done; return; }
	actl '{"op":"statistics","stats":null}'
	ghrctl metric --extra --label ghrctl-test --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "no statistics: exit 0"
	test_match "$T/err" 'scale set 1 reports no statistics; PendingJobs and AssignedJobs not published' \
	    "a warning names what is skipped"
	test_eq "$(sent | awk '{ print $1 "=" $2 }' | tr '\n' ' ')" \
	    "BusyRunners=1 IdleRunners=1 OfflineRunners=2 RunningInstances=2 " \
	    "no PendingJobs/AssignedJobs zeros published"
	test_done
}

test_no_ec2() {
	test_init no_ec2
	setup || { test_done; return; }
	unset EC2_AMI_ID EC2_LAUNCH_TEMPLATE
	n0=$(calls DescribeInstances)
	ghrctl metric --extra --label ghrctl-test --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "no EC2 settings: exit 0"
	test_eq "$(sent | awk '{ print $1 "=" $2 }' | tr '\n' ' ')" \
	    "BusyRunners=1 IdleRunners=1 OfflineRunners=2 PendingJobs=3 AssignedJobs=5 " \
	    "no RunningInstances without EC2 settings"
	test_eq "$(calls DescribeInstances)" "$n0" "EC2 not asked"
	test_nomatch "$T/err" '.' "skipped silently"
	ghrctl -v metric -n --extra --label ghrctl-test --asg-name pool >"$T/out" 2>"$T/err"
	test_match "$T/err" 'EC2 not configured \(EC2_AMI_ID, EC2_LAUNCH_TEMPLATE\): RunningInstances not published' \
	    "-v says why"
	test_done
}

test_rest_pool() {
	test_init rest_pool
	setup || { test_done; return; }
	GHRCTL_SOURCE=rest RUNNER_SCALE_SET_ID=1 ghrctl -v metric --extra --label ghrctl-test \
	    --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "GHRCTL_SOURCE=rest: exit 0"
	test_eq "$(sent | awk '{ print $1 "=" $2 }' | tr '\n' ' ')" \
	    "BusyRunners=1 IdleRunners=1 OfflineRunners=2 RunningInstances=2 " \
	    "rest pool: RunningInstances, no statistics"
	test_eq "$(grep -c '/tenant/\|runner-registration' "$ACTIONS_LOG")" 0 "Actions Service not asked"
	test_match "$T/err" 'GHRCTL_SOURCE is rest' "-v says why the statistics are skipped"
	test_done
}

test_dry_run_reads() {
	test_init dry_run_reads
	setup || { test_done; return; }
	n0=$(calls DescribeInstances)
	ghrctl metric -n --extra --label ghrctl-test --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--dry-run exits 0 ($(head -c 300 "$T/err"))"
	test_eq "$(puts)" 0 "--dry-run sends no PutMetricData"
	test_eq "$(($(calls DescribeInstances) - n0))" 1 "--dry-run still reads EC2"
	test_eq "$(awk 'NR > 1 { print $2 "=" $3 }' "$T/out" | tr '\n' ' ')" \
	    "BusyRunners=1 IdleRunners=1 OfflineRunners=2 PendingJobs=3 AssignedJobs=5 RunningInstances=2 " \
	    "--dry-run prints every datapoint"
	test_done
}

test_ec2_refused() {
	test_init ec2_refused
	setup || { test_done; return; }
	ectl '{"op":"deny","action":"DescribeInstances"}'
	ghrctl metric --extra --label ghrctl-test --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "DescribeInstances refused: exit 77"
	test_match "$T/err" 'UnauthorizedOperation' "the refusal is named"
	test_eq "$(sent | awk '{ print $1 "=" $2 }' | tr '\n' ' ')" \
	    "BusyRunners=1 IdleRunners=1 OfflineRunners=2 PendingJobs=3 AssignedJobs=5 " \
	    "the other datapoints are still published"
	ghrctl metric --extra --follow --interval 1s --count 2 --label ghrctl-test \
	    --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "with --follow a refused DescribeInstances does not end the loop"
	test_eq "$(grep -c 'UnauthorizedOperation.*RunningInstances not published' "$T/err")" 2 \
	    "one warning per round"
	test_eq "$(grep -c ' AssignedJobs ' "$T/out")" 2 "both rounds publish the rest"
	test_done
}

test_without_extra_unchanged() {
	test_init without_extra_unchanged
	setup || { test_done; return; }
	n0=$(calls DescribeInstances)
	ghrctl metric --label ghrctl-test --asg-name pool >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "metric exits 0"
	test_eq "$(sent | tr '\n' ';')" "BusyRunners 1 Count asg_name=pool;IdleRunners 1 Count asg_name=pool;" \
	    "only BusyRunners and IdleRunners"
	test_eq "$(grep -c '"method"' "$ACTIONS_LOG")" 1 "one GitHub request, no Actions Service"
	test_eq "$(calls DescribeInstances)" "$n0" "no DescribeInstances"
	test_match "$T/out" '^TIME                  METRIC          VALUE' "table columns as before"
	test_done
}

run_test test_all_sources
run_test test_follow_looks_up_once
run_test test_no_statistics
run_test test_no_ec2
run_test test_rest_pool
run_test test_dry_run_reads
run_test test_ec2_refused
run_test test_without_extra_unchanged
