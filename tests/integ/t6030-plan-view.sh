#!/bin/sh
# t6030-plan-view.sh: the rows of a scale or cleanup plan go through the
# shared table printer (src/out.c): a header, one row per launch and per
# action (ACTION INSTANCE RUNNER REASON RESULT), cut to an 80-column
# terminal (a pty) and whole in a pipe; -o json gives the same rows for
# scripts.  Over TLS against the fake Actions Service and the fake EC2.
. ./lib.sh
. ./ec2lib.sh

runner() { actl "{\"op\":\"runner\",\"name\":\"$(rname "$1")\",\"status\":\"$2\",\"busy\":$3}"; }

# table_part FILE: the table of a plan (from its header on).
table_part() { sed -n '/^ACTION /,$p' "$1"; }

test_plan_rows() {
	test_init plan_rows
	ec2_setup || { not_ok "setup"; test_done; return; }
	stats 3
	ghrctl scale -o json >"$T/launch.json" 2>"$T/err"
	test_eq "$?" 0 "scale -o json: exit 0 ($(tail -n 1 "$T/err"))"
	"$PY" - "$T/launch.json" <<'PY' && ok "scale -o json: desired, live, the launched ids" || not_ok "json: $(head -c 300 "$T/launch.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["desired"] == 3 and d["launch"] == 3, d
assert len(d["launched"]) == 3 and all(i.startswith("i-") for i in d["launched"]), d
assert d["dryRun"] is False
PY
	ectl '{"op":"age","id":"*","seconds":7200}'
	runner 1 online false			# idle and old: lifetime
	runner 2 online true			# busy and old: kept
	ectl "{\"op\":\"state\",\"id\":\"$(inst 3)\",\"state\":\"terminated\"}"
	runner 3 offline false			# no instance: deregister
	# A pipe: the header and every row whole.
	ghrctl cleanup -n >"$T/pipe" 2>"$T/err"
	test_eq "$?" 0 "cleanup -n: exit 0 ($(tail -n 1 "$T/err"))"
	test_eq "$(sed -n 2p "$T/pipe")" "$(table_part "$T/pipe" | head -n 1)" "the header follows the summary"
	test_match "$T/pipe" '^ACTION +INSTANCE +RUNNER +REASON +RESULT$' "the header names the columns"
	test_match "$T/pipe" "^lifetime +$(inst 1) +$(rname 1) +older than the max lifetime 1h0m \\(age 2h[0-9]+m\\) +dry-run: TerminateInstances allowed\$" "lifetime row whole in a pipe"
	test_match "$T/pipe" "^keep +$(inst 2) +$(rname 2) +runner is busy .* +kept\$" "keep row"
	test_match "$T/pipe" "^deregister +- +$(rname 3) +runner is offline and has no instance +dry-run: would remove runner [0-9]+\$" "deregister row: no instance is '-'"
	test_eq "$(table_part "$T/pipe" | awk -F'  +' 'NF != 5' | wc -l | tr -d ' ')" 0 "five columns, two blanks apart"
	# An 80-column terminal: no table line is wider, the reason gives way.
	on_tty 80 "$T/tty" "$BIN" cleanup -n 2>"$T/err"
	test_eq "$?" 0 "cleanup -n on an 80-column pty: exit 0"
	table_part "$T/tty" >"$T/tty.table"
	test_eq "$(wc -l <"$T/tty.table" | tr -d ' ')" 4 "header and three rows"
	test_eq "$(widest "$T/tty.table")" 80 "no table line wider than 80 columns"
	test_match "$T/tty.table" "^lifetime +$(inst 1) +$(rname 1) +older th[a-z0-9 ()]*> +dry-run: Termi" "the long reason is cut, marked with >"
	# The same rows for scripts.
	ghrctl cleanup -n -o json >"$T/plan.json" 2>"$T/err"
	test_eq "$?" 0 "cleanup -n -o json: exit 0"
	"$PY" - "$T/plan.json" "$(inst 1)" "$(rname 1)" "$(rname 3)" <<'PY' && ok "cleanup -n -o json: the same rows" || not_ok "json: $(head -c 400 "$T/plan.json")"
import json, sys
d = json.load(open(sys.argv[1])); i1, r1, r3 = sys.argv[2:5]
assert d["dryRun"] is True, d
rows = {(a["action"], a["runner"]): a for a in d["actions"]}
a = rows[("lifetime", r1)]
assert a["instance"] == i1 and a["result"] == "dry-run: TerminateInstances allowed", a
assert a["reason"].startswith("older than the max lifetime 1h0m"), a
a = rows[("deregister", r3)]
assert a["instance"] is None and a["result"].startswith("dry-run: would remove runner"), a
assert sorted(k for k, _ in rows) == ["deregister", "keep", "lifetime"], rows
PY
	test_done
}

test_no_rows() {
	test_init no_rows
	ec2_setup || { not_ok "setup"; test_done; return; }
	stats 0
	ghrctl scale -n >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale -n with nothing to do: exit 0"
	test_eq "$(cat "$T/out")" "desired 0  live 0  launch 0  (dry run)" "one line, no empty table"
	test_done
}

run_test test_plan_rows
run_test test_no_rows
