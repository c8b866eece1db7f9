#!/bin/sh
# t2000-session-state.sh: ghrctl session open|show|close|refresh over TLS
# against the fake Actions Service; the state file: mode 0600, atomic
# replacement, flock (a concurrent one-shot exits 75), queue token never
# logged, a session expired at the service is replaced.
. ./lib.sh
. ./aslib.sh


SF=scaleset-ghrctl-test.json
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",]*\\).*/\\1/p" "$T/state/$SF"; }

test_open_show_close() {
	test_init open_show_close
	as_setup
	ghrctl session open >"$T/out"
	test_eq "$?" 0 "session open exits 0"
	test_match "$T/out" "^session +[0-9a-f-]{36}$" "prints the session id"
	test_eq "$(stat -c %a "$T/state/$SF")" 600 "state file is mode 0600"
	test_eq "$(stat -c %a "$T/state")" 700 "state directory is mode 0700"
	sid=$(field sessionId)
	grep -q "\"$sid\"" "$ACTIONS_LOG.state" && ok "the service has that session" || not_ok "session unknown to the fake"
	test_match "$T/state/$SF" '"version":1' "state file has a version"
	ghrctl session show -o json >"$T/show"
	test_match "$T/show" "\"sessionId\":\"$sid\"" "show -o json has the session"
	if grep -q messageQueueAccessToken "$T/show" "$T/out"; then not_ok "queue token printed"; else ok "queue token not printed"; fi
	ghrctl session open >"$T/out2"
	test_eq "$(field sessionId)" "$sid" "a second open re-uses the valid session"
	ghrctl session close
	test_eq "$?" 0 "session close exits 0"
	grep -q "\"$sid\"" "$ACTIONS_LOG.state" && not_ok "session still at the service" || ok "session deleted at the service"
	ghrctl session show 2>"$T/err"
	test_eq "$?" 1 "show without a session: exit 1"
	ghrctl session close
	test_eq "$?" 0 "closing twice is fine"
	test_done
}

test_refresh_atomic() {
	test_init refresh_atomic
	as_setup
	ghrctl session open >/dev/null
	tok1=$(field messageQueueAccessToken)
	ino1=$(stat -c %i "$T/state/$SF")
	ghrctl session refresh >/dev/null
	test_eq "$?" 0 "session refresh exits 0"
	tok2=$(field messageQueueAccessToken)
	[ -n "$tok2" ] && [ "$tok1" != "$tok2" ] && ok "queue token replaced" || not_ok "queue token unchanged"
	ino2=$(stat -c %i "$T/state/$SF")
	[ "$ino1" != "$ino2" ] && ok "file replaced by rename (new inode)" || not_ok "file edited in place"
	test_eq "$(ls "$T/state" | tr '\n' ' ')" "scaleset-ghrctl-test.json scaleset-ghrctl-test.lock " "no temp files left"
	test_eq "$(stat -c %a "$T/state/$SF")" 600 "still mode 0600"
	test_done
}

test_flock() {
	test_init flock
	as_setup --hold 3
	ghrctl session open >/dev/null
	ghrctl poll >"$T/poll.out" 2>&1 &
	pid=$!
	wait_for grep -q '"path": "/broker/' "$ACTIONS_LOG"
	ghrctl session open 2>"$T/err"
	test_eq "$?" 75 "a concurrent one-shot exits 75"
	test_match "$T/err" "locked by another ghrctl" "and says why"
	test_match "$T/err" "locked by another ghrctl \\(pid [0-9]+ on $(hostname)\\)" "and names the holder (pid, host)"
	hp=$(sed -n 's/.*(pid \([0-9]*\) on.*/\1/p' "$T/err")
	test_eq "$(cat "/proc/$hp/comm" 2>/dev/null)" "ghrctl" "the named pid is the polling ghrctl"
	ghrctl poll 2>/dev/null
	test_eq "$?" 75 "so does a concurrent poll"
	ghrctl session show >/dev/null
	test_eq "$?" 0 "show still works while locked"
	wait "$pid"
	test_eq "$?" 0 "the first poll finished normally"
	# A lock file of an older version (empty) or hostile bytes: no holder named.
	printf 'pid 1\033[2J\000x\n' >"$T/state/scaleset-ghrctl-test.lock"
	flock "$T/state/scaleset-ghrctl-test.lock" sleep 3 &
	fl=$!
	wait_for sh -c "! flock -n '$T/state/scaleset-ghrctl-test.lock' true"
	ghrctl session open 2>"$T/err2"
	test_eq "$?" 75 "held by another program: exit 75"
	test_match "$T/err2" "locked by another ghrctl \\(pid 1\\[2Jx\\)" "its holder line is printed without control bytes"
	printf '' >"$T/state/scaleset-ghrctl-test.lock"
	ghrctl session open 2>"$T/err2"
	test_match "$T/err2" "locked by another ghrctl \\(holder unknown\\)" "an empty lock file (older version): holder unknown"
	kill "$fl" 2>/dev/null; wait "$fl" 2>/dev/null
	test_done
}

