#!/bin/sh
# t0020-config.sh: flags > environment > file > defaults; errors name key,
# value and file:line; secrets masked; token files must be private
. ./lib.sh

test_precedence() {
	test_init precedence
	mkdir -p "$HOME/.config/ghrctl"
	cat >"$HOME/.config/ghrctl/config" <<CFG
# seed-style settings
MAX_RUNNERS=5
MIN_RUNNERS="2"
export RUNNER_LABELS=self-hosted,linux
LOG_LEVEL=info
CFG
	MAX_RUNNERS=8 ghrctl config -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "config -o json exits 0"
	"$PY" - "$T/out" "$HOME" <<'PY' && ok "json shows values and sources" || not_ok "json: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1])); home = sys.argv[2]
assert d["MAX_RUNNERS"] == {"value": "8", "source": "env MAX_RUNNERS"}, d["MAX_RUNNERS"]
assert d["MIN_RUNNERS"] == {"value": "2", "source": home + "/.config/ghrctl/config:3"}, d["MIN_RUNNERS"]
assert d["RUNNER_LABELS"]["value"] == "self-hosted,linux"
assert d["RUNNER_GROUP"] == {"value": "Default", "source": "default"}
assert d["GITHUB_TOKEN"] == {"value": None, "source": "unset"}
PY
	MAX_RUNNERS=8 ghrctl config --max-runners 9 >"$T/out"
	test_match "$T/out" '^MAX_RUNNERS +9 +flag max-runners$' "flag beats environment"
	ghrctl --max-runners 4 config >"$T/out"
	test_match "$T/out" '^MAX_RUNNERS +4 +flag max-runners$' "flag before the command works too"
	XDG_CONFIG_HOME="$T/xdg" ghrctl config >"$T/out"
	test_match "$T/out" '^MAX_RUNNERS +10 +default$' "XDG_CONFIG_HOME without a file: defaults"
	test_done
}

test_bad_values() {
	test_init bad_values
	printf 'MAX_RUNNERS=10\nRUNNER_TIMEOUT=forever\n' >"$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "bad duration in file: exit 78"
	test_match "$T/err" "$T/cfg:2: RUNNER_TIMEOUT='forever' is not a duration" "file:line, key and value named"
	printf 'MAX_RUNNER=10\n' >"$T/cfg"
	ghrctl -c "$T/cfg" config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "unknown key: exit 78"
	test_match "$T/err" "$T/cfg:1: unknown key 'MAX_RUNNER'" "unknown key named"
	ghrctl config --max-runners -1 >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "bad flag value: exit 78"
	test_match "$T/err" "flag max-runners: MAX_RUNNERS='-1' is not a whole number from 0 to 10000" "flag value named"
	LOG_LEVEL=loud ghrctl config >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "bad LOG_LEVEL: exit 78"
	test_done
}

test_secrets() {
	test_init secrets
	tok=ghp_S3cr3tT0kenValue0123456789
	printf 'GITHUB_TOKEN=%s\n' "$tok" >"$T/cfg"
	chmod 600 "$T/cfg"
	ghrctl -c "$T/cfg" -vvvv config >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "private file with a secret is accepted"
	test_match "$T/out" '^GITHUB_TOKEN +<set> ' "token shown as <set>"
	cat "$T/out" "$T/err" >"$T/all"
	test_nomatch "$T/all" "$tok" "token never printed"
	GITHUB_TOKEN=$tok ghrctl config -o json >"$T/out" 2>"$T/err"
	test_nomatch "$T/out" "$tok" "token not in JSON output"
	# token file
	printf '%s\n' "$tok" >"$T/tok"
	chmod 640 "$T/tok"
	ghrctl config --token-file "$T/tok" >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "group-readable token file refused"
	test_match "$T/err" "chmod 600 '$T/tok'" "names the chmod to run"
	chmod 600 "$T/tok"
	ghrctl config --token-file "$T/tok" >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "private token file accepted"
	test_match "$T/out" "^GITHUB_TOKEN +<set> +file $T/tok" "token origin is the file"
	: >"$T/empty"
	chmod 600 "$T/empty"
	ghrctl config --token-file "$T/empty" >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "empty token file: exit 78"
	test_done
}

test_keys() {
	test_init keys
	ghrctl config --keys >"$T/out"
	for k in GITHUB_TOKEN GITHUB_ENTERPRISE_URL ORGANIZATION_NAME RUNNER_SCALE_SET_NAME \
	    MIN_RUNNERS MAX_RUNNERS RUNNER_LABELS AWS_REGION EC2_SUBNET_ID EC2_INSTANCE_TYPE \
	    MESSAGE_POLL_INTERVAL SESSION_REFRESH_INTERVAL RUNNER_TIMEOUT LOG_LEVEL; do
		grep -q "^$k " "$T/out" || not_ok "seed key $k missing"
	done
	ok "every seed key is known"
	test_done
}

# The settings and --keys through the shared table printer: a header,
# cut to an 80-column terminal (a pty), whole in a pipe; --keys -o json.
test_tables() {
	test_init tables
	long=https://github.com/acme-corporation-with-a-long-name/repository-with-a-long-name
	on_tty 80 "$T/tty" env GITHUB_CONFIG_URL=$long "$BIN" config 2>"$T/err"
	test_eq "$?" 0 "config on an 80-column pty: exit 0"
	sed -n '/^KEY /,$p' "$T/tty" >"$T/table"
	test_eq "$(head -n 1 "$T/table" | tr -s ' ')" "KEY VALUE SOURCE" "the header"
	test_eq "$(widest "$T/table")" 80 "no table line wider than 80 columns"
	test_match "$T/table" '^GITHUB_CONFIG_URL +https://github.com/acme-.*> +env GITHUB_CONFIG_URL$' "the long URL is cut, its source whole"
	GITHUB_CONFIG_URL=$long ghrctl config >"$T/pipe"
	test_match "$T/pipe" "^GITHUB_CONFIG_URL +$long +env GITHUB_CONFIG_URL\$" "a pipe: the URL whole"
	on_tty 80 "$T/keys" "$BIN" config --keys 2>"$T/err"
	test_eq "$(head -n 1 "$T/keys" | tr -s ' ')" "KEY OPTION DEFAULT DESCRIPTION" "--keys: the header"
	test_eq "$(widest "$T/keys")" 80 "--keys: no line wider than 80 columns"
	ghrctl config --keys -o json >"$T/keys.json"
	test_eq "$?" 0 "--keys -o json: exit 0"
	"$PY" - "$T/keys.json" "$(ghrctl config --keys | awk 'NR > 1' | wc -l)" <<'PY' && ok "--keys -o json: every key, its option, default and description" || not_ok "json: $(head -c 300 "$T/keys.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == int(sys.argv[2]), len(d)
k = {r["key"]: r for r in d}
assert k["MAX_RUNNERS"]["option"] == "--max-runners" and k["MAX_RUNNERS"]["default"] == "10", k["MAX_RUNNERS"]
assert k["GITHUB_TOKEN"]["default"] == "" and k["GITHUB_TOKEN"]["description"], k["GITHUB_TOKEN"]
assert k["GITHUB_ENTERPRISE_URL"]["option"] == "", k["GITHUB_ENTERPRISE_URL"]
PY
	test_done
}

run_test test_precedence
run_test test_tables
run_test test_bad_values
run_test test_secrets
run_test test_keys
