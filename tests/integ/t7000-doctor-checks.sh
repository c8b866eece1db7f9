#!/bin/sh
# t7000-doctor-checks.sh: ghrctl doctor against the fake Actions Service
# (GitHub REST on the same port, GHES layout) and the fake AWS (STS, EC2
# DryRun, CloudWatch): an all-pass set-up, then each failing check with
# its remedy and the exit status of the first failure, skipped checks with
# their reason, -o json, and that doctor changes nothing.
. ./lib.sh

TOK=ghp_T7000doctorToken0123456789
FINE=github_pat_T7000fineGrained0123456789
AKID=AKIDEXAMPLE
SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

# setup [github fake args...]: everything configured, nothing wrong.
setup() {
	test_ca || return 1
	: >"$T/actions.ctl"
	: >"$T/ec2.ctl"
	fake_start actions --token "$TOK" --token "$FINE" --control "$T/actions.ctl" \
	    --scopes repo,admin:org --ghes-version 3.14.2 "$@" || return 1
	fake_start aws --ec2-control "$T/ec2.ctl" ${AWS_ARGS:-} || return 1
	export GITHUB_CONFIG_URL="https://localhost:$ACTIONS_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
	export RUNNER_SCALE_SET_NAME=doctor-set GHRCTL_STATE_DIR="$T/state"
	export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET
	export AWS_REGION=us-east-1 AWS_ENDPOINT_URL="https://localhost:$AWS_PORT"
	export EC2_AMI_ID=ami-0123456789abcdef0 EC2_INSTANCE_TYPE=m5.large
	export EC2_SUBNET_ID=subnet-0aaa
	ghrctl register >/dev/null 2>"$T/register.err" ||
	    not_ok "register failed: $(cat "$T/register.err")"
}

# line CHECK: the table line of one check
line() {
	grep -E "^[a-zA-Z]+ +$1 " "$T/out"
}

# mark CHECK WANT MSG
mark() {
	test_eq "$(line "$1" | awk '{print $1}')" "$2" "$3"
}

test_all_pass() {
	test_init all_pass
	setup || { test_done; return; }
	ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "all checks pass: exit 0"
	for c in config dns tls token actions scale-set aws-region \
	    aws-identity ec2 cloudwatch state; do
		mark "$c" ok "$c passes"
	done
	test_match "$T/out" "^11 passed, 0 failed, 0 skipped$" "summary line"
	test_match "$T/out" "tls .*CA file $CA/ca.pem, 1 certificates" "tls names the CA file used"
	test_match "$T/out" "Enterprise Server 3.14.2" "GHES version from X-GitHub-Enterprise-Version"
	test_match "$T/out" "token .*classic token with scopes 'repo,admin:org'" "token shows its scopes"
	test_match "$T/out" "aws-identity .*arn:aws:iam::123456789012:user/ghrctl \\(account 123456789012\\), credentials from env" "identity and credential source"
	test_match "$T/out" "aws-region +us-east-1 \\(env AWS_REGION\\)" "region and its source"
	test_match "$T/out" "scale-set .*'doctor-set' is id 1" "scale set id"
	test_match "$T/out" "state .*$T/state is writable" "state directory"
	test_nomatch "$T/out" "$TOK" "token never printed"
	fake_requests aws >"$T/aws.req"
	test_match "$T/aws.req" '"action": "GetCallerIdentity"' "sts GetCallerIdentity sent"
	test_match "$T/aws.req" '"action": "RunInstances".*"DryRun": "true"' "RunInstances is a DryRun"
	test_match "$T/aws.req" '"action": "TerminateInstances".*"DryRun": "true"' "TerminateInstances is a DryRun"
	test_match "$T/aws.req" '"action": "CreateTags".*"DryRun": "true"' "CreateTags is a DryRun"
	test_nomatch "$T/aws.req" '"action": "(RunInstances|TerminateInstances|CreateTags)", "akid": "[^"]*", "body": "[^"]*", "error": null' "no EC2 call without DryRun succeeded"
	test_nomatch "$T/aws.req" 'MetricData.member' "doctor publishes no datapoint"
	test_eq "$(ls "$T/state" | grep -c doctor)" 0 "no doctor file left in the state directory"
	test_done
}

test_json() {
	test_init json
	setup || { test_done; return; }
	ghrctl doctor -o json >"$T/out.json" 2>"$T/err"
	test_eq "$?" 0 "-o json exits 0"
	"$PY" - "$T/out.json" >"$T/summary" <<'PYEOF' || not_ok "not JSON"
import json, sys
d = json.load(open(sys.argv[1]))
print(d["ok"], d["exitStatus"], len(d["checks"]),
      ",".join(c["check"] + ":" + c["status"] for c in d["checks"]))
PYEOF
	test_eq "$(cat "$T/summary")" "True 0 11 config:pass,dns:pass,tls:pass,token:pass,actions:pass,scale-set:pass,aws-region:pass,aws-identity:pass,ec2:pass,cloudwatch:pass,state:pass" "JSON document lists every check"
	GITHUB_TOKEN=ghp_wrongToken0123456789 ghrctl doctor -o json >"$T/bad.json" 2>/dev/null
	test_eq "$?" 77 "-o json with a failure: exit 77"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); t=[c for c in d["checks"] if c["check"]=="token"][0]; print(d["ok"], d["exitStatus"], t["status"], "remedy" in t)' "$T/bad.json" >"$T/s2"
	test_eq "$(cat "$T/s2")" "False 77 fail True" "failed check has a remedy in JSON"
	test_done
}

