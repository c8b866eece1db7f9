#!/bin/sh
# t0000-cli.sh: command dispatch, help, version, usage errors, exit codes
. ./lib.sh

test_version() {
	test_init version
	ghrctl --version >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--version exits 0"
	test_match "$T/out" '^ghrctl [0-9]+\.[0-9]+\.[0-9]+ \(built [0-9]{4}-[0-9]{2}-[0-9]{2}, commit ([0-9a-f]{7,}|unknown), [a-z0-9_]+\)$' "version line: date, commit, architecture"
	test_match "$T/out" ", $(uname -m)\\)\$" "the architecture is this machine's"
	ghrctl version >"$T/out2" 2>"$T/err2"
	test_eq "$?" 0 "version exits 0"
	cmp -s "$T/out" "$T/out2" && ok "version = --version" || not_ok "version differs from --version"
	ghrctl version extra >/dev/null 2>&1
	test_eq "$?" 64 "version takes no operand"
	test_match "$T/out" '^BearSSL 0\.6[^,]*, cJSON 1\.7\.15$' "dependency versions"
	test_eq "$(wc -c <"$T/err")" 0 "nothing on stderr"
	test_done
}

test_help() {
	test_init help
	ghrctl --help >"$T/out" 2>&1
	test_eq "$?" 0 "--help exits 0"
	test_match "$T/out" '^usage: ghrctl \[options\] command' "usage line"
	for c in $(ghrctl --list-commands); do
		grep -q "^  $c " "$T/out" || not_ok "command $c missing from --help"
		ghrctl "$c" --help >"$T/h.$c" 2>&1
		test_eq "$?" 0 "$c --help exits 0"
		test_match "$T/h.$c" "^usage: ghrctl $c" "$c --help shows its usage"
		ghrctl help "$c" >"$T/h2.$c" 2>&1
		test_eq "$?" 0 "help $c exits 0"
		cmp -s "$T/h.$c" "$T/h2.$c" && ok "help $c = $c --help" || not_ok "help $c differs from $c --help"
		# 80 columns: help text wraps (usage lines are the synopsis)
		for v in "" $(ghrctl "$c" --list-options | grep -v '^-'); do
			ghrctl "$c" $v --help
		done | grep -v '^usage: \|^ *ghrctl ' | awk 'length > 80' >"$T/wide.$c"
		test_eq "$(head -n 2 "$T/wide.$c")" "" "$c --help fits 80 columns"
	done
	ghrctl --help | awk 'length > 80' >"$T/wide"
	test_eq "$(cat "$T/wide")" "" "ghrctl --help fits 80 columns"
	test_done
}

test_usage_errors() {
	test_init usage_errors
	ghrctl >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "no command: exit 64"
	test_match "$T/err" 'no command given' "no command: message"
	ghrctl confg >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "unknown command: exit 64"
	test_match "$T/err" "'confg' is not a command; did you mean 'config'\?" "did-you-mean"
	test_match "$T/err" '^usage: ghrctl' "usage printed after the error"
	ghrctl scale --dry-rn >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "unknown option: exit 64"
	test_match "$T/err" "unknown option '--dry-rn'; did you mean '--dry-run'\?" "did-you-mean for an option"
	ghrctl scale --zzzzzzzz >"$T/out" 2>"$T/err"
	test_nomatch "$T/err" "did you mean" "no suggestion for a far name"
	test_eq "$(grep -c '"level":"error"' "$T/err")" 1 "exactly one error line"
	ghrctl config --bogus >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "unknown option: exit 64"
	test_match "$T/err" "unknown option '--bogus'" "unknown option named"
	test_match "$T/err" '^usage: ghrctl config ' "command usage printed"
	ghrctl config -o >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "missing option value: exit 64"
	test_match "$T/err" "option '-o' needs a value" "missing value named"
	ghrctl config -o yaml >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "bad -o value: exit 64"
	test_match "$T/err" "output format 'yaml' is not one of table, json" "bad format named (only what config offers)"
	ghrctl help nosuch >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "help for unknown command: exit 64"
	test_eq "$(wc -c <"$T/out")" 0 "errors never go to stdout"
	test_done
}

test_exit_codes() {
	test_init exit_codes
	# 78: bad configuration value
	MAX_RUNNERS=many ghrctl config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "bad setting: exit 78 (EX_CONFIG)"
	# 78: missing config file named explicitly
	ghrctl --config "$T/missing" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "missing --config file: exit 78"
	test_match "$T/err" "missing" "missing file named"
	# 77: secret in a world-readable file
	printf 'GITHUB_TOKEN=ghp_testtokenvalue1234\n' >"$T/cfg"
	chmod 644 "$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "readable secret file: exit 77 (EX_NOPERM)"
	test_match "$T/err" "chmod 600" "remedy named"
	# stdout closed early: no error, exit 0
	ghrctl config --keys | head -n 1 >/dev/null
	test_eq "$?" 0 "output into a closed pipe is not an error"
	test_done
}

test_log_format() {
	test_init log_format
	ghrctl --log-format text confg >"$T/out" 2>"$T/err"
	test_match "$T/err" "ghrctl: 'confg' is not a command" "text format"
	test_nomatch "$T/err" '^\{' "no JSON in text mode"
	ghrctl --log-format json confg >"$T/out" 2>"$T/err"
	head -n 1 "$T/err" >"$T/line"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["level"]=="error" and "ts" in d and "confg" in d["msg"]' "$T/line" &&
	    ok "JSON log line parses" || not_ok "JSON log line: $(cat "$T/line")"
	GHRCTL_LOG_FORMAT=text ghrctl confg >"$T/out" 2>"$T/err"
	test_match "$T/err" "^[0-9T:.-]+Z ghrctl: " "text from the environment, timestamped off a terminal"
	test_done
}

run_test test_version
run_test test_help
run_test test_usage_errors
run_test test_exit_codes
run_test test_log_format
