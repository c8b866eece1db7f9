#!/bin/sh
# t3200-scale-rest.sh: ghrctl scale --source rest (GHES without the
# Actions Service) against the fake GitHub REST API and the fake EC2:
# demand = queued and in-progress jobs whose labels all match
# RUNNER_LABELS (other labels, completed jobs and archived repositories
# ignored), MAX_RUNNERS holds, conditional requests (If-None-Match, 304s
# counted by the fake) across runs, launches with the same ClientToken
# scheme and tags as the actions path, REST JIT configs, --dry-run, a
# busy runner (stale idle in the list, 422 on DELETE) never terminated,
# the --max-runs cap and a repository scope, RUNNER_GROUP by name (looked
# up once through the paginated runner-groups list; an unknown name and a
# name in a repository scope are configuration errors).
. ./lib.sh
. ./ec2lib.sh

# wf FILE: the fake's workflows: acme/app (2 queued + 1 running + 1
# queued match; gpu and completed jobs do not), acme/web (1 match, label
# case differs), acme/old archived (ignored).
wf() {
	cat >"$T/wf.json" <<'EOF'
{"repos": [
 {"full_name": "acme/app", "runs": [
  {"id": 11, "status": "queued", "jobs": [
   {"id": 111, "status": "queued", "labels": ["self-hosted", "linux"]},
   {"id": 112, "status": "queued", "labels": ["linux", "x64"]},
   {"id": 113, "status": "queued", "labels": ["self-hosted", "gpu"]},
   {"id": 114, "status": "completed", "labels": ["linux"]}]},
  {"id": 12, "status": "in_progress", "jobs": [
   {"id": 121, "status": "in_progress", "labels": ["self-hosted", "linux"]},
   {"id": 122, "status": "queued", "labels": ["linux"]},
   {"id": 123, "status": "queued", "labels": []}]},
  {"id": 13, "status": "completed", "jobs": [
   {"id": 131, "status": "queued", "labels": ["linux"]}]}]},
 {"full_name": "acme/web", "runs": [
  {"id": 21, "status": "queued", "jobs": [
   {"id": 211, "status": "queued", "labels": ["Linux"]}]}]},
 {"full_name": "acme/old", "archived": true, "runs": [
  {"id": 31, "status": "queued", "jobs": [
   {"id": 311, "status": "queued", "labels": ["linux"]}]}]}
], "runners": {}}
EOF
}

rest_setup() {
	test_ca || return 1
	: >"$T/ec2.ctl"
	wf
	fake_start github --token ghp_test --runners 0 --max-per-page 2 \
	    --workflows "$T/wf.json" "$@" || return 1
	fake_start aws --ec2-control "$T/ec2.ctl" || return 1
	rest_env "linux, x64"
}

# gets PATTERN: GET requests the fake GitHub recorded whose path matches
gets() { fake_requests github | grep '"method": "GET"' | grep -c -- "$1"; }
n304() { cat "$GITHUB_LOG.304" 2>/dev/null | wc -l | tr -d ' '; }
tag() {
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][int(sys.argv[2])]["tags"][sys.argv[3]])' \
	    "$AWS_LOG.ec2" "$1" "$2"
}

test_rest_demand() {
	test_init rest_demand
	rest_setup || { test_done; return; }
	ghrctl scale --source rest >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale --source rest exits 0 ($(tail -n 1 "$T/err"))"
	test_match "$T/out" '^pool 1[0-9]{9}  demand 5 \(4 queued, 1 running\)' \
	    "demand 5: subset matching, case-insensitive, other labels ignored"
	test_match "$T/out" '^desired 5  live 0  launch 5' "plan: desired 5"
	test_eq "$(instances running)" 5 "5 instances launched"
	test_eq "$(gets '/repos/acme/old/')" 0 "archived repository not scanned"
	test_eq "$(gets '/actions/runs/13/jobs')" 0 "jobs of a completed run not read"
	test_eq "$(gets '/orgs/acme/repos')" 2 "org repositories listed page by page"
	pool=$(sed -n 's/^pool \([0-9]*\) .*/\1/p' "$T/out")
	test_eq "$(tag 0 ghrctl:scale-set)" "$pool" "instances tagged ghrctl:scale-set = the pool id"
	test_eq "$(tag 0 ghrctl:managed)" true "instances tagged ghrctl:managed"
	name=$(tag 0 ghrctl:runner)
	case $name in
	"ghrctl-$pool-d"[0-9]*-[0-9]*) ok "runner named ghrctl-<pool>-d<hour>-<slot>, never random" ;;
	*) not_ok "runner name '$name'" ;;
	esac
	test_eq "$(tag 0 Name)" "$name" "Name tag = runner name"
	test_eq "$(params RunInstances | grep -o '"ClientToken": "ghrctl-[0-9a-f]\{40\}"' | sort -u | wc -l | tr -d ' ')" 1 \
	    "one ghrctl-<sha> ClientToken for the batch"
	test_eq "$(names | tr ' ' '\n' | sort -u | wc -l | tr -d ' ')" 5 "5 runners, one instance each"
	fake_requests github | grep generate-jitconfig >"$T/jit"
	test_eq "$(wc -l <"$T/jit" | tr -d ' ')" 5 "5 REST JIT configs"
	test_match "$T/jit" '\\"labels\\": *\[\\"self-hosted\\", *\\"linux\\", *\\"x64\\"\]' \
	    "JIT labels: self-hosted + RUNNER_LABELS"
	test_match "$T/jit" '\\"runner_group_id\\": *1' "JIT runner group Default = 1"
	grep -q 'JIT-SECRET' "$T/out" "$T/err" && not_ok "JIT config printed" || ok "JIT config never printed"
	# Same demand again: nothing more.
	ghrctl scale --source rest >"$T/out2" 2>"$T/err"
	test_match "$T/out2" '^desired 5  live 5  launch 0' "second pass launches nothing"
	test_done
}

