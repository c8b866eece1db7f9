#!/bin/sh
# SPDX-License-Identifier: ISC
# t3330-deliver-reap.sh: a JIT config whose instance died before its
# runner came online (terminated, shutting down) is removed through the
# Actions Service at once, by the next scaler pass; never a runner that
# is online or busy.  A stopped instance (a warm pool's) keeps its
# pending delivery.  On 409 AgentExists with no instance, a runner of
# that name that is online is not removed.  An instance whose config
# never arrives (its boot gives up after --wait, 15 min, and powers off)
# is a ghost to `cleanup` at --boot-timeout (10 min): its runner is
# removed, the instance terminated, the pending delivery forgotten.
. ./lib.sh
. ./ec2lib.sh

# registered NAME: 1 when the fake Actions Service has runner NAME
registered() {
	fstate runners | "$PY" -c 'import json,sys; print(int(any(r["name"] == sys.argv[1] for r in json.load(sys.stdin))))' "$1"
}

test_dead_instances() {
	test_init dead_instances
	mkdir -p "$T/console"
	ec2_setup --console-dir "$T/console" || { test_done; return; }
	stats 4
	ghrctl scale >"$T/out1" 2>"$T/err1"
	test_eq "$(instances running)" 4 "4 instances"
	test_eq "$(ls "$T/state/deliver" | wc -l | tr -d ' ')" 4 "4 deliveries pending"
	r1=$(rname 1) r2=$(rname 2) r3=$(rname 3) r4=$(rname 4)
	actl "{\"op\":\"runner\",\"name\":\"$r2\",\"status\":\"online\"}"
	actl "{\"op\":\"runner\",\"name\":\"$r3\",\"status\":\"online\",\"busy\":true}"
	ectl "{\"op\":\"state\",\"id\":\"$(inst 1)\",\"state\":\"terminated\"}"
	ectl "{\"op\":\"state\",\"id\":\"$(inst 2)\",\"state\":\"shutting-down\"}"
	ectl "{\"op\":\"state\",\"id\":\"$(inst 3)\",\"state\":\"terminated\"}"
	ectl "{\"op\":\"state\",\"id\":\"$(inst 4)\",\"state\":\"stopped\"}"
	stats 0
	ghrctl scale -v >"$T/out2" 2>"$T/err2"
	test_eq "$?" 0 "scale passes ($(tail -n 1 "$T/err2"))"
	test_eq "$(registered "$r1")" 0 "the runner of the dead instance is removed"
	test_match "$T/err2" "runner $r1 removed: its instance $(inst 1) is terminated before the runner came online" \
	    "says why"
	test_eq "$(registered "$r2")" 1 "an online runner is kept"
	test_eq "$(registered "$r3")" 1 "a busy runner is kept"
	test_eq "$(registered "$r4")" 1 "the runner of a stopped instance is kept"
	test_eq "$(ls "$T/state/deliver" | tr '\n' ' ')" "$r4 " \
	    "the dead instances' deliveries are forgotten, the stopped one's kept"
	test_done
}

# 409 AgentExists, no instance: an online runner of the name stays.
test_agent_exists_online() {
	test_init agent_exists_online
	ec2_setup || { test_done; return; }
	# The first launch fails; removing its runner is refused (busy).
	actl '{"op":"busy_runner","name":"ghrctl-1-r78"}'
	ectl '{"op":"capacity","type":"*","market":"*","code":"InsufficientInstanceCapacity","count":1}'
	msg 1 78
	ghrctl scale >"$T/out1" 2>"$T/err1"
	test_eq "$(instances)" 0 "no instance"
	test_eq "$(registered ghrctl-1-r78)" 1 "the runner stays registered"
	# It is online now (another process's, say): never removed.
	actl '{"op":"runner","name":"ghrctl-1-r78","status":"online","busy":false}'
	msg 1 78
	ghrctl scale -v >"$T/out2" 2>"$T/err2"
	test_eq "$(registered ghrctl-1-r78)" 1 "the online runner is not removed"
	test_match "$T/err2" 'runner ghrctl-1-r78 already exists and is online or busy: not removed' \
	    "says so"
	test_nomatch "$AWS_LOG.ec2" '"ghrctl:runner": "ghrctl-1-r78"' "no instance launched under its name"
	test_done
}

test_ghost() {
	test_init ghost
	mkdir -p "$T/console"
	ec2_setup --console-dir "$T/console" || { test_done; return; }
	stats 1
	ghrctl scale >"$T/out1" 2>"$T/err1"
	r1=$(rname 1)
	test_eq "$(ls "$T/state/deliver")" "$r1" "a delivery pending"
	# Its boot never published a key; 11 minutes later:
	ectl '{"op":"age","id":"*","seconds":660}'
	stats 0
	ghrctl cleanup -o json >"$T/out" 2>"$T/err2"
	test_match "$(action 1 >"$T/a1"; echo "$T/a1")" '^boot-timeout \| runner not online within the boot timeout 10m0s .* \| terminated' \
	    "cleanup terminates the ghost"
	test_eq "$(registered "$r1")" 0 "its runner is removed first"
	ghrctl scale >"$T/out3" 2>"$T/err3"
	test_eq "$(ls "$T/state/deliver")" "" "the next pass forgets its delivery"
	test_done
}

run_test test_dead_instances
run_test test_ghost
run_test test_agent_exists_online
