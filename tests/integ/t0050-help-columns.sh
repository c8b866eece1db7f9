#!/bin/sh
# t0050-help-columns.sh: no two columns run together, in any --help (each
# command and subcommand), `config --keys` or the `config` table: at least
# two blanks between columns, even for the longest option, key, default
# or value.  And ghrctl(1) names every AWS_* variable the program reads.
. ./lib.sh

COLS="$T/cols.py"

test_help_columns() {
	test_init help_columns
	cat >"$COLS" <<'PY'
import re, sys
bad = []
sect = ""
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if re.match(r"\S.*:$", line):
        sect = line
        continue
    if not line.startswith("  ") or line.startswith("   " * 5):
        continue
    # An option line: its spec alone (the help below), or the spec in
    # columns 2-28 and the help from column 31 (ghrctl's layout).
    if re.match(r"  (-\S, |    )--[a-z0-9-]+( [A-Z][A-Z0-9_:|.=]*)?$", line):
        continue
    if re.match(r"  (-\S, |    )--", line):
        if line[29:31] != "  " or len(line) < 32 or line[31] == " ":
            bad.append(line)
        continue
    m = re.match(r"  [a-z][a-z-]*( +)\S", line)
    if sect == "Commands:" and m is not None and len(m.group(1)) < 2:
        bad.append(line)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	: >"$T/help"
	ghrctl --help >>"$T/help"
	for c in $(ghrctl --list-commands); do
		ghrctl "$c" --help >>"$T/help" 2>&1
		for s in $(ghrctl "$c" --list-options | grep -v '^-'); do
			ghrctl "$c" "$s" --help >>"$T/help" 2>&1
		done
	done
	test "$(grep -c '^usage:' "$T/help")" -gt 15 && ok "every command's help" || not_ok "too few helps: $(grep -c '^usage:' "$T/help")"
	$PY "$COLS" "$T/help" >"$T/bad" && ok "no option or command glued to its help" || not_ok "glued: $(head -n 3 "$T/bad")"
	# The checker finds what it looks for.
	printf 'Options:\n  %s help\n' "-x, --an-option-twenty-eight" >"$T/glued"
	$PY "$COLS" "$T/glued" >/dev/null && not_ok "checker misses a glued line" || ok "checker finds a glued line"
	ghrctl config --keys >"$T/keys"
	awk -F'  +' 'NF < 4 { print; bad = 1 } END { exit bad }' "$T/keys" >"$T/bad" && ok "config --keys: four columns, two blanks apart" || not_ok "config --keys glued: $(head -n 3 "$T/bad")"
	GITHUB_CONFIG_URL=https://github.com/a-rather-long-organisation/and-a-long-repository-name \
	    RUNNER_LABELS=self-hosted,linux,x64,a-label-long-enough-to-overflow ghrctl config >"$T/cfg"
	grep -v '^#' "$T/cfg" | awk -F'  +' 'NF < 3 { print; bad = 1 } END { exit bad }' >"$T/bad" && ok "config: three columns, two blanks apart, long values too" || not_ok "config glued: $(head -n 3 "$T/bad")"
	test_done
}

test_aws_names_documented() {
	test_init aws_names_documented
	for v in $(grep -oh '"AWS_[A-Z0-9_]*' "$TOP"/src/*.c | tr -d '"' | sort -u); do
		grep -q "Ev $v\\b" "$TOP/man/ghrctl.1" || echo "$v"
	done >"$T/missing"
	test_eq "$(tr '\n' ' ' <"$T/missing")" "" "every AWS_* variable read is in ghrctl(1)"
	grep -q 'SSO' "$TOP/man/ghrctl.1" && grep -q 'assume-role' "$TOP/man/ghrctl.1" && grep -q 'export-credentials' "$TOP/man/ghrctl.1" && ok "ghrctl(1): SSO and assume-role not supported, and what to use" || not_ok "SSO note missing"
	test_done
}

run_test test_help_columns
run_test test_aws_names_documented
