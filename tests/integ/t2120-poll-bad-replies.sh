#!/bin/sh
# t2120-poll-bad-replies.sh: the Actions Service's known bad replies do
# not crash ghrctl poll or make it spin: 200 with an empty body, an empty
# messageQueueUrl, a scale set deleted server-side, replies with a UTF-8
# BOM, a message body that is not JSON.
. ./lib.sh
. ./aslib.sh

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
