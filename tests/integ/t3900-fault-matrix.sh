#!/bin/sh
# t3900-fault-matrix.sh: issue 12 section 4, the CI variant.  A burst of
# FM_JOBS jobs (200) for `poll --follow --scale` with MAX_RUNNERS
# FM_MAX (15) while, every 2 s, one random fault hits the Actions Service
# (empty acquire reply, HTML acquire reply, expired queue token, empty
# 200 poll, stalled ack), EC2 (throttled RunInstances or
# DescribeInstances, an instance dying before its runner ran) or ghrctl
# itself (kill -9, then a restart).  A simulator plays the runners: each
# running instance's runner takes a job, runs it, leaves, and its
# instance powers off.  Asserted: every job served, none by two runners
# or with two instances, never more than MAX_RUNNERS live, every message
# acknowledged, no runner or instance left over.  bench/fault-soak runs
# the same longer.  Prints the figures as "# fault-matrix: ...".
. ./lib.sh
. ./ec2lib.sh

FM_JOBS=${FM_JOBS:-200}
FM_MAX=${FM_MAX:-15}
FM_TIME=${FM_TIME:-150}		# seconds before giving up

write_sim() {
	cat >"$T/sim.py" <<'PYEOF'
# The runners: a running instance's runner takes a job and runs it to the
# end (the fake's "run": JobCompleted), then the instance powers off; with
# --die, sometimes the instance dies first (spot reclaim: "vanish").
import json, os, random, sys, time
ec2_log, astate, actl, ectl, stop = sys.argv[1:6]
die = float(sys.argv[6])
seen, gone, asked = {}, set(), {}
def ctl(path, obj):
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")
while not os.path.exists(stop):
    time.sleep(0.3)
    try:
        d = json.load(open(ec2_log))
        runners = {r["name"] for r in json.load(open(astate))["runners"]}
    except (OSError, ValueError, KeyError):
        continue
    now = time.time()
    for i in d["instances"]:
        name = i["tags"].get("ghrctl:runner", "")
        if i["state"] != "running" or i["id"] in gone or not name:
            continue
        seen.setdefault(i["id"], now)
        if now - seen[i["id"]] < 1 or name not in runners and i["id"] not in asked:
            continue
        if i["id"] in asked and name not in runners:
            # It ran its job and left: the instance powers off.
            ctl(ectl, {"op": "state", "id": i["id"], "state": "terminated"})
            gone.add(i["id"])
        elif i["id"] not in asked and random.random() < die:
            ctl(actl, {"op": "vanish", "name": name})
            ctl(ectl, {"op": "state", "id": i["id"], "state": "terminated"})
            gone.add(i["id"])
        elif now - asked.get(i["id"], 0) >= 1:
            # Online; runs a job when there is one, else stays idle.
            ctl(actl, {"op": "runner", "name": name, "status": "online", "busy": False})
            ctl(actl, {"op": "run", "name": name})
            asked[i["id"]] = now
PYEOF
}

# fm_done: every job done
fm_done() {
	fstate jobs | "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d) >= int(sys.argv[1]) and all(v == "done" for v in d.values()) else 1)' "$FM_JOBS"
}

fault() {
	case $(( $(od -An -N2 -tu2 /dev/urandom) % 10 )) in
	0) actl '{"op":"acquire_fault","kind":"empty","count":2}' ;;
	1) actl '{"op":"acquire_fault","kind":"html","count":1}' ;;
	2) actl '{"op":"expire_queue_tokens"}' ;;
	3) actl '{"op":"raw","status":200,"body":""}' ;;
	4) actl '{"op":"stall_delete","seconds":2}' ;;
	5) ectl '{"op":"throttle","action":"RunInstances","count":3}' ;;
	6) ectl '{"op":"throttle","action":"DescribeInstances","count":2}' ;;
	7|8) kill -KILL "$(leaf "$job")" 2>/dev/null; wait "$job" 2>/dev/null
	   kills=$((kills + 1))
	   scaler_start --log-level info ;;
	9) : ;;	# a quiet moment
	esac
}

