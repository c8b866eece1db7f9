#!/bin/sh
# t4060-runners-view.sh: runners list through the shared table printer
# (src/out.c) against the fake GitHub: --sort, -L, the note when nothing
# matched, and a table cut to an 80-column terminal (a pty) however long
# one runner's name is.
. ./lib.sh

TOK=ghp_T4060tokenValue0123456789

gh_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
}

# runners_json N FILE: N runners, the 4000th with a 54-character name
runners_json() {
	"$PY" - "$1" "$2" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
rs = []
for i in range(1, n + 1):
    name = "runner-%05d" % i
    if i == 4000:
        name = "runner-with-a-very-long-name-for-the-table-test-00054"
        name += "x" * (54 - len(name))
    rs.append({"id": i, "name": name, "os": "linux",
               "status": "online" if i % 5 else "offline",
               "busy": i % 3 == 0, "ephemeral": False, "runner_group_id": 1,
               "labels": [{"id": 1, "name": "self-hosted", "type": "read-only"},
                          {"id": 2, "name": "linux", "type": "read-only"}]})
json.dump(rs, open(path, "w"))
PY
}

# -L stops paging: of 10 pages, the first and the prefetched ones only
# (the prefetch may run a page or two ahead while a slow build prints).
test_limit_pages() {
	test_init limit_pages
	test_ca && fake_start github --token "$TOK" --runners 1000
	gh_env
	ghrctl runners list -L 5 >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 6 "-L 5: header and five rows"
	n=$(fake_requests github | grep -c '"GET"')
	[ "$n" -le 3 ] && ok "-L 5 unsorted: stops paging ($n of 10 pages asked)" || not_ok "-L 5 asked $n of 10 pages"
	ghrctl runners list --no-headers >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 1000 "without -L: all 1000 rows"
	test_done
}

test_sort_limit() {
	test_init sort_limit
	test_ca && fake_start github --token "$TOK" --runners 250
	gh_env
	ghrctl runners list --sort -id -L 3 -o csv --no-headers >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "--sort -id -L 3 exits 0"
	test_eq "$(cut -d, -f1 "$T/out" | tr '\n' ' ')" "250 249 248 " "highest ids first, three rows"
	ghrctl runners list --sort status --limit 2 -o json >"$T/out"
	"$PY" - "$T/out" <<'PY' && ok "--sort status: offline first, stable by id, -o json" || not_ok "sort json: $(head -c 300 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(r["id"], r["status"]) for r in d] == [(5, "offline"), (10, "offline")], d
PY
	ghrctl runners list --sort busy --no-headers >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 250 "--sort busy: all 250 rows"
	test_eq "$(head -n 1 "$T/out" | awk '{ print $1, $4 }')" "1 no" "not busy first (no < yes), then by id"
	ghrctl runners list -L 5 --status offline -o csv --no-headers >"$T/out"
	test_eq "$(cut -d, -f1 "$T/out" | tr '\n' ' ')" "5 10 15 20 25 " "-L counts matched runners"
	ghrctl runners list --sort nosuch >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "--sort with an unknown field: usage error"
	test_match "$T/err" "use one of id, name, status, busy, labels, os" "the fields named"
	ghrctl runners list -L 0 >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "-L 0: usage error"
	test_done
}

test_no_match() {
	test_init no_match
	test_ca && fake_start github --token "$TOK" --runners 20
	gh_env
	ghrctl runners list --label nosuch >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "nothing matched: exit 0"
	test_eq "$(cat "$T/out")" "ID  NAME  STATUS  BUSY  LABELS  OS" "only the header on stdout"
	test_match "$T/err" "no runner matched the filters \(of 20 runners\)" "note on stderr"
	ghrctl runners list --busy --status offline -o json >"$T/out" 2>"$T/err"
	test_eq "$(cat "$T/out")" "[]" "json: an empty array"
	test_match "$T/err" "no runner matched" "json: note on stderr"
	ghrctl -q runners list --label nosuch >"$T/out" 2>"$T/err"
	test_eq "$(wc -c <"$T/err" | tr -d ' ')" 0 "-q: no note"
	ghrctl runners list --label gpu >"$T/out" 2>"$T/err"
	test_eq "$(wc -c <"$T/err" | tr -d ' ')" 0 "matches: no note"
	test_done
}

test_no_runners() {
	test_init no_runners
	test_ca && fake_start github --token "$TOK" --runners 0
	gh_env
	ghrctl runners list -o csv >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "no runners: exit 0"
	test_eq "$(cat "$T/out")" "id,name,status,busy,labels,os" "csv header only"
	test_match "$T/err" "no runners registered" "note names the cause"
	test_done
}

test_width_cut() {
	test_init width_cut
	runners_json 5000 "$T/runners.json"
	test_ca && fake_start github --token "$TOK" --runners-json "$T/runners.json"
	gh_env
	on_tty 80 "$T/tty" "$BIN" runners list 2>"$T/err"
	test_eq "$?" 0 "list on an 80-column pty exits 0"
	test_eq "$(wc -l <"$T/tty" | tr -d ' ')" 5001 "5,000 rows and a header"
	test_eq "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/tty")" 80 "no line wider than 80 columns"
	test_match "$T/tty" '^4000 +runner-with-a-very-long[a-z-]*> +offline +no +self-hosted,linux +linux$' "the long name cut, marked with >"
	test_match "$T/tty" '^4001 +runner-04001 +online +no +self-hosted,linux +linux$' "other rows whole"
	on_tty 200 "$T/tty" "$BIN" runners list 2>"$T/err"
	test_match "$T/tty" '^4000 +runner-with-a-very-long-name-for-the-table-test-00054x* +offline' "200 columns: nothing cut"
	ghrctl runners list >"$T/out"
	test_match "$T/out" '^4000 +runner-with-a-very-long-name-for-the-table-test-00054x* +offline' "piped: nothing cut"
	test_done
}

run_test test_sort_limit
run_test test_limit_pages
run_test test_no_match
run_test test_no_runners
run_test test_width_cut
