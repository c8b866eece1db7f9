#!/bin/sh
# SPDX-License-Identifier: ISC
# t3320-warm-pools.sh: warm pools (issue 15 §2) over the real transport
# against the fake EC2 and Actions Service.  POOL_SCHEDULE sizes the
# pools; `ghrctl scale` launches warming instances (on-demand, shutdown
# behaviour stop), whose `ghrctl boot` sees the pool tag and exits
# without waiting for a config; once stopped they are tagged into the
# pool; demand binds them to runners (tags) and starts them in one
# StartInstances; their boot then waits for the sealed config; after the
# job the stopped instance is terminated, never reused; refills, max age
# and launch-setting changes replace pool instances; MAX_RUNNERS counts
# warming instances; cleanup covers pool instances; kill -9 at several
# points leaves nothing unaccounted for.
. ./lib.sh
. ./ec2lib.sh

# tag N KEY: tag KEY of the N-th instance ("" when none)
tag() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(d["instances"][int(sys.argv[2]) - 1]["tags"].get(sys.argv[3], ""))' "$AWS_LOG.ec2" "$1" "$2"
}
# pooled STATE: instances not terminated whose ghrctl:pool is STATE
pooled() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(sum(1 for i in d["instances"] if i["state"] != "terminated" and
          i["tags"].get("ghrctl:pool") == sys.argv[2]))' "$AWS_LOG.ec2" "$1"
}
# idof POOLSTATE [STATE]: the first instance id with that pool tag (and state)
idof() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
for i in d["instances"]:
    if i["tags"].get("ghrctl:pool") == sys.argv[2] and (len(sys.argv) < 4 or i["state"] == sys.argv[3]):
        print(i["id"]); break' "$AWS_LOG.ec2" "$@"
}
# shut ID: the instance powers itself off (the user data's trap)
shut() { ectl "{\"op\":\"shutdown\",\"id\":\"$1\"}"; }


stopped() { wait_for test "$(istate_of "$1")" = stopped; }

# boot ID: ghrctl boot of instance ID, in the foreground
boot_fg() {
	"$BIN" boot -v --imds-endpoint "https://localhost:$AWS_PORT/imds/$1" \
	    --console "$T/console/$1.console" --runner "$T/runner.sh" \
	    --interval 100ms --wait 2s >"$T/$1.out" 2>"$T/$1.err"
}

runner_script() {
	cat >"$T/runner.sh" <<-'EOF'
	#!/bin/sh
	[ -n "$ACTIONS_RUNNER_INPUT_JITCONFIG" ] && echo ran >"$0.ran"
	EOF
	chmod +x "$T/runner.sh"
}

pool_setup() {
	mkdir -p "$T/console"
	ec2_setup --console-dir "$T/console" || return 1
	runner_script
	ectl '{"op":"timing","start":0.1,"stop":0.1}'
}

# warm N: scale until N instances sit in the stopped pool: launches,
# each boot, the instance-initiated shutdown, the next pass's tagging.
warm_up() {
	ghrctl scale -o json >"$T/w1" 2>"$T/we1" || return 1
	for id in $("$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join(i["id"] for i in d["instances"] if i["tags"].get("ghrctl:pool") == "warming" and i["state"] == "running"))' "$AWS_LOG.ec2"); do
		[ "$(istate_of "$id")" = running ] || continue
		boot_fg "$id" || return 1
		shut "$id"
		stopped "$id"
	done
	ghrctl scale -o json >"$T/w2" 2>"$T/we2" || return 1
}
istate_of() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print([i["state"] for i in d["instances"] if i["id"] == sys.argv[2]][0])' "$AWS_LOG.ec2" "$1"
}

# cold PREFIX: instances launched for a runner whose name starts with
# PREFIX, not from the pool (RunInstances names no runner: a batch's
# instances get their runner tag after the launch).
cold() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(sum(1 for i in d["instances"] if i["tags"].get("ghrctl:runner", "").startswith(sys.argv[2])
          and "ghrctl:pool" not in i["tags"]))' "$AWS_LOG.ec2" "$1"
}

