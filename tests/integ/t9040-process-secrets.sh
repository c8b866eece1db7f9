#!/bin/sh
# SPDX-License-Identifier: ISC
# t9040-process-secrets.sh: secrets do not leave the process: --exec hooks
# get an allow-listed environment (no GITHUB_TOKEN, no AWS keys), and the
# process is not dumpable with a core size limit of 0 (no core file holds
# the PAT; other processes of the same user cannot read its memory).
. ./lib.sh
. ./aslib.sh

test_exec_env() {
	test_init exec_env
	as_setup || { test_done; return; }
	ctl '{"op":"message","jobs":[{"messageType":"JobAssigned","runnerRequestId":21,"repositoryName":"app","ownerName":"acme","jobId":"j-21","requestLabels":["ghrctl-test"]}]}'
	AWS_ACCESS_KEY_ID=AKIDT9040 AWS_SECRET_ACCESS_KEY=t9040SecretKeyValue \
	    AWS_SESSION_TOKEN=t9040SessionTokenValue GH_TOKEN=ghp_t9040other \
	    GHRCTL_HOOK_URL=https://hooks.example/x LANG=C.UTF-8 LC_TIME=C \
	    ghrctl poll --exec "env >'$T/hook-env'; cat >/dev/null" \
	    >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "poll --exec exits 0"
	test_match "$T/hook-env" '^PATH=' "the hook has PATH"
	test_match "$T/hook-env" '^HOME=' "the hook has HOME"
	test_match "$T/hook-env" '^GHRCTL_HOOK_URL=https://hooks.example/x$' \
	    "GHRCTL_HOOK_* passed"
	test_match "$T/hook-env" '^LANG=C.UTF-8$' "locale passed"
	test_match "$T/hook-env" '^LC_TIME=C$' "LC_* passed"
	for v in GITHUB_TOKEN GH_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	    AWS_SESSION_TOKEN GITHUB_CONFIG_URL GHRCTL_CA_FILE; do
		test_nomatch "$T/hook-env" "^$v=" "$v not passed to the hook"
	done
	test_nomatch "$T/hook-env" 'SecretKeyValue|SessionTokenValue|ghp_' "no secret value in the hook's environment"
	test_done
}

# A TCP server that accepts and never answers, so ghrctl waits in a read.
silent_server() {
	"$PY" -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
open(sys.argv[1] + ".accepted", "w").close()
time.sleep(60)' "$T/silent.port" &
	FAKE_PIDS="$FAKE_PIDS $!"
	wait_for test -s "$T/silent.port"
}

test_no_core_dumps() {
	test_init no_core_dumps
	if ! command -v setpriv >/dev/null || [ "$(id -u)" != 0 ]; then
		ok "skipped: needs root and setpriv to run as another user"
		test_done
		return
	fi
	silent_server || { not_ok "silent server did not start"; test_done; return; }
	port=$(cat "$T/silent.port")
	# Run as nobody: /proc/PID files of a process that is not dumpable
	# belong to root, those of a dumpable one to its user (proc(5)).
	HOME=/ GITHUB_CONFIG_URL="https://localhost:$port/acme" \
	    GITHUB_TOKEN=ghp_t9040coretoken setpriv --reuid 65534 \
	    --regid 65534 --clear-groups "$BIN" runners list --read-timeout 20s \
	    >/dev/null 2>"$T/err" &
	pid=$!
	wait_for test -e "$T/silent.port.accepted"
	test_eq "$(stat -c %u "/proc/$pid/environ" 2>&1)" 0 \
	    "not dumpable: /proc/PID/environ belongs to root, not the user"
	test_match "/proc/$pid/limits" '^Max core file size +0 +0 ' \
	    "RLIMIT_CORE 0, soft and hard"
	kill "$pid"
	wait "$pid" 2>/dev/null
	test_done
}

run_test test_exec_env
run_test test_no_core_dumps
