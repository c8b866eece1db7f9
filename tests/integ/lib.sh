# SPDX-License-Identifier: ISC
# shellcheck shell=sh
#
# Sourced by every tests/integ/tNNNN-*.sh script.  Provides:
#   test_init NAME     fresh temp dir $T, clean environment, HOME=$T/home
#   test_done          removes $T when the test passed, else names it
#   run_test FUNC      runs FUNC unless $TEST_ONLY names other tests
#   ok MSG / not_ok MSG / test_eq GOT WANT MSG / test_match FILE REGEX MSG
#   $BIN, $BUILD       the binary under test, the glibc build dir (tools/)
#   ghrctl ARGS...     the binary under test, wrapped in timeout (and
#                      valgrind when VALGRIND=1)
#   test_ca            per-run test CA and certificates in $CA (see below)
#   fake_start NAME [ARGS]  start tests/fake/NAME.py on 127.0.0.1, port 0;
#                      sets NAME_PORT (upper-case); stopped at exit
#   fake_requests NAME the JSON lines the fake recorded
#   wait_for CMD...    retry CMD for up to 10 s (WAIT_TICKS=200 x 50 ms)
#   on_tty COLS OUT CMD...  CMD with stdout on a pty COLS columns wide
#   widest FILE        the display width of FILE's longest line
# Output: one "ok - ..." or "not ok - ..." line per check (tests/run.sh
# counts them).

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
# Kept under names clean_env does not clear.
BIN=${GHRCTL_BIN:-$TOP/ghrctl}
BUILD=${GHRCTL_BUILD:-$TOP/build/dev}
TEST_CA_DIR=${GHRCTL_TEST_CA:-}
TEST_TMP=${TEST_TMP:-${TMPDIR:-/tmp}}
SCRIPT=$(basename "$0" .sh)
FAKE_PIDS=
T=
TEST_FAILED=0

ok() { echo "ok - $SCRIPT: ${TEST_NAME:-}: $*"; }
not_ok() {
	echo "not ok - $SCRIPT: ${TEST_NAME:-}: $*"
	TEST_FAILED=1
}

test_eq() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3 (got '$1', want '$2')"
	fi
}

# test_match FILE EXTENDED-REGEX MESSAGE
test_match() {
	if grep -Eq -- "$2" "$1"; then
		ok "$3"
	else
		not_ok "$3 (no /$2/ in $1: $(head -c 400 "$1" | tr '\n' '|'))"
	fi
}

# test_nomatch FILE EXTENDED-REGEX MESSAGE
test_nomatch() {
	if grep -Eq -- "$2" "$1"; then
		not_ok "$3 (/$2/ found in $1)"
	else
		ok "$3"
	fi
}

# Run a command, expect exit status $1: test_status 64 "msg" ghrctl foo
test_status() {
	want=$1 msg=$2
	shift 2
	"$@"
	got=$?
	test_eq "$got" "$want" "$msg: exit status"
}

cleanup() {
	for p in $FAKE_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $FAKE_PIDS; do
		wait "$p" 2>/dev/null
	done
	FAKE_PIDS=
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# Clear every variable that could point ghrctl at a real service.
clean_env() {
	for v in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
		case $v in
		GITHUB_* | GH_* | AWS_* | EC2_* | GHRCTL_* | RUNNER_* | \
		    MIN_RUNNERS | MAX_RUNNERS | ORGANIZATION_NAME | LOG_LEVEL | \
		    MESSAGE_POLL_INTERVAL | SESSION_REFRESH_INTERVAL | \
		    SSL_CERT_FILE | SSL_CERT_DIR | XDG_* | \
		    HTTPS_PROXY | https_proxy | HTTP_PROXY | http_proxy | \
		    NO_PROXY | no_proxy | ALL_PROXY | all_proxy)
			unset "$v" ;;
		esac
	done
}

test_init() {
	TEST_NAME=$1
	TEST_FAILED=0
	cleanup
	T=$(mktemp -d "$TEST_TMP/ghrctl-$SCRIPT.XXXXXX")
	clean_env
	GHRCTL_BIN=$BIN	# the test's own variables survive, unexported
	GHRCTL_BUILD=$BUILD
	export HOME="$T/home"
	mkdir -p "$HOME"
	# Never reach a real instance metadata service.
	export AWS_EC2_METADATA_DISABLED=true
}

test_done() {
	cleanup
	if [ "$TEST_FAILED" -eq 0 ]; then
		# A ghrctl still shutting down (its tmux pane killed) may write
		# into $T (state, error record) while it goes: try again.
		rm -rf "$T" 2>/dev/null || { sleep 1; rm -rf "$T"; }
	else
		echo "# $SCRIPT: $TEST_NAME failed; test data left in $T"
	fi
}