test_fault_matrix() {
	test_init fault_matrix
	# A kill -9 between a session's creation and its save leaves a
	# session nobody knows the id of; the service drops it when nobody
	# polls it (the fake after 5 s here), and the restarted poller takes
	# over (t3310 orphan_session).
	ACTIONS_ARGS="--session-idle 5" ec2_setup || { test_done; return; }
	export MAX_RUNNERS="$FM_MAX" GHRCTL_MIN_AGE=1s GHRCTL_BOOT_TIMEOUT=20s
	export GHRCTL_STANDBY_WAIT=1s GHRCTL_LAUNCH_CONCURRENCY=8
	# Faults, not EC2's pace (the fake does not throttle here; t3120 and
	# bench/burst-limits test pacing): 200 jobs in 30 s.
	export GHRCTL_EC2_LIMIT_RUN=1000/1000 GHRCTL_EC2_LIMIT_DESCRIBE=1000/1000
	write_sim
	kills=0
	scaler_start --log-level info
	wait_long test -s "$T/state/scaleset-ghrctl-test.json"
	"$PY" "$T/sim.py" "$AWS_LOG.ec2" "$ACTIONS_LOG.state" "$T/actions.ctl" "$T/ec2.ctl" "$T/stop" 0.05 &
	sim=$!
	jobs "$(seq -s, 1 "$FM_JOBS")"
	start=$(date +%s)
	while ! fm_done && [ $(( $(date +%s) - start )) -lt "$FM_TIME" ]; do
		sleep 2
		fault
	done
	took=$(( $(date +%s) - start ))
	fm_done && ok "all $FM_JOBS jobs served in ${took}s under faults ($kills kill -9)" ||
	    not_ok "jobs not done after ${took}s: $(fstate jobs | tr -cd 'a-z' | sed 's/done//g' | head -c 200); $(grep -c standby "$T/err") standby lines; last: $(tail -n 2 "$T/err" | cut -c 1-300)"
	# Afterwards: idle runners retired, nothing left.
	idle() { [ "$(instances running)" = 0 ] && [ "$(fstate runners)" = "[]" ]; }
	# An idle runner left by the last drift launch goes at the latest at
	# the next full reconcile (SCALER_RECONCILE_MS, 60 s): wait past it.
	WAIT_TICKS=1800 wait_for idle && ok "no runner or instance left over" ||
	    not_ok "left: $(instances running) instances, runners $(fstate runners | head -c 200)"
	drained() { fstate queued | "$PY" -c 'import json,sys; sys.exit(any(json.load(sys.stdin).values()))'; }
	# Under a sanitizer build each message takes about a second: wait.
	WAIT_TICKS=1800 wait_for drained || true
	touch "$T/stop"
	wait "$sim"
	scaler_stop
	"$PY" - "$ACTIONS_LOG.state" "$AWS_LOG.ec2" "$FM_MAX" >"$T/fig" <<'PYEOF'
import collections, json, sys
a = json.load(open(sys.argv[1]))
e = json.load(open(sys.argv[2]))
twice = [j for j, r in a["done_by"].items() if len(r) > 1]
names = collections.Counter(i["tags"].get("ghrctl:runner") for i in e["instances"])
dup_inst = [n for n, c in names.items() if c > 1]
queued = sum(len(v) for v in a["queued"].values())
print("served=%d/%d twice=%d dup_instances=%d max_live=%d/%s instances=%d queued=%d acked=%d" % (
    sum(1 for v in a["jobs"].values() if v == "done"), len(a["jobs"]), len(twice),
    len(dup_inst), e["max_live"], sys.argv[3], len(e["instances"]), queued, len(a["acked"])))
PYEOF
	echo "# fault-matrix: $(cat "$T/fig") kills=$kills seconds=$took"
	test_match "$T/fig" 'twice=0 ' "no job run by two runners"
	test_match "$T/fig" 'dup_instances=0 ' "no runner name on two instances"
	ml=$(sed 's/.*max_live=\([0-9]*\).*/\1/' "$T/fig")
	[ "$ml" -le "$FM_MAX" ] && ok "never more than MAX_RUNNERS live ($ml)" || not_ok "max live $ml > $FM_MAX"
	test_match "$T/fig" 'queued=0 ' "every message acknowledged"
	test_done
}

run_test test_fault_matrix
