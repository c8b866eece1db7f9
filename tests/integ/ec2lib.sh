# ec2lib.sh: helpers shared by the EC2 scaler tests (t3000, t3100, t3300,
# t6000; ACTIONS_ARGS: more arguments for the fake Actions Service):
# the fake Actions Service and the fake EC2 on TLS, the environment
# ghrctl needs for them, and readers of what the fakes recorded.
# Sourced after lib.sh; brings aslib.sh (fstate, acked, leaf, wait_long).

. ./aslib.sh

ec2_setup() {
	test_ca || return 1
	: >"$T/actions.ctl"
	: >"$T/ec2.ctl"
	# shellcheck disable=SC2086
	fake_start actions --token ghp_test --control "$T/actions.ctl" --hold 1 ${ACTIONS_ARGS:-} || return 1
	fake_start aws --ec2-control "$T/ec2.ctl" "$@" || return 1
	export GITHUB_CONFIG_URL="https://localhost:$ACTIONS_PORT/acme"
	export GITHUB_TOKEN=ghp_test GHRCTL_CA_FILE="$CA/ca.pem"
	export RUNNER_SCALE_SET_NAME=ghrctl-test GHRCTL_STATE_DIR="$T/state"
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
	export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
	export AWS_REGION=us-east-1 AWS_ENDPOINT_URL_EC2="https://localhost:$AWS_PORT"
	export EC2_AMI_ID=ami-0123456789abcdef0 EC2_INSTANCE_TYPE=m5.large
	export EC2_SUBNET_ID=subnet-0aaa
	ghrctl register >/dev/null
}

actl() { echo "$1" >>"$T/actions.ctl"; }
ectl() { echo "$1" >>"$T/ec2.ctl"; }
stats() { actl "{\"op\":\"statistics\",\"stats\":{\"totalAssignedJobs\":$1}}"; }
# ec2 FIELD: a field of the fake EC2's state
ec2() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$AWS_LOG.ec2" "$1"; }
# instances [STATE]: how many instances (in STATE)
instances() {
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(sum(1 for i in d["instances"] if len(sys.argv) < 3 or i["state"] == sys.argv[2]))' "$AWS_LOG.ec2" "$@" 2>/dev/null || echo 0
}
# calls ACTION: requests the fake EC2 received for ACTION
calls() { grep -c "\"action\": \"$1\"" "$AWS_LOG"; }
# params ACTION: the decoded params of each ACTION request, one JSON a line
params() {
	"$PY" -c 'import json,sys
out = [json.dumps(r["params"], sort_keys=True) for r in map(json.loads, open(sys.argv[1]))
       if r.get("action") == sys.argv[2]]
sys.stdout.write("".join(o + "\n" for o in out))' "$AWS_LOG" "$1" 2>/dev/null
}

# asked: instances the RunInstances calls that launched asked for in all
# (their MaxCount summed; replays of one token counted once)
asked() {
	"$PY" -c 'import json,sys
seen = {}
for r in map(json.loads, open(sys.argv[1])):
    if r.get("action") == "RunInstances" and not r.get("error"):
        p = r["params"]
        seen[p.get("ClientToken", len(seen))] = int(p.get("MaxCount", "1"))
print(sum(seen.values()))' "$AWS_LOG" 2>/dev/null
}
# tokens: distinct ClientTokens of RunInstances
tokens() { params RunInstances | grep -o '"ClientToken": "[^"]*"' | sort -u | wc -l | tr -d ' '; }

# msg ID...: one message with a JobAvailable per runnerRequestId
msg() {
	"$PY" -c 'import json,sys
n = [int(x) for x in sys.argv[2:]]
stats = int(sys.argv[1])
print(json.dumps({"op": "message", "statistics": {"totalAssignedJobs": stats},
    "jobs": [{"messageType": "JobAvailable", "runnerRequestId": i,
              "repositoryName": "app", "ownerName": "acme"} for i in n]}))' "$@" >>"$T/actions.ctl"
}

# jobs ID,ID...: jobs for the fake's job model; jobstate ID: a job's state
jobs() { actl "{\"op\":\"jobs\",\"ids\":[$1]}"; }
jobstate() { fstate jobs | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], "-"))' "$1"; }
# names: the runner tags of the instances, sorted, on one line
names() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted(i["tags"]["ghrctl:runner"] for i in d["instances"])))' "$AWS_LOG.ec2"
}

# inst N, rname N, istate N: the id, runner name and state of the N-th
# instance the fake EC2 launched.
inst() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][int(sys.argv[2]) - 1]["id"])' "$AWS_LOG.ec2" "$1"; }
rname() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][int(sys.argv[2]) - 1]["tags"]["ghrctl:runner"])' "$AWS_LOG.ec2" "$1"; }
istate() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][int(sys.argv[2]) - 1]["state"])' "$AWS_LOG.ec2" "$1"; }
# action N: "action | reason | result" of instance N's (or its runner's)
# entry in the JSON plan in $T/out.
action() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
for a in d["actions"]:
    if a["runner"] == sys.argv[2] or a["instance"] == sys.argv[3]:
        print(a["action"], "|", a["reason"], "|", a["result"])' "$T/out" "$(rname "$1")" "$(inst "$1")"
}

# rest_env LABELS: the environment of a --source rest pool (RUNNER_LABELS
# LABELS, MAX_RUNNERS 10) on the fake GitHub and fake EC2 already started.
rest_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN=ghp_test GHRCTL_CA_FILE="$CA/ca.pem"
	export GHRCTL_STATE_DIR="$T/state" RUNNER_LABELS="$1"
	export MAX_RUNNERS=10
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
	export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
	export AWS_REGION=us-east-1 AWS_ENDPOINT_URL_EC2="https://localhost:$AWS_PORT"
	export EC2_AMI_ID=ami-0123456789abcdef0 EC2_INSTANCE_TYPE=m5.large
	export EC2_SUBNET_ID=subnet-0aaa
	unset RUNNER_SCALE_SET_NAME RUNNER_SCALE_SET_ID GHRCTL_SOURCE
}

# scaler_start [ARGS]: `poll --follow --scale -o json` in the background
# (output to $T/out and $T/err, pid in $job); scaler_stop: SIGTERM, wait.
scaler_start() {
	ghrctl poll --follow --scale -o json "$@" >>"$T/out" 2>>"$T/err" &
	job=$!
}
scaler_stop() {
	kill -TERM "$(leaf "$job")" 2>/dev/null
	wait "$job"
}
