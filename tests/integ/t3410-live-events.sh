#!/bin/sh
# t3410-live-events.sh: the events of poll --follow at the default level
# (issue 16 section 1) that a launch does not show: standby while another
# ghrctl holds the session, takeover when it lets go, bind (the service
# assigned the job) and start (a runner took it), and session re-creation
# after the service lost the session.  One JSON line each on stderr
# (--log-format json), nothing on stdout; against the fake Actions
# Service over TLS.
. ./lib.sh
. ./aslib.sh

has_session() { [ "$(fstate sessions)" != "{}" ]; }

# event KIND [KEY VALUE]: a JSON line of $T/err is event KIND (with KEY
# equal to VALUE)
event() {
	"$PY" - "$T/err" "$@" <<'PY'
import json, sys
path, kind, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
for line in open(path):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("event") == kind and (not rest or d.get(rest[0]) == rest[1]):
        sys.exit(0)
sys.exit(1)
PY
}

test_lifecycle_events() {
	test_init lifecycle_events
	as_setup --hold 1
	GHRCTL_STATE_DIR="$T/other" ghrctl session open >/dev/null
	ghrctl --log-format json poll --follow >"$T/out" 2>"$T/err" &
	job=$!
	wait_long event standby scaleset ghrctl-test && ok "standby event while another ghrctl holds the session" ||
	    not_ok "no standby event: $(tail -n 3 "$T/err")"
	GHRCTL_STATE_DIR="$T/other" ghrctl session close
	wait_long event takeover scaleset ghrctl-test && ok "takeover event when it lets go" ||
	    not_ok "no takeover event: $(tail -n 3 "$T/err")"
	wait_long has_session
	ctl '{"op":"message","jobs":[{"messageType":"JobAssigned","runnerRequestId":61,"repositoryName":"app","ownerName":"acme","jobDisplayName":"build"},{"messageType":"JobStarted","runnerRequestId":61,"repositoryName":"app","ownerName":"acme","jobDisplayName":"build","runnerName":"r61","runnerId":61}]}'
	wait_long acked 100000001 || not_ok "message not acked"
	wait_long event bind job 61 && ok "bind event (JobAssigned)" || not_ok "no bind event: $(tail -n 3 "$T/err")"
	event start runner r61 && ok "start event (JobStarted) names the runner" || not_ok "no start event: $(tail -n 3 "$T/err")"
	ctl '{"op":"expire_sessions"}'
	ctl '{"op":"message","jobs":[{"messageType":"JobAvailable","runnerRequestId":62,"repositoryName":"app","ownerName":"acme"}]}'
	wait_long event session reason lost && ok "session event: lost, a new one opened" ||
	    not_ok "no session event: $(tail -n 3 "$T/err")"
	kill -TERM "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "exit 0"
	[ -s "$T/out" ] && not_ok "lines on stdout: $(head -n 3 "$T/out")" || ok "nothing on stdout: one stream"
	test_done
}

run_test test_lifecycle_events