test_expired_session() {
	test_init expired_session
	as_setup
	ghrctl session open >/dev/null
	sid=$(field sessionId)
	ctl '{"op":"expire_sessions"}'
	ghrctl session refresh 2>"$T/err"
	test_eq "$?" 1 "refreshing an expired session fails"
	test_match "$T/err" "expired" "and says so"
	ghrctl session open >/dev/null
	test_eq "$?" 0 "open makes a new session"
	[ "$(field sessionId)" != "$sid" ] && ok "new session id" || not_ok "same session id"
	test_done
}

test_conflict() {
	test_init conflict
	as_setup
	ghrctl session open >/dev/null
	GHRCTL_STATE_DIR="$T/state2" ghrctl session open 2>"$T/err"
	test_eq "$?" 75 "a second ghrctl (other state) gets exit 75"
	test_match "$T/err" "already has an active message session" "409 explained"
	test_done
}

test_token_not_logged() {
	test_init token_not_logged
	as_setup
	ghrctl -vvv session open >/dev/null 2>"$T/err"
	ghrctl -vvv session refresh >/dev/null 2>>"$T/err"
	tok=$(field messageQueueAccessToken)
	[ -n "$tok" ] && ok "state has a queue token" || not_ok "no queue token"
	if grep -qF "$tok" "$T/err"; then not_ok "queue token in the -vvv log"; else ok "queue token not in the -vvv log"; fi
	for t in $(sed -n 's/.*"Bearer \(ey[^"]*\)".*/\1/p' "$ACTIONS_LOG" | sort -u); do
		grep -qF "$t" "$T/err" && not_ok "a bearer token reached the log"
	done
	ok "no bearer token in the log"
	test_done
}

# A full disk: RLIMIT_FSIZE 0 with SIGXFSZ ignored makes every write to a
# file fail (EFBIG) while the lock and the read still work; stderr goes
# through a pipe, which the limit does not cover.
test_open_unsaved() {
	test_init open_unsaved
	as_setup
	(trap '' XFSZ; ulimit -f 0; ghrctl session open 2>&1; echo "rc=$?") | cat >"$T/out"
	test_match "$T/out" "^rc=74$" "session open with a full state directory exits 74"
	test_match "$T/out" "deleted" "and says the new session was deleted"
	test_eq "$(fstate sessions)" "{}" "no session left live at the service"
	(trap '' XFSZ; ulimit -f 0; ghrctl poll 2>&1; echo "rc=$?") | cat >"$T/out"
	test_match "$T/out" "^rc=74$" "a one-shot poll with a full state directory exits 74"
	test_eq "$(fstate sessions)" "{}" "and leaves no session live either"
	ghrctl session open >/dev/null
	test_eq "$?" 0 "the next open gets a session (no 409)"
	test_done
}

run_test test_open_show_close
run_test test_open_unsaved
run_test test_refresh_atomic
run_test test_flock
run_test test_expired_session
run_test test_conflict
run_test test_token_not_logged