test_rest_max_runners() {
	test_init rest_max_runners
	rest_setup || { test_done; return; }
	MAX_RUNNERS=3 GHRCTL_SOURCE=rest ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "GHRCTL_SOURCE=rest works ($(tail -n 1 "$T/err"))"
	test_match "$T/out" '^desired 3  live 0  launch 3' "demand 5, MAX_RUNNERS 3: desired 3"
	MAX_RUNNERS=3 GHRCTL_SOURCE=rest ghrctl scale >/dev/null 2>&1
	test_eq "$(instances running)" 3 "never more than MAX_RUNNERS"
	ghrctl scale --source bogus >/dev/null 2>"$T/err"
	test_eq "$?" 64 "--source bogus: usage error"
	test_done
}

test_rest_conditional() {
	test_init rest_conditional
	rest_setup || { test_done; return; }
	export MAX_RUNNERS=0
	ghrctl scale --source rest >/dev/null 2>"$T/err"
	test_eq "$(n304)" 0 "first run: no 304"
	cache=$(ls "$T/state"/rest-*.etags.json 2>/dev/null)
	test_eq "$(stat -c %a "$cache" 2>/dev/null)" 600 "ETag cache kept in the state dir, mode 600"
	before=$(fake_requests github | wc -l)
	LOG_LEVEL=info ghrctl scale --source rest >"$T/out" 2>"$T/err"
	test_match "$T/out" 'demand 5 ' "demand unchanged from cached bodies"
	fake_requests github | sed "1,${before}d" >"$T/second"
	lists=$(grep '"method": "GET"' "$T/second" | grep -c 'actions/runs\|/orgs/acme/repos')
	inm=$(grep '"method": "GET"' "$T/second" | grep 'actions/runs\|/orgs/acme/repos' | grep -c 'If-None-Match')
	test_eq "$inm" "$lists" "every list GET of the second run sends If-None-Match ($lists)"
	test_eq "$(n304)" "$lists" "the fake answered 304 to each"
	test_match "$T/err" "not modified \(304\)" "ghrctl reports the 304s"
	grep -q "$(n304) not modified" "$T/err" && ok "304 count reported matches the fake" ||
	    not_ok "304 count: $(grep 'not modified' "$T/err")"
	# A changed list answers 200 again.
	sed 's/"id": 211, "status": "queued"/"id": 211, "status": "completed"/' "$T/wf.json" >"$T/wf2"
	mv "$T/wf2" "$T/wf.json"
	ghrctl scale --source rest >"$T/out" 2>"$T/err"
	test_match "$T/out" 'demand 4 ' "a changed job list is read again"
	test_done
}

test_rest_dry_run() {
	test_init rest_dry_run
	rest_setup || { test_done; return; }
	ghrctl scale --source rest -n -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--dry-run exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances)" 0 "--dry-run launches nothing"
	test_eq "$(params RunInstances | grep -c '"DryRun": "true"')" "$(calls RunInstances)" "every RunInstances carries DryRun"
	test_eq "$(fake_requests github | grep -c generate-jitconfig)" 0 "--dry-run registers no runner"
	test_eq "$(fake_requests github | grep -vc '"method": "GET"')" 0 "--dry-run sends only GETs to GitHub"
	ls "$T/state"/rest-*.etags.json >/dev/null 2>&1 && not_ok "--dry-run wrote the ETag cache" ||
	    ok "--dry-run writes no ETag cache"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["desired"]==5 and d["launch"]==5 and d["dryRun"] is True' "$T/out" &&
	    ok "-o json: desired 5, dryRun" || not_ok "-o json: $(cat "$T/out")"
	test_done
}

