#!/bin/sh
# t4000-runners-list.sh: runners list/show/count against the fake GitHub:
# pagination (Link rel="next"), formats, filters, headers ghrctl sends
. ./lib.sh

TOK=ghp_T4000tokenValue0123456789

gh_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
}

test_list_pages() {
	test_init list_pages
	test_ca && fake_start github --token "$TOK" --runners 250
	gh_env
	ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "list exits 0"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 251 "250 runners and a header over 3 pages"
	test_match "$T/out" '^ID +NAME +STATUS +BUSY +LABELS +OS$' "header line"
	test_match "$T/out" '^250 +runner-00250 +offline +no +self-hosted,linux,x64 +linux$' "last page's runner, aligned"
	fake_requests github >"$T/req"
	test_eq "$(grep -c '"GET"' "$T/req")" 3 "three GETs"
	test_match "$T/req" '"path": "/api/v3/orgs/acme/actions/runners\?per_page=100"' "first page asks per_page=100 under /api/v3"
	test_match "$T/req" 'page=3' "third page followed from Link"
	test_match "$T/req" '"Accept": "application/vnd.github\+json"' "Accept header"
	test_match "$T/req" '"X-GitHub-Api-Version": "2022-11-28"' "API version header"
	test_match "$T/req" '"User-Agent": "ghrctl/[0-9.]+' "User-Agent"
	test_match "$T/req" "\"Authorization\": \"Bearer $TOK\"" "token sent as Bearer"
	test_eq "$(fake_conns github)" 1 "one connection for all pages (keep-alive)"
	ghrctl runners list --no-headers --status offline >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 50 "--status offline: every 5th runner"
	ghrctl runners list --no-headers --busy --label GPU >"$T/out"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 16 "--busy --label GPU (labels case-insensitive)"
	ghrctl runners list --idle -o csv >"$T/out"
	test_eq "$(head -n 1 "$T/out")" "id,name,status,busy,labels,os" "csv header"
	test_eq "$(sed -n 2p "$T/out")" '1,runner-00001,online,no,"self-hosted,linux,x64",linux' "csv row quoted"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 134 "--idle: 133 online idle runners"
	test_done
}

test_list_json() {
	test_init list_json
	test_ca && fake_start github --token "$TOK" --runners 120
	gh_env
	ghrctl runners list -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "json exits 0"
	"$PY" - "$T/out" <<'PY' && ok "one JSON array of 120 runners" || not_ok "json: $(head -c 300 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 120, len(d)
assert d[3] == {"id": 4, "name": "runner-00004", "status": "online", "busy": False,
                "labels": ["self-hosted", "linux", "x64", "gpu"], "os": "linux"}, d[3]
PY
	ghrctl runners list -o json --stream --label gpu >"$T/out"
	"$PY" - "$T/out" <<'PY' && ok "--stream: JSON lines" || not_ok "stream: $(head -c 300 "$T/out")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 30 and all("gpu" in r["labels"] for r in rows), len(rows)
PY
	ghrctl runners list -o json --status online --busy --idle >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "--busy with --idle is a usage error"
	ghrctl runners list --stream >"$T/out" 2>"$T/err"
	test_eq "$?" 64 "--stream without -o json is a usage error"
	test_done
}

test_empty_and_count() {
	test_init empty_and_count
	test_ca && fake_start github --token "$TOK" --runners 0
	gh_env
	ghrctl runners list -o json >"$T/out"
	test_eq "$(cat "$T/out")" "[]" "no runners: empty array"
	ghrctl runners count -o json >"$T/out"
	test_eq "$(cat "$T/out")" '{"busy":0,"idle":0,"offline":0}' "no runners: zero counts"
	test_done
}

test_count() {
	test_init count
	test_ca && fake_start github --token "$TOK" --runners 250
	gh_env
	ghrctl runners count >"$T/out"
	test_eq "$(tail -n 1 "$T/out" | tr -s ' ')" "67 133 50" "count: busy idle offline"
	ghrctl runners count --label gpu --label linux -o csv --no-headers >"$T/out"
	test_eq "$(cat "$T/out")" "16,34,12" "count with labels (all must match)"
	ghrctl runners count --label nosuch -o json >"$T/out"
	test_eq "$(cat "$T/out")" '{"busy":0,"idle":0,"offline":0}' "unknown label counts nothing"
	test_done
}

test_show() {
	test_init show
	test_ca && fake_start github --token "$TOK" --runners 5
	gh_env
	ghrctl runners show 4 >"$T/out"
	test_match "$T/out" '^LABELS +self-hosted,linux,x64,gpu$' "show by id"
	ghrctl runners show runner-00003 -o json >"$T/out"
	test_eq "$(cat "$T/out")" '{"id":3,"name":"runner-00003","status":"online","busy":true,"labels":["self-hosted","linux","x64"],"os":"linux"}' "show by name, json"
	test_match "$GITHUB_LOG" 'runners\?name=runner-00003&per_page=100' "name looked up with the name filter"
	ghrctl runners show 99 >"$T/out" 2>"$T/err"
	test_eq "$?" 1 "unknown id: exit 1"
	test_match "$T/err" 'runner 99: not found' "unknown id named"
	ghrctl runners show nosuch >"$T/out" 2>"$T/err"
	test_eq "$?" 1 "unknown name: exit 1"
	test_match "$T/err" "no runner named 'nosuch'" "unknown name named"
	test_done
}

test_scopes() {
	test_init scopes
	test_ca && fake_start github --token "$TOK" --runners 2
	gh_env
	GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme/widgets" ghrctl runners count >/dev/null
	test_match "$GITHUB_LOG" '"/api/v3/repos/acme/widgets/actions/runners\?per_page=100"' "repo scope path"
	GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/enterprises/acme-ent/" ghrctl runners count >/dev/null
	test_match "$GITHUB_LOG" '"/api/v3/enterprises/acme-ent/actions/runners\?per_page=100"' "enterprise scope path"
	unset GITHUB_CONFIG_URL
	GITHUB_ENTERPRISE_URL="https://localhost:$GITHUB_PORT" ORGANIZATION_NAME=acme ghrctl runners count -o json >"$T/out"
	test_eq "$(cat "$T/out")" '{"busy":0,"idle":2,"offline":0}' "GITHUB_ENTERPRISE_URL + ORGANIZATION_NAME (seed names)"
	test_done
}

run_test test_list_pages
run_test test_list_json
run_test test_empty_and_count
run_test test_count
run_test test_show
run_test test_scopes
