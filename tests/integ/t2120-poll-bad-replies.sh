#!/bin/sh
# t2120-poll-bad-replies.sh: the Actions Service's known bad replies do
# not crash ghrctl poll or make it spin: 200 with an empty body, an empty
# messageQueueUrl, a scale set deleted server-side, replies with a UTF-8
# BOM; poison messages (a body that is not JSON, bad runnerRequestIds) are
# quarantined and acked, and the queue goes on.
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
	test_done
}

job() { echo "{\"messageType\":\"JobAvailable\",\"runnerRequestId\":$1,\"repositoryName\":\"app\",\"ownerName\":\"acme\"}"; }
has_session() { [ "$(fstate sessions)" != "{}" ]; }
served() { fstate acquired | grep -q "$1"; }

# A poison message (a body that is not JSON, or JobAvailable entries whose
# runnerRequestId is a string, negative, 2^64 or missing) is quarantined,
# the good entries beside it handled, and the message acked: the queue
# goes on.
test_poison_one_shot() {
	test_init poison_one_shot
	as_setup --hold 1
	ctl '{"op":"poison","kinds":["notjson"]}'
	ctl "{\"op\":\"message\",\"jobs\":[$(job 91)]}"
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "a body that is not JSON: exit 0"
	acked 100000001 && ok "the poison message is acked" || not_ok "poison message not acked"
	test_match "$T/err" "message 100000001: its body is malformed and quarantined \([0-9]+ bytes, sha256 [0-9a-f]{64}\)" "an error line with size and digest"
	test_nomatch "$T/err" 'runnerRequestId.:1' "never the content"
	q=$T/state/scaleset-ghrctl-test.json.quarantine
	test_eq "$(stat -c %a "$q" 2>/dev/null)" 600 "a quarantine record, mode 0600"
	test_match "$q" '"messageId":100000001,"entry":-1,"size":[0-9]+,"sha256":"[0-9a-f]{64}"' "naming the message, the size and the digest"
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "the next poll: exit 0"
	test_eq "$(fstate acquired)" "[91]" "the next good job is served"
	jobs=$(for r in $(seq 101 149); do printf '%s,' "$(job "$r")"; done)
	ctl "{\"op\":\"poison\",\"kinds\":[\"string\",\"negative\",\"huge\",\"noid\"],\"jobs\":[${jobs%,}]}"
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "four poison entries beside 49 good jobs: exit 0"
	test_eq "$(grep -c '"event":"JobAvailable"' "$T/out")" 49 "the 49 good jobs handled"
	test_eq "$(fstate acquired | tr -cd , | wc -c)" 49 "and acquired (50 jobs in all)"
	test_eq "$(grep -c 'job entry [0-9]* is malformed and quarantined' "$T/err")" 4 "four entries quarantined"
	acked 100000003 && ok "the message acked" || not_ok "message with poison entries not acked"
	test_eq "$(wc -l <"$q" | tr -d ' ')" 5 "five quarantine records"
	ctl "{\"op\":\"poison\",\"kinds\":[\"statistics\"],\"jobs\":[$(job 150)]}"
	ghrctl poll -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "statistics of the wrong shape: exit 0"
	test_match "$T/err" "message 100000004: its statistics is malformed and quarantined" "quarantined"
	served 150 && ok "the job beside them is served" || not_ok "job beside bad statistics not served"
	acked 100000004 && ok "and the message acked" || not_ok "message with bad statistics not acked"
	test_done
}

test_poison_follow() {
	test_init poison_follow
	as_setup --hold 1
	ghrctl poll --follow -o json >"$T/out" 2>"$T/err" &
	pid=$!
	wait_long has_session
	ctl '{"op":"poison","kinds":["notjson"]}'
	ctl "{\"op\":\"poison\",\"kinds\":[\"huge\"],\"jobs\":[$(job 95)]}"
	ctl "{\"op\":\"message\",\"jobs\":[$(job 96)]}"
	wait_long served 96 && ok "--follow: the job after two poison messages is served" || not_ok "--follow: stuck behind a poison message"
	served 95 && ok "and the good job beside a poison entry" || not_ok "the job beside a poison entry was dropped"
	kill -TERM "$(leaf "$pid")"
	wait "$pid"
	test_eq "$?" 0 "exit 0"
	test_done
}

run_test test_empty_200
run_test test_empty_queue_url
run_test test_scale_set_deleted
run_test test_bom_and_junk
run_test test_poison_one_shot
run_test test_poison_follow