run_test() {
	if [ -n "${TEST_ONLY:-}" ]; then
		case " $TEST_ONLY " in
		*" $1 "*) ;;
		*) return 0 ;;
		esac
	fi
	"$1"
}

# wrapped PROGRAM ARGS...: run PROGRAM with a time limit, under valgrind
# (leaks and errors fail with status 99) when VALGRIND=1.
wrapped() {
	if [ "${VALGRIND:-}" = 1 ]; then
		timeout 120 valgrind -q --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite,indirect \
		    --show-leak-kinds=definite,indirect "$@"
	else
		timeout 60 "$@"
	fi
}

ghrctl() { wrapped "$BIN" "$@"; }

# tool NAME ARGS...: run the test driver $BUILD/tools/NAME like ghrctl().
tool() {
	t_name=$1
	shift
	wrapped "$BUILD/tools/$t_name" "$@"
}

# Per-run test CA, made once per tests/run.sh run (shared by all scripts):
#   $CA/ca.pem            trusted CA (EC P-256)
#   $CA/server.pem/.key   CN=localhost, DNS:localhost, signed by ca.pem
#   $CA/other-ca.pem      a CA nobody uses (wrong-CA tests)
#   $CA/other.pem/.key    localhost cert signed by other-ca
#   $CA/wrongname.pem/.key DNS:wrong.example, signed by ca.pem
#   $CA/expired.pem/.key  localhost, signed by ca.pem, expired
#   $CA/rsa-ca.pem, $CA/rsa-server.pem/.key  an RSA-2048 chain
#   $CA/sha1.pem/.key     localhost, signed by ca.pem with ECDSA-SHA1
#   $CA/rsa1024.pem/.key  localhost, RSA-1024 key, signed by rsa-ca.pem
#   $CA/nosan.pem/.key    CN=localhost without subjectAltName, by ca.pem
test_ca() {
	CA=${TEST_CA_DIR:-$TEST_TMP/ghrctl-test-ca-$$}
	if [ ! -f "$CA/done" ]; then
		mkdir -p "$CA"
		"$PY" "$TOP/tests/fake/mkca.py" "$CA" >"$CA/mkca.log" 2>&1 || {
			not_ok "test CA could not be made: $(cat "$CA/mkca.log")"
			return 1
		}
	fi
	export CA
}

# fake_start NAME [ARGS...]: start tests/fake/NAME.py; TLS with the test CA
# unless ARGS has --plain.  Exports <NAME>_PORT and <NAME>_LOG.
fake_start() {
	name=$1
	shift
	tls="--cert $CA/server.pem --key $CA/server.key"
	args=
	for a in "$@"; do
		if [ "$a" = --plain ]; then
			tls=
		else
			args="$args $a"
		fi
	done
	pf="$T/$name.port"
	rm -f "$pf"
	# shellcheck disable=SC2086
	"$PY" "$TOP/tests/fake/$name.py" --port-file "$pf" --log "$T/$name.log" \
	    $tls $args >"$T/$name.out" 2>&1 &
	FAKE_PIDS="$FAKE_PIDS $!"
	i=0
	while [ ! -s "$pf" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			not_ok "fake $name did not start: $(cat "$T/$name.out")"
			return 1
		fi
		sleep 0.05
	done
	up=$(echo "$name" | tr 'a-z-' 'A-Z_')
	eval "${up}_PORT=\$(cat \"\$pf\")"
	eval "${up}_LOG=\$T/\$name.log"
	export "${up}_PORT" "${up}_LOG"
}

fake_requests() {
	cat "$T/$1.log" 2>/dev/null
}

fake_conns() {
	cat "$T/$1.log.conns" 2>/dev/null || echo 0
}

# wait_for CMD...: retry CMD every 50 ms, for up to 10 s (WAIT_TICKS=200).
wait_for() {
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -gt "${WAIT_TICKS:-200}" ] && return 1
		sleep 0.05
	done
}

# on_tty COLS OUT CMD...: run CMD with stdout on a pty COLS wide, its
# output (CR LF as LF) into OUT; stderr stays where it is.
on_tty() {
	"$PY" - "$@" <<'PY'
import fcntl, os, pty, struct, subprocess, sys, termios
cols, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
m, s = pty.openpty()
fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
p = subprocess.Popen(cmd, stdout=s, stdin=subprocess.DEVNULL)
os.close(s)
data = b""
while True:
    try:
        b = os.read(m, 65536)
    except OSError:
        break
    if not b:
        break
    data += b
p.wait()
open(out, "wb").write(data.replace(b"\r\n", b"\n"))
sys.exit(p.returncode)
PY
}

# widest FILE: the most display columns a line of FILE takes (UTF-8).
widest() {
	"$PY" -c 'import sys; print(max([len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")] or [0]))' "$1"
}