test_warm_bind_job() {
	test_init warm_bind_job
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=2" EC2_SPOT_PRICE=auto
	stats 0
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale warms ($(tail -n 1 "$T/err"))"
	test_eq "$(pooled warming)" 2 "two warming instances"
	test_eq "$(params RunInstances | grep -c '"InstanceInitiatedShutdownBehavior": "stop"')" 2 \
	    "launched with shutdown behaviour stop"
	test_eq "$(params RunInstances | grep -c InstanceMarketOptions)" 0 \
	    "on-demand although EC2_SPOT_PRICE is set (a one-time spot instance cannot stop)"
	test_eq "$(tag 1 ghrctl:pool-config | wc -c | tr -d ' ')" 17 "launch settings recorded"
	i1=$(inst 1) i2=$(inst 2)
	boot_fg "$i1"
	test_eq "$?" 0 "boot of a warming instance exits 0 at once"
	test_match "$T/console/$i1.console" "^ghrctl-boot-pool v1 $i1 ready\$" "boot says it is warm"
	test_nomatch "$T/console/$i1.console" "ghrctl-boot-key" "no key published: no config is awaited"
	test_match "$T/$i1.err" "powering off" "boot says why it ends"
	boot_fg "$i2"
	shut "$i1"
	shut "$i2"
	stopped "$i1"
	stopped "$i2"
	test_eq "$(instances stopped)" 2 "both stopped themselves (behaviour stop), not terminated"
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"action":"pool-ready","instance":"'"$i1"'"' "stopped warming instance tagged into the pool"
	test_eq "$(pooled stopped)" 2 "two in the stopped pool"
	test_eq "$(calls RunInstances)" 2 "no more warming: the pool is full"
	test_match "$T/out" '"pool":\{"stopped":2,"warming":0,"warm":0\}' "-o json reports the pool"
	ghrctl scale >"$T/table" 2>"$T/err"
	test_match "$T/table" '^pool: 2 stopped \(storage only\), 0 warming, warm 0$' "the table reports the pool"
	# Demand: one job binds the oldest pool instance and starts it.
	stats 1
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale binds ($(tail -n 1 "$T/err"))"
	test_eq "$(calls RunInstances)" 2 "no cold launch"
	test_eq "$(calls StartInstances)" 1 "one StartInstances"
	test_match "$T/out" '"launched":\["'"$i1"'"\]' "the started instance is reported launched"
	test_eq "$(tag 1 ghrctl:pool)" bound "instance 1 bound"
	test_match "$(tag 1 ghrctl:runner >"$T/r"; echo "$T/r")" '^ghrctl-1-d' "bound to a runner name"
	wait_for test "$(istate 1)" = running
	# Its boot on restart publishes a fresh key and waits for its config.
	"$BIN" boot -v --imds-endpoint "https://localhost:$AWS_PORT/imds/$i1" \
	    --console "$T/console/$i1.console" --runner "$T/runner.sh" \
	    --interval 100ms --wait 30s >"$T/b.out" 2>"$T/b.err" &
	bpid=$!
	wait_for grep -q "^ghrctl-boot-key v1 $i1" "$T/console/$i1.console"
	ghrctl scale -v >"$T/out" 2>"$T/err"
	test_match "$T/err" 'deliveries: 1 sealed and tagged' "sealed config delivered to the pool instance"
	wait "$bpid"
	test_eq "$?" 0 "boot ran the runner ($(tail -n 2 "$T/b.err" | tr '\n' ' '))"
	test_eq "$(cat "$T/runner.sh.ran" 2>/dev/null)" ran "the runner got its config"
	# The job is done: the instance powers off and stops (behaviour stop).
	shut "$i1"
	stopped "$i1"
	test_eq "$(istate 1)" stopped "after its job the pool instance is stopped"
	stats 0
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_nomatch "$T/out" '"instance":"'"$i1"'"' "within the grace after binding: left alone"
	ectl "{\"op\":\"tags\",\"id\":\"$i1\",\"set\":{\"ghrctl:pool-since\":\"1000\"}}"
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"action":"pool-terminate","instance":"'"$i1"'","runner":"ghrctl-1-d[^"]*","reason":"bound to runner [^"]* and stopped: a pool instance serves one job","result":"terminated"' \
	    "a used pool instance is terminated, never reused"
	test_eq "$(calls RunInstances)" 3 "the pool is refilled"
	test_eq "$(pooled warming)" 1 "one warming"
	test_done
}

