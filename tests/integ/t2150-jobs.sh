#!/bin/sh
# t2150-jobs.sh: ghrctl jobs reads the job journal back: a known scripted
# history (JobStarted and JobCompleted records of four jobs, merged by
# runnerRequestId) gives the listed jobs and the count and p50/p95
# (nearest rank) of queue and run times, overall, by repo and by hour;
# -o trace gives the lifecycle twin's queued_at,labels,duration; a torn
# last line is skipped.
. ./lib.sh

rec() {	# REQ OWNER REPO WF QUEUED STARTED FINISHED
	printf '{"at":"2026-11-23T09:00:00Z","event":"JobStarted","runnerRequestId":%s,"ownerName":"%s","repositoryName":"%s","jobWorkflowRef":"%s/%s/.github/workflows/%s@refs/heads/main","jobDisplayName":"build","requestLabels":["linux","x64"],"queueTime":"2026-11-23T%s","scaleSetAssignTime":"2026-11-23T%s","runnerAssignTime":"2026-11-23T%s","finishTime":"0001-01-01T00:00:00Z","runnerId":1,"runnerName":"r%s"}\n' \
	    "$1" "$2" "$3" "$2" "$3" "$4" "$5" "$5" "$6" "$1"
	printf '{"at":"2026-11-23T09:00:00Z","event":"JobCompleted","runnerRequestId":%s,"ownerName":"%s","repositoryName":"%s","queueTime":"2026-11-23T%s","runnerAssignTime":"2026-11-23T%s","finishTime":"2026-11-23T%s","result":"succeeded"}\n' \
	    "$1" "$2" "$3" "$5" "$6" "$7"
}

setup() {
	export RUNNER_SCALE_SET_NAME=ghrctl-test GHRCTL_STATE_DIR="$T/state"
	export GITHUB_CONFIG_URL=https://github.com/acme GITHUB_TOKEN=ghp_x
	mkdir -p "$T/state" && chmod 700 "$T/state"
	J="$T/state/scaleset-ghrctl-test.json.jobs"
	{
		rec 1 acme app ci.yml 07:00:00Z 07:00:10Z 07:05:10Z
		rec 3 acme lib lint.yml 08:00:00Z 08:00:05Z 08:00:25Z
	} >"$J.old"
	{
		rec 2 acme app ci.yml 07:10:00Z 07:10:30Z 07:11:30Z
		rec 4 acme app ci.yml 08:30:00Z 08:31:40Z 08:41:40Z
		printf '{"at":"2026-11-23T09:00:00Z","event":"JobSta'
	} >"$J"
}

test_stats() {
	test_init stats
	setup
	ghrctl jobs stats -o csv >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "jobs stats exit 0"
	test_eq "$(tail -n 1 "$T/out")" 'all,4,10,100,60,600' "all: 4 jobs, queue p50 10 p95 100, run p50 60 p95 600"
	ghrctl jobs stats --by repo -o csv >"$T/out"
	test_eq "$(grep acme/app "$T/out")" 'acme/app,3,30,100,300,600' "acme/app"
	test_eq "$(grep acme/lib "$T/out")" 'acme/lib,1,5,5,20,20' "acme/lib"
	ghrctl jobs stats --by hour -o json >"$T/out"
	test_eq "$(grep -c '"group"' "$T/out")" 2 "two hours"
	grep -q '"group":"2026-11-23T07:00Z","count":2,"queueP50":10,"queueP95":30,"runP50":60,"runP95":300' "$T/out" && ok "07:00 hour" || not_ok "07:00: $(cat "$T/out")"
	grep -q '"group":"2026-11-23T08:00Z","count":2,"queueP50":5,"queueP95":100,"runP50":20,"runP95":600' "$T/out" && ok "08:00 hour" || not_ok "08:00: $(cat "$T/out")"
	ghrctl jobs stats --by workflow >"$T/out"
	test_match "$T/out" 'lint.yml.* 1 ' "table by workflow"
	test_done
}

test_list() {
	test_init list
	setup
	ghrctl jobs -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "jobs exit 0"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 4 "four jobs (records merged, torn line skipped)"
	grep -q '"runnerRequestId":4,"queued":"2026-11-23T08:30:00Z","repository":"acme/app",.*"runner":"r4","result":"succeeded","queueSeconds":100,"runSeconds":600' "$T/out" && ok "job 4 merged" || not_ok "job 4: $(cat "$T/out")"
	ghrctl jobs --repo lib -o csv >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 2 "--repo lib: header and one job"
	ghrctl jobs --workflow ci.yml >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 4 "--workflow ci.yml: header and three jobs"
	ghrctl jobs --since 1h >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 1 "--since 1h: none (all in 2026-11-23)"
	ghrctl jobs -o trace >"$T/out"
	test_eq "$(head -n 2 "$T/out")" 'queued_at,labels,duration
2026-11-23T07:00:00Z,"linux,x64",300' "-o trace: the twin's columns"
	test_status 64 "--by without stats" ghrctl jobs --by repo 2>/dev/null
	test_done
}

run_test test_stats
run_test test_list
