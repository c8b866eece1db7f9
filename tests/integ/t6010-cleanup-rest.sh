#!/bin/sh
# t6010-cleanup-rest.sh: ghrctl cleanup --source rest (GHES without the
# Actions Service) against the fake GitHub REST API and the fake EC2.
# The pool (same id as `scale --source rest`) is found by its EC2 tags
# and its runners by name in the REST runner list; each cleanup class
# acts with a reason: an offline runner whose instance is gone is
# deregistered (REST DELETE); an instance whose runner never came online
# within --boot-timeout is terminated; an instance past --max-lifetime is
# terminated after its runner is deleted; a runner GitHub refuses to
# delete (422: busy) keeps its instance; a runner listed busy is never
# touched.  --dry-run prints the same plan and changes nothing.
. ./lib.sh
. ./ec2lib.sh

# wf N: the fake's workflows with N queued jobs for "linux" (runs
# completed when N is 0) and the runners map read from $T/runners.json.
wf() {
	"$PY" - "$1" "$T/runners.json" >"$T/wf.new" <<'PYEOF'
import json, os, sys
n = int(sys.argv[1])
runners = json.load(open(sys.argv[2])) if os.path.exists(sys.argv[2]) else {}
jobs = [{"id": 100 + i, "status": "queued", "labels": ["self-hosted", "linux"]}
        for i in range(n)]
print(json.dumps({"repos": [{"full_name": "acme/app", "runs": [
    {"id": 11, "status": "queued" if n else "completed", "jobs": jobs}]}],
    "runners": runners}))
PYEOF
	mv "$T/wf.new" "$T/wf.json"
}

rest_setup() {
	test_ca || return 1
	: >"$T/ec2.ctl"
	wf 0
	fake_start github --token ghp_test --runners 0 --workflows "$T/wf.json" || return 1
	fake_start aws --ec2-control "$T/ec2.ctl" || return 1
	rest_env linux
}

# deletes: REST DELETEs the fake GitHub received
deletes() { fake_requests github | grep -c '"method": "DELETE"'; }
# registered NAME: 1 when the fake still lists runner NAME
registered() {
	"$PY" -c 'import json,sys,urllib.request,ssl
ctx = ssl.create_default_context(cafile=sys.argv[3])
req = urllib.request.Request("https://localhost:%s/orgs/acme/actions/runners?per_page=100" % sys.argv[1],
    headers={"Authorization": "Bearer ghp_test"})
d = json.load(urllib.request.urlopen(req, context=ctx))
print(sum(1 for r in d["runners"] if r["name"] == sys.argv[2]))' "$GITHUB_PORT" "$1" "$CA/ca.pem"
}

# Six runners launched by `scale --source rest`, then:
#   1 online, idle, 11 minutes old          healthy: no action
#   2 never came online                     boot-timeout: terminated
#   3 listed idle, 2 h old, busy on DELETE  lifetime: 422, instance kept
#   4 online, idle, 2 h old                 lifetime: terminated
#   5 offline, its instance terminated      deregister
#   6 online, listed busy, 2 h old          keep: never touched
cleanup_setup() {
	rest_setup || return 1
	wf 6
	ghrctl scale --source rest >"$T/scale" 2>"$T/err" || return 1
	[ "$(instances running)" = 6 ] || { echo "scale: $(cat "$T/scale")" >"$T/err"; return 1; }
	"$PY" - "$(rname 1)" "$(rname 3)" "$(rname 4)" "$(rname 5)" "$(rname 6)" >"$T/runners.json" <<'PYEOF'
import json, sys
n1, n3, n4, n5, n6 = sys.argv[1:]
print(json.dumps({n1: {"status": "online", "busy": False},
                  n3: {"status": "online", "busy": True, "stale": True},
                  n4: {"status": "online", "busy": False},
                  n5: {"status": "offline", "busy": False},
                  n6: {"status": "online", "busy": True}}))
PYEOF
	sleep 0.01	# a new mtime for the fake
	wf 0
	ectl '{"op":"age","id":"*","seconds":660}'
	for i in 3 4 6; do
		ectl "{\"op\":\"age\",\"id\":\"$(inst $i)\",\"seconds\":7200}"
	done
	ectl "{\"op\":\"state\",\"id\":\"$(inst 5)\",\"state\":\"terminated\"}"
	pool=$(sed -n 's/^pool \([0-9]*\) .*/\1/p' "$T/scale")
	ndel0=$(deletes)
	return 0
}