test_max_runners() {
	test_init max_runners
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* hot=1 stopped=5" MAX_RUNNERS=3
	stats 0
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"desired":1,"live":0,"launch":1' "hot=1: one runner launched"
	test_match "$T/out" '"pool":\{"stopped":0,"warming":0,"warm":2\}' \
	    "the pool refills in the same pass, in the room the demand leaves"
	test_eq "$(pooled warming)" 2 "warming up to MAX_RUNNERS beside the demand"
	test_eq "$(params RunInstances | head -n 1 | grep -c '"InstanceInitiatedShutdownBehavior": "stop"')" 0 \
	    "the demand's launch first"
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$(instances)" 3 "no more"
	stats 2
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"desired":3,"live":3,"launch":0' "warming instances count toward MAX_RUNNERS"
	test_eq "$(ec2 max_live)" 3 "never more than MAX_RUNNERS live"
	test_done
}

test_schedule_errors() {
	test_init schedule_errors
	pool_setup || { test_done; return; }
	POOL_SCHEDULE="mon-fir hot=1" ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "a bad schedule is a config error"
	test_match "$T/err" "env POOL_SCHEDULE: POOL_SCHEDULE window 1 \('mon-fir hot=1'\): expected a day after '-'" \
	    "the error names the window and what is wrong"
	POOL_SCHEDULE="* hot=11" ghrctl scale >"$T/out" 2>"$T/err"
	test_match "$T/err" "hot=11 is more than MAX_RUNNERS=10" "hot above MAX_RUNNERS refused"
	POOL_SCHEDULE="* stopped=21" ghrctl scale >"$T/out" 2>"$T/err"
	test_match "$T/err" "stopped=21 is more than POOL_MAX_STOPPED=20" "stopped above its ceiling refused"
	POOL_TZ=Europe/Paris ghrctl scale >"$T/out" 2>"$T/err"
	test_match "$T/err" "POOL_TZ 'Europe/Paris': give UTC or a fixed offset" "zone names refused"
	test_eq "$(cat "$AWS_LOG" 2>/dev/null | grep -c RunInstances)" 0 "nothing launched"
	test_done
}

test_replace() {
	test_init replace
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=2"
	stats 0
	warm_up || { not_ok "warm up: $(cat "$T/we1" "$T/we2")"; test_done; return; }
	test_eq "$(pooled stopped)" 2 "pool full"
	ectl "{\"op\":\"age\",\"id\":\"$(inst 1)\",\"seconds\":7200}"
	POOL_MAX_AGE=1h ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"action":"pool-terminate","instance":"'"$(inst 1)"'","runner":"[^"]*","reason":"older than POOL_MAX_AGE 1h0m \(age 2h0m\)","result":"terminated"' \
	    "past POOL_MAX_AGE: replaced"
	test_eq "$(pooled warming)" 1 "a replacement warms"
	EC2_INSTANCE_TYPE=m5.xlarge ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"action":"pool-terminate","instance":"'"$(inst 2)"'","runner":"[^"]*","reason":"made with other launch settings' \
	    "another instance type: replaced"
	test_eq "$(params RunInstances | tail -n 1 | grep -c '"InstanceType": "m5.xlarge"')" 1 "the replacement has the new type"
	# The schedule shrinks: the surplus goes.
	POOL_SCHEDULE="* stopped=0" ghrctl cleanup -o json >"$T/out" 2>"$T/err"
	test_eq "$(pooled stopped)" 0 "cleanup: no stopped pool instance above the size"
	test_done
}

