#!/bin/sh
# t2140-metrics.sh: poll --follow --metrics-file writes the Prometheus
# exposition (text format 0.0.4) with the names and labels of GitHub's
# listener (actions-runner-controller cmd/ghalistener/metrics): a strict
# parser (tests/tools/promcheck.py) accepts it, and after a scripted run
# against the fake Actions Service the counts, gauges and histograms are
# the ones the messages make.
. ./lib.sh
. ./aslib.sh

PROM="$TOP/tests/tools/promcheck.py"
has_session() { [ "$(fstate sessions)" != "{}" ]; }

job() {	# TYPE REQ JOBNAME [RESULT]
	printf '{"messageType":"%s","runnerRequestId":%s,"repositoryName":"app","ownerName":"acme","jobDisplayName":"%s","jobWorkflowRef":"acme/app/.github/workflows/ci.yml@refs/heads/main","eventName":"push","scaleSetAssignTime":"2026-11-23T07:00:00Z","runnerAssignTime":"2026-11-23T07:00:%s","finishTime":"2026-11-23T07:10:00Z","runnerId":7,"runnerName":"r7"%s}' \
	    "$1" "$2" "$3" "$4" "${5:+,\"result\":\"$5\"}"
}

test_metrics_file() {
	test_init metrics_file
	as_setup --hold 1
	ghrctl poll --follow -o json --metrics-file "$T/m.prom" >"$T/out" 2>"$T/err" &
	pid=$!
	wait_long has_session && ok "session opened" || not_ok "no session"
	[ "$(stat -c %a "$T/m.prom" 2>/dev/null)" = 644 ] && ok "file written at start, 0644" || not_ok "no metrics file at start"
	ctl "{\"op\":\"message\",\"statistics\":{\"totalAvailableJobs\":5,\"totalAcquiredJobs\":4,\"totalAssignedJobs\":3,\"totalRunningJobs\":2,\"totalRegisteredRunners\":6,\"totalBusyRunners\":2,\"totalIdleRunners\":4},\"jobs\":[$(job JobStarted 1 build 10Z),$(job JobStarted 2 build 30Z),$(job JobStarted 3 'te\"st' 01Z),$(job JobCompleted 1 build 10Z succeeded),$(job JobCompleted 2 build 30Z failed)]}"
	wait_long acked 100000001 && ok "message acked" || not_ok "message not acked"
	wait_for grep -q 'gha_completed_jobs_total{' "$T/m.prom"
	kill -TERM "$(leaf "$pid")"
	wait "$pid"
	test_eq "$?" 0 "exit 0"
	$PY "$PROM" "$T/m.prom" >"$T/p" && ok "strict parser accepts the file" || not_ok "parser refuses: $(cat "$T/p")"
	set_l='name="ghrctl-test",repository="",organization="acme",enterprise="",namespace="acme"'
	grep -qx "gha_assigned_jobs{$set_l} 3" "$T/p" && ok "gha_assigned_jobs" || not_ok "gha_assigned_jobs: $(grep assigned "$T/p")"
	grep -qx "gha_idle_runners{$set_l} 4" "$T/p" && ok "gha_idle_runners" || not_ok "gha_idle_runners"
	grep -qx "gha_available_jobs{$set_l} 5" "$T/p" && ok "gha_available_jobs (totalAvailableJobs)" || not_ok "gha_available_jobs"
	grep -qx "gha_acquired_jobs{$set_l} 4" "$T/p" && ok "gha_acquired_jobs (totalAcquiredJobs)" || not_ok "gha_acquired_jobs"
	grep -q '^gha_max_runners{.*} [0-9]' "$T/p" && ok "gha_max_runners" || not_ok "gha_max_runners"
	jl='repository="app",organization="acme",enterprise="",job_name="build",job_workflow_ref="acme/app/.github/workflows/ci.yml@refs/heads/main",event_name="push"'
	grep -qx "gha_started_jobs_total{$jl} 2" "$T/p" && ok "two builds started" || not_ok "started: $(grep started_jobs_total "$T/p")"
	grep -qx 'gha_started_jobs_total{.*job_name="te\\"st".*} 1' "$T/p" && ok "a quote in a label is escaped" || not_ok "escaped label"
	grep -qx "gha_completed_jobs_total{$jl,job_result=\"failed\"} 1" "$T/p" && ok "completed with job_result" || not_ok "completed: $(grep completed_jobs_total "$T/p")"
	# startup 10 s and 30 s: buckets le=10 has 1, le=30 has 2; sum 40
	grep -qx "gha_job_startup_duration_seconds_bucket{$jl,le=\"10\"} 1" "$T/p" && ok "startup bucket le=10" || not_ok "le=10: $(grep 'startup.*le="10"' "$T/p")"
	grep -qx "gha_job_startup_duration_seconds_bucket{$jl,le=\"30\"} 2" "$T/p" && ok "startup bucket le=30" || not_ok "le=30"
	grep -qx "gha_job_startup_duration_seconds_sum{$jl} 40" "$T/p" && ok "startup sum 40 s" || not_ok "startup sum"
	# execution: 07:00:10 -> 07:10:00 = 590 s
	grep -qx "gha_job_execution_duration_seconds_sum{$jl,job_result=\"succeeded\"} 590" "$T/p" && ok "execution 590 s" || not_ok "execution sum: $(grep execution.*_sum "$T/p")"
	grep -qx "gha_job_execution_duration_seconds_bucket{$jl,job_result=\"succeeded\",le=\"540\"} 0" "$T/p" && ok "execution not under 540" || not_ok "le=540"
	grep -q '^ghrctl_launches_total{} 0$' "$T/p" && ok "ghrctl_launches_total" || not_ok "ghrctl_launches_total"
	# The job journal: one JSON line per job message, 0600.
	J="$T/state/scaleset-ghrctl-test.json.jobs"
	test_eq "$(stat -c %a "$J" 2>/dev/null)" 600 "journal mode 0600"
	test_eq "$($PY -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
print(len(r), " ".join(x["event"][3:] + str(x["runnerRequestId"]) for x in r), all(x["at"].endswith("Z") for x in r), r[3]["result"], r[3]["finishTime"])' "$J")" \
	    "5 Started1 Started2 Started3 Completed1 Completed2 True succeeded 2026-11-23T07:10:00Z" "journal holds the five job messages"
	test_done
}

