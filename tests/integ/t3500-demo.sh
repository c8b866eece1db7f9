#!/bin/sh
# SPDX-License-Identifier: ISC
# t3500-demo.sh: `make demo`, shortened (issue 15 section 4).  The
# lifecycle twin (bench/twin) runs its short scripted day at time scale
# 0.25 against the fakes on 127.0.0.1: jobs in a trickle and a small
# burst, an InsufficientInstanceCapacity, a spot interruption notice and a
# kill -9 of `ghrctl poll --follow --scale` with a restart.  Every
# instance runs the real `ghrctl boot` for its sealed config.  Asserted:
# every job started, none left over after the run, nothing left after the
# teardown, every runner got a config, the table printed.
. ./lib.sh

test_demo() {
	test_init demo
	test_ca || { test_done; return; }
	# The twin cleans up its own directory; TMPDIR keeps it under $T.
	TMPDIR=$T timeout 170 "$PY" "$TOP/bench/twin/twin.py" --demo --short \
	    --time-scale 0.25 --settle 60 --budget 100 --quiet --bin "$BIN" \
	    --ca "$CA" --json "$T/res.json" >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "the demo ends well ($(tail -n 3 "$T/err" | tr '\n' '|'))"
	test_match "$T/out" '^\| demo \(short\)' "the queue-time table is printed"
	r() { "$PY" -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$T/res.json" "$1"; }
	test_eq "$(r 'r["jobs"] > 0 and r["never_started"]')" 0 "no job never started"
	test_eq "$(r 'r["leftover_instances"] + r["leftover_runners"]')" 0 "no instance or runner left over"
	test_eq "$(r 'r["after_teardown"]')" "[0, 0]" "nothing left after the teardown"
	test_eq "$(r 'r["noconfig"]')" 0 "every runner got its sealed config"
	test_eq "$(r 'r["kills"]')" 1 "ghrctl was killed and restarted once"
	left=$(find "$T" -maxdepth 1 -name 'ghrctl-twin*' | wc -l | tr -d ' ')
	test_eq "$left" 0 "the twin removed its directory"
	# Nothing it started runs on: no fake, scaler or boot of this run.
	pgrep -f "$T/ghrctl-twin" >"$T/procs"
	test_eq "$(cat "$T/procs")" "" "no process of the run is left"
	test_done
}

# The REST-polling baseline of `make twin` (bench/twin --baseline rest):
# `ghrctl scale --source rest` run every 60 s (6 s at time scale 0.1) as
# cron would, against the fake GitHub's REST view of the twin's jobs, the
# instances booting with the real `ghrctl boot`.  Asserted: every job
# started, no pass failed, nothing left over, every runner got its
# sealed config.
test_rest_baseline() {
	test_init rest_baseline
	test_ca || { test_done; return; }
	TMPDIR=$T timeout 170 "$PY" "$TOP/bench/twin/twin.py" --scenario cold --baseline rest \
	    --time-scale 0.1 --settle 60 --quiet --bin "$BIN" --ca "$CA" \
	    --json "$T/res.json" >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "the baseline run ends well ($(tail -n 3 "$T/err" | tr '\n' '|'))"
	test_match "$T/out" '^\| single jobs, cold \(no pool\): REST polling every 60 s \(the seed Lambda design' \
	    "its row is printed"
	r() { "$PY" -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$T/res.json" "$1"; }
	test_eq "$(r 'r["baseline"], r["jobs"], r["never_started"]')" "('rest', 5, 0)" "all 5 jobs started"
	# A slow (sanitizer) pass may still hold the lock at the next: 75.
	test_eq "$(r 'r["passes"]["run"] >= 2, r["passes"]["failed"]')" "(True, 0)" \
	    "the scale passes ran, none failed"
	test_eq "$(r 'r["leftover_instances"] + r["leftover_runners"], r["after_teardown"]')" "(0, [0, 0])" \
	    "nothing left over"
	test_eq "$(r 'r["noconfig"]')" 0 "every runner got its sealed config"
	left=$(find "$T" -maxdepth 1 -name 'ghrctl-twin*' | wc -l | tr -d ' ')
	test_eq "$left" 0 "the twin removed its directory"
	test_done
}

# A job history replays: the job journal itself, or `ghrctl jobs -o
# trace` (queued_at, labels, duration), becomes the twin's jobs, queued
# at their offsets from the first.
test_trace() {
	test_init trace
	mkdir -p "$T/state" && chmod 700 "$T/state"
	j='{"at":"2026-11-23T09:00:00Z","event":"JobStarted","runnerRequestId":%s,"ownerName":"acme","repositoryName":"app","requestLabels":["linux","x64"],"queueTime":"2026-11-23T%s","runnerAssignTime":"2026-11-23T%s","runnerName":"r%s"}\n'
	c='{"at":"2026-11-23T09:00:00Z","event":"JobCompleted","runnerRequestId":%s,"ownerName":"acme","repositoryName":"app","queueTime":"2026-11-23T%s","runnerAssignTime":"2026-11-23T%s","finishTime":"2026-11-23T%s","result":"succeeded"}\n'
	# shellcheck disable=SC2059
	{
		printf "$j" 1 07:00:00Z 07:00:10Z 1
		printf "$c" 1 07:00:00Z 07:00:10Z 07:05:10Z
		printf "$j" 2 07:00:30Z 07:00:31Z 2
		printf "$c" 2 07:00:30Z 07:00:31Z 07:01:01Z
	} >"$T/state/scaleset-app.json.jobs"
	want='offset,labels,duration
0,"linux,x64",300
30,"linux,x64",30'
	"$PY" "$TOP/bench/twin/twin.py" --bin "$BIN" --plan --trace "$T/state/scaleset-app.json.jobs" >"$T/out" 2>"$T/err"
	test_eq "$(cat "$T/out")" "$want" "the journal replays as two jobs ($(cat "$T/err"))"
	GHRCTL_STATE_DIR="$T/state" RUNNER_SCALE_SET_NAME=app GITHUB_CONFIG_URL=https://github.com/acme \
	    GITHUB_TOKEN=ghp_x ghrctl jobs -o trace >"$T/trace.csv"
	"$PY" "$TOP/bench/twin/twin.py" --bin "$BIN" --plan --trace "$T/trace.csv" >"$T/out" 2>"$T/err"
	test_eq "$(cat "$T/out")" "$want" "so does ghrctl jobs -o trace"
	printf '5,"",12\n2.5,gpu,1\n' >"$T/t2.csv"
	"$PY" "$TOP/bench/twin/twin.py" --bin "$BIN" --plan --trace "$T/t2.csv" >"$T/out" 2>&1
	test_eq "$(cat "$T/out")" 'offset,labels,duration
0,gpu,1
2.5,,12' "offsets in seconds, no header"
	test_done
}

run_test test_demo
run_test test_rest_baseline
run_test test_trace