test_cleanup_classes() {
	test_init cleanup_classes
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=3"
	stats 0
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$(pooled warming)" 3 "three warming"
	# 1: never stopped itself; 2: stopped; 3: started by someone else.
	ectl "{\"op\":\"age\",\"id\":\"$(inst 1)\",\"seconds\":700}"
	shut "$(inst 2)"
	stopped "$(inst 2)"
	ectl "{\"op\":\"tags\",\"id\":\"$(inst 3)\",\"set\":{\"ghrctl:pool\":\"stopped\"}}"
	ghrctl cleanup -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "cleanup ($(tail -n 1 "$T/err"))"
	test_match "$T/out" '"action":"pool-stop","instance":"'"$(inst 1)"'","runner":"[^"]*","reason":"first boot did not stop itself within 10m0s \(age 1[12]m[0-9]+s\)","result":"stopping"' \
	    "a warming instance that did not stop itself is stopped (StopInstances)"
	test_eq "$(calls StopInstances)" 1 "one StopInstances"
	test_match "$T/out" '"action":"pool-ready","instance":"'"$(inst 2)"'"' "a warmed one joins the pool"
	test_match "$T/out" '"action":"pool-terminate","instance":"'"$(inst 3)"'","runner":"[^"]*","reason":"in the stopped pool but running without a runner"' \
	    "a running instance tagged stopped is terminated"
	test_nomatch "$T/out" '"boot-timeout"' "no pool instance reaped by the boot timeout"
	test_eq "$(calls RunInstances)" 3 "cleanup launches nothing"
	stopped "$(inst 1)"
	test_eq "$(istate 1)" stopped "the slow one is stopped, in the pool"
	test_done
}

# The fake refuses to start a one-time spot instance, as EC2 does; the
# launch of that runner fails with EC2's reason.
test_start_refused() {
	test_init start_refused
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=1"
	stats 0
	warm_up || { not_ok "warm up"; test_done; return; }
	i1=$(inst 1)
	ectl "{\"op\":\"launch\",\"id\":\"i-0spot0000000000001\",\"spot\":true,\"tags\":{\"ghrctl:scale-set\":\"1\",\"ghrctl:managed\":\"true\",\"ghrctl:pool\":\"stopped\",\"ghrctl:pool-config\":\"$(tag 1 ghrctl:pool-config)\"}}"
	ectl '{"op":"state","id":"i-0spot0000000000001","state":"stopped"}'
	ectl '{"op":"age","id":"i-0spot0000000000001","seconds":9000}'
	stats 2
	POOL_SCHEDULE="* stopped=2" ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale serves both jobs ($(tail -n 1 "$T/err"))"
	test_match "$T/err" "starting pool instance i-0spot0000000000001: .*UnsupportedOperation: You can't start the Spot Instance.*; launching a new instance instead" \
	    "StartInstances of a one-time spot instance: EC2's refusal, logged"
	test_eq "$(cold ghrctl-1-d)" 1 "its runner launched on a new instance"
	wait_for test "$(instances running)" = 2
	test_eq "$(instances running)" 2 "two runner instances for two jobs"
	test_eq "$(istate_of "$i1" | sed s/pending/running/)" running "the other pool instance started alone"
	test_done
}

# kill -9 during the warming launch, the binding's CreateTags and the
# StartInstances: afterwards every instance is in the pool, bound to a
# runner, or gone after the next passes.
accounted() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
bad = []
for i in d["instances"]:
    t, s, p = i["tags"], i["state"], i["tags"].get("ghrctl:pool", "")
    if s == "terminated": continue
    if p in ("warming", "stopped") and s in ("running", "pending", "stopped", "stopping"): continue
    if t.get("ghrctl:runner") and s in ("running", "pending"): continue
    bad.append("%s %s %s" % (i["id"], s, p))
print(" ".join(bad))' "$AWS_LOG.ec2"
}

crash_at() {
	action=$1
	before=$(cat "$AWS_LOG" 2>/dev/null | grep -c "\"action\": \"$action\"")
	ectl "{\"op\":\"delay\",\"action\":\"$action\",\"seconds\":30}"
	ghrctl scale >"$T/crash.out" 2>"$T/crash.err" &
	pid=$!
	wait_for test "$(grep -c "\"action\": \"$action\"" "$AWS_LOG")" -gt "$before"
	kill -9 "$(leaf "$pid")" 2>/dev/null
	wait "$pid" 2>/dev/null
}