test_rest_classes() {
	test_init rest_classes
	cleanup_setup || { not_ok "setup: $(cat "$T/err")"; test_done; return; }
	ghrctl cleanup --source rest -o json >"$T/out" 2>"$T/err2"
	test_eq "$?" 0 "cleanup --source rest exits 0 ($(tail -n 1 "$T/err2"))"
	test_eq "$(action 1)" "" "healthy runner: no action"
	test_match "$(action 2 >"$T/a2"; echo "$T/a2")" '^boot-timeout \| runner not online within the boot timeout 10m0s \(age 11m[0-9]+s\) \| terminated$' \
	    "never online: boot-timeout, terminated, with its reason"
	test_match "$(action 3 >"$T/a3"; echo "$T/a3")" '^lifetime \| older than the max lifetime 1h0m \(age 2h[0-9]+m\) \| kept: runner is busy \(GitHub answered 422\)$' \
	    "busy on DELETE: 422 reported, instance kept"
	test_match "$(action 4 >"$T/a4"; echo "$T/a4")" '^lifetime \| older than the max lifetime 1h0m \(age 2h[0-9]+m\) \| terminated$' \
	    "too old: lifetime, terminated"
	test_match "$(action 5 >"$T/a5"; echo "$T/a5")" '^deregister \| runner is offline and has no instance \| deregistered$' \
	    "orphaned runner: deregistered"
	test_match "$(action 6 >"$T/a6"; echo "$T/a6")" '^keep \| runner is busy .*never terminated while busy \| kept$' \
	    "listed busy: kept"
	for i in 1 3 6; do
		test_eq "$(istate $i)" running "instance $i still running"
	done
	test_eq "$(istate 2)" terminated "instance 2 (boot timeout) terminated"
	test_eq "$(istate 4)" terminated "instance 4 (lifetime) terminated"
	test_eq "$(calls TerminateInstances)" 1 "one TerminateInstances for both"
	test_eq "$(($(deletes) - ndel0))" 4 "REST DELETE for runners 2, 3, 4 and 5 (not 1, not 6)"
	fake_requests github | grep '"method": "DELETE"' >"$T/del"
	test_match "$T/del" '"path": "/api/v3/orgs/acme/actions/runners/[0-9]+"' "removal through the org's REST runner DELETE"
	test_eq "$(registered "$(rname 5)")" 0 "orphan gone from GitHub"
	test_eq "$(registered "$(rname 3)")" 1 "busy runner still registered"
	test_eq "$(fake_requests github | grep -c generate-jitconfig)" 6 "cleanup registers no runner"
	grep -q '"/tenant/\|_apis' "$GITHUB_LOG" && not_ok "Actions Service called" || ok "no Actions Service call"
	params DescribeInstances | grep '"tag:ghrctl:scale-set"' >"$T/desc"
	test_match "$T/desc" "\"$pool\"" "instances found by the pool's ghrctl:scale-set tag"
	# Table output; a second pass has nothing left but the two kept.
	ghrctl cleanup --source rest >"$T/table" 2>&1
	test_eq "$?" 0 "second pass exits 0"
	test_eq "$(grep -c '^keep ' "$T/table")" 1 "table: the listed-busy runner is reported kept"
	test_match "$T/table" "^lifetime .*$(rname 3).*kept: runner is busy \(GitHub answered 422\)" \
	    "table: the 422 runner again, with why"
	test_eq "$(grep -c '^boot-timeout\|^deregister' "$T/table")" 0 "second pass: nothing else"
	GHRCTL_SOURCE=rest ghrctl cleanup --boot-timeout 20m --max-lifetime 3h -o json >"$T/out" 2>&1
	test_match "$T/out" '"actions":\[\]' "GHRCTL_SOURCE=rest, longer limits: nothing to clean"
	test_done
}