# The checks through the shared table printer: a header, cut to an
# 80-column terminal (a pty) when all is well; a failure's detail and fix
# are never cut.
test_table_tty() {
	test_init table_tty
	setup || { test_done; return; }
	on_tty 80 "$T/out" "$BIN" doctor 2>"$T/err"
	test_eq "$?" 0 "doctor on an 80-column pty: exit 0"
	test_eq "$(head -n 1 "$T/out")" "STATUS  CHECK         DETAIL" "a header names the columns"
	test_eq "$(widest "$T/out")" 80 "no line wider than 80 columns"
	test_match "$T/out" "^ok +tls +.{60}>$" "the long tls detail is cut, marked with >"
	test_match "$T/out" "^11 passed, 0 failed, 0 skipped$" "summary line after the table"
	on_tty 80 "$T/out" env GITHUB_TOKEN=ghp_wrongToken0123456789 "$BIN" doctor 2>"$T/err"
	test_eq "$?" 77 "a failure on the pty: exit 77"
	test_match "$T/out" "^FAIL +token +list runners: token rejected by localhost" "the failure's row"
	test_match "$T/out" "^ +fix: use a classic token with admin:org.{40}" "its fix whole, under it"
	test_nomatch "$T/out" ">$" "nothing cut when a check failed"
	test_done
}

test_config_fails() {
	test_init config_fails
	setup || { test_done; return; }
	MIN_RUNNERS=5 MAX_RUNNERS=2 ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "MIN_RUNNERS above MAX_RUNNERS: exit 78"
	mark config FAIL "config fails"
	test_match "$T/out" "MIN_RUNNERS=5 \(env MIN_RUNNERS\) is more than MAX_RUNNERS=2 \(env MAX_RUNNERS\): lower MIN_RUNNERS or raise MAX_RUNNERS" "with its remedy"
	mark dns skip "dependent checks are skipped"
	test_match "$T/out" "dns +needs 'config', which failed" "skip says why"
	MAX_RUNNERS=lots ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "a value that does not parse: exit 78"
	test_match "$T/out" "^FAIL +config +.*MAX_RUNNERS" "config line names the key"
	test_match "$T/err" "first 'config'" "stderr names the first failure"
	test_done
}

test_tls_fails() {
	test_init tls_fails
	setup || { test_done; return; }
	GHRCTL_CA_FILE="$CA/other-ca.pem" ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "untrusted certificate: exit 77"
	mark tls FAIL "tls fails"
	test_match "$T/out" "tls .*CA file $CA/other-ca.pem" "names the CA file"
	test_match "$T/out" "fix: the server's certificate is not trusted: set GHRCTL_CA_FILE" "remedy names GHRCTL_CA_FILE"
	mark token skip "token skipped"
	GITHUB_CONFIG_URL="https://nonexistent.invalid/acme" ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 69 "unresolvable host: exit 69"
	mark dns FAIL "dns fails"
	test_match "$T/out" "cannot resolve nonexistent.invalid" "names the host"
	test_done
}

test_token_fails() {
	test_init token_fails
	setup || { test_done; return; }
	GITHUB_TOKEN=ghp_wrongToken0123456789 ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "rejected token: exit 77"
	mark token FAIL "token fails"
	test_match "$T/out" "token rejected by localhost" "says the token was rejected"
	test_match "$T/out" "fix: use a classic token with admin:org" "remedy says which token"
	mark actions skip "actions skipped"
	test_done
}

test_scope_missing() {
	test_init scope_missing
	setup --scopes repo,read:org || { test_done; return; }
	ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "missing admin:org: exit 77"
	test_match "$T/out" "FAIL +token +classic token with scopes 'repo,read:org' lacks 'admin:org', needed for organization acme" "names the missing scope"
	test_done
}

test_fine_grained() {
	test_init fine_grained
	setup || { test_done; return; }
	# Only ghp_ tokens get an X-OAuth-Scopes header from the fake.
	GITHUB_TOKEN=$FINE ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "fine-grained token: exit 0"
	test_match "$T/out" "^ok +token +token accepted \\(fine-grained: no scopes header\\)" "no scopes header: permissions checked by requests"
	test_done
}

