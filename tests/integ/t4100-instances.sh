#!/bin/sh
# t4100-instances.sh: ghrctl instances list against the fake EC2 over
# TLS and SigV4: only instances tagged ghrctl:managed=true, --state as an
# instance-state-name filter, the market, age, pool tag and the runner's
# job from the job journal; table, CSV and JSON (checked with python).
. ./lib.sh
. ./ec2lib.sh

# launch ID RUNNER TYPE SPOT [POOL]: an instance of scale set 1 in the fake
launch() {
	pool=${5:+,\"ghrctl:pool\":\"$5\"}
	ectl "{\"op\":\"launch\",\"id\":\"$1\",\"type\":\"$3\",\"spot\":$4,\"tags\":{\"ghrctl:managed\":\"true\",\"ghrctl:scale-set\":\"1\",\"ghrctl:runner\":\"$2\",\"Name\":\"$2\"$pool}}"
}

inst_setup() {
	ec2_setup || return 1
	launch i-0000000000000a001 ghrctl-1-r1 m5.large false
	launch i-0000000000000a002 ghrctl-1-r2 c6i.xlarge true hot
	launch i-0000000000000a003 ghrctl-1-r3 m5.large false stopped
	ectl '{"op":"launch","id":"i-0000000000000f001","tags":{"Name":"not-ours"}}'
	ectl '{"op":"state","id":"i-0000000000000a003","state":"stopped"}'
	ectl '{"op":"age","id":"i-0000000000000a001","seconds":7300}'
	ectl '{"op":"age","id":"i-0000000000000a002","seconds":330}'
	# The journal poll keeps: runner r1 runs job "build" of acme/app.
	mkdir -p "$T/state"
	printf '%s\n' '{"at":"2026-11-23T09:00:00Z","event":"JobStarted","runnerRequestId":7,"ownerName":"acme","repositoryName":"app","jobDisplayName":"build","queueTime":"2026-11-23T08:59:00Z","runnerAssignTime":"2026-11-23T09:00:00Z","runnerName":"ghrctl-1-r1"}' \
	    >"$T/state/scaleset-ghrctl-test.json.jobs"
}

test_list() {
	test_init list
	inst_setup
	ghrctl instances list >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "instances list exits 0"
	test_eq "$(head -n 1 "$T/out" | tr -s ' ')" "ID STATE TYPE MARKET AGE RUNNER JOB POOL SCALE SET" "header"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 4 "three managed instances (not the untagged one)"
	test_match "$T/out" '^i-0000000000000a001 +running +m5\.large +on-demand +2h +ghrctl-1-r1 +build +1$' "r1: on-demand, 2h, its job from the journal"
	test_match "$T/out" '^i-0000000000000a002 +running +c6i\.xlarge +spot +5m +ghrctl-1-r2 +hot +1$' "r2: spot, pool hot"
	test_match "$T/out" '^i-0000000000000a003 +stopped +m5\.large +on-demand' "r3: stopped"
	grep '"action": "DescribeInstances"' "$AWS_LOG" | tail -n 1 >"$T/req"
	test_match "$T/req" '"Filter.1.Name": "tag:ghrctl:managed"' "filtered by the managed tag at EC2"
	ghrctl instances list --state stopped,pending -o csv >"$T/out"
	test_eq "$(cat "$T/out")" "id,state,type,market,age,runner,job,pool,scaleSet
i-0000000000000a003,stopped,m5.large,on-demand,$(sed -n 's/.*a003,stopped,m5.large,on-demand,\([0-9]*\),.*/\1/p' "$T/out"),ghrctl-1-r3,,stopped,1" "--state stopped,pending: CSV"
	grep '"action": "DescribeInstances"' "$AWS_LOG" | tail -n 1 >"$T/req"
	test_match "$T/req" '"Filter.2.Name": "instance-state-name", "Filter.2.Value.1": "stopped", "Filter.2.Value.2": "pending"' "--state sent as an instance-state-name filter"
	ghrctl instances list -o json --sort -age >"$T/out"
	"$PY" - "$T/out" <<'PY' && ok "-o json: an array, sorted by age, the oldest first" || not_ok "json: $(head -c 400 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["id"][-4:] for r in d] == ["a001", "a002", "a003"], d
a = d[0]
assert a["state"] == "running" and a["type"] == "m5.large" and a["market"] == "on-demand", a
assert 7200 <= a["age"] < 7400 and a["runner"] == "ghrctl-1-r1" and a["job"] == "build", a
assert a["pool"] == "" and a["scaleSet"] == "1", a
assert d[1]["market"] == "spot" and d[1]["pool"] == "hot", d[1]
PY
	test_done
}

test_errors() {
	test_init errors
	inst_setup
	ghrctl instances list --state sleeping >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "an unknown state: usage error"
	test_match "$T/err" "use pending, running, stopping, stopped, shutting-down or terminated" "the states named"
	ghrctl instances list --state terminated >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "none in that state: exit 0"
	test_match "$T/err" "no instance ghrctl manages is terminated" "a note on stderr"
	ghrctl instances list --sort nosuch >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "--sort nosuch: usage error"
	ectl '{"op":"deny","action":"DescribeInstances"}'
	ghrctl instances list >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "DescribeInstances refused: exit 77 (permission)"
	test_match "$T/err" "UnauthorizedOperation" "EC2's code named"
	test_done
}

run_test test_list
run_test test_errors
