#!/bin/sh
# t3000-scale-ec2.sh: ghrctl scale against the fake Actions Service and
# the fake EC2 (SigV4 and botocore-model checked): launches the
# difference once in one batch (MaxCount=N, one CreateTags per instance
# for its runner), tags and the batch ClientToken, user data from the template,
# -o json, --dry-run with EC2 DryRun, the state lock (exit 75), spot to
# on-demand fallback, types tried in order, a RunInstances reply lost
# after EC2 made the instance, RequestLimitExceeded storms, and busy
# runners never terminated on scale-down, and user data with every value
# shell-quoted (a hostile scale set name runs nothing).
. ./lib.sh
. ./ec2lib.sh

test_scale_launches_once() {
	test_init scale_launches_once
	ec2_setup || { test_done; return; }
	stats 3
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(cat "$T/err"))"
	test_eq "$(instances running)" 3 "3 assigned jobs: 3 instances"
	test_match "$T/out" '^desired 3  live 0  launch 3' "table names desired, live, launch"
	ghrctl scale >"$T/out2" 2>&1
	test_eq "$(calls RunInstances)" 1 "one RunInstances for the batch of 3; the second pass launches nothing"
	test_match "$T/out2" '^desired 3  live 3  launch 0' "second pass sees 3 live"
	params RunInstances | head -n 1 >"$T/p"
	for kv in '"MetadataOptions.HttpTokens": "required"' \
	    '"MetadataOptions.InstanceMetadataTags": "enabled"' \
	    '"InstanceInitiatedShutdownBehavior": "terminate"' \
	    '"SubnetId": "subnet-0aaa"' '"MinCount": "1"' '"MaxCount": "3"' \
	    '"ClientToken": "ghrctl-[0-9a-f]{40}"' \
	    '"TagSpecification.1.ResourceType": "instance"' \
	    '"TagSpecification.2.ResourceType": "volume"' \
	    '"TagSpecification.1.Tag.1.Key": "ghrctl:managed"' \
	    '"TagSpecification.1.Tag.2.Value": "1"'; do
		test_match "$T/p" "$kv" "RunInstances sends $kv"
	done
	# TagSpecifications tag every instance of a call alike: the runner
	# is tagged per instance afterwards, so each runner has exactly one
	# instance and each instance one runner (no job launched twice).
	test_nomatch "$T/p" 'ghrctl:runner' "the batch carries no runner tag"
	test_eq "$(calls CreateTags)" 3 "one CreateTags per instance"
	test_eq "$(params CreateTags | grep -c '"ResourceId.2"')" 0 "each CreateTags names one instance"
	test_eq "$(names | tr ' ' '\n' | sort -u | grep -c r)" 3 "3 distinct runners, one instance each"
	test_eq "$("$PY" -c 'import json,sys; print(len({i["tags"]["Name"] for i in json.load(open(sys.argv[1]))["instances"]}))' "$AWS_LOG.ec2")" 3 \
	    "each instance's Name is its runner"
	# The user data is the contrib template with the runner and ghrctl's
	# public signing key filled in, and no JIT config (issue 14: it is
	# delivered sealed to the instance's boot key, see t3310).
	"$PY" - "$AWS_LOG.ec2" "$TOP/contrib/user-data.sh.tmpl" >"$T/ud" <<'PYEOF'
import base64, json, sys
d = json.load(open(sys.argv[1]))
i = d["instances"][0]
ud = base64.b64decode(i["user_data"]).decode()
t = open(sys.argv[2]).read()
name = i["token"]      # a batch shares one user data: its ClientToken
key = ud.split("GHRCTL_SIGNING_KEY=")[1].split("\n")[0]
want = (t.replace("{{RUNNER_NAME}}", name).replace("{{SCALE_SET_ID}}", "1")
        .replace("{{SCALE_SET_NAME}}", "ghrctl-test").replace("{{SIGNING_KEY}}", key))
