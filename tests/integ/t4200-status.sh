#!/bin/sh
# t4200-status.sh: ghrctl status against the fake Actions Service and
# fake EC2 over TLS: the session and who holds the scale set's lock (a
# real poll --follow), the scale set's statistics, desired/live/max,
# instances by state, type and age, warm pool counts (tag ghrctl:pool),
# the oldest waiting job of the journal, the last errors recorded by an
# earlier run; -o json checked with python; -w on a pty and on a pipe.
. ./lib.sh
. ./ec2lib.sh

# launch ID RUNNER TYPE SPOT [POOL]: an instance of scale set 1
launch() {
	pool=${5:+,\"ghrctl:pool\":\"$5\"}
	ectl "{\"op\":\"launch\",\"id\":\"$1\",\"type\":\"$3\",\"spot\":$4,\"tags\":{\"ghrctl:managed\":\"true\",\"ghrctl:scale-set\":\"1\",\"ghrctl:runner\":\"$2\"$pool}}"
}

# job ID EVENT QUEUED [RUNNER_ASSIGNED]: one journal record
job() {
	printf '{"at":"%s","event":"%s","runnerRequestId":%s,"ownerName":"acme","repositoryName":"app","jobDisplayName":"build-%s","queueTime":"%s"%s}\n' \
	    "$3" "$2" "$1" "$1" "$3" "${4:+,\"runnerAssignTime\":\"$4\",\"runnerName\":\"r$1\"}" \
	    >>"$T/state/scaleset-ghrctl-test.json.jobs"
}

# poll_holds: the lock file names the poll started in the background
poll_holds() { grep -q "^pid $(leaf "$poll") " "$T/state/scaleset-ghrctl-test.lock"; }

ago() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }

status_setup() {
	ec2_setup || return 1
	export MAX_RUNNERS=10 MIN_RUNNERS=1
	# A run that failed: EC2 refuses RunInstances; the error is recorded.
	ectl '{"op":"deny","action":"RunInstances"}'
	stats 2
	ghrctl scale >"$T/scale.out" 2>"$T/scale.err"
	test_eq "$?" 77 "setup: scale fails with UnauthorizedOperation"
	launch i-0000000000000b001 ghrctl-1-r1 m5.large false
	launch i-0000000000000b002 ghrctl-1-r2 m5.large false hot
	launch i-0000000000000b003 ghrctl-1-r3 m5.large false stopped
	launch i-0000000000000b004 ghrctl-1-r4 c6i.large true
	ectl '{"op":"state","id":"i-0000000000000b003","state":"stopped"}'
	ectl '{"op":"age","id":"*","seconds":600}'
	ectl '{"op":"age","id":"i-0000000000000b001","seconds":6700}'
	actl '{"op":"statistics","stats":{"totalAvailableJobs":3,"totalAcquiredJobs":1,"totalAssignedJobs":4,"totalRunningJobs":2,"totalRegisteredRunners":3,"totalBusyRunners":2,"totalIdleRunners":1}}'
	job 11 JobAvailable "$(ago 300)"
	job 12 JobAvailable "$(ago 900)"
	job 13 JobStarted "$(ago 1000)" "$(ago 950)"
}

