#!/bin/sh
# t2130-close-session.sh: one-shot runs share the message session through
# the state file; --close-session (poll, scale) ends it at the service and
# in the state file, so nothing is left to answer 409.
. ./lib.sh
. ./ec2lib.sh

SF=scaleset-ghrctl-test.json
no_sessions() { [ "$(fstate sessions)" = "{}" ]; }
in_state() { grep -q '"sessionId"' "$T/state/$SF"; }

test_poll_close_session() {
	test_init poll_close_session
	as_setup --hold 1
	ctl '{"op":"message","jobs":[{"messageType":"JobAvailable","runnerRequestId":41}]}'
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "one-shot poll exits 0"
	in_state && ok "without --close-session the session stays for the next run" || not_ok "session not kept"
	no_sessions && not_ok "session deleted without --close-session" || ok "and stays live at the service"
	ctl '{"op":"message","jobs":[{"messageType":"JobAvailable","runnerRequestId":42}]}'
	ghrctl poll --close-session -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "poll --close-session exits 0"
	test_match "$T/out" '"runnerRequestId":42' "the message is handled first"
	acked 100000002 && ok "and acked" || not_ok "not acked"
	no_sessions && ok "the session is deleted at the service" || not_ok "session left at the service"
	in_state && not_ok "session left in the state file" || ok "and forgotten in the state file"
	ghrctl poll --close-session >/dev/null 2>"$T/err"
	test_eq "$?" 0 "a run with a new session and nothing to read closes it too"
	no_sessions && ok "nothing left live" || not_ok "session left live"
	ghrctl session open >/dev/null 2>"$T/err"
	test_eq "$?" 0 "the next run gets a session (no 409)"
	ghrctl poll --follow --close-session 2>"$T/err"
	test_eq "$?" 64 "--close-session with --follow is a usage error"
	test_done
}

test_scale_close_session() {
	test_init scale_close_session
	ec2_setup || { test_done; return; }
	ghrctl session open >/dev/null
	stats 1
	ghrctl scale --close-session >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale --close-session exits 0 ($(cat "$T/err"))"
	test_eq "$(instances running)" 1 "the pass is made first"
	no_sessions && ok "the session is deleted at the service" || not_ok "session left at the service"
	in_state && not_ok "session left in the state file" || ok "and forgotten in the state file"
	ghrctl scale --close-session >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "with no session open: exit 0"
	test_done
}

run_test test_poll_close_session
run_test test_scale_close_session
