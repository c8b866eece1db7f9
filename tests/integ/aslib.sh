# shellcheck shell=sh
# aslib.sh: helpers for the tests that run ghrctl against the fake Actions
# Service (tests/fake/actions.py, on TLS with the per-run CA).  Sourced
# after lib.sh.
#   as_setup [--no-register] [FAKE ARGS...]  start the fake, export the
#                      environment ghrctl needs, and (unless --no-register)
#                      register the scale set ghrctl-test
#   ctl JSON           append a control line for the fake (see actions.py)
#   fstate FIELD       a field of the fake's state dump, as JSON
#   acked ID           the fake saw message ID acked
#   count METHOD PATH-REGEX   requests the fake recorded
#   leaf PID           the deepest descendant of PID (ghrctl under timeout)
#   wait_long CMD...   retry CMD for up to 30 s

as_setup() {
	as_reg=1
	if [ "${1:-}" = --no-register ]; then
		as_reg=0
		shift
	fi
	test_ca || return 1
	: >"$T/actions.ctl"
	fake_start actions --token ghp_test --control "$T/actions.ctl" "$@" || return 1
	export GITHUB_CONFIG_URL="https://localhost:$ACTIONS_PORT/acme"
	export GITHUB_TOKEN=ghp_test GHRCTL_CA_FILE="$CA/ca.pem"
	export RUNNER_SCALE_SET_NAME=ghrctl-test GHRCTL_STATE_DIR="$T/state"
	export GHRCTL_STANDBY_WAIT=1s	# poll --follow: retry a 409 quickly
	[ "$as_reg" = 0 ] || ghrctl register >/dev/null
}

ctl() { echo "$1" >>"$T/actions.ctl"; }

fstate() {
	"$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
	    "$ACTIONS_LOG.state" "$1" 2>/dev/null
}

acked() { fstate acked | grep -q "$1"; }

count() { grep -c "\"method\": \"$1\", \"path\": \"$2" "$ACTIONS_LOG"; }

leaf() {
	p=$1
	while c=$(ps -o pid= --ppid "$p" | head -n 1 | tr -d ' '); [ -n "$c" ]; do p=$c; done
	echo "$p"
}

wait_long() { WAIT_TICKS=600 wait_for "$@"; }
