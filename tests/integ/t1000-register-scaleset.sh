#!/bin/sh
# t1000-register-scaleset.sh: ghrctl register against the fake Actions
# Service over TLS: get-or-create, labels updated only when they change,
# --delete, --dry-run, --jit (stdout only, never logged), no token in logs.
. ./lib.sh
. ./aslib.sh



test_get_or_create() {
	test_init get_or_create
	as_setup --no-register
	ghrctl register >"$T/out1" 2>"$T/err1"
	test_eq "$?" 0 "first register exits 0"
	test_eq "$(cat "$T/out1")" 1 "prints the new scale set id"
	ghrctl register >"$T/out2" 2>"$T/err2"
	test_eq "$(cat "$T/out2")" 1 "second register prints the same id"
	test_eq "$(count POST '/tenant/1/_apis/runtime/runnerscalesets?')" 1 "created exactly once"
	test_match "$ACTIONS_LOG" '"Authorization": "RemoteAuth REG' "registration exchange uses RemoteAuth"
	test_match "$ACTIONS_LOG" 'runnerscalesets\?.*api-version=6.0-preview' "admin calls carry api-version"
	test_match "$ACTIONS_LOG" '\\"runner_event\\": \\"register\\"|runner_event\\":\\"register' "registration body names the event"
	ghrctl register --name other -o json >"$T/out3"
	test_match "$T/out3" '"id":2,"name":"other","runnerGroupId":1,"labels":\["other"\],"action":"created"' "--name and -o json"
	test_done
}

test_labels_updated() {
	test_init labels_updated
	as_setup --no-register
	ghrctl register --labels linux,x64 >/dev/null
	test_eq "$(count PATCH /tenant/1)" 0 "no PATCH on create"
	ghrctl register --labels 'x64, linux' -o json >"$T/out"
	test_match "$T/out" '"action":"unchanged"' "same labels in another order: unchanged"
	test_eq "$(count PATCH /tenant/1)" 0 "no PATCH when labels are unchanged"
	ghrctl register --labels linux,gpu -o json >"$T/out"
	test_match "$T/out" '"action":"updated"' "changed labels: updated"
	test_eq "$(count PATCH /tenant/1/_apis/runtime/runnerscalesets/1)" 1 "one PATCH"
	grep -q '"name": "gpu"' "$ACTIONS_LOG.state" && ok "fake has the new labels" || not_ok "labels not updated"
	RUNNER_GROUP=gpu ghrctl register -o json >"$T/out"
	test_match "$T/out" '"runnerGroupId":2' "RUNNER_GROUP is looked up by name"
	RUNNER_GROUP=nope ghrctl register 2>"$T/err"
	test_eq "$?" 78 "unknown runner group: exit 78"
	test_done
}

# The scale set's name is its first label (as ARC does), so runs-on: NAME
# reaches it whatever RUNNER_LABELS says.
labels_of() {
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(",".join(l["name"] for l in d["sets"][sys.argv[2]]["labels"]))' "$ACTIONS_LOG.state" "$1"
}

test_name_label() {
	test_init name_label
	as_setup --no-register
	ghrctl register --labels linux,x64 -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "register exits 0"
	test_match "$T/out" '"labels":\["ghrctl-test","linux","x64"\],"action":"created"' "the name comes first"
	test_eq "$(labels_of 1)" "ghrctl-test,linux,x64" "the service has the name as first label"
	ghrctl register --labels x64,GHRCTL-TEST,linux -o json >"$T/out" 2>"$T/err"
	test_match "$T/out" '"action":"unchanged"' "the name among RUNNER_LABELS (any case): unchanged"
	test_eq "$(count PATCH /tenant/1)" 0 "no PATCH"
	# Labelled by another client (or an older ghrctl) without its name.
	ctl '{"op":"labels","id":1,"labels":["linux","x64"]}'
	ghrctl register -n --labels linux,x64 -o json >"$T/out" 2>"$T/err"
	test_match "$T/err" "scale set 'ghrctl-test' \(id 1\) lacks its name among its labels, so 'runs-on: ghrctl-test' does not reach it; register would add it" \
	    "-n warns that the name is missing"
	test_match "$T/out" '"action":"update","dryRun":true' "and would update"
	test_eq "$(count PATCH /tenant/1)" 0 "nothing changed by -n"
	ghrctl register --labels linux,x64 >"$T/out" 2>"$T/err"
	test_match "$T/err" "lacks its name among its labels.*adding it" "register warns"
	test_eq "$(labels_of 1)" "ghrctl-test,linux,x64" "and adds it, first"
	ghrctl register --labels linux,x64 >"$T/out" 2>"$T/err"
	test_eq "$(wc -c <"$T/err" | tr -d ' ')" 0 "no warning once it is there"
	test_done
}

