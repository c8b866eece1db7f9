#!/bin/sh
# t2010-state-files.sh: the state directory's file names tell scale sets
# apart ("ci a" and "ci_a" never share a state file or lock), and a state
# file left under the name an older ghrctl gave it is taken over on first
# use, so an upgrade does not orphan a live session.  Only what this user
# wrote is trusted: a state or lock file of another owner, not 0600 or a
# symbolic link, and a state directory others may write to, are refused
# with exit 77 (a planted state file's queue URL is never polled).
. ./lib.sh
. ./aslib.sh

sid() { sed -n 's/.*"sessionId":"\([^"]*\)".*/\1/p' "$T/state/$1"; }

test_names_apart() {
	test_init names_apart
	as_setup --no-register || { test_done; return; }
	RUNNER_SCALE_SET_NAME="ci a" ghrctl register >/dev/null
	RUNNER_SCALE_SET_NAME="ci_a" ghrctl register >/dev/null
	RUNNER_SCALE_SET_NAME="ci a" ghrctl session open >/dev/null 2>"$T/err"
	test_eq "$?" 0 "session open for 'ci a' ($(cat "$T/err"))"
	RUNNER_SCALE_SET_NAME="ci_a" ghrctl session open >/dev/null 2>"$T/err"
	test_eq "$?" 0 "session open for 'ci_a' ($(cat "$T/err"))"
	test_eq "$(ls "$T/state" | tr '\n' ' ')" \
	    "scaleset-ci_20a.json scaleset-ci_20a.lock scaleset-ci_5fa.json scaleset-ci_5fa.lock " \
	    "one state file and lock each"
	a=$(sid scaleset-ci_20a.json) b=$(sid scaleset-ci_5fa.json)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && ok "two sessions" || not_ok "sessions '$a' '$b'"
	test_match "$T/state/scaleset-ci_20a.json" '"scaleSetName":"ci a"' "'ci a' in its file"
	test_match "$T/state/scaleset-ci_5fa.json" '"scaleSetName":"ci_a"' "'ci_a' in its file"
	test_done
}

test_upgrade_migrates() {
	test_init upgrade_migrates
	as_setup --no-register || { test_done; return; }
	export RUNNER_SCALE_SET_NAME="ci_a"
	ghrctl register >/dev/null
	ghrctl session open >/dev/null
	s1=$(sid scaleset-ci_5fa.json)
	# What an older ghrctl left: the same file under the name ci_a.
	mv "$T/state/scaleset-ci_5fa.json" "$T/state/scaleset-ci_a.json"
	rm -f "$T/state/scaleset-ci_5fa.lock"
	ghrctl --log-level info session show -o json >"$T/show" 2>"$T/err"
	test_eq "$?" 0 "session show finds the session of the old file ($(cat "$T/err"))"
	test_match "$T/show" "\"sessionId\":\"$s1\"" "the same session"
	test_match "$T/err" "renamed to .*scaleset-ci_5fa.json" "the rename is logged"
	[ -e "$T/state/scaleset-ci_a.json" ] && not_ok "old file left" || ok "old file renamed"
	test_eq "$(stat -c %a "$T/state/scaleset-ci_5fa.json")" 600 "still 0600"
	ghrctl session open >/dev/null 2>"$T/err"
	test_eq "$?" 0 "session open after the upgrade: no 409 ($(cat "$T/err"))"
	test_eq "$(sid scaleset-ci_5fa.json)" "$s1" "the live session is re-used, not orphaned"
	test_eq "$(count POST '.*/sessions')" 1 "one session created in all"
	test_done
}

test_other_sets_file_stays() {
	test_init other_sets_file_stays
	as_setup --no-register || { test_done; return; }
	RUNNER_SCALE_SET_NAME="ci a" ghrctl register >/dev/null
	RUNNER_SCALE_SET_NAME="ci_a" ghrctl register >/dev/null
	RUNNER_SCALE_SET_NAME="ci a" ghrctl session open >/dev/null
	s1=$(sid scaleset-ci_20a.json)
	# An older ghrctl kept "ci a"'s session in scaleset-ci_a.json.
	mv "$T/state/scaleset-ci_20a.json" "$T/state/scaleset-ci_a.json"
	RUNNER_SCALE_SET_NAME="ci_a" ghrctl session show >/dev/null 2>"$T/err"
	test_eq "$?" 1 "'ci_a' does not take 'ci a''s old file: no session"
	test_eq "$(sid scaleset-ci_a.json)" "$s1" "the old file is left alone"
	RUNNER_SCALE_SET_NAME="ci a" ghrctl session show -o json >"$T/show" 2>&1
	test_match "$T/show" "\"sessionId\":\"$s1\"" "'ci a' takes its own old file"
	[ -e "$T/state/scaleset-ci_a.json" ] && not_ok "old file left" || ok "old file renamed"
	test_done
}