test_crash() {
	test_init crash
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=2"
	stats 0
	crash_at RunInstances
	test_eq "$(accounted)" "" "killed during the warming launch: accounted for"
	ghrctl scale -o json >"$T/out" 2>"$T/err"
	test_eq "$(pooled warming)" 2 "the next pass counts it and completes the pool"
	for id in $(inst 1) $(inst 2); do shut "$id"; stopped "$id"; done
	ghrctl scale >/dev/null 2>&1
	test_eq "$(pooled stopped)" 2 "pool full"
	stats 1
	crash_at CreateTags
	test_eq "$(accounted | wc -w | tr -d ' ')" 3 "killed between binding and starting: one stopped bound instance"
	ectl "{\"op\":\"tags\",\"id\":\"$(idof bound)\",\"set\":{\"ghrctl:pool-since\":\"1000\"}}"
	ghrctl cleanup -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"action":"pool-terminate","instance":"[^"]*","runner":"[^"]*","reason":"bound to runner' \
	    "cleanup reaps it (it may have served a job: never reused)"
	test_eq "$(accounted)" "" "then everything is accounted for"
	crash_at StartInstances
	test_eq "$(accounted)" "" "killed during StartInstances: a bound, running instance"
	test_eq "$(pooled bound)" 1 "the other pool instance bound and started"
	test_done
}

# poll --follow --scale: jobs of a message take stopped pool instances
# (one StartInstances) before launching; the rest launch cold.
test_poll_bind() {
	test_init poll_bind
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=2"
	stats 0
	warm_up || { not_ok "warm up: $(cat "$T/we1" "$T/we2")"; test_done; return; }
	test_eq "$(pooled stopped)" 2 "pool full"
	scaler_start
	msg 3 101 102 103
	wait_long acked 100000001 && ok "message handled" || not_ok "not acked: $(tail -n 3 "$T/err")"
	scaler_stop
	test_eq "$(calls StartInstances)" 1 "one StartInstances for both pool instances"
	test_eq "$(params StartInstances | grep -c '"InstanceId.2"')" 1 "with both ids"
	test_eq "$(pooled bound)" 2 "both bound"
	test_match "$(names >"$T/n"; echo "$T/n")" "^ghrctl-1-r101 ghrctl-1-r102 ghrctl-1-r103( |\$)" "to the jobs' runners"
	test_eq "$(cold ghrctl-1-r10)" 1 "the third job launched cold"
	test_eq "$(cold ghrctl-1-r103)" 1 "the one the pool could not serve"
	test_done
}

warming_is() { test "$(pooled warming)" = "$1"; }
running_is() { test "$(istate_of "$1")" = running; }

# poll --follow --scale: a warming instance that stopped after the last
# reconcile serves the next job (the scaler looks at EC2 before it
# launches), and the pool is refilled right after that job's binding.
test_poll_refill() {
	test_init poll_refill
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=1"
	stats 0
	scaler_start
	wait_long warming_is 1 && ok "the scaler warms one" ||
	    not_ok "no warming instance: $(tail -n 3 "$T/err")"
	i1=$(inst 1)
	wait_long running_is "$i1"
	boot_fg "$i1"
	shut "$i1"
	stopped "$i1"
	msg 1 201
	wait_long acked 100000001 && ok "message handled" || not_ok "not acked: $(tail -n 3 "$T/err")"
	wait_long warming_is 1
	scaler_stop
	test_eq "$(calls StartInstances)" 1 "the instance that stopped is started for the job"
	test_eq "$(tag 1 ghrctl:runner)" ghrctl-1-r201 "bound to the job's runner"
	test_eq "$(cold ghrctl-1-r201)" 0 "no cold launch for the job"
	test_eq "$(pooled warming)" 1 "refilled at once: one warming again"
	test_eq "$(calls RunInstances)" 2 "one warming launch for the refill"
	test_done
}

# poll --follow --scale fills a pool larger than one pass's warming at
# each long poll's end, not at the minute's reconcile.
test_poll_fill() {
	test_init poll_fill
	pool_setup || { test_done; return; }
	export POOL_SCHEDULE="* stopped=7"
	stats 0
	scaler_start
	wait_long warming_is 7 && ok "seven warming within a few long polls" ||
	    not_ok "warming $(pooled warming): $(tail -n 3 "$T/err")"
	scaler_stop
	test_eq "$(calls RunInstances)" 7 "no more"
	test_done
}

test_warm_bind_job
test_poll_bind
test_poll_refill
test_poll_fill
test_max_runners
test_schedule_errors
test_replace
test_cleanup_classes
test_start_refused
test_crash