test_rest_busy_kept() {
	test_init rest_busy_kept
	rest_setup || { test_done; return; }
	export MAX_RUNNERS=2
	ghrctl scale --source rest >/dev/null 2>&1
	test_eq "$(instances running)" 2 "2 launched"
	busy=$(tag 0 ghrctl:runner)
	idle=$(tag 1 ghrctl:runner)
	"$PY" - "$T/wf.json" "$busy" "$idle" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["repos"]:
    for run in r.get("runs", []):
        run["status"] = "completed"
d["runners"] = {sys.argv[2]: {"status": "online", "busy": True, "stale": True},
                sys.argv[3]: {"status": "online", "busy": False}}
json.dump(d, open(sys.argv[1] + ".new", "w"))
PYEOF
	mv "$T/wf.json.new" "$T/wf.json"
	ectl '{"op":"age","id":"*","seconds":600}'
	ghrctl scale --source rest --min-age 5m >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale down exits 0 ($(tail -n 1 "$T/err"))"
	test_match "$T/out" '^pool .* demand 0 ' "demand 0"
	test_eq "$(instances running)" 1 "the busy runner's instance is kept"
	test_match "$T/out" "retire .*$busy.*kept: runner is busy \(GitHub answered 422\)" "the plan says why"
	test_match "$T/out" "retire .*$idle.*terminated" "the idle runner's instance is terminated"
	test_eq "$(fake_requests github | grep -c '"method": "DELETE"')" 2 "both runners removed through REST first"
	test_eq "$(calls TerminateInstances)" 1 "one TerminateInstances"
	test_done
}

test_rest_caps_repo_scope() {
	test_init rest_caps_repo_scope
	rest_setup || { test_done; return; }
	export MAX_RUNNERS=0
	ghrctl scale --source rest --max-runs 1 >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--max-runs 1 exits 0"
	test_match "$T/out" 'demand 2 ' "only the first run's jobs counted"
	test_match "$T/err" 'max-runs 1.*undercounted' "the cap is reported"
	test_eq "$(fake_requests github | grep -o 'runs/[0-9]*/jobs' | sort -u | wc -l | tr -d ' ')" 1 \
	    "the jobs of one run read"
	ghrctl scale --source rest --max-repos 1 >"$T/out" 2>"$T/err"
	test_match "$T/out" 'demand 4 ' "--max-repos 1: acme/app only"
	GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme/web" \
	    ghrctl scale --source rest >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "repository scope exits 0 ($(tail -n 1 "$T/err"))"
	test_match "$T/out" 'demand 1 ' "repository scope: that repository's jobs"
	ghrctl scale --source rest --max-runs x >/dev/null 2>&1
	test_eq "$?" 64 "--max-runs x: usage error"
	RUNNER_LABELS= ghrctl scale --source rest >/dev/null 2>"$T/err"
	test_eq "$?" 78 "no RUNNER_LABELS: configuration error"
	test_done
}

test_rest_group_name() {
	test_init rest_group_name
	rest_setup --runner-group build --runner-group CI-Linux || { test_done; return; }
	export MAX_RUNNERS=2
	RUNNER_GROUP=ci-linux LOG_LEVEL=info ghrctl scale --source rest >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "RUNNER_GROUP by name exits 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(instances running)" 2 "2 launched"
	fake_requests github | grep generate-jitconfig >"$T/jit"
	test_eq "$(grep -c '\\"runner_group_id\\": *3' "$T/jit")" 2 \
	    "both JIT configs ask for group 3 (the third, on page 2; name case-insensitive)"
	test_eq "$(gets '/api/v3/orgs/acme/actions/runner-groups?per_page=100"')" 1 \
	    "groups listed once per run, per_page=100"
	test_eq "$(gets '/orgs/acme/actions/runner-groups')" 2 "and the second page followed"
	test_match "$T/err" "runner group 'ci-linux' is id 3" "the id is logged"
	# A name that does not exist: one line, nothing launched.
	before=$(calls RunInstances)
	RUNNER_GROUP=nosuch ghrctl scale --source rest >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "unknown group: configuration error"
	test_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "one line"
	test_match "$T/err" "runner group 'nosuch' \(RUNNER_GROUP\) does not exist in organization acme" \
	    "the error names the group and the scope"
	test_eq "$(calls RunInstances)" "$before" "nothing launched"
	test_eq "$(fake_requests github | grep -c generate-jitconfig)" 2 "no JIT config asked for"
	# Defaults and ids need no lookup.
	n=$(gets runner-groups)
	RUNNER_GROUP=7 ghrctl scale --source rest -n >/dev/null 2>"$T/err"
	test_eq "$?" 0 "a group id exits 0 ($(tail -n 1 "$T/err"))"
	RUNNER_GROUP=default ghrctl scale --source rest -n >/dev/null 2>&1
	test_eq "$(gets runner-groups)" "$n" "a group id and Default are not looked up"
	# The enterprise scope has its own list.
	GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/enterprises/acme-ent" \
	    RUNNER_GROUP=nosuch ghrctl scale --source rest -n >/dev/null 2>"$T/err"
	test_eq "$?" 78 "enterprise: unknown group is a configuration error"
	test_match "$T/err" "'nosuch' \(RUNNER_GROUP\) does not exist in enterprise acme-ent" "enterprise named"
	test_eq "$(gets '/api/v3/enterprises/acme-ent/actions/runner-groups?per_page=100"')" 1 \
	    "enterprise groups listed"
	# A repository has no runner groups: no request, a clear error.
	n=$(gets runner-groups)
	GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme/web" \
	    RUNNER_GROUP=build ghrctl scale --source rest >/dev/null 2>"$T/err"
	test_eq "$?" 78 "repository scope with a group name: configuration error"
	test_match "$T/err" "RUNNER_GROUP 'build': a repository has no runner groups" "says why"
	test_eq "$(gets runner-groups)" "$n" "no runner-groups request for a repository"
	test_done
}

