#!/bin/sh
# t2010-state-files.sh: the state directory's file names tell scale sets
# apart ("ci a" and "ci_a" never share a state file or lock), and a state
# file left under the name an older ghrctl gave it is taken over on first
# use, so an upgrade does not orphan a live session.
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

run_test test_names_apart
run_test test_upgrade_migrates
run_test test_other_sets_file_stays
