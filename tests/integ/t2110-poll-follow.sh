#!/bin/sh
# t2110-poll-follow.sh: ghrctl poll --follow over TLS against the fake
# Actions Service: SIGTERM (and SIGHUP) closes the session and exits 0; an expired
# session is re-created; an expired queue token is refreshed; admin
# tokens are renewed before they expire; a 409 session conflict means
# standby, and the standby takes over once the other session is gone.
. ./lib.sh
. ./aslib.sh

msg() { ctl "{\"op\":\"message\",\"jobs\":[{\"messageType\":\"JobAvailable\",\"runnerRequestId\":$1,\"repositoryName\":\"app\",\"ownerName\":\"acme\"}]}"; }
no_sessions() { [ "$(fstate sessions)" = "{}" ]; }
retried() { [ "$(count POST /tenant/1/_apis/runtime/runnerscalesets/1/sessions)" -ge "$1" ]; }
has_session() { [ "$(fstate sessions)" != "{}" ]; }

# stop_signal SIG: SIG ends poll --follow; SIGHUP is what a closed
# terminal (tmux, ssh) sends, a stop request like SIGTERM.
stop_signal() {
	test_init "sig$1"
	as_setup --hold 1
	ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	job=$!
	wait_long has_session && ok "session opened" || not_ok "no session"
	msg 41
	wait_long acked 100000001 && ok "message handled and acked" || not_ok "message not acked"
	msg 42
	wait_long acked 100000002 && ok "re-polls at once: second message acked" || not_ok "second message not acked"
	kill -"$1" "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "SIG$1: exit 0"
	no_sessions && ok "SIG$1: session deleted at the service" || not_ok "SIG$1: session left open"
	grep -q '"sessionId"' "$T/state/scaleset-ghrctl-test.json" && not_ok "session left in the state file" || ok "state file forgets the session"
	test_eq "$(grep -c '"event":"JobAvailable"' "$T/out")" 2 "two events printed"
	test_eq "$(fstate acquired)" "[41, 42]" "both acquired"
	test_done
}
test_sigterm() { stop_signal TERM; }
test_sighup() { stop_signal HUP; }

test_session_recreated() {
	test_init session_recreated
	as_setup --hold 1
	ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	job=$!
	wait_long has_session
	sid1=$(fstate sessions)
	ctl '{"op":"expire_sessions"}'
	msg 51
	wait_long acked 100000001 && ok "message after expiry handled" || not_ok "message after expiry not handled"
	sid2=$(fstate sessions)
	[ "$sid1" != "$sid2" ] && ok "a new session was created" || not_ok "same session"
	ctl '{"op":"expire_queue_tokens"}'
	msg 52
	wait_long acked 100000002 && ok "message after token expiry handled" || not_ok "message after token expiry not handled"
	test_eq "$(fstate sessions)" "$sid2" "queue token renewed in the same session"
	[ "$(count PATCH /tenant/1/_apis/runtime/runnerscalesets/1/sessions/)" -ge 2 ] && ok "sessions refreshed with PATCH" || not_ok "no PATCH refresh"
	kill -TERM "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "exit 0"
	test_done
}

# A queue that answers 401 again right after a successful refresh: the
# poller must not forget its live session and then stand by (409) against
# it; it deletes what it owns before creating a new one.
test_queue_401_twice() {
	test_init queue_401_twice
	as_setup --hold 1
	ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	job=$!
	wait_long has_session && ok "session opened" || not_ok "no session"
	sid1=$(fstate sessions)
	ctl '{"op":"queue_401","count":2}'
	msg 71
	wait_long acked 100000001 && ok "message after a repeated 401 handled" || not_ok "locked out after a repeated 401"
	test_nomatch "$T/err" "standby" "never stands by against its own session"
	[ "$(fstate sessions)" != "$sid1" ] && ok "the refused session was replaced" || not_ok "same session"
	test_eq "$(count DELETE /tenant/1/_apis/runtime/runnerscalesets/1/sessions/)" 1 "the old session was deleted first"
	kill -TERM "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "exit 0"
	no_sessions && ok "no session left" || not_ok "a session left at the service"
	test_done
}

