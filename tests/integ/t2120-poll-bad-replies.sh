#!/bin/sh
# t2120-poll-bad-replies.sh: the Actions Service's known bad replies do
# not crash ghrctl poll or make it spin: 200 with an empty body, an empty
# messageQueueUrl, a scale set deleted server-side, replies with a UTF-8
# BOM, a message body that is not JSON.
. ./lib.sh

as_setup() {
	test_ca || return 1
	: >"$T/actions.ctl"
	fake_start actions --token ghp_test --control "$T/actions.ctl" "$@" || return 1
	export GITHUB_CONFIG_URL="https://localhost:$ACTIONS_PORT/acme"
	export GITHUB_TOKEN=ghp_test GHRCTL_CA_FILE="$CA/ca.pem"
	export RUNNER_SCALE_SET_NAME=ghrctl-test GHRCTL_STATE_DIR="$T/state"
	export GHRCTL_STANDBY_WAIT=1s
	ghrctl register >/dev/null
}

ctl() { echo "$1" >>"$T/actions.ctl"; }
fstate() { /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$ACTIONS_LOG.state" "$1"; }
leaf() {
	p=$1
	while c=$(ps -o pid= --ppid "$p" | head -n 1 | tr -d ' '); [ -n "$c" ]; do p=$c; done
	echo "$p"
}
polls() { fstate polls; }

test_empty_200() {
	test_init empty_200
	as_setup --hold 1
	ctl '{"op":"raw","status":200,"body":""}'
	ghrctl poll >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "200 with an empty body: exit 0"
	test_match "$T/err" "empty body" "warned"
	for i in 1 2 3 4 5 6 7 8 9 10; do ctl '{"op":"raw","status":200,"body":""}'; done
	ghrctl poll --follow >"$T/out" 2>"$T/err2" &
	job=$!
	sleep 3
	n=$(polls)
	kill -TERM "$(leaf "$job")"
	wait "$job"
	test_eq "$?" 0 "--follow survives them, exit 0"
	[ "$n" -le 8 ] && ok "no spinning ($n polls in 3 s)" || not_ok "spinning: $n polls in 3 s"
	test_done
}

test_empty_queue_url() {
	test_init empty_queue_url
	as_setup --hold 1
	ctl '{"op":"empty_queue_url","count":1}'
	ghrctl poll 2>"$T/err"
	test_eq "$?" 75 "empty messageQueueUrl: exit 75 (try again later)"
	test_match "$T/err" "empty messageQueueUrl" "says so"
	test_done
}

test_scale_set_deleted() {
	test_init scale_set_deleted
	as_setup --hold 1
	ghrctl session open >/dev/null
	ctl '{"op":"delete_scale_set","id":1}'
	ghrctl poll 2>"$T/err"
	test_eq "$?" 1 "scale set deleted server-side: exit 1"
	test_match "$T/err" "ghrctl register" "tells what to do"
	ghrctl register >/dev/null
	ghrctl poll >/dev/null 2>"$T/err2"
	test_eq "$?" 0 "after register, poll works again with the new id"
	test_done
}

test_bom_and_junk() {
	test_init bom_and_junk
	as_setup --hold 1
	ctl '{"op":"bom"}'
	ctl '{"op":"message","jobs":[{"messageType":"JobAvailable","runnerRequestId":81}]}'
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "replies with a UTF-8 BOM are accepted"
	test_match "$T/out" '"runnerRequestId":81' "and parsed"
	ctl '{"op":"message","body":"not json"}'
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 76 "a message body that is not JSON: exit 76"
	test_match "$T/err" "message body" "names the body"
	test_done
}

run_test test_empty_200
run_test test_empty_queue_url
run_test test_scale_set_deleted
run_test test_bom_and_junk
