#!/bin/sh
# t0100-contrib.sh: the examples under contrib/ are valid: systemd units
# pass systemd-analyze verify (with ExecStart pointed at the binary under
# test; skipped, with a note, where systemd-analyze is missing), shell
# examples pass shellcheck, JSON examples parse, the cron lines have six
# fields and name existing ghrctl commands.
. ./lib.sh

C=$TOP/contrib

test_systemd_units() {
	test_init systemd_units
	for u in "$C"/systemd/*.service "$C"/systemd/*.timer; do
		grep -q '^\[Unit\]' "$u" && ok "$(basename "$u"): has [Unit]" ||
		    not_ok "$(basename "$u"): no [Unit]"
	done
	p="$C/systemd/ghrctl-poll@.service"
	for want in '^ExecStart=.* poll --follow --scale$' '^DynamicUser=yes$' \
	    '^StateDirectory=' '^ProtectSystem=strict$' '^NoNewPrivileges=yes$' \
	    '^EnvironmentFile=/etc/ghrctl/%i.env$' '^Restart=on-failure$' \
	    '^RestartSec=' '^RestartPreventExitStatus=1 65 77 78$'; do
		test_match "$p" "$want" "ghrctl-poll@.service: $want"
	done
	for u in "$C"/systemd/*.service; do
		test_match "$u" '^LimitCORE=0$' "$(basename "$u"): no core file"
	done
	test_match "$C/systemd/ghrctl-metric.timer" '^OnCalendar=' "metric timer has a schedule"
	if ! command -v systemd-analyze >/dev/null; then
		ok "systemd-analyze not installed: unit syntax checked by grep only"
		test_done
		return
	fi
	# Point ExecStart at the binary under test; the instance name "ci".
	mkdir -p "$T/units"
	for u in "$C"/systemd/*; do
		n=$(basename "$u")
		[ "$n" = "ghrctl-poll@.service" ] && n="ghrctl-poll@ci.service"
		sed "s#/usr/local/bin/ghrctl#$BIN#" "$u" >"$T/units/$n"
	done
	for u in "$T"/units/*; do
		# Documentation=man: pages are not installed here: not an error.
		SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$u" \
		    >"$T/verify" 2>&1
		rc=$?
		grep -v "Command 'man \|^$" "$T/verify" >"$T/verify.left"
		if [ "$rc" -eq 0 ] && [ ! -s "$T/verify.left" ]; then
			ok "systemd-analyze verify $(basename "$u")"
		else
			not_ok "systemd-analyze verify $(basename "$u"): $(tr '\n' '|' <"$T/verify")"
		fi
	done
	test_done
}

test_cron() {
	test_init cron
	f="$C/cron/ghrctl"
	grep -v '^#' "$f" | grep -v '^[A-Z_]*=' | grep -v '^$' >"$T/lines"
	test_eq "$(wc -l <"$T/lines" | tr -d ' ')" 4 "four cron jobs"
	bad=0
	while read -r m h dom mon dow user rest; do
		[ -n "$rest" ] && [ "$user" = ghrctl ] || bad=1
		for fld in "$m" "$h" "$dom" "$mon" "$dow"; do
			case $fld in *[!0-9*/,-]*) bad=1 ;; esac
		done
		cmd=$(echo "$rest" | awk '{ print $4 }')
		ghrctl "$cmd" --help >/dev/null 2>&1 || { bad=1; echo "# no command $cmd"; }
	done <"$T/lines"
	test_eq "$bad" 0 "each line: five time fields, user ghrctl, an existing ghrctl command"
	for c in scale metric cleanup; do
		test_match "$f" "ghrctl -c [^ ]+ $c" "cron runs $c"
	done
	test_nomatch "$T/lines" "flock" "no flock wrapper (ghrctl locks itself)"
	# The command part of every line is sh: check it with shellcheck.
	if command -v shellcheck >/dev/null; then
		{ echo '#!/bin/sh'; awk -F'\t' '{ print $3 }' "$T/lines"; } >"$T/cron.sh"
		shellcheck -s sh "$T/cron.sh" >"$T/sc" 2>&1 && ok "cron commands pass shellcheck" ||
		    not_ok "shellcheck: $(head -c 600 "$T/sc")"
	fi
	test_done
}

test_shell_examples() {
	test_init shell_examples
	if ! command -v shellcheck >/dev/null; then
		ok "shellcheck not installed: skipped"
		test_done
		return
	fi
	for f in "$C"/*.sh "$C"/*.sh.tmpl; do
		[ -f "$f" ] || continue
		# Template placeholders are replaced before use.
		sed 's/{{[A-Z_]*}}/x/g' "$f" >"$T/s.sh"
		shellcheck -s sh -S warning "$T/s.sh" >"$T/sc" 2>&1 &&
		    ok "shellcheck $(basename "$f")" ||
		    not_ok "shellcheck $(basename "$f"): $(head -c 600 "$T/sc")"
	done
	test_done
}

test_json() {
	test_init json
	n=0
	for f in $(find "$C" -name '*.json'); do
		n=$((n + 1))
		"$PY" -m json.tool "$f" >/dev/null 2>"$T/err" && ok "$(basename "$f") is JSON" ||
		    not_ok "$(basename "$f"): $(cat "$T/err")"
	done
	[ "$n" -gt 0 ] && ok "$n JSON examples" || not_ok "no JSON example in contrib/"
	f="$C/cloudwatch/alarm-and-dashboard.json"
	"$PY" - "$f" >"$T/cw" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
seen = set()
def walk(x):
    if isinstance(x, dict):
        if x.get("Namespace") == "GitHubRunners":
            seen.add(x.get("MetricName"))
            assert any(dm["Name"] == "asg_name" for dm in x["Dimensions"])
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        if x[:1] == ["GitHubRunners"]:
            seen.add(x[1])
            assert x[2] == "asg_name"
        for v in x:
            walk(v)
walk(d)
print(" ".join(sorted(seen)), len(d["Alarms"]), len(d["Dashboard"]["DashboardBody"]["widgets"]) > 0)
PYEOF
	test_eq "$(cat "$T/cw")" "BusyRunners IdleRunners 2 True" "alarms and dashboard use GitHubRunners Busy/IdleRunners with asg_name"
	test_done
}

run_test test_systemd_units
run_test test_cron
run_test test_shell_examples
run_test test_json
