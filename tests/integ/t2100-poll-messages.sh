#!/bin/sh
# t2100-poll-messages.sh: one-shot ghrctl poll over TLS against the fake
# Actions Service: JobAvailable acquired, every message acked exactly once
# and only after lastMessageId was persisted (a run killed between persist
# and ack loses nothing and doubles nothing), --exec, -o json, plain text
# without escape codes, X-ScaleSetMaxCapacity, the long-poll read timeout.
. ./lib.sh
. ./aslib.sh


SF=scaleset-ghrctl-test.json
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",]*\\).*/\\1/p" "$T/state/$SF"; }
job() { # job TYPE REQ [extra json]
	echo "{\"messageType\":\"$1\",\"runnerRequestId\":$2,\"repositoryName\":\"app\",\"ownerName\":\"acme\",\"jobId\":\"j-$2\",\"jobWorkflowRef\":\"acme/app/.github/workflows/ci.yml@refs/heads/main\",\"jobDisplayName\":\"build\",\"workflowRunId\":77,\"eventName\":\"push\",\"requestLabels\":[\"ghrctl-test\"],\"queueTime\":\"2026-11-23T10:00:00Z\"${3:+,$3}}"
}

test_acquire_ack_once() {
	test_init acquire_ack_once
	as_setup --hold 1
	ctl "{\"op\":\"message\",\"jobs\":[$(job JobAvailable 11),$(job JobAvailable 12),$(job JobAvailable 13)],\"statistics\":{\"totalAssignedJobs\":3}}"
	MAX_RUNNERS=7 ghrctl poll -o json >"$T/out"
	test_eq "$?" 0 "poll exits 0"
	test_eq "$(fstate acquired)" "[11, 12, 13]" "the three JobAvailable were acquired"
	test_eq "$(fstate acked)" "[100000001]" "the message was acked once"
	test_eq "$(grep -c '"event":"JobAvailable"' "$T/out")" 3 "three JSON events"
	test_match "$T/out" '"event":"statistics".*"totalAssignedJobs":3' "statistics printed"
	test_match "$T/out" '"jobWorkflowRef":"acme/app/.github/workflows/ci.yml@refs/heads/main"' "events keep every field"
	test_match "$ACTIONS_LOG" '"X-Scalesetmaxcapacity": "7"|"X-ScaleSetMaxCapacity": "7"' "X-ScaleSetMaxCapacity from MAX_RUNNERS"
	test_match "$ACTIONS_LOG" 'acquirejobs\?api-version=6.0-preview' "acquirejobs called"
	test_eq "$(field lastMessageId)" 100000001 "lastMessageId persisted"
	ghrctl poll -o json >"$T/out2"
	test_eq "$(wc -c <"$T/out2" | tr -d ' ')" 0 "next poll: nothing (202)"
	test_match "$ACTIONS_LOG" 'message\?sessionId=[^"]*&lastMessageId=100000001' "polls with lastMessageId"
	test_eq "$(fstate acked)" "[100000001]" "still acked exactly once"
	test_done
}

test_text_and_exec() {
	test_init text_and_exec
	as_setup --hold 1
	ctl "{\"op\":\"message\",\"jobs\":[$(job JobAssigned 21),$(job JobStarted 21 '"runnerId":5,"runnerName":"r-5"'),$(job JobCompleted 21 '"runnerId":5,"runnerName":"r-5","result":"succeeded"')]}"
	ghrctl poll --exec "cat >>'$T/hook'" >"$T/out"
	test_eq "$?" 0 "poll --exec exits 0"
	test_eq "$(grep -c " Job" "$T/out")" 3 "one line per event"
	test_match "$T/out" "statistics +assigned=" "statistics line"
	test_match "$T/out" "JobStarted +acme/app ci.yml / build labels=ghrctl-test req=21 runner=r-5" "text line: event, repo, workflow/job, labels, runner"
	test_match "$T/out" "JobCompleted.*result=succeeded" "result shown"
	if grep -q "$(printf '\033')" "$T/out"; then not_ok "escape codes when stdout is not a terminal"; else ok "no escape codes in a pipe"; fi
	test_eq "$(grep -c '"event":"Job' "$T/hook")" 3 "the hook got each event as JSON on stdin"
	test_match "$T/hook" '"event":"JobCompleted".*"result":"succeeded"' "with its fields"
	test_done
}