print("same" if ud == want else "differ")
print(len(key) == 87 and all(c.isalnum() or c in "-_" for c in key))
print(any("JITSECRET" in base64.b64decode(x["user_data"]).decode()
          for x in d["instances"]))
PYEOF
	test_eq "$(sed -n 1p "$T/ud")" same "user data = contrib/user-data.sh.tmpl rendered (RUNNER_NAME: the batch's ClientToken)"
	test_eq "$(sed -n 2p "$T/ud")" True "user data carries ghrctl's public signing key"
	test_eq "$(sed -n 3p "$T/ud")" False "no user data carries a JIT config"
	test_eq "$(stat -c %a "$T/state/signing-key")" 600 "the signing key file is 0600"
	grep -q JITSECRET "$T/err" "$T/out" && not_ok "JIT config printed" || ok "JIT config never printed"
	test_done
}

test_json_and_dry_run() {
	test_init json_and_dry_run
	ec2_setup || { test_done; return; }
	stats 2
	ghrctl scale -n -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale --dry-run exits 0 ($(cat "$T/err"))"
	test_eq "$(instances)" 0 "--dry-run launches nothing"
	test_eq "$(params RunInstances | grep -c '"DryRun": "true"')" "$(calls RunInstances)" "every RunInstances carries DryRun"
	grep -q '"error": "DryRunOperation"' "$AWS_LOG" && ok "EC2 answered DryRunOperation" || not_ok "no DryRunOperation"
	grep -q 'generatejitconfig' "$ACTIONS_LOG" && not_ok "--dry-run made a JIT config" || ok "--dry-run registers no runner"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["desired"]==2 and d["launch"]==2 and d["dryRun"] is True and d["launched"]==[]' "$T/out" &&
	    ok "-o json: one document with desired, launch, dryRun" || not_ok "-o json: $(cat "$T/out")"
	ectl '{"op":"deny","action":"RunInstances"}'
	ghrctl scale -n >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "--dry-run without ec2:RunInstances: exit 77"
	test_match "$T/err" 'UnauthorizedOperation' "the refusal is named"
	test_done
}

test_lock() {
	test_init lock
	ec2_setup || { test_done; return; }
	stats 4
	mkdir -p "$T/state"
	(umask 077 && exec flock "$T/state/scaleset-ghrctl-test.lock" sleep 3) &
	holder=$!
	sleep 0.3
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 75 "scale while the lock is held: exit 75 at once"
	test_match "$T/err" 'scaleset-ghrctl-test.lock' "the message names the lock file"
	test_eq "$(instances)" 0 "nothing launched"
	wait "$holder"
	# Two at once against a slow EC2: one runs, the other exits 75.
	ectl '{"op":"delay","action":"RunInstances","seconds":1,"count":1}'
	ghrctl scale >"$T/a" 2>&1 &
	a=$!
	ghrctl scale >"$T/b" 2>&1 &
	b=$!
	wait "$a"
	ra=$?
	wait "$b"
	rb=$?
	test_eq "$(echo "$ra $rb" | tr ' ' '\n' | sort | tr '\n' ' ')" "0 75 " "two scale runs: one 0, one 75"
	test_eq "$(instances running)" 4 "exactly 4 instances"
	test_done
}