test_queue_401_one_shot() {
	test_init queue_401_one_shot
	as_setup --hold 1
	ghrctl session open >/dev/null
	ctl '{"op":"queue_401","count":2}'
	msg 72
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "one-shot poll after a repeated 401: exit 0"
	acked 100000001 && ok "and the message handled" || not_ok "message not handled"
	test_done
}

# perm_end NAME CTL-LINE STATUS [PATTERN]: after CTL-LINE, errors that
# need a person end --follow with STATUS (not restarted by the systemd
# unit) after a few tries, instead of retrying forever.
perm_end() {
	test_init "$1"
	as_setup --hold 1
	SESSION_REFRESH_INTERVAL=1s ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	job=$!
	wait_long has_session && ok "$1: session opened" || not_ok "$1: no session"
	ctl "$2"
	gone() { ! kill -0 "$job" 2>/dev/null; }
	if wait_long gone; then ok "$1: --follow ends"; else
		not_ok "$1: still retrying after 30 s"
		kill -TERM "$(leaf "$job")"
	fi
	wait "$job"
	test_eq "$?" "$3" "$1: exit status"
	[ -z "${4:-}" ] || test_match "$T/err" "$4" "$1: says why"
	test_done
}
test_revoked_token() { perm_end revoked_token '{"op":"revoke_token"}' 77 "Bad credentials.*giving up"; }
test_missing_permission() { perm_end missing_permission '{"op":"github_mode","mode":"403"}' 77 "Resource not accessible.*giving up"; }
test_scale_set_gone() { perm_end scale_set_gone '{"op":"delete_scale_set","id":1}' 1 "ghrctl register"; }

# A passing fault (GitHub answering 500) keeps --follow retrying.
test_transient_keeps_going() {
	test_init transient_keeps_going
	as_setup --hold 1
	SESSION_REFRESH_INTERVAL=1s ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	job=$!
	wait_long has_session
	ctl '{"op":"github_mode","mode":"500"}'
	sleep 12
	kill -0 "$job" 2>/dev/null && ok "still running through 500s" || not_ok "ended on a passing fault"
	ctl '{"op":"github_mode","mode":"ok"}'
	msg 81
	wait_long acked 100000001 && ok "serves jobs again once GitHub is back" || not_ok "no job served after the fault"
	kill -TERM "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "exit 0"
	test_done
}

test_admin_token_renewed() {
	test_init admin_token_renewed
	as_setup --hold 1 --admin-ttl 62
	SESSION_REFRESH_INTERVAL=1s ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	job=$!
	wait_long has_session
	sleep 3
	msg 61
	wait_long acked 100000001 && ok "message handled after the admin token expired" || not_ok "message not handled"
	kill -TERM "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "exit 0"
	[ "$(count POST /api/v3/actions/runner-registration)" -ge 3 ] && ok "registered again before exp" || not_ok "admin token not renewed"
	grep -q '"status": 401\|401' "$T/err" && not_ok "a 401 reached the log" || ok "no 401 seen: renewed without a gap"
	test_done
}

test_standby_takeover() {
	test_init standby_takeover
	as_setup --hold 1
	GHRCTL_STATE_DIR="$T/other" ghrctl session open >/dev/null
	ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	job=$!
	wait_long retried 4 &&
	    ok "standby retries the session" || not_ok "no retries"
	test_match "$T/err" "standby: another ghrctl holds" "says it is standby"
	kill -0 "$(leaf "$job")" 2>/dev/null && ok "still running after 409s" || not_ok "exited on 409"
	GHRCTL_STATE_DIR="$T/other" ghrctl session close
	msg 71
	wait_long acked 100000001 && ok "took over and handled the message" || not_ok "did not take over"
	test_match "$T/err" "active: took over" "says it took over"
	kill -TERM "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "exit 0"
	test_done
}

run_test test_sigterm
run_test test_sighup
run_test test_session_recreated
run_test test_queue_401_twice
run_test test_queue_401_one_shot
run_test test_admin_token_renewed
run_test test_revoked_token
run_test test_missing_permission
run_test test_scale_set_gone
run_test test_transient_keeps_going
run_test test_standby_takeover
