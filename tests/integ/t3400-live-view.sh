#!/bin/sh
# t3400-live-view.sh: what poll --follow --scale shows (issue 16 section 1):
# one event line per launch and termination at the default level; with
# --log-format json or logfmt, events and log lines in one stream (stderr)
# and one format; in an 80-column tmux pane, a status line that never
# wraps or leaves stale copies, is fitted again to a resized pane
# (SIGWINCH), dim unless NO_COLOR is set.
. ./lib.sh
. ./ec2lib.sh

# complete N NAME: a message with JobCompleted for request N, runner NAME
complete() {
	actl "{\"op\":\"message\",\"statistics\":{\"totalAssignedJobs\":0},\"jobs\":[{\"messageType\":\"JobCompleted\",\"runnerRequestId\":$1,\"runnerName\":\"$2\",\"runnerId\":17,\"result\":\"succeeded\"}]}"
}

# run_job FMT: start the scaler with --log-format FMT, one job launched
# and completed, then stop it
run_job() {
	ghrctl --log-format "$1" poll --follow --scale >>"$T/out" 2>>"$T/err" &
	job=$!
	msg 1 21
	wait_long acked 100000001 || not_ok "JobAvailable not acked"
	complete 21 "$(rname 1)"
	gone() { [ "$(instances terminated)" = 1 ]; }
	wait_long gone || not_ok "instance not terminated"
	scaler_stop
}

test_events_text() {
	test_init events_text
	ec2_setup || { test_done; return; }
	run_job text
	grep -q " launch  *job=21 runner=$(rname 1) instance=$(inst 1) type=m5.large market=on-demand" "$T/out" &&
	    ok "launch line on stdout" || not_ok "no launch line: $(cat "$T/out")"
	grep -q " terminate  *runner=$(rname 1) instance=$(inst 1)" "$T/out" &&
	    ok "terminate line on stdout" || not_ok "no terminate line: $(cat "$T/out")"
	test_eq "$(tr -dc '\r\033' <"$T/out" | wc -c | tr -d ' ')" 0 "not a terminal: no status line redrawn, no escape codes"
	test_done
}

test_one_stream() {
	for f in json logfmt; do
		test_init "one_stream_$f"
		ec2_setup || { test_done; continue; }
		export MAX_RUNNERS=1
		run_job "$f"
		[ -s "$T/out" ] && not_ok "$f: lines on stdout: $(head -n 3 "$T/out")" || ok "$f: nothing on stdout"
		"$PY" - "$f" "$T/err" <<'PY' && ok "$f: every stderr line in one format, with launch, complete and terminate" || not_ok "$f: $(head -c 600 "$T/err")"
import json, re, sys
fmt, path = sys.argv[1], sys.argv[2]
kinds = set()
pair = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "=]+)( |$)')
for line in open(path):
    line = line.rstrip("\n")
    if fmt == "json":
        d = json.loads(line)
    else:
        d, pos = {}, 0
        while pos < len(line):
            m = pair.match(line, pos)
            if not m:
                sys.exit("not logfmt: " + line)
            d[m.group(1)] = m.group(2)
            pos = m.end()
    if "ts" not in d or "level" not in d or ("msg" not in d and "event" not in d):
        sys.exit("missing fields: " + line)
    kinds.add(d.get("event"))
sys.exit(0 if {"launch", "terminate", "complete", "statistics"} <= kinds else "kinds: %r" % kinds)
PY
		test_done
	done
}

# pane: the tmux pane's text (with -e, its escape sequences)
pane() { tmux -S "$T/tmux" capture-pane -p -t live "$@"; }

test_tmux_80() {
	test_init tmux_80
	command -v tmux >/dev/null || { ok "SKIP: no tmux"; test_done; return; }
	ec2_setup || { test_done; return; }
	export MAX_RUNNERS=1
	# A fresh tmux server of our own takes this environment.
	tmux -S "$T/tmux" -f /dev/null new-session -d -s live -x 80 -y 30 \
	    "$BIN -v poll --follow --scale; sleep 30"
	wait_long has_session_file || true
	msg 3 31 32 33
	wait_long acked 100000001 || not_ok "JobAvailable not acked"
	complete 31 "$(rname 1)"
	gone() { [ "$(instances terminated)" = 1 ]; }
	wait_long gone || not_ok "instance not terminated"
	shown() { pane | grep -q ' terminate '; }
	wait_long shown
	pane -J >"$T/pane"
	grep -q " launch  *job=31 runner=$(rname 1) instance=$(inst 1)" "$T/pane" && ok "launch line in the pane" || not_ok "no launch line: $(cat "$T/pane")"
	grep -q " capacity  *runner=" "$T/pane" && ok "capacity line in the pane" || not_ok "no capacity line: $(cat "$T/pane")"
	grep -q " terminate  *runner=$(rname 1)" "$T/pane" && ok "terminate line in the pane" || not_ok "no terminate line: $(cat "$T/pane")"
	test_eq "$(grep -c 'statistics  ' "$T/pane")" 1 "one status line, no stale copies, no log line glued on"
	grep -q '^ghrctl: poll: ' "$T/pane" && ok "-v log lines start a line" || not_ok "no log line: $(cat "$T/pane")"
	test_eq "$(grep '^statistics' "$T/pane" | awk '{ print length($0) }')" 79 "the status line cut to 79 columns"
	test_eq "$(grep -v '^$' "$T/pane" | tail -n 1 | cut -c1-10)" statistics "the status line stays the last line"
	pane -e | grep -q "$(printf '\033')\\[2mstatistics" && ok "dim on a terminal" || not_ok "no colour: $(pane -e | grep statistics | od -c | head -3)"
	# A narrower pane (SIGWINCH): the next status line fits 60 columns.
	tmux -S "$T/tmux" resize-window -t live -x 60 -y 30
	actl '{"op":"message","statistics":{"totalAssignedJobs":0,"totalRunningJobs":0},"jobs":[]}'
	narrow() { [ "$(pane | grep '^statistics' | tail -n 1 | awk '{ print length($0) }')" = 59 ]; }
	wait_long narrow && ok "after SIGWINCH the status line is cut to 59 columns" ||
	    not_ok "status line not re-fitted: $(pane | grep statistics | awk '{ print length($0) }')"
	tmux -S "$T/tmux" kill-server 2>/dev/null
	test_done
}

test_no_color() {
	test_init no_color
	command -v tmux >/dev/null || { ok "SKIP: no tmux"; test_done; return; }
	ec2_setup || { test_done; return; }
	NO_COLOR=1 tmux -S "$T/tmux" -f /dev/null new-session -d -s live -x 80 -y 30 \
	    "NO_COLOR=1 $BIN poll --follow --scale 2>>$T/err; sleep 30"
	msg 3 41
	wait_long acked 100000001 || not_ok "JobAvailable not acked"
	drawn() { pane | grep -q '^statistics'; }
	wait_long drawn || not_ok "no status line: $(pane)"
	pane -e | grep -q "$(printf '\033')\\[2m" && not_ok "NO_COLOR: escape codes in the pane" || ok "NO_COLOR: no colour"
	tmux -S "$T/tmux" kill-server 2>/dev/null
	test_done
}

has_session_file() { [ -s "$T/state/scaleset-ghrctl-test.json" ]; }

run_test test_events_text
run_test test_one_stream
run_test test_tmux_80
run_test test_no_color