test_spot_fallback() {
	test_init spot_fallback
	ec2_setup || { test_done; return; }
	export EC2_SPOT_PRICE=0.05 EC2_INSTANCE_TYPE="m5.large, m6i.large" EC2_SUBNET_ID=subnet-0aaa,subnet-0bbb
	ectl '{"op":"capacity","market":"spot","code":"SpotMaxPriceTooLow","count":-1}'
	ectl '{"op":"capacity","type":"m5.large","market":"on-demand","code":"InsufficientInstanceCapacity","count":-1}'
	stats 1
	ghrctl scale -v >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 1 "one instance"
	params RunInstances | sed 's/.*"InstanceMarketOptions.MarketType": "\([a-z]*\)".*/\1/; s/{.*/on-demand/' >"$T/m"
	test_eq "$(head -n 1 "$T/m")" spot "spot tried first"
	test_eq "$(grep -c spot "$T/m")" 1 "SpotMaxPriceTooLow: no further spot option"
	test_match "$(params RunInstances | head -n 1 >"$T/p1"; echo "$T/p1")" '"InstanceMarketOptions.SpotOptions.MaxPrice": "0.05"' "spot carries MaxPrice"
	params RunInstances | tail -n 1 >"$T/last"
	test_match "$T/last" '"InstanceType": "m6i.large"' "launched on the second type"
	test_nomatch "$T/last" 'InstanceMarketOptions' "launched on-demand"
	params RunInstances | sed -n 's/.*"InstanceType": "\([^"]*\)".*"SubnetId": "\([^"]*\)".*/\1 \2/p' | tail -n 3 | tr '\n' ' ' >"$T/order"
	test_eq "$(cat "$T/order")" "m5.large subnet-0aaa m5.large subnet-0bbb m6i.large subnet-0aaa " "types then subnets, in order"
	test_eq "$(calls RunInstances)" 4 "InsufficientInstanceCapacity is not retried in place: 4 calls"
	test_eq "$(params RunInstances | grep -o '"ClientToken": "[^"]*"' | sort -u | wc -l | tr -d ' ')" "$(calls RunInstances)" \
	    "each option has its own ClientToken"
	test_done
}

test_reply_lost() {
	test_init reply_lost
	ec2_setup || { test_done; return; }
	export GHRCTL_READ_TIMEOUT=1s
	ectl '{"op":"delay","action":"RunInstances","seconds":3,"count":1}'
	stats 1
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 ($(tail -n 1 "$T/err"))"
	two_runs() { [ "$(calls RunInstances)" -ge 2 ]; }
	wait_for two_runs
	test_eq "$(calls RunInstances)" 2 "RunInstances sent again after the timeout"
	test_eq "$(params RunInstances | grep -o '"ClientToken": "[^"]*"' | sort -u | wc -l | tr -d ' ')" 1 "with the same ClientToken"
	test_eq "$(instances)" 1 "the retry returned the instance EC2 had made"
	test_done
}

test_throttle_storm() {
	test_init throttle_storm
	ec2_setup || { test_done; return; }
	# Four in a row: AWS's backoff (random up to 1, 2, 4, 8 s) keeps the
	# worst case near 15 s, inside the test's time limit.
	export AWS_MAX_ATTEMPTS=10
	ectl '{"op":"throttle","action":"*","count":4}'
	stats 3
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale exits 0 through a RequestLimitExceeded storm ($(tail -n 1 "$T/err"))"
	test_eq "$(grep -c '"error": "RequestLimitExceeded"' "$AWS_LOG")" 4 "4 throttled replies"
	test_eq "$(instances running)" 3 "all 3 launched, none twice"
	test_done
}

test_busy_never_terminated() {
	test_init busy_never_terminated
	ec2_setup || { test_done; return; }
	stats 3
	ghrctl scale >/dev/null 2>&1
	actl '{"op":"runners","status":"online"}'
	name=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][0]["tags"]["ghrctl:runner"])' "$AWS_LOG.ec2")
	actl "{\"op\":\"runner\",\"name\":\"$name\",\"status\":\"online\",\"busy\":true}"
	ectl '{"op":"age","id":"*","seconds":600}'
	stats 0
	ghrctl scale --min-age 5m -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale down exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 1 "two idle instances retired, the busy one kept"
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert sum(a["action"] == "retire" and a["result"] == "terminated" for a in d["actions"]) == 2, d
assert sys.argv[2] not in json.dumps(d["actions"]), d' "$T/out" "$name" &&
	    ok "the plan retires only idle runners" || not_ok "plan: $(cat "$T/out")"
	test_eq "$(grep -c '"method": "DELETE", "path": "/tenant/1/_apis/distributedtask/pools/0/agents/' "$ACTIONS_LOG")" 2 \
	    "runners removed through the service first"
	# A runner that turns busy between the listing and the removal.
	actl '{"op":"runners","status":"online"}'
	actl "{\"op\":\"runner\",\"name\":\"$name\",\"status\":\"online\",\"busy\":false}"
	echo "{\"op\":\"busy_runner\",\"name\":\"$name\"}" >>"$T/actions.ctl"
	ghrctl scale --min-age 5m -o json >"$T/out" 2>"$T/err"
	test_eq "$(instances running)" 1 "JobStillRunningException: instance kept"
	test_match "$T/out" 'kept: runner is busy \(JobStillRunningException\)' "the plan says why"
	# A removal the service refuses for another reason: kept too.
	echo "{\"op\":\"refuse_remove\",\"name\":\"$name\"}" >>"$T/actions.ctl"
	actl "{\"op\":\"runner\",\"name\":\"$name\",\"status\":\"online\",\"busy\":false}"
	ghrctl scale --min-age 5m -o json >"$T/out" 2>"$T/err"
	test_eq "$(instances running)" 1 "removal refused (403): instance kept"
	test_match "$T/out" '"result":"failed: [^"]*AccessDenied' "the plan says it failed"
	test_done
}