test_rest_dry_run() {
	test_init rest_dry_run
	cleanup_setup || { not_ok "setup: $(cat "$T/err")"; test_done; return; }
	get0=$(fake_requests github | grep -vc '"method": "GET"')
	ghrctl cleanup --source rest -n >"$T/plan" 2>"$T/err2"
	test_eq "$?" 0 "cleanup --source rest -n exits 0 ($(tail -n 1 "$T/err2"))"
	test_eq "$(instances running)" 5 "nothing terminated"
	test_eq "$(fake_requests github | grep -vc '"method": "GET"')" "$get0" "--dry-run sends only GETs to GitHub"
	test_eq "$(calls TerminateInstances)" "$(params TerminateInstances | grep -c '"DryRun": "true"')" \
	    "TerminateInstances only with DryRun"
	# The exact plan: the summary, a header, one row per action: action,
	# instance, runner, reason, result (columns two blanks apart).
	{
		echo "deregister - $(rname 5) dry-run: would remove runner"
		echo "boot-timeout $(inst 2) $(rname 2) dry-run: TerminateInstances allowed"
		echo "lifetime $(inst 3) $(rname 3) dry-run: TerminateInstances allowed"
		echo "lifetime $(inst 4) $(rname 4) dry-run: TerminateInstances allowed"
		echo "keep $(inst 6) $(rname 6) kept"
	} | sort >"$T/want"
	test_match "$T/plan" '^ACTION +INSTANCE +RUNNER +REASON +RESULT$' "the table's header"
	awk -F'  +' 'NR > 2 { print $1, $2, $3, $5 }' "$T/plan" |
	    sed 's/\(would remove runner\) [0-9]*$/\1/' | sort >"$T/got"
	test_eq "$(cat "$T/got")" "$(cat "$T/want")" "--dry-run prints the exact plan"
	test_match "$T/plan" '^cleanup \(dry run\): checked 5 instances, 6 runners; would remove 4 of 4 found \(deregister 1/1, boot-timeout 1/1, lifetime 2/2\); kept 1$' "--dry-run: cleanup's summary"
	ghrctl cleanup --source rest -n -o json >"$T/out" 2>"$T/err2"
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert d["dryRun"] is True and d["launch"] == 0 and d["launched"] == []
kinds = sorted(a["action"] for a in d["actions"])
assert kinds == ["boot-timeout", "deregister", "keep", "lifetime", "lifetime"], kinds
for a in d["actions"]:
    assert a["reason"] and a["result"], a' "$T/out" && ok "-o json: dryRun, the five actions, each with reason and result" ||
	    not_ok "-o json: $(cat "$T/out")"
	test_eq "$(instances running)" 5 "still nothing terminated"
	test_done
}

test_rest_errors() {
	test_init rest_errors
	rest_setup || { test_done; return; }
	ghrctl cleanup --source bogus >/dev/null 2>"$T/err"
	test_eq "$?" 64 "--source bogus: usage error"
	test_match "$T/err" "--source is actions or rest, not 'bogus'" "the error says which values"
	RUNNER_LABELS= ghrctl cleanup --source rest >/dev/null 2>"$T/err"
	test_eq "$?" 78 "no RUNNER_LABELS: configuration error"
	# Cleanup launches nothing, so it needs no runner group.
	RUNNER_GROUP=nosuch ghrctl cleanup --source rest -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "empty pool, unknown RUNNER_GROUP: cleanup still runs ($(tail -n 1 "$T/err"))"
	test_match "$T/out" '"actions":\[\]' "empty pool: nothing to do"
	test_eq "$(fake_requests github | grep -c runner-groups)" 0 "cleanup does not look up the runner group"
	test_done
}

run_test test_rest_classes
run_test test_rest_dry_run
run_test test_rest_errors