# One-shot poll appends what it sees to the journal too.
test_journal_one_shot() {
	test_init journal_one_shot
	as_setup
	ctl "{\"op\":\"message\",\"jobs\":[$(job JobCompleted 9 lint 05Z succeeded)]}"
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "one-shot poll exit 0"
	grep -q '"event":"JobCompleted","runnerRequestId":9,' "$T/state/scaleset-ghrctl-test.json.jobs" && ok "one-shot poll journals the job" || not_ok "not journalled: $(cat "$T/err")"
	test_done
}

# The parser is strict: it refuses what Prometheus refuses.
test_parser_strict() {
	test_init parser_strict
	bad() { printf "$1" | $PY "$PROM" - >/dev/null && not_ok "accepted: $2" || ok "refused: $2"; }
	bad '# TYPE a counter\na 1\n# TYPE b gauge\nb 1\na 2\n' "a family split"
	bad '# TYPE a gauge\na{x="1",x="2"} 1\n' "a duplicate label"
	bad '# TYPE a gauge\na{x="\\q"} 1\n' "a bad escape"
	bad '# TYPE a gauge\na 1' "no final newline"
	bad '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n' "buckets not cumulative"
	bad '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n' "no +Inf"
	bad '# TYPE a gauge\na 1\na 2\n' "a duplicate series"
	printf '# HELP a x\n# TYPE a gauge\na{x="q\\"\\\\\\n"} 1\n' | $PY "$PROM" - >/dev/null && ok "accepts escapes" || not_ok "refuses escapes"
	test_done
}

run_test test_metrics_file
run_test test_parser_strict
run_test test_journal_one_shot