# Issue 13: a scale set named ci$(touch X) ran `touch X` from the user
# data, as root on the runner.  Every value is quoted for where it sits;
# the rendered scripts are run here with sh to show nothing runs.
test_user_data_quoted() {
	test_init user_data_quoted
	ec2_setup || { test_done; return; }
	export RUNNER_SCALE_SET_NAME='ci$(touch X)`touch Y`;touch Z'"'"'"a b'
	ghrctl register >/dev/null 2>"$T/err" || not_ok "register: $(cat "$T/err")"
	cat >"$T/tmpl" <<'TEOF'
#!/bin/sh
# it's the test template for {{SCALE_SET_NAME}}
echo {{SCALE_SET_NAME}}
echo "dq {{SCALE_SET_NAME}}"
echo 'sq {{SCALE_SET_NAME}}'
echo "$(echo {{SCALE_SET_NAME}})"
cat <<EOF
hd {{SCALE_SET_NAME}}
EOF
cat <<'EOF'
raw {{SCALE_SET_NAME}}
EOF
TEOF
	stats 1
	ghrctl scale --user-data-template "$T/tmpl" >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale with a hostile scale set name exits 0 ($(cat "$T/err"))"
	stats 2
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$(instances running)" 2 "both launched"
	mkdir -p "$T/run"
	for n in 1 2; do
		"$PY" -c 'import base64,json,sys
d = json.load(open(sys.argv[1]))
sys.stdout.write(base64.b64decode(d["instances"][int(sys.argv[2]) - 1]["user_data"]).decode())' \
		    "$AWS_LOG.ec2" "$n" >"$T/ud$n"
	done
	(cd "$T/run" && sh "$T/ud1" >"$T/got1" 2>&1)
	name=$RUNNER_SCALE_SET_NAME
	printf '%s\ndq %s\nsq %s\n%s\nhd %s\nraw %s\n' "$name" "$name" "$name" \
	    "$name" "$name" "$name" >"$T/want1"
	cmp -s "$T/got1" "$T/want1" && ok "each place prints the name as it is" ||
	    not_ok "template output: $(cat "$T/got1")"
	# The built-in template's echo line, run alone.
	grep '^echo "ghrctl: runner' "$T/ud2" >"$T/line"
	(cd "$T/run" && sh "$T/line" >"$T/got2" 2>&1)
	grep -qF "of scale set $name (" "$T/got2" && ok "built-in template: name printed as it is" ||
	    not_ok "built-in template: $(cat "$T/got2")"
	test_eq "$(ls "$T/run")" "" "no substitution ran a command"
	unset RUNNER_SCALE_SET_NAME
	test_done
}

run_test test_scale_launches_once
run_test test_user_data_quoted
run_test test_json_and_dry_run
run_test test_lock
run_test test_spot_fallback
run_test test_reply_lost
run_test test_throttle_storm
run_test test_busy_never_terminated
