#!/bin/sh
# t0030-config-file.sh: the settings file (-c) is checked on the one
# descriptor it is read from: owner this user or root, writable by no one
# else, private when it holds a secret.  A NUL byte in it, -c DIR,
# MIN_RUNNERS above MAX_RUNNERS and a name with a control character are
# configuration errors (78); a name such as "ci a" is fine.
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

test_bad_files() {
	test_init bad_files
	printf 'MAX_RUNNERS=3\n\000MIN_RUNNERS=9\nGITHUB_TOKEN=x\n' >"$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "a NUL byte in the file: exit 78"
	test_match "$T/err" "$T/cfg:2: a NUL byte" "file and line named"
	test_eq "$(grep -c MAX_RUNNERS "$T/out")" 0 "nothing printed"
	mkdir "$T/dir"
	ghrctl -c "$T/dir" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "-c DIR: exit 78"
	test_match "$T/err" "'$T/dir' is a directory" "says it is a directory"
	GHRCTL_CONFIG="$T/dir" ghrctl config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "GHRCTL_CONFIG=DIR: exit 78"
	test_done
}

test_min_max() {
	test_init min_max
	printf 'MIN_RUNNERS=6\nMAX_RUNNERS=5\n' >"$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "MIN_RUNNERS > MAX_RUNNERS: exit 78"
	test_match "$T/err" "MIN_RUNNERS=6 \($T/cfg:1\) is more than MAX_RUNNERS=5 \($T/cfg:2\)" \
	    "both values and where they come from"
	ghrctl -c "$T/cfg" --max-runners 6 config >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "MIN_RUNNERS = MAX_RUNNERS is fine"
	MIN_RUNNERS=11 ghrctl config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "MIN_RUNNERS above the default MAX_RUNNERS: exit 78"
	ghrctl --min-runners 3 --max-runners 2 scale >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "scale refuses it too"
	test_match "$T/err" "MIN_RUNNERS=3 \(flag min-runners\) is more than MAX_RUNNERS=2" "and says why"
	test_done
}

test_names() {
	test_init names
	printf 'RUNNER_SCALE_SET_NAME="ci a"\n' >"$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "a name with a space is fine"
	test_match "$T/out" '^RUNNER_SCALE_SET_NAME +ci a ' "kept as is"
	printf 'RUNNER_SCALE_SET_NAME=ci\033]0;x\007a\n' >"$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "a name with ESC and BEL: exit 78"
	test_match "$T/err" "$T/cfg:1: RUNNER_SCALE_SET_NAME holds a control character \(0x1b at byte 2\)" \
	    "the byte and its place are named"
	if grep -q "$(printf '\033')" "$T/err"; then not_ok "ESC printed"; else ok "the control character is not printed"; fi
	ghrctl --scale-set "$(printf 'ci\na')" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "--scale-set with a newline: exit 78"
	RUNNER_GROUP="$(printf 'g\tx')" ghrctl config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "RUNNER_GROUP with a tab: exit 78"
	test_done
}

run_test test_owner_mode
run_test test_bad_files
run_test test_min_max
run_test test_names
run_test test_secret_one_open
