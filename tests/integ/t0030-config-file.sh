#!/bin/sh
# t0030-config-file.sh: the settings file (-c) is checked on the one
# descriptor it is read from: owner this user or root, writable by no one
# else, private when it holds a secret.
. ./lib.sh

test_owner_mode() {
	test_init owner_mode
	printf 'MAX_RUNNERS=3\n' >"$T/cfg"
	chmod 644 "$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "a 0644 file without secrets is read ($(cat "$T/err"))"
	chmod 664 "$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "a group-writable settings file: exit 77"
	test_match "$T/err" "'$T/cfg' is writable by others \(mode 0664\): run chmod go-w" "names the chmod"
	chmod 646 "$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "a world-writable settings file: exit 77"
	chmod 600 "$T/cfg"
	if [ "$(id -u)" = 0 ]; then
		chown 65534 "$T/cfg"
		ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
		test_eq "$?" 77 "a settings file of another user: exit 77"
		test_match "$T/err" "belongs to uid 65534, not to this user" "the owner is named"
	else
		ok "skipped: chown needs root"
	fi
	test_done
}

test_secret_one_open() {
	test_init secret_one_open
	tok=ghp_T0030tokenValue0123456789
	printf 'GITHUB_TOKEN=%s\n' "$tok" >"$T/cfg"
	chmod 644 "$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "a secret in a 0644 file: exit 77"
	test_match "$T/err" "holds a secret but is readable by others \(mode 0644\)" "says why"
	test_nomatch "$T/err" "$tok" "the token is never printed"
	test_done
}

run_test test_owner_mode
run_test test_secret_one_open