test_status_json() {
	test_init status_json
	status_setup
	# A reader never takes the lock: the holder scale wrote stays.
	cp "$T/state/scaleset-ghrctl-test.lock" "$T/lock.before"
	ghrctl status >/dev/null 2>&1
	ghrctl jobs >/dev/null 2>&1
	cmp -s "$T/lock.before" "$T/state/scaleset-ghrctl-test.lock" &&
	    ok "status and jobs leave the lock alone" ||
	    not_ok "a reader wrote the lock file: $(cat "$T/state/scaleset-ghrctl-test.lock")"
	ghrctl poll --follow >"$T/poll.out" 2>"$T/poll.err" &
	poll=$!
	# The lock file names the last holder (scale, above) until poll's turn.
	wait_long grep -q sessionId "$T/state/scaleset-ghrctl-test.json" || not_ok "no session saved"
	wait_long poll_holds &&
	    ok "poll --follow holds the lock" || not_ok "no lock holder: $(cat "$T/state/scaleset-ghrctl-test.lock")"
	ghrctl status -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "status -o json exits 0"
	"$PY" - "$T/out" "$(hostname)" "$(cat "$T/state/scaleset-ghrctl-test.lock")" "$(leaf "$poll")" <<'PY' && ok "-o json: every part" || not_ok "json: $(head -c 1500 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
host, lock = sys.argv[2], sys.argv[3]
assert d["scaleSet"] == {"name": "ghrctl-test", "id": 1}, d["scaleSet"]
s = d["session"]
assert s["id"] and s["owner"].split()[0] == host and s["lockHeld"] is True, s
assert lock.startswith("pid %d on %s" % (s["holder"]["pid"], s["holder"]["host"])), (s, lock)
assert s["holder"]["pid"] == int(sys.argv[4]), (s, sys.argv[4])
assert s["holder"]["host"] == host, s
assert d["jobs"] == {"waiting": 3, "acquired": 1, "assigned": 4, "running": 2}, d["jobs"]
r = d["runners"]
assert r == {"desired": 5, "registered": 3, "busy": 2, "idle": 1, "live": 3,
             "min": 1, "max": 10}, r
i = d["instances"]
assert i["byState"] == {"running": 3, "stopped": 1}, i
g = {(x["state"], x["type"], x["market"], x["pool"]): x for x in i["groups"]}
x = g[("running", "m5.large", "on-demand", "")]
assert x["count"] == 1 and 7200 <= x["oldestSeconds"] < 7400, x
assert g[("running", "c6i.large", "spot", "")]["count"] == 1, g
assert g[("stopped", "m5.large", "on-demand", "stopped")]["count"] == 1, g
assert d["pools"] == {"hot": 1, "stopped": 1}, d["pools"]
o = d["oldestWaitingJob"]
assert o["runnerRequestId"] == 12 and o["job"] == "build-12", o
assert o["repository"] == "acme/app" and 900 <= o["waitingSeconds"] < 1000, o
assert d["waitingJobs"] == 2, d["waitingJobs"]
e = d["lastErrors"]
assert e and e[-1]["cmd"] == "scale" and e[-1]["level"] == "error", e
assert "UnauthorizedOperation" in e[-1]["msg"], e
assert d["unavailable"] == [], d["unavailable"]
PY
	ghrctl status >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "status exits 0"
	test_match "$T/out" '^scale set +ghrctl-test \(id 1\)$' "table: scale set"
	test_match "$T/out" "^lock +held by pid [0-9]+ on $(hostname)\$" "table: lock holder"
	test_match "$T/out" '^jobs +waiting 3  acquired 1  assigned 4  running 2$' "table: jobs"
	test_match "$T/out" '^runners +desired 5  live 3  max 10 ' "table: desired, live, max"
	test_match "$T/out" '^pools +hot 1, stopped 1$' "table: pools"
	test_match "$T/out" '^oldest job +#12 acme/app build-12, waiting 1[45]m' "table: oldest waiting job"
	test_match "$T/out" '^last errors +[0-9T:-]+Z scale warn: .*UnauthorizedOperation' "table: last errors, the oldest first"
	test_match "$T/out" '^ +[0-9T:-]+Z scale error: .*UnauthorizedOperation' "table: the error that ended scale"
	test_match "$T/out" '^STATE +TYPE +MARKET +POOL +COUNT +OLDEST +NEWEST$' "table: instance groups"
	test_match "$T/out" '^running +m5\.large +on-demand +1 +2h +2h$' "table: a group with its ages"
	kill "$(leaf "$poll")"
	wait "$poll"
	ghrctl status -o json >"$T/out"
	"$PY" -c 'import json,sys; s = json.load(open(sys.argv[1]))["session"]; assert s["lockHeld"] is False and s["holder"] is None, s' "$T/out" &&
	    ok "poll ended: the lock is free" || not_ok "lock after poll: $(cat "$T/out")"
	test_done
}

# watch MODE OUT SECONDS: status -w 200ms on a pty (MODE tty) or a pipe, ended
# by SIGINT after SECONDS; exit status into OUT.rc
watch() {
	"$PY" - "$@" "$BIN" <<'PY'
import fcntl, os, pty, signal, struct, subprocess, sys, termios, time
mode, out, secs, bin = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
if mode == "tty":
    m, s = pty.openpty()
    fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
else:
    m, s = os.pipe()
p = subprocess.Popen([bin, "status", "-w", "200ms"], stdout=s, stdin=subprocess.DEVNULL)
os.close(s)
data, end = b"", time.time() + secs
os.set_blocking(m, False)
while time.time() < end:
    try:
        data += os.read(m, 65536)
    except (BlockingIOError, OSError):
        time.sleep(0.05)
p.send_signal(signal.SIGINT)
rc = p.wait(timeout=30)
os.set_blocking(m, True)
try:
    while True:
        b = os.read(m, 65536)
        if not b:
            break
        data += b
except OSError:
    pass
open(out, "wb").write(data)
open(out + ".rc", "w").write("%d\n" % rc)
PY
}

test_watch() {
	test_init watch
	status_setup
	watch tty "$T/tty" 3
	test_eq "$(cat "$T/tty.rc")" 0 "-w on a terminal: ^C ends it, exit 0"
	n=$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\033[H\033[2J"))' "$T/tty")
	[ "$n" -ge 2 ] && ok "-w clears the terminal before each refresh ($n)" || not_ok "-w on a pty: $n clears"
	tr -d '\r' <"$T/tty" | awk '{ if (length($0) > m) m = length($0) } END { exit !(m <= 80 + 7) }' &&
	    ok "lines fit 80 columns" || not_ok "a line past 80 columns"
	watch pipe "$T/pipe" 3
	test_eq "$(cat "$T/pipe.rc")" 0 "-w on a pipe: exit 0"
	test_nomatch "$T/pipe" "$(printf '\033')" "piped: no escape sequences"
	n=$(grep -c '^status at' "$T/pipe")
	[ "$n" -ge 2 ] && ok "piped: one block per refresh ($n)" || not_ok "piped: $n blocks"
	test_done
}

test_errors() {
	test_init errors
	status_setup
	RUNNER_SCALE_SET_NAME= ghrctl status >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "no scale set name: exit 78"
	ghrctl status -w 0 >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "-w 0: usage error"
	ghrctl status -o csv >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "-o csv: usage error"
	ectl '{"op":"deny","action":"DescribeInstances"}'
	ghrctl status -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "EC2 refuses: the exit status says so"
	"$PY" - "$T/out" <<'PY' && ok "EC2 refused: the rest still shown, the cause named" || not_ok "partial: $(head -c 600 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["instances"] is None and d["runners"]["live"] is None, d
assert d["jobs"]["waiting"] == 3 and d["oldestWaitingJob"]["runnerRequestId"] == 12, d
assert len(d["unavailable"]) == 1 and "UnauthorizedOperation" in d["unavailable"][0], d
PY
	test_done
}

run_test test_status_json
run_test test_watch
run_test test_errors