# Actions Service calls carry the JSON User-Agent of actions/scaleset's
# client (common_client.go setUserAgent): system, version, scale set, kind.
test_user_agent() {
	test_init user_agent
	as_setup
	ghrctl session open >/dev/null 2>"$T/err"
	test_eq "$?" 0 "session open ($(cat "$T/err"))"
	"$PY" - "$ACTIONS_LOG" >"$T/ua" <<'PYEOF'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    h = {k.lower(): v for k, v in r.get("headers", {}).items()}
    p = r.get("path", "")
    ua = h.get("user-agent", "")
    if "/_apis/" in p or "runner-registration" in p:
        try:
            d = json.loads(ua)
        except ValueError:
            print("not JSON:", p, ua)
            continue
        if "/sessions" in p:
            seen["session"] = d
        seen.setdefault("first", d)
    elif p.startswith("/api/") or "/actions/runners/" in p:
        seen["rest"] = ua
s = seen.get("session", {})
print("system", s.get("system"))
print("kind", s.get("kind"))
print("subsystem", s.get("subsystem"))
print("scale_set_id", s.get("scale_set_id"))
print("version", s.get("version") == s.get("build_version") != "")
print("keys", ",".join(sorted(s)))
print("first", seen.get("first", {}).get("scale_set_id"))
print("rest", seen.get("rest", "")[:7])
PYEOF
	test_nomatch "$T/ua" '^not JSON' "every Actions Service call has a JSON User-Agent"
	test_match "$T/ua" '^system ghrctl$' "system ghrctl"
	test_match "$T/ua" '^kind scaleset$' "kind scaleset"
	test_match "$T/ua" '^subsystem open$' "subsystem: the command's verb (session open)"
	test_match "$T/ua" '^scale_set_id 1$' "the session calls name scale set 1"
	test_match "$T/ua" '^version True$' "version and build_version"
	test_match "$T/ua" '^keys build_commit_sha,build_version,commit_sha,kind,scale_set_id,subsystem,system,version$' \
	    "the fields of actions/scaleset's SystemInfo and userAgent"
	test_match "$T/ua" '^first 0$' "0 before a scale set is known"
	test_match "$T/ua" '^rest ghrctl/' "GitHub REST calls keep ghrctl/VERSION"
	test_done
}

test_delete() {
	test_init delete
	as_setup --no-register
	ghrctl register >/dev/null
	ghrctl register --delete -n >"$T/out"
	test_eq "$?" 0 "--delete --dry-run exits 0"
	test_eq "$(count DELETE /tenant/1)" 0 "dry run deletes nothing"
	ghrctl register --delete
	test_eq "$?" 0 "--delete exits 0"
	test_eq "$(count DELETE /tenant/1/_apis/runtime/runnerscalesets/1)" 1 "one DELETE"
	ghrctl register --delete 2>"$T/err"
	test_eq "$?" 0 "deleting a missing scale set is not an error"
	test_match "$T/err" "does not exist" "says so"
	test_done
}

test_dry_run() {
	test_init dry_run
	as_setup --no-register
	ghrctl register -n >"$T/out"
	test_eq "$?" 0 "register -n exits 0"
	test_match "$T/out" "would create scale set 'ghrctl-test'" "says what it would do"
	test_eq "$(count POST /tenant/1)" 0 "nothing created"
	ghrctl register >/dev/null
	ghrctl register -n --labels a -o json >"$T/out"
	test_match "$T/out" '"action":"update","dryRun":true' "would update labels"
	test_eq "$(count PATCH /tenant/1)" 0 "nothing updated"
	test_done
}

test_jit() {
	test_init jit
	as_setup --no-register
	ghrctl register >/dev/null
	ghrctl -vvv register --jit runner-1 >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "register --jit exits 0"
	test_eq "$(wc -l <"$T/out" | tr -d ' ')" 1 "stdout is one line"
	jit=$(cat "$T/out")
	test_eq "$(printf %s "$jit" | base64 -d 2>/dev/null | cut -c1-10)" JITSECRET- "stdout is the JIT config"
	if grep -qF "$jit" "$T/err"; then not_ok "JIT config in the -vvv log"; else ok "JIT config not in the -vvv log"; fi
	test_match "$ACTIONS_LOG" 'generatejitconfig\?api-version' "generatejitconfig called"
	ghrctl register --jit runner-1 >"$T/out2" 2>"$T/err2"
	test_eq "$?" 1 "a taken name fails (exit 1)"
	test_match "$T/err2" "already exists" "and says so"
	test_eq "$(wc -c <"$T/out2" | tr -d ' ')" 0 "nothing on stdout"
	test_done
}

test_tokens_not_logged() {
	test_init tokens_not_logged
	as_setup --no-register
	ghrctl -vvv register >/dev/null 2>"$T/err"
	admin=$(sed -n 's/.*"Authorization": "Bearer \(ey[^"]*\)".*/\1/p' "$ACTIONS_LOG" | head -n 1)
	reg=$(sed -n 's/.*"Authorization": "RemoteAuth \([^"]*\)".*/\1/p' "$ACTIONS_LOG" | head -n 1)
	[ -n "$admin" ] && ok "fake saw an admin token" || not_ok "no admin token seen"
	if grep -qF "$admin" "$T/err"; then not_ok "admin token in the -vvv log"; else ok "admin token not in the -vvv log"; fi
	if grep -qF "$reg" "$T/err"; then not_ok "registration token in the log"; else ok "registration token not in the log"; fi
	test_match "$T/err" "redacted" "-vvv traces show <redacted>"
	test_done
}

run_test test_get_or_create
run_test test_labels_updated
run_test test_name_label
run_test test_user_agent
run_test test_delete
run_test test_dry_run
run_test test_jit
run_test test_tokens_not_logged