test_persist_before_ack() {
	test_init persist_before_ack
	as_setup --hold 1
	ghrctl session open >/dev/null
	ctl "{\"op\":\"message\",\"jobs\":[$(job JobAvailable 31)]}"
	ctl '{"op":"stall_delete","seconds":20}'
	ghrctl poll -o json >"$T/out1" 2>"$T/err1" &
	job=$!
	wait_for grep -q '"method": "DELETE", "path": "/broker/1/message/100000001' "$ACTIONS_LOG"
	test_eq "$(field lastMessageId)" 100000001 "lastMessageId persisted before the ack completed"
	test_eq "$(fstate acked)" "[]" "not acked yet"
	kill -9 "$(leaf "$job")"
	wait "$job"
	test_match "$T/out1" '"runnerRequestId":31' "first run handled message 1"
	ctl "{\"op\":\"message\",\"jobs\":[$(job JobAvailable 32)]}"
	ghrctl poll -o json >"$T/out2" 2>"$T/err2"
	test_eq "$?" 0 "re-run exits 0"
	test_match "$T/out2" '"runnerRequestId":32' "message 2 handled (nothing lost)"
	test_nomatch "$T/out2" '"runnerRequestId":31' "message 1 not handled again"
	test_eq "$(fstate acked)" "[100000001, 100000002]" "both acked, once each"
	test_eq "$(fstate acquired)" "[31, 32]" "each job acquired once"
	test_done
}

test_long_poll_timeout() {
	test_init long_poll_timeout
	as_setup --hold 3
	GHRCTL_READ_TIMEOUT=1s ghrctl poll >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "a 3 s hold outlives a 1 s read timeout (long-poll timeout is its own)"
	test_done
}

# A new session numbers its messages from the start again (the fake as
# the service): a run that polls it with the old session's lastMessageId
# skips its messages, and one that acks the old session's pending id acks
# another message, never handled.
test_new_session_from_zero() {
	test_init new_session_from_zero
	as_setup --hold 1
	for r in 31 32 33; do
		ctl "{\"op\":\"message\",\"jobs\":[$(job JobAvailable $r)]}"
	done
	for r in 31 32 33; do ghrctl poll -o json >/dev/null; done
	test_eq "$(field lastMessageId)" 100000003 "three messages handled"
	# killed after persisting 100000003, before its ack
	sed -i 's/"lastAckedId":100000003/"lastAckedId":100000002/' "$T/state/$SF"
	ctl '{"op":"expire_sessions"}'
	for r in 34 35 36; do
		ctl "{\"op\":\"message\",\"jobs\":[$(job JobAvailable $r)]}"
	done
	for r in 34 35 36; do ghrctl poll -o json >>"$T/out" 2>>"$T/err"; done
	test_eq "$(fstate acquired)" "[31, 32, 33, 34, 35, 36]" "every job of the new session served"
	test_eq "$(grep -c '"event":"JobAvailable"' "$T/out")" 3 "three events after the new session"
	test_eq "$(field lastMessageId)" 100000003 "lastMessageId counts the new session's messages"
	sid=$(fstate sessions | sed 's/.*"sessionId": "\([^"]*\)".*/\1/')
	test_match "$ACTIONS_LOG" "message\\?sessionId=$sid\"" "the new session is polled from the start (no lastMessageId)"
	test_nomatch "$ACTIONS_LOG" "message(/[0-9]+)?\\?sessionId=$sid&lastMessageId=100000003\"" "and not from the old session's last id"
	test_done
}

run_test test_acquire_ack_once
run_test test_new_session_from_zero
run_test test_text_and_exec
run_test test_persist_before_ack
run_test test_long_poll_timeout