# plant MODE: the session's state file rewritten with its queue URL
# pointing at /planted on the fake, then given MODE.
plant() {
	ghrctl session open >/dev/null
	sed "s|\"messageQueueUrl\":\"[^\"]*\"|\"messageQueueUrl\":\"https://localhost:$ACTIONS_PORT/planted/queue\"|" \
	    "$T/state/scaleset-ghrctl-test.json" >"$T/planted"
	cat "$T/planted" >"$T/state/scaleset-ghrctl-test.json"
	chmod "$1" "$T/state/scaleset-ghrctl-test.json"
}

test_planted_state_file() {
	test_init planted_state_file
	as_setup || { test_done; return; }
	plant 644
	ghrctl poll >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "poll with a 0644 state file: exit 77"
	test_match "$T/err" "state file '$T/state/scaleset-ghrctl-test.json' is mode 0644, not 0600" \
	    "the file and its mode are named"
	test_eq "$(grep -c '/planted' "$ACTIONS_LOG")" 0 "the planted queue URL is never polled"
	ghrctl session show >/dev/null 2>"$T/err"
	test_eq "$?" 77 "session show refuses it too"
	chmod 600 "$T/state/scaleset-ghrctl-test.json"
	if [ "$(id -u)" = 0 ]; then
		chown 65534 "$T/state/scaleset-ghrctl-test.json"
		ghrctl poll >"$T/out" 2>"$T/err"
		test_eq "$?" 77 "a state file of another owner: exit 77"
		test_match "$T/err" "belongs to uid 65534, not to this user" "the owner is named"
		test_eq "$(grep -c '/planted' "$ACTIONS_LOG")" 0 "still never polled"
		chown 0 "$T/state/scaleset-ghrctl-test.json"
		chown 65534 "$T/state/scaleset-ghrctl-test.lock"
		ghrctl session show >/dev/null 2>"$T/err"
		test_eq "$?" 77 "a lock file of another owner: exit 77"
		test_match "$T/err" "lock file .* belongs to uid 65534" "the lock file is named"
		chown 0 "$T/state/scaleset-ghrctl-test.lock"
	else
		ok "skipped: chown needs root"
	fi
	chmod 640 "$T/state/scaleset-ghrctl-test.lock"
	ghrctl session show >/dev/null 2>"$T/err"
	test_eq "$?" 77 "a 0640 lock file: exit 77"
	test_done
}

test_symlinks() {
	test_init symlinks
	as_setup || { test_done; return; }
	plant 600
	mv "$T/state/scaleset-ghrctl-test.json" "$T/elsewhere.json"
	ln -s "$T/elsewhere.json" "$T/state/scaleset-ghrctl-test.json"
	ghrctl poll >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "a symbolic link as state file: exit 77"
	test_match "$T/err" "state file '$T/state/scaleset-ghrctl-test.json' is a symbolic link" "named as such"
	test_eq "$(grep -c '/planted' "$ACTIONS_LOG")" 0 "the linked file is never read"
	rm "$T/state/scaleset-ghrctl-test.json" "$T/state/scaleset-ghrctl-test.lock"
	: >"$T/victim"
	ln -s "$T/victim" "$T/state/scaleset-ghrctl-test.lock"
	ghrctl session show >/dev/null 2>"$T/err"
	test_eq "$?" 77 "a symbolic link as lock file: exit 77"
	test_match "$T/err" "lock file .* is a symbolic link" "named as such"
	test_done
}

test_state_dir_mode() {
	test_init state_dir_mode
	as_setup || { test_done; return; }
	ghrctl session open >/dev/null
	chmod 770 "$T/state"
	ghrctl session show >/dev/null 2>"$T/err"
	test_eq "$?" 77 "a group-writable state directory: exit 77"
	test_match "$T/err" "state directory '$T/state' is writable by others \(mode 0770\)" "directory and mode named"
	chmod 1777 "$T/state"
	ghrctl poll >/dev/null 2>"$T/err"
	test_eq "$?" 77 "a world-writable (sticky) state directory: exit 77"
	chmod 755 "$T/state"
	ghrctl session show >/dev/null 2>"$T/err"
	test_eq "$?" 0 "0755 is fine ($(cat "$T/err"))"
	ghrctl session close
	mkdir -m 700 "$T/real"
	ln -s "$T/real" "$T/linked"
	GHRCTL_STATE_DIR="$T/linked" ghrctl session open >/dev/null 2>"$T/err"
	test_eq "$?" 0 "a symbolic link to a private directory is fine ($(cat "$T/err"))"
	test_done
}

run_test test_names_apart
run_test test_upgrade_migrates
run_test test_other_sets_file_stays
run_test test_planted_state_file
run_test test_symlinks
run_test test_state_dir_mode