# The lifecycle twin's REST-polling baseline (bench/twin --baseline rest):
# the fake Actions Service with --rest-repo lists its own job model
# through REST as workflow runs, so `scale --source rest` sees the jobs
# the service holds: queued until a runner is bound (other labels not
# counted), in_progress while it runs, completed after; a runner made
# through REST takes a job once it is up.
test_rest_twin_view() {
	test_init rest_twin_view
	test_ca || { test_done; return; }
	: >"$T/actions.ctl"
	: >"$T/ec2.ctl"
	fake_start actions --token ghp_test --control "$T/actions.ctl" --assign service \
	    --bind online --rest-repo acme/app || { test_done; return; }
	fake_start aws --ec2-control "$T/ec2.ctl" || { test_done; return; }
	GITHUB_PORT=$ACTIONS_PORT rest_env "linux, x64"
	actl '{"op":"jobs","ids":[1,2],"labels":["self-hosted","linux"]}'
	actl '{"op":"jobs","ids":[3],"labels":["self-hosted","gpu"]}'
	ghrctl scale --source rest >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale --source rest exits 0 ($(tail -n 1 "$T/err"))"
	test_match "$T/out" '^pool [0-9]+  demand 2 \(2 queued, 0 running\)' \
	    "the service's two linux jobs are queued through REST, the gpu job not counted"
	test_eq "$(instances running)" 2 "2 instances launched"
	name=$(tag 0 ghrctl:runner)
	actl "{\"op\":\"runner\",\"name\":\"$name\",\"status\":\"online\",\"busy\":false}"
	actl "{\"op\":\"online\",\"name\":\"$name\",\"assign_s\":0}"
	bound() { grep -q "\"$name\"" "$ACTIONS_LOG.state" 2>/dev/null &&
	    "$PY" -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["runner_job"] else 1)' \
	    "$ACTIONS_LOG.state"; }
	wait_long bound && ok "the REST-made runner took a job once up" ||
	    not_ok "no job bound: $(cat "$ACTIONS_LOG.state")"
	ghrctl scale --source rest --dry-run >"$T/out" 2>"$T/err"
	test_match "$T/out" 'demand 2 \(1 queued, 1 running\)' "its job is in_progress through REST"
	actl "{\"op\":\"run\",\"name\":\"$name\"}"
	ran() { ghrctl scale --source rest --dry-run >"$T/out" 2>"$T/err" &&
	    grep -q 'demand 1 (1 queued, 0 running)' "$T/out"; }
	wait_long ran && ok "then completed: no longer demand" || not_ok "after the run: $(cat "$T/out")"
	fake_requests actions | grep '"method": "GET"' | grep -o '/repos/acme/app/actions/runs[^" ]*' |
	    sort -u >"$T/gets"
	test_match "$T/gets" 'runs\?status=queued' "runs listed by status queued"
	test_match "$T/gets" 'runs/7000001/jobs' "the jobs of the linux run read"
	test_done
}

run_test test_rest_demand
run_test test_rest_max_runners
run_test test_rest_conditional
run_test test_rest_dry_run
run_test test_rest_busy_kept
run_test test_rest_caps_repo_scope
run_test test_rest_group_name
run_test test_rest_twin_view