test_no_scale_sets() {
	test_init no_scale_sets
	test_ca || { test_done; return; }
	fake_start actions --token "$TOK" --no-scale-sets --ghes-version 3.8.1 || { test_done; return; }
	export GITHUB_CONFIG_URL="https://localhost:$ACTIONS_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem" GHRCTL_STATE_DIR="$T/state"
	export RUNNER_SCALE_SET_NAME=doctor-set
	ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 69 "GHES without scale sets: exit 69"
	test_match "$T/out" "FAIL +actions +localhost:[0-9]+ does not offer the Actions Service scale set API \\(GitHub Enterprise Server 3.8.1\\)" "names the GHES version"
	test_match "$T/out" "fix: runner scale sets need GitHub Enterprise Server 3.9 or newer" "remedy: upgrade"
	test_match "$T/out" "^skip +aws-region +no AWS settings" "AWS checks skipped without AWS settings"
	test_match "$T/out" "^skip +ec2 +no AWS settings" "ec2 skipped"
	test_match "$T/out" "^ok +state " "state still checked"
	# AWS keys only in the -c file: AWS is wanted, the checks run.
	printf 'AWS_ACCESS_KEY_ID=AKIDEXAMPLE\nAWS_SECRET_ACCESS_KEY=x\n' >"$T/conf"
	chmod 600 "$T/conf"
	ghrctl -c "$T/conf" doctor >"$T/out" 2>"$T/err"
	test_nomatch "$T/out" "^skip +aws-region +no AWS settings" "AWS keys in the -c file: the AWS checks are not skipped"
	test_done
}

test_scale_set_missing() {
	test_init scale_set_missing
	setup || { test_done; return; }
	# Before register (the quick start's order): a skip with the next step.
	RUNNER_SCALE_SET_NAME=nope ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "scale set not registered yet: exit 0"
	mark scale-set skip "scale-set skipped, not failed"
	test_match "$T/out" "scale set 'nope' does not exist yet; next: ghrctl register" "next step: register"
	mark ec2 ok "later checks still run"
	# An id that does not exist is a configuration error.
	RUNNER_SCALE_SET_ID=999 ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 1 "missing scale set id: exit 1"
	mark scale-set FAIL "scale-set id fails"
	test_done
}

test_aws_fails() {
	test_init aws_fails
	AWS_ARGS="--deny ec2:RunInstances --deny cloudwatch:PutMetricData"
	setup || { test_done; return; }
	AWS_ARGS=
	ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "EC2 and CloudWatch denied: exit 77"
	mark ec2 FAIL "ec2 fails"
	test_match "$T/out" "ec2 +DryRun RunInstances: .*UnauthorizedOperation" "names the refused action"
	test_match "$T/out" "fix: allow ec2:RunInstances" "remedy names the IAM actions"
	mark cloudwatch FAIL "cloudwatch fails"
	test_match "$T/out" "cloudwatch .*AccessDenied" "CloudWatch refusal shown"
	test_match "$T/out" "fix: allow cloudwatch:PutMetricData" "CloudWatch remedy"
	AWS_SECRET_ACCESS_KEY=wrongSecret ghrctl doctor >"$T/out2" 2>"$T/err2"
	test_eq "$?" 77 "bad secret key: exit 77"
	test_match "$T/out2" "FAIL +aws-identity +credentials from env AWS_ACCESS_KEY_ID: .*SignatureDoesNotMatch" "identity check shows the refusal"
	test_match "$T/out2" "^skip +ec2 +needs working AWS credentials" "ec2 skipped after identity fails"
	(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; ghrctl doctor) >"$T/out3" 2>"$T/err3"
	test_eq "$?" 78 "no credentials at all: exit 78"
	test_match "$T/out3" "fix: give ghrctl credentials" "remedy lists credential sources"
	test_done
}

test_no_ec2() {
	test_init no_ec2
	setup || { test_done; return; }
	unset EC2_AMI_ID EC2_INSTANCE_TYPE EC2_SUBNET_ID
	ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "metric-only set-up: exit 0"
	test_match "$T/out" "^skip +ec2 +neither EC2_AMI_ID nor EC2_LAUNCH_TEMPLATE" "ec2 skipped with why"
	mark cloudwatch ok "cloudwatch checked"
	test_done
}

test_state_fails() {
	test_init state_fails
	setup || { test_done; return; }
	mkdir -p "$T/state"
	echo '{}' >"$T/state/scaleset-x.json"
	chmod 644 "$T/state/scaleset-x.json"
	ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "a state file readable by others: exit 77"
	test_match "$T/out" "FAIL +state +$T/state/scaleset-x.json is mode 0644" "names the file and mode"
	test_match "$T/out" "fix: chmod 600" "remedy chmod"
	: >"$T/notadir"
	GHRCTL_STATE_DIR="$T/notadir/state" ghrctl doctor >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "state directory under a file: exit 78"
	test_match "$T/out" "fix: set GHRCTL_STATE_DIR" "remedy names GHRCTL_STATE_DIR"
	test_done
}

test_usage() {
	test_init usage
	ghrctl doctor extra >/dev/null 2>"$T/err"
	test_eq "$?" 64 "an operand: exit 64"
	ghrctl doctor -o csv >/dev/null 2>"$T/err"
	test_eq "$?" 64 "-o csv: exit 64"
	test_done
}

run_test test_all_pass
run_test test_json
run_test test_table_tty
run_test test_config_fails
run_test test_tls_fails
run_test test_token_fails
run_test test_scope_missing
run_test test_fine_grained
run_test test_no_scale_sets
run_test test_scale_set_missing
run_test test_aws_fails
run_test test_no_ec2
run_test test_state_fails
run_test test_usage
